"""The page cache: whole reader pages, answered before Django does any other work.

Pages are stored in the default cache (Redis when `REDIS_URL` is set, so every worker and
node shares them; local memory otherwise) under a key that includes the site's *edition*:
a token in the database (`PageEdition`) that changes in the same transaction as anything
readers can see — a publish, unpublish, archive, correction, slug, topic or author
change. When such a change commits, in any process, every page stored before it is out of
reach at once: invalidation is exact, never a timeout guess. The edition also knows the
next scheduled publication: no entry outlives it, and the first request after it moves
the edition on, so a scheduled article appears at its time with no job running.

Only views wrapped in `public_page` are stored, and only for anonymous GETs (no session
cookie) whose response sets no cookie: staff, previews, share links and anything with a
CSRF form are never served from the shared cache. Every public page carries an ETag and
Last-Modified, answers conditional GETs with 304, and a `Cache-Control` that lets a
shared proxy or CDN keep it for `PAGE_CACHE_S_MAXAGE` seconds.
"""

import contextvars
import hashlib
import secrets
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from .compiled import CompiledQuery

EDITION_ID = 1

# The edition a reader request is answered under, read at most once per request: the
# middleware puts an empty dict here for an anonymous GET of a public page, and
# `current_edition()` keeps what it reads in it.
_request_edition = contextvars.ContextVar("request_edition", default=None)


def _models():
    # The middleware module is imported with the settings; the models only once apps are ready.
    from .models import Article, PageEdition

    return Article, PageEdition


# The edition's row: a statement too small to be worth the ORM's compiling it on every
# request (about a third of a millisecond), so compiled once per connection (articles.compiled).
_EDITION = CompiledQuery(lambda: _models()[1].objects.filter(pk=EDITION_ID).order_by())


def current_edition():
    """The edition readers are on now: (token, changed_at, next_publication).

    One primary-key read, once per reader request (the middleware keeps it for the request,
    so listings and navigation that remember values per edition do not read it again). When
    a scheduled publication time has come, the edition moves on first, so that no page from
    before it is served.
    """
    remembered = _request_edition.get()
    if remembered:
        return remembered["edition"]
    edition = next(iter(_EDITION.run()), None)
    if edition is None:
        edition = advance()
    elif edition.next_publication is not None and edition.next_publication <= timezone.now():
        edition = advance(seen=edition.token)
    if remembered is not None:
        remembered["edition"] = edition
    return edition


def advance(*, seen=None):
    """Start a new edition: every stored page is out of reach from the moment this commits.

    Called inside the transaction that changes what readers see (see `articles.signals`), so
    the new edition and the change commit together. With `seen`, only moves on if the edition
    is still that one (two requests noticing the same scheduled time move it once).
    """
    Article, PageEdition = _models()
    values = {
        "token": secrets.token_hex(8),
        "changed_at": timezone.now(),
        "next_publication": Article.objects.scheduled().aggregate(next=Min("published_at"))["next"],
    }
    with transaction.atomic():
        editions = PageEdition.objects.filter(pk=EDITION_ID)
        if seen is not None:
            editions = editions.filter(token=seen)
        if not editions.update(**values):
            if seen is not None and PageEdition.objects.filter(pk=EDITION_ID).exists():
                return PageEdition.objects.get(pk=EDITION_ID)  # somebody else moved it on
            PageEdition.objects.update_or_create(pk=EDITION_ID, defaults=values)
    return PageEdition(pk=EDITION_ID, **values)


