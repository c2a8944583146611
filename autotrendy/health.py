"""/healthz: can this node serve? For a load balancer, an uptime check or an operator at night.

    GET /healthz  ->  200 {"status": "ok", "checks": {...}}   every dependency answers
                  ->  503 {"status": "fail", "checks": {...}} one of them does not

Checks: the database (a `SELECT 1`), the cache (a write read back), the media storage (a tiny
file saved and deleted) and scheduled articles (how many are due but not yet on the pages
readers get: informative, never a 503, since restarting this node would not help).

Answered by a middleware near the top of the stack: before the page cache (which reads the
database first, so an outage would be a 500 there), sessions, CSRF and URL resolving, so it is
cheap and sets no cookie. The Host header is not checked (load balancers ask by IP address) and
nothing in the answer comes from the request. Failures name the kind of error only; the details
(host names, ports) go to the log, never to the response.
"""

import logging
import secrets
import time
from datetime import timedelta

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

PATH = "/healthz"
# A scheduled article is "overdue" when it is due this long and readers' pages predate it.
OVERDUE_AFTER = timedelta(minutes=1)


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache():
    # The Redis cache fails open (autotrendy.cache): its methods turn an outage into a miss.
    # Here the outage is what we want to see, so RedisCache's own methods are called.
    backend = caches["default"]
    methods = RedisCache if isinstance(backend, RedisCache) else type(backend)
    key, value = f"healthz:{secrets.token_hex(8)}", secrets.token_hex(8)
    methods.set(backend, key, value, 10)
    try:
        if methods.get(backend, key) != value:
            raise RuntimeError("the cache did not return what was written")
    finally:
        methods.delete(backend, key)


def check_media():
    name = default_storage.save(f"healthz/{secrets.token_hex(8)}.txt", ContentFile(b"ok"))
    default_storage.delete(name)


def scheduled_articles():
    """How many scheduled articles are due but older than the edition readers' pages belong to."""
    from articles.models import Article, PageEdition
    from articles.pagecache import EDITION_ID

    now = timezone.now()
    edition = PageEdition.objects.filter(pk=EDITION_ID).only("changed_at").first()
    due = Article.objects.filter(status=Article.Status.PUBLISHED, published_at__lte=now - OVERDUE_AFTER)
    overdue = due.filter(published_at__gt=edition.changed_at).count() if edition else 0
    return {"status": "late" if overdue else "ok", "overdue": overdue}


DEPENDENCIES = {"database": check_database, "cache": check_cache, "media": check_media}


def run_checks():
    """(healthy, checks): each check's status and how long it took."""
    checks = {}
    for name, check in DEPENDENCIES.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as error:
            logger.warning("healthz: %s check failed", name, exc_info=True)
            checks[name] = {"status": "fail", "error": type(error).__name__}
        else:
            checks[name] = {"status": "ok"}
        checks[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    healthy = all(check["status"] == "ok" for check in checks.values())
    if checks["database"]["status"] == "ok":
        try:
            checks["scheduled"] = scheduled_articles()
        except Exception as error:
            logger.warning("healthz: scheduled articles check failed", exc_info=True)
            checks["scheduled"] = {"status": "fail", "error": type(error).__name__}
            healthy = False
    return healthy, checks


class HealthCheckMiddleware:
    """Answers GET/HEAD /healthz before the rest of the stack; passes everything else on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return JsonResponse({"error": "GET only"}, status=405, headers={"Allow": "GET, HEAD"})
        healthy, checks = run_checks()
        response = JsonResponse(
            {"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503
        )
        add_never_cache_headers(response)
        return response
