from django.urls import path

from . import preview, views

app_name = "articles"

urlpatterns = [
    path("", views.ArticleListView.as_view(), name="article-list"),
    path("articles/<slug:slug>/", views.ArticleDetailView.as_view(), name="article-detail"),
    path("authors/<slug:slug>/", views.AuthorDetailView.as_view(), name="author-detail"),
    path("topics/<slug:slug>/", views.TopicDetailView.as_view(), name="topic-detail"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("preview/<str:token>/", preview.shared_preview, name="shared-preview"),
]
