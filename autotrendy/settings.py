"""
Auto Trendy settings: one module, configured from the environment.

Every value that differs between a laptop and production comes from an environment
variable (see the table in README.md); the defaults are for local development.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from articles.embeds import FRAME_SOURCES as VIDEO_FRAME_SOURCES

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string in production, "
            "or set DJANGO_DEBUG=true for local development."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
elif not DEBUG and len(SECRET_KEY) < 50:
    # What `check --deploy` only warns about (security.W009), refused outright: sessions,
    # password-reset links and share links are all signed with this key.
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is too weak: {len(SECRET_KEY)} characters. "
        "Use at least 50 random characters, e.g. "
        '`python -c "import secrets; print(secrets.token_urlsafe(50))"`.'
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# The public origin of the site, used for absolute canonical links, feeds and sitemaps.
SITE_ORIGIN = os.environ.get("SITE_ORIGIN", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = os.environ.get("SITE_NAME", "Auto Trendy")
SITE_DESCRIPTION = (
    "Reviewed articles about the car industry: electrification, batteries, alliances and the road ahead."
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles, so runserver serves static files the way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Its Sitemap class and templates: articles.sitemaps writes the templates' bytes itself
    # (tests/test_feeds.py compares them), with locations on SITE_ORIGIN.
    "django.contrib.sitemaps",
    "markdownx",
    "simple_history",
    # Logins: lockout after failed attempts, optional two-factor codes (logins/, README "Logins").
    "logins.apps.LockoutsConfig",  # django-axes
    "django_otp",
    "logins.apps.TwoFactorDevicesConfig",  # django_otp.plugins.otp_totp
    "logins",
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside the page cache: a page answered from it gets the current policy too.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # /healthz, answered before anything that needs the database or sets a cookie.
    "autotrendy.health.HealthCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Answers anonymous readers from the page cache before any other work (articles.pagecache).
    "articles.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the two-factor step.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records who made each revision of an article.
    "simple_history.middleware.HistoryRequestMiddleware",
    # A newsroom save that meets a database failure shows the editor's text again (admin_saves).
    "articles.admin_saves.DatabaseFailureMiddleware",
    # Turns a login refused by the lockout into its page (logins.lockout); last, as axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "autotrendy.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "articles.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "autotrendy.wsgi.application"

# DATABASE_URL unset: an SQLite file in the repository (ignored by git).
# postgres://user:pass@host:port/name: PostgreSQL through psycopg 3.
# Either way with persistent connections and a health check before each reuse: opening an
# SQLite connection costs Django about 1.3 ms (it registers its SQL functions on each one),
# a third of an article page (measured: server CPU per request under wrk, bench/RESULTS.md).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DATABASE_PREPARED_STATEMENTS", True
):
    # Parameters bound by the server, and a statement run twice on a connection prepared
    # there (psycopg's prepare_threshold): PostgreSQL plans the reader pages' statements once
    # per connection instead of on every request, which was most of its work on an article
    # page (2.8 of 3.6 ms of CPU). Off (false) behind a pooler that cannot keep prepared
    # statements (PgBouncer in transaction mode before 1.21).
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, failing open: with Redis down or slow, a read is a miss and a
            # write is skipped (logged), so pages are rendered instead of answered with a 500.
            "BACKEND": "autotrendy.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "autotrendy",
            "OPTIONS": {
                # A Redis that does not answer costs a request at most this long (seconds) per
                # call, and is then left alone for REDIS_RETRY_AFTER seconds.
                "socket_connect_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.25")),
                "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.25")),
                "retry_after": float(os.environ.get("REDIS_RETRY_AFTER", "2")),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The page cache (articles.pagecache): reader pages, feeds and the sitemap for anonymous
# readers, invalidated exactly by the site's edition. PAGE_CACHE=false turns it off.
PAGE_CACHE_ENABLED = env_bool("PAGE_CACHE", True)
# How long an unchanged page stays in the cache (a change replaces it at once anyway).
PAGE_CACHE_TIMEOUT = int(os.environ.get("PAGE_CACHE_TIMEOUT", str(24 * 60 * 60)))
# What a shared proxy or CDN in front may do: keep a page this long, then serve it stale
# for a while as it fetches a new copy. Browsers always revalidate (max-age=0, 304s).
PAGE_CACHE_S_MAXAGE = int(os.environ.get("PAGE_CACHE_S_MAXAGE", "10"))
PAGE_CACHE_STALE_WHILE_REVALIDATE = int(os.environ.get("PAGE_CACHE_STALE_WHILE_REVALIDATE", "60"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
# An English-language magazine: no translation machinery (Django's advice when it is not
# needed: every date, format and admin string looks the language up otherwise). Dates and
# numbers keep the English formats.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))


# Uploaded media (covers, photos, body images and their renditions) go through the default
# storage only. On one machine: files under MEDIA_ROOT, served by nginx at MEDIA_URL. With
# AWS_STORAGE_BUCKET_NAME set: an S3-compatible bucket (django-storages), shared by every node,
# served by the bucket or a CDN in front of it (AWS_S3_CUSTOM_DOMAIN). Keys come from
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the machine's role), read by boto3.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
            "url_protocol": os.environ.get("AWS_S3_URL_PROTOCOL") or "https:",
            "location": os.environ.get("AWS_LOCATION", "").strip("/"),
            "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE") or None,
            # Public, stable URLs: pages (and the page cache) keep them, so no expiring signatures.
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", False),
            # Never replace a stored file: a taken name gets a suffix, as on disk.
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=86400"},
            # Readers fetch media straight from the bucket: make it readable with a bucket
            # policy (or a CDN with its own access), or set AWS_DEFAULT_ACL=public-read.
            "default_acl": os.environ.get("AWS_DEFAULT_ACL") or None,
        },
    }
else:
    MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def media_origins(options):
    """Where readers' browsers fetch media from, for the Content-Security-Policy's img-src."""
    if not options:
        return []  # the site's own /media/
    if options["custom_domain"]:
        return [f"{options['url_protocol']}//{options['custom_domain']}"]
    if options["endpoint_url"]:
        endpoint = urlsplit(options["endpoint_url"])
        origins = [f"{endpoint.scheme}://{endpoint.netloc}"]
        if not endpoint.hostname.replace(".", "").isdigit():  # virtual-hosted buckets: <bucket>.host
            origins.append(f"{endpoint.scheme}://*.{endpoint.netloc}")
        return origins
    bucket, region = options["bucket_name"], options["region_name"]
    return [f"https://{bucket}.s3.amazonaws.com"] + (
        [f"https://{bucket}.s3.{region}.amazonaws.com"] if region else []
    )


MEDIA_ORIGINS = media_origins(MEDIA_STORAGE.get("OPTIONS"))

STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {
        # Hashed, compressed, cacheable-forever names in production; plain files while
        # developing so that `runserver` needs no collectstatic.
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Mail: SMTP when EMAIL_HOST is set, the console otherwise (development).
_email_host = os.environ.get("EMAIL_HOST", "")
if _email_host:
    _email_options = {
        "host": _email_host,
        "port": int(os.environ.get("EMAIL_PORT", "587")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
        "timeout": 10,
    }
    MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": _email_options}
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Auto Trendy <newsroom@autotrendy.example>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# Security. Behind a TLS-terminating proxy set DJANGO_SECURE_PROXY_SSL_HEADER to the
# header the proxy sets, e.g. "HTTP_X_FORWARDED_PROTO=https".
if _proxy_header := os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", ""):
    _name, _, _value = _proxy_header.partition("=")
    SECURE_PROXY_SSL_HEADER = (_name.strip(), _value.strip() or "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers often check health over plain HTTP: answer them, don't redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(
    os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0" if DEBUG else str(60 * 60 * 24 * 365))
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# Opt-in: once browsers ship the domain in their preload list, undoing it takes months.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# `check --deploy` suggests preloading (security.W021): here it is a deliberate choice.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy on every response (django.middleware.csp), one policy for the reader
# pages and the newsroom. Scripts and styles come from our static files; the admin's own
# inline ones carry the per-response nonce. Reader pages never use the nonce: the page cache
# serves one copy to many readers, so it does not store a page that used one (articles.pagecache).
# JSON-LD (<script type="application/ld+json">) is a data block that browsers never run, so
# script-src does not apply to it (tests/test_csp.py checks this in Chromium).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # Media on object storage come from its origin (MEDIA_ORIGINS); DJANGO_CSP_IMG_SRC: more.
    "img-src": [CSP.SELF, *MEDIA_ORIGINS, *env_list("DJANGO_CSP_IMG_SRC")],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    # The click-to-load video players, and nothing else (articles.embeds).
    "frame-src": list(VIDEO_FRAME_SOURCES),
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    # Violations are logged (autotrendy.csp_reports), so a page the policy breaks is noticed.
    "report-uri": ["/csp-report/"],
}

# Logins (logins/): after LOGIN_FAILURE_LIMIT failed attempts in a row for one account, or
# from one address, logins from there wait LOGIN_LOCKOUT_MINUTES from the last failure
# (attempts during the wait are refused and do not lengthen it, so the page's "try again in
# N minutes" stays true). Kept in the database (django-axes), so every worker and node
# sees the same count, a Redis restart or eviction forgets nothing, and editors can see
# and lift lockouts in the admin (Access attempts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_VERBOSE = False  # no banner on every manage.py command
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "logins.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "logins.client_ip.client_ip"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token"]
# How many proxies in front of Django set X-Forwarded-For (deploy/nginx.conf: 1). 0: none,
# the client is the socket's peer. Never more than there are: the header is forgeable.
TRUSTED_PROXIES = int(os.environ.get("DJANGO_TRUSTED_PROXIES", "0"))
# Two-factor codes (django-otp): what authenticator apps show as the account's issuer.
OTP_TOTP_ISSUER = SITE_NAME
# The admin never shows a device's secret key or QR code (editors may delete devices).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# A login without ?next= lands on the newsroom, not on a 404.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# django-markdownx. Its settings are read once, at import.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "articles.rendering.render_markdown"
MARKDOWNX_URLS_PATH = "/admin/markdownx/markdownify/"
MARKDOWNX_UPLOAD_URLS_PATH = "/admin/markdownx/upload/"
MARKDOWNX_MEDIA_PATH = "uploads/"
MARKDOWNX_UPLOAD_MAX_SIZE = 10 * 1024 * 1024
MARKDOWNX_UPLOAD_CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
MARKDOWNX_EDITOR_RESIZABLE = True

# Revisions are restored with the article's own "Restore" button, which goes through
# the editorial workflow; simple-history's generic revert form would bypass it.
SIMPLE_HISTORY_REVERT_DISABLED = True

# How long a draft's share link stays valid.
PREVIEW_LINK_MAX_AGE = 7 * 24 * 60 * 60

# Uploaded images (body images, covers, author photos): what Pillow will accept
# (articles/images/uploads.py). The pixel budget counts every frame (width × height ×
# frames), and is smaller for the kinds of image that cost more memory per pixel, so that
# decoding one takes at most IMAGE_UPLOAD_MAX_DECODE_BYTES (40 megapixels for a JPEG,
# 14 for a PNG, 12 for a GIF, 9.3 for a WebP): with these limits no upload takes a worker past 256 MB or
# 5 s of CPU (tests/test_upload_limits.py).
IMAGE_UPLOAD_MAX_BYTES = MARKDOWNX_UPLOAD_MAX_SIZE
IMAGE_UPLOAD_MAX_PIXELS = 40_000_000
IMAGE_UPLOAD_MAX_DECODE_BYTES = 160 * 1024 * 1024
IMAGE_UPLOAD_MAX_FRAMES = 200
IMAGE_UPLOAD_MAX_EDGE = 2400  # every upload is scaled down to this on its long side
