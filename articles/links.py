"""Links between articles: found in the rendered HTML when an article is saved."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q

_HREF = re.compile(r'<a\s[^>]*href="([^"]+)"')
_ARTICLE_PATH = re.compile(r"^/articles/([-a-zA-Z0-9_]+)/?$")


def linked_article_slugs(html):
    """The slugs of this site's articles that the HTML links to, in order, without repeats."""
    own_host = urlsplit(settings.SITE_ORIGIN).netloc
    slugs = []
    for href in _HREF.findall(html or ""):
        parts = urlsplit(href.replace("&amp;", "&"))
        if parts.netloc and parts.netloc != own_host:
            continue
        match = _ARTICLE_PATH.match(parts.path)
        if match and match.group(1) not in slugs:
            slugs.append(match.group(1))
    return slugs


def article_link_slugs(article):
    """The slugs of the articles that `article` links to, from its body and then its take."""
    slugs = linked_article_slugs(article.body_html)
    return slugs + [slug for slug in linked_article_slugs(article.take_html) if slug not in slugs]


def record_links(article):
    """Store which articles `article` links to (their "Linked from" lists), found in its
    rendered HTML: a link by an old slug counts for the article that slug now leads to.

    Article.save() calls it whenever the body or take changes; so does rerender_articles.
    """
    from .models import Article  # models imports this module

    slugs = article_link_slugs(article)
    targets = Article.objects.filter(Q(slug__in=slugs) | Q(slug_redirects__old_slug__in=slugs))
    article.outbound_links.set(targets.exclude(pk=article.pk).distinct())
