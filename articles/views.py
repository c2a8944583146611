from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.validators import slug_re
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.generic import ArchiveIndexView, DetailView, ListView, MonthArchiveView

from . import feeds, preview, workflow
from .compiled import CompiledQuery, Parameter
from .editions import edition_memo
from .listings import ListingPaginator, browsable_topics
from .models import NEWEST_FIRST, Article, Author, SlugRedirect, Topic
from .search import MAX_QUERY_LENGTH, has_words, normalise_query, search_articles

PAGE_SIZE = 10


class PublishedArticleListMixin:
    """Readers' listings: published articles only, newest first, with their bylines."""

    paginate_by = PAGE_SIZE

    def published_articles(self):
        return Article.objects.for_listing()


class ArticleListingMixin(PublishedArticleListMixin):
    """A listing that costs the same on page 500 of 100,000 articles as on page 1 of two.

    `get_queryset()` gives the listing lean (filters and order: what the index answers); the
    paginator (articles.listings) takes a page's ids from it, then loads those articles as
    cards (`listings.cards`), and remembers the count per edition of the site.
    """

    def published_articles(self):
        return Article.objects.published().order_by(*NEWEST_FIRST)

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        return ListingPaginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            name=self.request.path,
        )


class ArticleListView(ArticleListingMixin, ListView):
    """The home page. Model: Article. Template: articles/article_list.html.

    Context: `article_list` (a page of published articles) and `page_obj`.
    """

    template_name = "articles/article_list.html"

    def get_queryset(self):
        return self.published_articles()


class ArticlePageView(DetailView):
    """An article as its page shows it, with what is around it: the reader's page and the
    previews share it. Template: articles/article_detail.html.

    Context: `article`, `related_articles` ("Read more": the editors' picks, then
    articles sharing topics), `linked_from` (the newest ten) and `linked_from_more` (how
    many more), `previous_article`, `next_article`, `take_heading`.
    """

    template_name = "articles/article_detail.html"
    context_object_name = "article"
    model = Article

    def get_context_data(self, **kwargs):
        around = self.object.surroundings()
        return super().get_context_data(
            related_articles=around.read_more,
            linked_from=around.linked_from,
            linked_from_more=around.linked_from_more,
            previous_article=around.previous,
            next_article=around.next,
            take_heading=f"{settings.SITE_NAME}’s take",
            **kwargs,
        )


# The reader's article: `for_article_page()` by slug, its SQL written once per database
# connection and run with the slug and the time (articles.compiled).
ARTICLE_PAGE = CompiledQuery(
    lambda slug, now: Article.objects.for_article_page(now).filter(slug=slug),
    Parameter("slug", Article._meta.get_field("slug"), "compiled-query-slug"),
    Parameter("now", Article._meta.get_field("published_at"), datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC)),
)


class ArticleDetailView(ArticlePageView):
    """One published article, by slug. Template and context: as ArticlePageView.

    Drafts, future articles and unknown slugs are 404; an old slug of a published article
    is a 301 to its current URL. Three queries at any size: the site's edition, the article
    with its byline and its topics' ids (`ARTICLE_PAGE`), and everything around it
    (`Article.surroundings()`); the topics (the article's and the navigation's) and "Read
    more"'s candidates are remembered per edition, two more queries when the edition is new.
    """

    def get_object(self, queryset=None):
        found = ARTICLE_PAGE.run(slug=self.kwargs["slug"], now=timezone.now())
        if not found:
            raise Http404("No published article has this address.")
        article = found[0]
        article.take_topics(browsable_topics())
        return article

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # An old slug of a published article: send readers (and search engines) on.
            moved = self.moved_article()
            if moved is None:
                raise
            return redirect(moved, permanent=True)

    def moved_article(self):
        """The published article whose old slug this is, if any."""
        moved = (
            SlugRedirect.objects.filter(old_slug=self.kwargs["slug"], article__in=Article.objects.published())
            .select_related("article")
            .first()
        )
        return moved.article if moved else None


class PreviewMixin:
    """An article readers may not see yet, shown as they will see it: never cached or indexed.

    Adds `is_preview` and `shared_preview` to the article page's context.
    """

    shared = False

    def get_context_data(self, **kwargs):
        return super().get_context_data(is_preview=True, shared_preview=self.shared, **kwargs)

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        add_never_cache_headers(response)
        # Previews are not for search engines.
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response


