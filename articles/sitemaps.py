"""The sitemap: an index (/sitemap.xml) of sections, home, published articles, and the
topics and authors that have any; the articles in pages of at most `ARTICLES_PER_PAGE` URLs.

Locations are absolute on settings.SITE_ORIGIN rather than on the requesting host (the
default without django.contrib.sites), like the canonical links and the feeds; so are the
index's links to its sections (`index`).

Bounded work at any size: an article page reads the articles of one range of ids through
the primary key; what would need every published article (when the site last changed, the
topics' and authors' last changes) is remembered for the edition of the site (exact: see
articles.listings.edition_memo).
"""

import math
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem, x_robots_tag
from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import http_date

from .listings import edition_memo
from .models import NEWEST_FIRST, Article, Author, Topic

# The protocol allows 50,000 URLs in one sitemap file; a smaller page is quicker to make and
# to fetch (under 1 MB) and still needs few files (twenty for 100,000 articles).
ARTICLES_PER_PAGE = 5_000


class CanonicalOriginSitemap(Sitemap):
    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_ORIGIN).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_ORIGIN).netloc


def _latest_change(*lookups):
    """When the published articles that point at the outer row through any of `lookups` (Article
    fields or paths, such as "topics") last changed, as an expression: a subquery per lookup."""
    latest = [
        Subquery(
            Article.objects.published()
            .filter(**{lookup: OuterRef("pk")})
            .with_last_modified()
            .order_by("-last_modified")
            .values("last_modified")[:1]
        )
        for lookup in lookups
    ]
    if len(latest) == 1:
        return latest[0]
    # The latest of those that have any: SQLite's GREATEST of a NULL is NULL, so each argument
    # falls back on the others (PostgreSQL's skips NULLs, and gives the same).
    return Greatest(*(Coalesce(*latest[start:], *latest[:start]) for start in range(len(latest))))


def site_last_changed():
    """When any published article last changed for readers (None without any)."""

    def latest():
        articles = Article.objects.published().with_last_modified()
        return articles.aggregate(latest=Max("last_modified"))["latest"]

    return edition_memo("sitemap:site-last-changed", latest)


class HomeSitemap(CanonicalOriginSitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["articles:article-list"]

    def location(self, item):
        return reverse(item)

    def lastmod(self, item):
        return site_last_changed()


class IdRangePaginator:
    """Pages of articles by ranges of ids, the highest first: page n holds the published
    articles among the `per_page` ids below those of page n - 1, newest first.

    Each page is one primary-key range: bounded work wherever it lies, where counting off
    the pages of a newest-first list would read every article before the page. Page 1 holds
    the articles written last; a page may hold fewer than `per_page` (ids of drafts, deleted
    articles), and the number of pages follows the highest id of any article.
    """

    def __init__(self, per_page):
        self.per_page = per_page

    @cached_property
    def top(self):
        return Article.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    @cached_property
    def num_pages(self):
        return max(1, math.ceil(self.top / self.per_page))

    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger("That page number is not an integer") from error
        if not 1 <= number <= self.num_pages:
            raise EmptyPage("That page contains no results")
        return number

    def page(self, number):
        number = self.validate_number(number)
        highest = self.top - (number - 1) * self.per_page
        in_range = Article.objects.filter(pk__gt=highest - self.per_page, pk__lte=highest)
        # Drafts are left out here, not in SQL: SQLite would answer "published and in this
        # range" by walking every published article in the (status, published_at) index.
        # `is_live` is the same test as `published()` (tests/test_models.py holds them equal).
        articles = in_range.only("slug", "status", "published_at", "updated_at").with_last_modified()
        live = [article for article in articles.order_by(*NEWEST_FIRST) if article.is_live]
        return Page(live, number, self)


class ArticleSitemap(CanonicalOriginSitemap):
    changefreq = "weekly"
    priority = 0.8
    limit = ARTICLES_PER_PAGE

    @property
    def paginator(self):
        return IdRangePaginator(self.limit)

    def items(self):
        # Pages come from the paginator; this is for callers that want every article at once.
        return Article.objects.published().with_last_modified().order_by(*NEWEST_FIRST)

    def lastmod(self, item):
        return item.last_modified

    def get_latest_lastmod(self):
        return site_last_changed()


class RememberedSitemap(CanonicalOriginSitemap):
    """A short list (topics, authors) whose last changes need every published article:
    computed once per edition of the site."""

    def lastmod(self, item):
        return item.last_update

    def items(self):
        return edition_memo(f"sitemap:{type(self).__name__}", lambda: list(self.fresh_items()))

    def get_latest_lastmod(self):
        return max((item.last_update for item in self.items()), default=None)


class NamedPageSitemap(RememberedSitemap):
    """The pages of the topics or authors that have a published article, by name."""

    model = None
    articles_of = ()  # the Article fields (or paths) through which an article is one of theirs

    def fresh_items(self):
        return (
            self.model.objects.with_published_articles()
            .annotate(last_update=_latest_change(*self.articles_of))
            .order_by("name")
        )


class TopicSitemap(NamedPageSitemap):
    model, articles_of = Topic, ("topics",)
    changefreq = "daily"
    priority = 0.6


class AuthorSitemap(NamedPageSitemap):
    # An author's page lists what they wrote as the lead author or as a co-author
    # (ArticleQuerySet.by_author): either may be its last change.
    model, articles_of = Author, ("author", "coauthor_links__author")
    changefreq = "weekly"
    priority = 0.5


sitemaps = {
    "home": HomeSitemap,
    "articles": ArticleSitemap,
    "topics": TopicSitemap,
    "authors": AuthorSitemap,
}


@x_robots_tag
def index(request, sitemaps, sitemap_url_name="sitemap-section"):
    """/sitemap.xml: django.contrib.sitemaps' `index` view, with the sections' URLs on the
    site's canonical origin (Django's puts them on the requesting host)."""
    items = []
    lastmods = []
    for section, sitemap_class in sitemaps.items():
        site = sitemap_class()
        url = f"{settings.SITE_ORIGIN}{reverse(sitemap_url_name, kwargs={'section': section})}"
        lastmod = site.get_latest_lastmod()
        lastmods.append(lastmod)
        items.append(SitemapIndexItem(url, lastmod))
        items += [
            SitemapIndexItem(f"{url}?p={page}", lastmod) for page in range(2, site.paginator.num_pages + 1)
        ]
    # As Django's: Last-Modified only when every section knows its own.
    latest = max(lastmods) if lastmods and None not in lastmods else None
    return TemplateResponse(
        request,
        "sitemap_index.xml",
        {"sitemaps": items},
        content_type="application/xml",
        headers={"Last-Modified": http_date(latest.timestamp())} if latest else None,
    )
