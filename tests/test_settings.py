"""The settings module, configured from the environment, as production would run it.

Each test starts a fresh Python with a controlled environment: settings are read once at
import, so only a new process shows what a given environment produces.
"""

import json
import os
import secrets
from pathlib import Path

import pytest

from tests.processes import REPO, run_python

# Anything the CI or a developer's shell may have set that would change the outcome.
_CONTROLLED_PREFIXES = ("DJANGO_", "DATABASE_", "REDIS_", "EMAIL_", "SITE_", "MEDIA_ROOT", "SECURE_")

PROBE = """
import json, django
from django.conf import settings
django.setup()
database = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": database["ENGINE"],
    "NAME": str(database["NAME"]),
    "HOST": database.get("HOST", ""),
    "PORT": str(database.get("PORT", "")),
    "USER": database.get("USER", ""),
    "CONN_MAX_AGE": database["CONN_MAX_AGE"],
    "CONN_HEALTH_CHECKS": database.get("CONN_HEALTH_CHECKS", False),
    "DATABASE_OPTIONS": database.get("OPTIONS", {}),
    "CACHE_BACKEND": settings.CACHES["default"]["BACKEND"],
    "CACHE_LOCATION": settings.CACHES["default"].get("LOCATION", ""),
    "SECURE_PROXY_SSL_HEADER": getattr(settings, "SECURE_PROXY_SSL_HEADER", None),
    "SECURE_PROXY_SSL_HEADER_TYPE": type(getattr(settings, "SECURE_PROXY_SSL_HEADER", None)).__name__,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_PRELOAD": settings.SECURE_HSTS_PRELOAD,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "MAIL_BACKEND": settings.MAILERS["default"]["BACKEND"],
    "STATICFILES_BACKEND": settings.STORAGES["staticfiles"]["BACKEND"],
}))
"""


