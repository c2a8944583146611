"""The sitemap: an index (/sitemap.xml) of sections, home, published articles, and the
topics and authors that have any; the articles in pages of at most `ARTICLES_PER_PAGE` URLs.

Locations are absolute on settings.SITE_ORIGIN rather than on the requesting host (the
default without django.contrib.sites), like the canonical links and the feeds; so are the
index's links to its sections (`index`).

Bounded work at any size: an article page reads the articles of one range of ids through
the primary key; what would need every published article (when the site last changed, the
topics' and authors' last changes) is remembered for the edition of the site (exact: see
articles.editions.edition_memo). The index then makes the same two queries at any size.

The sections are django.contrib.sitemaps `Sitemap`s, but their files are written here (`index`,
`section`, `urlset_xml`) with the bytes Django's views and templates give: the template and the
per-item hooks cost about 65 microseconds a URL, against 6 to 9 here (the article page reads
three columns, no model instances; about half of it is the database and its driver on SQLite).
Uncached, on the benchmark's machine, a page costs about 1.5 ms plus that per URL: 35 to 50 ms
for 5,000 URLs, 10 to 14 ms for 1,000, against 1.3 to 2.5 ms for the launch's 2.

That is 10 to 35 times the 2-URL page, and no page size that crawlers would want brings it
to 1.5 times: that takes at most about a hundred URLs a page, a thousand files for 100,000
articles. A page's cost follows its number of URLs, which stops growing at
`ARTICLES_PER_PAGE`: once there are that many articles, the first page costs the same at
any size.
"""

import datetime
import math
from html import escape
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import x_robots_tag
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import http_date

from .editions import edition_memo
from .models import NEWEST_FIRST, Article, Author, Topic, slug_urls

# The protocol allows 50,000 URLs in one sitemap file. 5,000 keeps a file under 1 MB and
# its uncached answer under about 50 ms, in twenty files for 100,000 articles. Smaller pages
# would not save anyone work: every page carries the site's last change in the index, so a
# crawler fetches them all again after any publication, and the same URLs in five times as
# many files (1,000 a page) cost it five times the requests and the server the same total work
# plus a fixed cost per file; they would only shrink the ratio to the 2-article page.
ARTICLES_PER_PAGE = 5_000


class CanonicalOriginSitemap(Sitemap):
    """A section: Django's Sitemap (items, location, lastmod, a constant changefreq and
    priority), on the canonical origin, whose `urls` the `section` view writes out."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_ORIGIN).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_ORIGIN).netloc

    def origin(self):
        return f"{self.get_protocol()}://{self.get_domain()}"

    def urls(self, page):
        """(location, lastmod) of each URL on page `page` (a number, or the text of `?p=`):
        what Django's `Sitemap.get_urls` gives, without the entries' other keys."""
        origin = self.origin()
        return [
            (f"{origin}{self.location(item)}", self.lastmod(item))
            for item in self.paginator.page(page).object_list
        ]


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

    def id_range(self, number):
        """The ids of page `number`: (the highest id before it, its highest id)."""
        highest = self.top - (self.validate_number(number) - 1) * self.per_page
        return highest - self.per_page, highest


class ArticleSitemap(CanonicalOriginSitemap):
    """The published articles, in pages of `limit` ids (`IdRangePaginator`) read by `urls`."""

    changefreq = "weekly"
    priority = 0.8
    limit = ARTICLES_PER_PAGE

    @property
    def paginator(self):
        return IdRangePaginator(self.limit)

    def get_latest_lastmod(self):
        return site_last_changed()

    def urls(self, page):
        """The published articles of one id range, newest first: thousands of URLs, so read
        as three columns (no model instances) and put into the URL pattern resolved once.

        Hidden articles are left out here, not in SQL: SQLite would answer "published and in
        this range" by walking every published article in the (status, published_at) index.
        """
        low, high = self.paginator.id_range(page)
        rows = (
            Article.objects.filter(pk__gt=low, pk__lte=high)
            .with_live()
            .with_last_modified()
            .order_by(*NEWEST_FIRST)
            .values_list("slug", "live", "last_modified")
        )
        origin, url = self.origin(), slug_urls(Article.url_name)
        return [(f"{origin}{url(slug)}", last_modified) for slug, live, last_modified in rows if live]


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


# Django's sitemap templates (django/contrib/sitemaps/templates/), written out directly: a
# template spends about 60 microseconds on each URL of its `{% for %}` (variable look-ups, the
# date filter, autoescaping, `{% spaceless %}`), 0.3 s for a page of 5,000 articles. These give
# the same bytes (tests/test_feeds.py compares them with the templates' for awkward values).
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_URLSET = (
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">'
)
_SITEMAPINDEX = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'


def _in_zone(moment, zone):
    """A lastmod as the templates' date filter shows it: an aware datetime in `zone`, the
    current time zone."""
    if isinstance(moment, datetime.datetime) and moment.utcoffset() is not None:  # not naive
        return moment.astimezone(zone)
    return moment


def urlset_xml(urls, *, changefreq=None, priority=None):
    """sitemap.xml for `urls`, (location, lastmod) pairs with one changefreq and priority:
    locations escaped, lastmod as the W3C date (YYYY-MM-DD) in the site's time zone."""
    zone = timezone.get_current_timezone()
    rest = "".join(
        [
            f"<changefreq>{escape(changefreq)}</changefreq>" if changefreq else "",
            f"<priority>{escape(str(priority))}</priority>" if priority is not None else "",
            "</url>",
        ]
    )
    entries = []
    for location, lastmod in urls:
        if not lastmod:
            entries.append(f"<url><loc>{escape(location)}</loc>{rest}")
            continue
        if isinstance(lastmod, datetime.datetime):
            lastmod = _in_zone(lastmod, zone).date()
        entries.append(f"<url><loc>{escape(location)}</loc><lastmod>{lastmod.isoformat()}</lastmod>{rest}")
    return f"{_XML_DECLARATION}{_URLSET}\n{''.join(entries)}\n</urlset>\n"


