"""The sitemap (/sitemap.xml): home, published articles, and the topics and authors
that have any.

Locations are absolute on settings.SITE_ORIGIN rather than on the requesting host (the
default without django.contrib.sites), like the canonical links and the feeds.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max, OuterRef, Subquery
from django.urls import reverse

from .models import Article, Author, Topic


class CanonicalOriginSitemap(Sitemap):
    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_ORIGIN).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_ORIGIN).netloc


def _latest_change(**filters):
    """When the published articles matching `filters` last changed, as a subquery."""
    articles = Article.objects.published().filter(**filters).with_last_modified().order_by("-last_modified")
    return Subquery(articles.values("last_modified")[:1])


class HomeSitemap(CanonicalOriginSitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["articles:article-list"]

    def location(self, item):
        return reverse(item)

    def lastmod(self, item):
        latest = Article.objects.published().with_last_modified().aggregate(latest=Max("last_modified"))
        return latest["latest"]


class ArticleSitemap(CanonicalOriginSitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return Article.objects.published().with_last_modified().order_by("-published_at", "-id")

    def lastmod(self, item):
        return item.last_modified


class TopicSitemap(CanonicalOriginSitemap):
    changefreq = "daily"
    priority = 0.6

    def items(self):
        return (
            Topic.objects.with_published_articles()
            .annotate(last_update=_latest_change(topics=OuterRef("pk")))
            .order_by("name")
        )

    def lastmod(self, item):
        return item.last_update


class AuthorSitemap(CanonicalOriginSitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return (
            Author.objects.with_published_articles()
            .annotate(last_update=_latest_change(author=OuterRef("pk")))
            .order_by("name")
        )

    def lastmod(self, item):
        return item.last_update


sitemaps = {
    "home": HomeSitemap,
    "articles": ArticleSitemap,
    "topics": TopicSitemap,
    "authors": AuthorSitemap,
}
