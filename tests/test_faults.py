"""Faults the site meets in production: Redis going away, the database dropping a save.

The cache fails open (autotrendy.cache): with Redis down or hanging, reads miss and writes are
skipped, so pages are rendered and logins work (sessions are in the database). A newsroom save
that meets a database failure shows the editor the form again with their text, never a 500
that loses it (articles.admin_saves). bench/faults.py does the same under load, for real.
"""

import logging
import os
import shutil
import time

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection

from articles import admin_saves, workflow
from articles.models import Article
from bench.common import RedisServer, free_port
from tests.admin_pages import admin_url
from tests.factories import PASSWORD, ArticleFactory

SAVE_FAILED = "The database could not be reached while saving"


def redis_cache(port, **options):
    return {
        "default": {
            "BACKEND": "autotrendy.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": "faults",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25, **options},
        }
    }


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        reason = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


# ---------------------------------------------------------------------------
# The cache fails open


def test_with_nothing_listening_the_cache_misses_quickly_and_says_so_once(settings, caplog):
    settings.CACHES = redis_cache(free_port())
    caplog.set_level(logging.WARNING, logger="autotrendy.cache")
    started = time.monotonic()

    assert cache.get("page", "missing") == "missing"
    cache.set("page", "html")
    assert cache.add("page", "html") is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("page") is False
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    cache.delete("page")
    cache.delete_many(["a", "b"])
    with pytest.raises(ValueError):
        cache.incr("counter")
    assert cache.get_or_set("page", "rendered") == "rendered"

    assert time.monotonic() - started < 1
    unreachable = [record for record in caplog.records if "unreachable" in record.message]
    assert len(unreachable) == 1


def test_a_redis_that_stops_is_a_miss_and_is_used_again_when_it_is_back(settings, redis_server, caplog):
    settings.CACHES = redis_cache(redis_server.port, retry_after=0.3)
    caplog.set_level(logging.WARNING, logger="autotrendy.cache")
    cache.set("page", "html")
    assert cache.get("page") == "html"

    redis_server.stop()
    assert cache.get("page") is None
    cache.set("page", "other html")  # skipped, not raised

    redis_server.start()
    time.sleep(0.4)  # retry_after
    cache.set("page", "fresh html")
    assert cache.get("page") == "fresh html"
    assert any("reachable again" in record.message for record in caplog.records)


@pytest.mark.django_db
def test_with_redis_down_readers_get_pages_and_editors_log_in(settings, client, superuser):
    settings.CACHES = redis_cache(free_port())
    article = ArticleFactory(published=True, title="Batteries get cheaper")

    for _ in range(2):
        home = client.get("/")
        assert home.status_code == 200
        assert home["X-Page-Cache"] == "miss"
        assert client.get(article.get_absolute_url()).status_code == 200
    assert client.get("/search/", {"q": "batteries"}).status_code == 200

    # Sessions live in the database: logging in and using the admin need no Redis.
    login = client.post("/admin/login/?next=/admin/", {"username": superuser.username, "password": PASSWORD})
    assert login.status_code == 302
    assert client.get("/admin/articles/article/").status_code == 200


# ---------------------------------------------------------------------------
# A save that meets a database failure keeps the editor's text


@pytest.fixture
def an_edit(editor_client, edit_form_data):
    """A callable: a new article ("Old title", "Old body") and the editor's change form for it,
    filled in with a new `title` and `body`."""

    def edit(title, body):
        article = ArticleFactory(title="Old title", body="Old body")
        return article, edit_form_data(editor_client, article, title=title, body=body)

    return edit