class ArticlePreviewView(PreviewMixin, ArticlePageView):
    """The newsroom's preview of an article, whatever its state. Template: as ArticlePageView.

    Served under the admin (`admin:articles_article_preview`, by id), which asks for a
    staff login. Model: Article, among those the user may open in the admin; another
    article is a 403. Context: as ArticlePageView, plus `is_preview`, `shared_preview`.
    """

    def get_queryset(self):
        user = self.request.user
        if not (user.has_perm("articles.view_article") or user.has_perm("articles.change_article")):
            raise PermissionDenied("You cannot open articles.")
        return workflow.visible_articles(user, Article.objects.with_byline().prefetch_related("topics"))

    def get_object(self, queryset=None):
        try:
            article = super().get_object(queryset)
        except Http404:
            if Article.objects.filter(pk=self.kwargs["pk"]).exists():
                raise PermissionDenied("You cannot open this article.") from None
            raise
        if not workflow.can_view(self.request.user, article):
            raise PermissionDenied("You cannot open this article.")
        return article


class SharedPreviewView(PreviewMixin, ArticlePageView):
    """An unpublished article by its signed share link (preview.py); no login needed.

    Template and context: as ArticlePreviewView, with `shared_preview` True. A tampered
    link is a 403 and an expired one a 410, on articles/preview_invalid.html (context:
    `title`, `explanation`); so is an archived article (410). An article published
    since redirects to its page.
    """

    shared = True

    def get(self, request, *args, **kwargs):
        try:
            self.kwargs["pk"] = preview.article_id(kwargs["token"])
        except signing.SignatureExpired:
            return self.invalid(
                410,
                "This preview link has expired",
                f"Preview links work for {preview.MAX_AGE_DAYS} days. Ask the newsroom for a new one.",
            )
        except signing.BadSignature:
            return self.invalid(
                403,
                "This preview link is not valid",
                "The link may have been cut short or changed. Check that you copied all of it.",
            )
        self.object = self.get_object()
        if self.object.is_live:
            return redirect(self.object)  # published since: the real page
        if self.object.status == Article.Status.ARCHIVED:
            return self.invalid(410, "This article is no longer available", "The newsroom has archived it.")
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_queryset(self):
        # The signature is the permission: any article, whatever its state.
        return Article.objects.with_byline().prefetch_related("topics")

    def invalid(self, status, title, explanation):
        response = TemplateResponse(
            self.request,
            "articles/preview_invalid.html",
            {"title": title, "explanation": explanation},
            status=status,
        )
        add_never_cache_headers(response)
        return response


class ArchiveMixin(ArticleListingMixin):
    """Date-based archives of published articles (Django's generic date views).

    The queryset is lean (ids and dates): it also finds the neighbouring months, one row each.
    """

    date_field = "published_at"
    allow_empty = False
    allow_future = False
    paginate_by = PAGE_SIZE
    context_object_name = "article_list"

    def get_queryset(self):
        return self.published_articles().only("published_at")


class ArticleArchiveIndexView(ArchiveMixin, ArchiveIndexView):
    """/archive/: every year with its months and how many articles each has.
    Template: articles/article_archive.html.

    Context: `years` (see get_context_data), `date_list` (months with published articles,
    newest first), `article_list`.
    """

    template_name = "articles/article_archive.html"
    date_list_period = "month"
    paginate_by = None
    allow_empty = True

    def month_counts(self):
        """[(first moment of a month, number of articles published in it)], oldest first.

        One GROUP BY over every published article, so remembered for the edition of the site
        (exact: see articles.editions.edition_memo). Months in the site's time zone, as the
        month pages count them.
        """
        rows = (
            Article.objects.published()
            .annotate(month=TruncMonth("published_at"))
            .order_by()
            .values("month")
            .annotate(count=Count("id"))
            .values_list("month", "count")
        )
        return edition_memo("archive-month-counts", lambda: sorted(rows))

    def get_date_list(self, queryset, date_type=None, ordering="ASC"):
        # The months with articles, from the remembered counts (the page shows both).
        months = [month for month, _ in self.month_counts()]
        return months[::-1] if ordering == "DESC" else months

    def get_context_data(self, **kwargs):
        """Adds `years`: newest first, each {"year", "count", "months": [{"month", "count"}]}."""
        years = {}
        for month, count in reversed(self.month_counts()):
            year = years.setdefault(month.year, {"year": month.year, "count": 0, "months": []})
            year["count"] += count
            year["months"].append({"month": month, "count": count})
        return super().get_context_data(years=list(years.values()), **kwargs)


