"""Links between articles: found in the rendered HTML when an article is saved."""

import re
from urllib.parse import urlsplit

from django.conf import settings

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