@pytest.fixture
def failing_save(monkeypatch):
    """The next content save loses its database connection, as during a PostgreSQL restart."""
    original = workflow.save_edit
    calls = []

    def save_edit(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return original(*args, **kwargs)

    monkeypatch.setattr(workflow, "save_edit", save_edit)
    return calls


@pytest.mark.django_db
def test_a_save_that_loses_the_database_shows_the_form_again_with_the_text(
    editor_client, an_edit, failing_save
):
    article, data = an_edit(
        "Sodium batteries, explained", "A long careful text\n\nthat the editor must not lose."
    )

    response = editor_client.post(admin_url(article), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert SAVE_FAILED in page
    assert "that the editor must not lose." in page
    assert "Sodium batteries, explained" in page
    article.refresh_from_db()
    assert (article.title, article.body) == ("Old title", "Old body")

    # Saving again, once the database is back, goes through.
    again = editor_client.post(admin_url(article), data)
    assert again.status_code == 302, again.content.decode()[:3000]
    article.refresh_from_db()
    assert article.title == "Sodium batteries, explained"


@pytest.mark.django_db
def test_a_new_article_that_loses_the_database_is_not_lost(editor_client, article_form_data, failing_save):
    author = ArticleFactory().author
    data = article_form_data(editor_client, author=author, title="A draft never saved before")

    response = editor_client.post("/admin/articles/article/add/", data)

    assert response.status_code == 200
    assert SAVE_FAILED in response.content.decode()
    assert "A draft never saved before" in response.content.decode()
    assert not Article.objects.filter(title="A draft never saved before").exists()


@pytest.mark.django_db
def test_while_the_database_stays_away_a_plain_page_keeps_the_text_and_sends_it_again(
    editor_client, an_edit, failing_save, monkeypatch
):
    article, data = an_edit("Kept title", "Every word\nof this body is kept.")
    monkeypatch.setattr(admin_saves, "wait_for_database", lambda: False)

    response = editor_client.post(admin_url(article), data)

    page = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"]
    assert SAVE_FAILED in page
    assert '<textarea id="field-' in page and "Every word\nof this body is kept.</textarea>" in page
    assert 'value="Kept title"' in page
    assert f'action="{admin_url(article)}"' in page
    assert "password" not in page.lower()
    assert "<script" not in page and "style=" not in page  # CSP-clean


@pytest.mark.django_db
def test_a_login_that_meets_a_database_failure_never_echoes_the_password(client, superuser, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr("django.contrib.auth.authenticate", broken)
    monkeypatch.setattr("django.contrib.admin.forms.authenticate", broken, raising=False)
    monkeypatch.setattr("django.contrib.auth.forms.authenticate", broken)

    with pytest.raises(OperationalError):
        client.post("/admin/login/", {"username": superuser.username, "password": "s3cret-typed"})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real dropped connection: PostgreSQL only")
def test_a_save_whose_postgresql_connection_is_killed_keeps_the_text(editor_client, an_edit, monkeypatch):
    import psycopg

    article, data = an_edit("Written during a restart", "Text typed while PostgreSQL restarted.")
    original = workflow.save_edit
    killed = []

    def save_edit(*args, **kwargs):
        if not killed:
            # What a restart does to the connection serving this save.
            params = connection.get_connection_params()
            pid = connection.connection.info.backend_pid
            dsn = {
                key: params[key] for key in ("host", "port", "user", "password", "dbname") if key in params
            }
            with psycopg.connect(**dsn, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            killed.append(pid)
        return original(*args, **kwargs)

    monkeypatch.setattr(workflow, "save_edit", save_edit)

    response = editor_client.post(admin_url(article), data)

    assert killed
    page = response.content.decode()
    assert response.status_code == 200, page[:2000]
    assert SAVE_FAILED in page and "Text typed while PostgreSQL restarted." in page
    again = editor_client.post(admin_url(article), data)
    assert again.status_code == 302
    article.refresh_from_db()
    assert article.title == "Written during a restart"


@pytest.mark.django_db
def test_a_review_comment_that_meets_a_database_failure_is_kept_for_sending_again(editor_client, monkeypatch):
    from articles import desk

    article = ArticleFactory(title="Under review")

    def broken(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(desk.workflow, "run_transition", broken)
    url = f"/admin/articles/article/{article.pk}/workflow/request_changes/"

    response = editor_client.post(url, {"comment": "Please check the battery figures\nin the second table."})

    page = response.content.decode()
    assert response.status_code == 503
    assert "Please check the battery figures\nin the second table.</textarea>" in page
    assert f'action="{url}"' in page
