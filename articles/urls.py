from django.urls import path, re_path

from . import feeds, views
from .pagecache import public_page

app_name = "articles"

# Every page here except the share-link preview is the same for every anonymous reader,
# so the page cache may keep it (articles.pagecache).

urlpatterns = [
    path("", public_page(views.ArticleListView.as_view()), name="article-list"),
    path("articles/<slug:slug>/", public_page(views.ArticleDetailView.as_view()), name="article-detail"),
    path("authors/<slug:slug>/", public_page(views.AuthorDetailView.as_view()), name="author-detail"),
    path("topics/<slug:slug>/", public_page(views.TopicDetailView.as_view()), name="topic-detail"),
    path("search/", public_page(views.SearchView.as_view()), name="search"),
    path("archive/", public_page(views.ArticleArchiveIndexView.as_view()), name="archive"),
    re_path(
        r"^archive/(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/$",
        public_page(views.ArticleMonthArchiveView.as_view()),
        name="archive-month",
    ),
    path("preview/<str:token>/", views.SharedPreviewView.as_view(), name="shared-preview"),
    path("feed/rss/", public_page(feeds.LatestArticlesFeed()), name="feed-rss"),
    path("feed/atom/", public_page(feeds.LatestArticlesAtomFeed()), name="feed-atom"),
    path("topics/<slug:slug>/feed/rss/", public_page(feeds.TopicFeed()), name="topic-feed-rss"),
    path("topics/<slug:slug>/feed/atom/", public_page(feeds.TopicAtomFeed()), name="topic-feed-atom"),
    path("authors/<slug:slug>/feed/rss/", public_page(feeds.AuthorFeed()), name="author-feed-rss"),
    path("authors/<slug:slug>/feed/atom/", public_page(feeds.AuthorAtomFeed()), name="author-feed-atom"),
]
