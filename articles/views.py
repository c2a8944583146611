from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import DetailView, ListView

from .models import Article, Author, SlugRedirect, Topic
from .search import MAX_QUERY_LENGTH, normalise_query, search_articles

PAGE_SIZE = 10


class PublishedArticleListMixin:
    """Readers' listings: published articles only, newest first, with their bylines."""

    paginate_by = PAGE_SIZE

    def published_articles(self):
        return Article.objects.published().with_byline().prefetch_related("topics")


class ArticleListView(PublishedArticleListMixin, ListView):
    """The home page. Model: Article. Template: articles/article_list.html.

    Context: `article_list` (a page of published articles) and `page_obj`.
    """

    template_name = "articles/article_list.html"

    def get_queryset(self):
        return self.published_articles()


class ArticleDetailView(DetailView):
    """One published article. Template: articles/article_detail.html.

    Context: `article`, `related_articles` (published ones the editors linked),
    `take_heading`. Drafts, future articles and unknown slugs are 404.
    """

    template_name = "articles/article_detail.html"
    context_object_name = "article"

    def get_queryset(self):
        return Article.objects.published().with_byline().prefetch_related("topics")

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # An old slug of a published article: send readers (and search engines) on.
            moved = SlugRedirect.objects.filter(
                old_slug=kwargs["slug"], article__in=Article.objects.published()
            ).select_related("article").first()
            if moved is None:
                raise
            return redirect(moved.article, permanent=True)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["related_articles"] = self.object.related.published().with_byline()[:6]
        context["take_heading"] = f"{settings.SITE_NAME}’s take"
        return context


class AuthorDetailView(PublishedArticleListMixin, ListView):
    """An author's page. Models: Author, Article. Template: articles/author_detail.html.

    Context: `author`, `article_list` (their published articles) and `page_obj`.
    """

    template_name = "articles/author_detail.html"

    def get_queryset(self):
        self.author = get_object_or_404(Author, slug=self.kwargs["slug"])
        return self.published_articles().filter(author=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


class TopicDetailView(PublishedArticleListMixin, ListView):
    """A topic's page. Models: Topic, Article. Template: articles/topic_detail.html.

    Context: `topic`, `article_list` (its published articles) and `page_obj`.
    """

    template_name = "articles/topic_detail.html"

    def get_queryset(self):
        self.topic = get_object_or_404(Topic, slug=self.kwargs["slug"])
        return self.published_articles().filter(topics=self.topic)

    def get_context_data(self, **kwargs):
        return super().get_context_data(topic=self.topic, **kwargs)


class SearchView(PublishedArticleListMixin, ListView):
    """Search results. Template: articles/search.html.

    Context: `query` (as searched), `query_truncated`, `message` (why nothing was
    searched, if so), `article_list`, `page_obj` and `paginator`. Any input gives a page.
    """

    template_name = "articles/search.html"

    def get_queryset(self):
        raw = self.request.GET.get("q", "")
        self.query = normalise_query(raw)
        self.query_truncated = len(" ".join(raw.split())) > MAX_QUERY_LENGTH
        self.message = ""
        if not self.query:
            self.message = "Type a word or two to search the articles." if not raw.strip() else ""
        elif not any(ch.isalnum() for ch in self.query):
            self.message = "Search for words or numbers; punctuation alone matches nothing."
        return search_articles(self.query) if self.query else Article.objects.none()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            query=self.query, query_truncated=self.query_truncated, message=self.message, **kwargs
        )