class ArticleMonthArchiveView(ArchiveMixin, MonthArchiveView):
    """/archive/2022/02/: a month's published articles. Template: articles/article_archive_month.html.

    Context: `month`, `previous_month`, `next_month`, `article_list`, `page_obj`.
    """

    template_name = "articles/article_archive_month.html"
    month_format = "%m"

    # The month's bounds come before published()'s "until now" in every query here: SQLite
    # bounds an index range by the first of two upper bounds on a column, and would otherwise
    # walk the index from today back to the month.

    def get_dated_queryset(self, **lookup):
        articles = Article.objects.filter(**lookup).published().order_by(*NEWEST_FIRST).only("published_at")
        if not articles.exists():
            raise Http404("No articles were published that month.")
        return articles

    def get_previous_month(self, date):
        """The month of the latest published article before this month, or None."""
        start = self._make_date_lookup_arg(date)
        earlier = Article.objects.filter(published_at__lt=start).published().order_by(*NEWEST_FIRST)
        return self._month_of(earlier.values_list("published_at", flat=True).first())

    def get_next_month(self, date):
        """The month of the earliest published article after this month, or None."""
        end = self._make_date_lookup_arg(self._get_next_month(date))
        later = Article.objects.filter(published_at__gte=end).published().order_by("published_at", "id")
        return self._month_of(later.values_list("published_at", flat=True).first())

    def _month_of(self, moment):
        return None if moment is None else self._get_current_month(timezone.localdate(moment))

    def get_date_list(self, queryset, date_type=None, ordering="ASC"):
        # Django lists the month's days here, which the page does not show: a DISTINCT over
        # the month's articles saved. An empty month is still a 404 (get_dated_queryset).
        return None


class ListingOfOneView(ArticleListingMixin, ListView):
    """The page of one thing (a `listed_model` instance found by the URL's slug; unknown slug:
    404) with its published articles (`articles_of`), and links to its RSS and Atom feeds
    (`feed_classes`).

    Context: `listed` (the thing, also under its model's name: `author`, `topic`), `feed`
    (its feed's `title` and `description`, the page's description too, and its `rss_url` and
    `atom_url`), `article_list` and `page_obj`.
    """

    listed_model = None
    feed_classes = ()  # (the RSS feed, its Atom twin), as in articles.feeds

    def articles_of(self, listed):
        raise NotImplementedError

    def get_queryset(self):
        self.listed = get_object_or_404(self.listed_model, slug=self.kwargs["slug"])
        return self.articles_of(self.listed)

    def get_context_data(self, **kwargs):
        rss, atom = (
            reverse(feed.feed_url_name, kwargs={"slug": self.listed.slug}) for feed in self.feed_classes
        )
        feed = self.feed_classes[0]()
        return super().get_context_data(
            listed=self.listed,
            feed={
                "title": feed.title(self.listed),
                "description": feed.description(self.listed),
                "rss_url": rss,
                "atom_url": atom,
            },
            **{self.listed_model._meta.model_name: self.listed},
            **kwargs,
        )


class AuthorDetailView(ListingOfOneView):
    """An author's page. Models: Author, Article. Template: articles/author_detail.html.

    Context: `author`, `article_list` (the published articles they wrote or co-wrote) and
    `page_obj`, as ListingOfOneView gives them.
    """

    template_name = "articles/author_detail.html"
    listed_model = Author
    feed_classes = (feeds.AuthorFeed, feeds.AuthorAtomFeed)

    def articles_of(self, author):
        # Written alone, as lead author or as a co-author.
        return self.published_articles().by_author(author)


class TopicDetailView(ListingOfOneView):
    """A topic's page. Models: Topic, Article. Template: articles/topic_detail.html.

    Context: `topic`, `article_list` (its published articles) and `page_obj`, as
    ListingOfOneView gives them.
    """

    template_name = "articles/topic_detail.html"
    listed_model = Topic
    feed_classes = (feeds.TopicFeed, feeds.TopicAtomFeed)

    def articles_of(self, topic):
        return self.published_articles().filter(topics=topic)


class SearchView(PublishedArticleListMixin, ListView):
    """Search results. Models: Article, Topic, Author. Template: articles/search.html.

    `?q=` (websearch syntax: "a phrase", or, -word), optionally narrowed by `topic` and
    `author` slugs. Context: `query` (as searched), `query_truncated` (whether it was cut
    to `max_query_length` characters), `message` (why nothing was searched, if so),
    `notices` (narrowings that were ignored), `topic` and `author` (the narrowings
    applied, or None; the choices are the browsable topics and authors, written by
    `{% narrowing_options %}`), `article_list` (a page of published articles, best match
    first, each with a safe `.snippet`), `page_obj` and `paginator`, and `ranked_limit`:
    when more matched than one search ranks, how many of the newest it ranked (else None).
    Any input gives a page.
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
            ranked_limit=self.object_list.limit if self.object_list.capped else None,
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
