"""Draft previews: for the newsroom from the admin, and for outsiders by a signed link.

A share link carries the article's id signed with the site's secret and a timestamp: it
works without logging in for PREVIEW_LINK_MAX_AGE (7 days). A tampered link is a 403, an
expired one a 410, each with a page that says so.
"""

from django.conf import settings
from django.core import signing
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from .models import Article
from .views import article_page_context

SALT = "articles.preview"
MAX_AGE_DAYS = settings.PREVIEW_LINK_MAX_AGE // (24 * 60 * 60)


def make_token(article):
    return signing.dumps({"article": article.pk}, salt=SALT, compress=True)


def share_url(article):
    return settings.SITE_ORIGIN + reverse("articles:shared-preview", kwargs={"token": make_token(article)})


def render_preview(request, article, *, shared):
    """The article exactly as readers will see it, in the site's own template."""
    context = {
        "article": article,
        "is_preview": True,
        "shared_preview": shared,
        **article_page_context(article),
    }
    response = TemplateResponse(request, "articles/article_detail.html", context)
    add_never_cache_headers(response)
    # Previews are not for search engines.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def shared_preview(request, token):
    """An unpublished article by its signed share link. No login needed."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.PREVIEW_LINK_MAX_AGE)
    except signing.SignatureExpired:
        return _invalid(
            request,
            410,
            "This preview link has expired",
            f"Preview links work for {MAX_AGE_DAYS} days. Ask the newsroom for a new one.",
        )
    except signing.BadSignature:
        return _invalid(
            request,
            403,
            "This preview link is not valid",
            "The link may have been cut short or changed. Check that you copied all of it.",
        )
    article = get_object_or_404(Article.objects.with_byline(), pk=payload.get("article"))
    if article.is_live:
        return redirect(article)  # published since: the real page
    if article.status == Article.Status.ARCHIVED:
        return _invalid(request, 410, "This article is no longer available", "The newsroom has archived it.")
    return render_preview(request, article, shared=True)


def _invalid(request, status, title, explanation):
    response = TemplateResponse(
        request, "articles/preview_invalid.html", {"title": title, "explanation": explanation}, status=status
    )
    add_never_cache_headers(response)
    return response