def run(args, **env):
    """Run the repo's Python with only the given environment settings on top of a clean one."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(_CONTROLLED_PREFIXES)
    }
    environment.update({"DJANGO_SETTINGS_MODULE": "autotrendy.settings", **env})
    environment = {key: value for key, value in environment.items() if value is not None}
    return run_python(args, env=environment)


def production_env(**overrides):
    return {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "example.com",
        "EMAIL_HOST": "smtp.example.com",
        **overrides,
    }


def settings_under(**env):
    result = run(["-c", PROBE], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_deployment_checklist_passes_with_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production_env())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output.upper()


def test_the_checklist_catches_a_missing_hsts():
    # Guards the test above: the same command really fails when something is wrong.
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **production_env(DJANGO_SECURE_HSTS_SECONDS="0"),
    )

    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "weak_key",
    ["short", "k3Y-" * 12 + "z"],
    ids=["5 characters", "49 characters"],
)
def test_production_refuses_to_start_with_a_weak_secret_key(weak_key):
    result = run(["manage.py", "check"], **production_env(DJANGO_SECRET_KEY=weak_key))

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is too weak" in result.stderr
    assert "at least 50 random characters" in result.stderr
    assert weak_key not in result.stderr  # the key itself is never printed


def test_development_may_use_a_short_key():
    assert settings_under(DJANGO_DEBUG="true", DJANGO_SECRET_KEY="short")["DEBUG"] is True


def test_hsts_preload_is_opt_in():
    assert settings_under(**production_env())["SECURE_HSTS_PRELOAD"] is False
    preloaded = settings_under(**production_env(DJANGO_SECURE_HSTS_PRELOAD="true"))
    assert preloaded["SECURE_HSTS_PRELOAD"] is True
    assert preloaded["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True


def test_production_refuses_to_start_without_a_secret_key():
    result = run(["manage.py", "check"], **production_env(DJANGO_SECRET_KEY=None))

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_an_empty_secret_key():
    result = run(["manage.py", "check"], **production_env(DJANGO_SECRET_KEY=""))

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_development_runs_without_a_secret_key():
    settings = settings_under(DJANGO_DEBUG="true")

    assert settings["DEBUG"] is True
    assert settings["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert settings["STATICFILES_BACKEND"] == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_production_is_secure_by_default():
    settings = settings_under(**production_env())

    assert settings["DEBUG"] is False
    assert settings["ALLOWED_HOSTS"] == ["example.com"]
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["MAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert settings["STATICFILES_BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_database_url_selects_postgresql_with_persistent_checked_connections():
    settings = settings_under(**production_env(DATABASE_URL="postgres://u:p@127.0.0.1:5432/db"))

    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert settings["NAME"] == "db"
    assert settings["USER"] == "u"
    assert (settings["HOST"], settings["PORT"]) == ("127.0.0.1", "5432")
    assert settings["CONN_MAX_AGE"] > 0
    assert settings["CONN_HEALTH_CHECKS"] is True
    # Statements prepared by the server, planned once per connection.
    assert settings["DATABASE_OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 2}


def test_prepared_statements_can_be_turned_off_for_a_pooler_that_cannot_keep_them():
    settings = settings_under(
        **production_env(
            DATABASE_URL="postgres://u:p@127.0.0.1:6432/db", DATABASE_PREPARED_STATEMENTS="false"
        )
    )

    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert settings["DATABASE_OPTIONS"] == {}


def test_without_database_url_the_database_is_an_sqlite_file_in_the_repository():
    settings = settings_under(**production_env(DATABASE_URL=None))

    assert settings["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(settings["NAME"]) == REPO / "db.sqlite3"
    # Kept open between requests too: opening one is a third of an article page's cost.
    assert settings["CONN_MAX_AGE"] > 0
    assert settings["CONN_HEALTH_CHECKS"] is True


def test_redis_url_selects_the_redis_cache_failing_open():
    settings = settings_under(**production_env(REDIS_URL="redis://127.0.0.1:6379/1"))

    # Django's RedisCache, where a Redis that is down is a miss (tests/test_faults.py).
    assert settings["CACHE_BACKEND"] == "autotrendy.cache.FailOpenRedisCache"
    assert settings["CACHE_LOCATION"] == "redis://127.0.0.1:6379/1"


def test_without_redis_url_the_cache_is_in_memory():
    settings = settings_under(**production_env(REDIS_URL=None))

    assert settings["CACHE_BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("HTTP_X_FORWARDED_PROTO=https", ("HTTP_X_FORWARDED_PROTO", "https")),
        ("HTTP_X_FORWARDED_SSL=on", ("HTTP_X_FORWARDED_SSL", "on")),
        (None, None),
    ],
)
def test_the_proxy_ssl_header_comes_from_the_environment(value, expected):
    settings = settings_under(**production_env(DJANGO_SECURE_PROXY_SSL_HEADER=value))

    if expected is None:
        assert settings["SECURE_PROXY_SSL_HEADER"] is None
    else:
        assert settings["SECURE_PROXY_SSL_HEADER_TYPE"] == "tuple"
        assert tuple(settings["SECURE_PROXY_SSL_HEADER"]) == expected


def test_without_email_host_mail_goes_to_the_console():
    settings = settings_under(**production_env(EMAIL_HOST=None))

    assert settings["MAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (.ci/run sets it for the PostgreSQL pass)"
)
def test_with_redis_url_the_configured_cache_really_stores_and_reads_in_redis():
    key = f"autotrendy-test-{secrets.token_hex(8)}"
    script = (
        "import django; django.setup();"
        "from django.core.cache import cache, caches;"
        f"cache.set({key!r}, 'vroom', 30);"
        f"print(type(caches['default']).__name__, cache.get({key!r})); cache.delete({key!r})"
    )
    result = run(["-c", script], REDIS_URL=os.environ["REDIS_URL"], DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["FailOpenRedisCache", "vroom"]
