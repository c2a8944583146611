"""Share links: an unpublished article's preview for outsiders, by a signed link.

A share link carries the article's id signed with the site's secret and a timestamp: it
works without logging in for PREVIEW_LINK_MAX_AGE (7 days). `views.SharedPreviewView`
serves it; a tampered link is a 403, an expired one a 410, each with a page that says so.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "articles.preview"
MAX_AGE_DAYS = settings.PREVIEW_LINK_MAX_AGE // (24 * 60 * 60)


def make_token(article):
    return signing.dumps({"article": article.pk}, salt=SALT, compress=True)


def share_url(article):
    return settings.SITE_ORIGIN + reverse("articles:shared-preview", kwargs={"token": make_token(article)})


def article_id(token):
    """The id of the article a share link's token names.

    Raises `signing.SignatureExpired` for a link older than PREVIEW_LINK_MAX_AGE, and
    `signing.BadSignature` for one that was changed or cut short.
    """
    payload = signing.loads(token, salt=SALT, max_age=settings.PREVIEW_LINK_MAX_AGE)
    pk = payload.get("article") if isinstance(payload, dict) else None
    if not isinstance(pk, int):
        raise signing.BadSignature("The token names no article.")
    return pk
