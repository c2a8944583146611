from django.conf import settings
from django.core.validators import slug_re
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import ArchiveIndexView, DetailView, ListView, MonthArchiveView

from .models import Article, Author, SlugRedirect, Topic
from .search import MAX_QUERY_LENGTH, has_words, normalise_query, search_articles

PAGE_SIZE = 10


class PublishedArticleListMixin:
    """Readers' listings: published articles only, newest first, with their bylines."""

    paginate_by = PAGE_SIZE

    def published_articles(self):
        return Article.objects.for_listing()


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
        return Article.objects.for_listing()

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # An old slug of a published article: send readers (and search engines) on.
            moved = (
                SlugRedirect.objects.filter(old_slug=kwargs["slug"], article__in=Article.objects.published())
                .select_related("article")
                .first()
            )
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
        return Article.objects.for_listing()


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
    """Search results. Models: Article, Topic, Author. Template: articles/search.html.

    `?q=` (websearch syntax: "a phrase", or, -word), optionally narrowed by `topic` and
    `author` slugs. Context: `query` (as searched), `query_truncated` (whether it was cut
    to `max_query_length` characters), `message` (why nothing was searched, if so),
    `notices` (narrowings that were ignored), `topic` and `author` (the narrowings
    applied, or None), `topics` and `authors` (the choices), `article_list` (a page of
    published articles, best match first, each with a safe `.snippet`), `page_obj` and
    `paginator`. Any input gives a page.
    """

    template_name = "articles/search.html"

    def get_queryset(self):
        self.query, self.query_truncated = normalise_query(self.request.GET.get("q", ""))
        self.notices = []
        self.topic = self.narrowing(Topic, "topic")
        self.author = self.narrowing(Author, "author")
        self.message = ""
        if not self.query:
            self.message = "Type a word or two to search the articles."
        elif not any(ch.isalnum() for ch in self.query):
            self.message = "Search for words or numbers; punctuation alone matches nothing."
        elif not has_words(self.query):
            self.message = "Add a word to look for: words after a minus sign are only left out."
        return search_articles("" if self.message else self.query, topic=self.topic, author=self.author)

    def narrowing(self, model, parameter):
        """The Topic or Author that the `parameter` slug names; None, with a notice, if none."""
        slug = self.request.GET.get(parameter, "").strip()
        if not slug:
            return None
        # Only a well-formed slug reaches the database (PostgreSQL refuses NUL, for one).
        found = model.objects.filter(slug=slug).first() if slug_re.match(slug) else None
        if found is None:
            shown = slug if len(slug) <= 60 else slug[:60] + "…"
            self.notices.append(f"There is no {parameter} “{shown}”, so the search covers every {parameter}.")
        return found

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            query=self.query,
            query_truncated=self.query_truncated,
            max_query_length=MAX_QUERY_LENGTH,
            message=self.message,
            notices=self.notices,
            topic=self.topic,
            author=self.author,
            topics=Topic.objects.with_published_articles(),
            authors=Author.objects.with_published_articles(),
            **kwargs,
        )


def robots_txt(request):
    """/robots.txt: crawl everything readers see; not the newsroom, previews or account links."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /accounts/",
        "",
        f"Sitemap: {settings.SITE_ORIGIN}{reverse('sitemap')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
