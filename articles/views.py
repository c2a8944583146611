from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import ArchiveIndexView, DetailView, ListView, MonthArchiveView

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


def article_page_context(article):
    """What the article template shows around the article; also used by draft previews."""
    return {
        "related_articles": article.read_more(),
        "linked_from": article.linked_from.published().with_byline().order_by("-published_at"),
        "previous_article": article.previous_published(),
        "next_article": article.next_published(),
        "take_heading": f"{settings.SITE_NAME}’s take",
    }


class ArticleDetailView(DetailView):
    """One published article. Template: articles/article_detail.html.

    Context: `article` and `article_page_context`: `related_articles` ("Read more": the
    editors' picks, then articles sharing topics), `linked_from`, `previous_article`,
    `next_article`, `take_heading`. Drafts, future articles and unknown slugs are 404;
    an old slug of a published article is a 301 to its current URL.
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
        return super().get_context_data(**article_page_context(self.object), **kwargs)


class ArchiveMixin:
    """Date-based archives of published articles (Django's generic date views)."""

    date_field = "published_at"
    allow_empty = False
    allow_future = False
    paginate_by = PAGE_SIZE
    context_object_name = "article_list"

    def get_queryset(self):
        return Article.objects.published().with_byline().prefetch_related("topics")


class ArticleArchiveIndexView(ArchiveMixin, ArchiveIndexView):
    """/archive/: every month with articles. Template: articles/article_archive.html.

    Context: `date_list` (months with published articles), `article_list`.
    """

    template_name = "articles/article_archive.html"
    date_list_period = "month"
    paginate_by = None
    allow_empty = True


class ArticleMonthArchiveView(ArchiveMixin, MonthArchiveView):
    """/archive/2022/02/: a month's published articles. Template: articles/article_archive_month.html.

    Context: `month`, `previous_month`, `next_month`, `article_list`, `page_obj`.
    """

    template_name = "articles/article_archive_month.html"
    month_format = "%m"


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