def sitemapindex_xml(sitemaps):
    """sitemap_index.xml for `sitemaps`, (location, lastmod) pairs: lastmod as the W3C
    date-time (ISO 8601) in the site's time zone."""
    zone = timezone.get_current_timezone()
    entries = [
        f"<sitemap><loc>{escape(location)}</loc>"
        + (f"<lastmod>{_in_zone(lastmod, zone).isoformat()}</lastmod>" if lastmod else "")
        + "</sitemap>"
        for location, lastmod in sitemaps
    ]
    return f"{_XML_DECLARATION}{_SITEMAPINDEX}\n{''.join(entries)}\n</sitemapindex>\n"


def _xml_response(content, lastmods):
    """As Django's sitemap views answer: Last-Modified only when every entry has a lastmod."""
    latest = max(lastmods) if lastmods and None not in lastmods else None
    return HttpResponse(
        content,
        content_type="application/xml",
        headers={"Last-Modified": http_date(latest.timestamp())} if latest else None,
    )


@x_robots_tag
def index(request, sitemaps, sitemap_url_name="sitemap-section"):
    """/sitemap.xml: django.contrib.sitemaps' `index` view, with the sections' URLs on the
    site's canonical origin (Django's puts them on the requesting host).

    One entry per page of each section, all with their section's last change: the index grows
    by one entry for every `ARTICLES_PER_PAGE` articles, about 2 microseconds each written out
    directly (through the template, 20 each: 0.4 ms more at 100,000 articles than at 10,000,
    1.1 to 1.6 ms on SQLite).
    """
    entries = []
    lastmods = []
    for section, sitemap_class in sitemaps.items():
        site = sitemap_class()
        url = f"{settings.SITE_ORIGIN}{reverse(sitemap_url_name, kwargs={'section': section})}"
        lastmod = site.get_latest_lastmod()
        lastmods.append(lastmod)
        entries.append((url, lastmod))
        entries += [(f"{url}?p={page}", lastmod) for page in range(2, site.paginator.num_pages + 1)]
    return _xml_response(sitemapindex_xml(entries), lastmods)


@x_robots_tag
def section(request, sitemaps, section):
    """/sitemap-<section>.xml[?p=n]: django.contrib.sitemaps' `sitemap` view for one section,
    written out by `urlset_xml`; 404 for an unknown section or page."""
    if section not in sitemaps:
        raise Http404(f"No sitemap available for section: {section!r}")
    site = sitemaps[section]()
    page = request.GET.get("p", 1)
    try:
        urls = site.urls(page)
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404(f"No page {page!r}") from error
    content = urlset_xml(urls, changefreq=site.changefreq, priority=site.priority)
    return _xml_response(content, [lastmod for _, lastmod in urls])