def public_page(view):
    """Mark a reader view's responses as the same for every anonymous reader: cacheable."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.public_page = True
        return response

    wrapper.public_page = True  # the middleware looks for this before it reads the cache
    return wrapper


def _is_public_path(path_info):
    """Whether the URL goes to a view wrapped in `public_page` (robots.txt, the admin, static
    files and unknown paths never touch the edition or the cache)."""
    try:
        match = resolve(path_info)
    except Resolver404:
        return False
    return getattr(match.func, "public_page", False)


def page_key(edition, full_path):
    """Where the page at `full_path` (path and query string) of this edition is stored."""
    return f"page:{edition.token}:{hashlib.sha256(full_path.encode()).hexdigest()[:32]}"


def _etag(content):
    return '"' + hashlib.md5(content, usedforsecurity=False).hexdigest() + '"'


# Response headers that a stored page does not keep: set again on every answer, or never shared.
_DROPPED_HEADERS = {
    "set-cookie",
    "date",
    "expires",
    "cache-control",
    "etag",
    "last-modified",
    "content-length",
    # Set on every answer by django.middleware.csp (outside this one), so that a stored page
    # gets the policy in force now.
    "content-security-policy",
    "content-security-policy-report-only",
}


class PageCacheMiddleware:
    """Answer anonymous GETs of public pages from the cache; store what public views render.

    Sits right after the security and static-file middleware, so a hit costs one URL match
    (is it a public page?), one edition read and one cache read: no session, no view, no
    template. With the cache turned off it still reads the edition once per reader request,
    for the values remembered per edition (`articles.editions.edition_memo`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self._is_reader_request(request):
            response = self.get_response(request)
            if getattr(response, "public_page", False):
                # Somebody logged in: their copy is theirs, never a shared proxy's.
                patch_cache_control(response, private=True, no_cache=True)
            return response
        remembered = _request_edition.set({})
        try:
            if not settings.PAGE_CACHE_ENABLED:
                return self.get_response(request)
            return self._from_the_cache(request)
        finally:
            _request_edition.reset(remembered)

    def _from_the_cache(self, request):
        request.get_host()  # a disallowed Host is still refused (400) on a cache hit
        edition = current_edition()
        key = page_key(edition, request.get_full_path())
        stored = cache.get(key)
        if stored is not None:
            return self._answer(request, edition, stored, hit=True)

        response = self.get_response(request)
        if not self._may_store(request, response):
            return response
        stored = {
            "content": response.content,
            "status": response.status_code,
            "headers": {
                name: value for name, value in response.items() if name.lower() not in _DROPPED_HEADERS
            },
            "etag": _etag(response.content),
        }
        timeout = settings.PAGE_CACHE_TIMEOUT
        if edition.next_publication is not None:
            # Gone by the next scheduled publication, when the page may change.
            timeout = min(timeout, int((edition.next_publication - timezone.now()).total_seconds()))
        if timeout > 0:
            cache.set(key, stored, timeout)
        return self._answer(request, edition, stored, hit=False)

    @staticmethod
    def _is_reader_request(request):
        return (
            request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and _is_public_path(request.path_info)
        )

    @staticmethod
    def _may_store(request, response):
        return (
            getattr(response, "public_page", False)
            # A page whose render used the CSP nonce would hand that one nonce to every
            # reader, and the policy on a later answer names a new one: never stored.
            and not get_nonce(request)
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
            and "no-cache" not in response.get("Cache-Control", "")
        )

    @staticmethod
    def _answer(request, edition, stored, *, hit):
        response = HttpResponse(stored["content"], status=stored["status"])
        for name, value in stored["headers"].items():
            response[name] = value
        response["ETag"] = stored["etag"]
        response["Last-Modified"] = http_date(int(edition.changed_at.timestamp()))
        patch_cache_control(
            response,
            public=True,
            max_age=0,
            s_maxage=settings.PAGE_CACHE_S_MAXAGE,
            stale_while_revalidate=settings.PAGE_CACHE_STALE_WHILE_REVALIDATE,
        )
        response["Content-Length"] = len(stored["content"])
        response["X-Page-Cache"] = "hit" if hit else "miss"
        return (
            get_conditional_response(
                request,
                etag=stored["etag"],
                last_modified=int(edition.changed_at.timestamp()),
                response=response,
            )
            or response
        )
