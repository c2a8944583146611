"""/healthz: an operator (or a load balancer) asks whether this node can serve.

200 with a small JSON of checks when every dependency answers; 503 when the database, the
cache or the media storage does not, saying which, and nothing secret. Never cached, no cookie.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from articles import workflow
from tests.factories import ArticleFactory

REPO = Path(__file__).resolve().parent.parent


def closed_port():
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_a_healthy_node_answers_200_with_each_check(client, media_root):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "media": "ok",
        "scheduled": "ok",
    }
    assert body["checks"]["scheduled"]["overdue"] == 0
    assert all(
        isinstance(check["ms"], float) for name, check in body["checks"].items() if name != "scheduled"
    )
    # The media check cleans up after itself.
    assert not [path for path in media_root.rglob("*") if path.is_file()]


@pytest.mark.django_db
def test_health_is_never_cached_and_sets_no_cookie(client):
    for _ in range(2):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert "X-Page-Cache" not in response
        assert not response.cookies
        assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_is_answered_whatever_the_host_header(client):
    # A load balancer asks by the node's address, which is not in ALLOWED_HOSTS.
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code == 400


@pytest.mark.django_db
def test_other_methods_are_refused(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_a_cache_that_does_not_answer_makes_it_503_and_says_which(client, settings):
    port = closed_port()
    settings.CACHES = {
        "default": {
            # What production runs: the cache that fails open for pages, not for /healthz.
            "BACKEND": "autotrendy.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["cache"] == {
        "status": "fail",
        "error": "ConnectionError",
        "ms": body["checks"]["cache"]["ms"],
    }
    assert body["checks"]["database"]["status"] == "ok"
    # Nothing about where the cache lives.
    assert str(port) not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_a_media_storage_that_fails_makes_it_503(client, monkeypatch):
    from django.core.files.storage import default_storage

    def refuse(name, content, max_length=None):
        raise PermissionError(13, "Permission denied", "/srv/secret/media/healthz")

    monkeypatch.setattr(default_storage, "save", refuse)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["media"] == {
        "status": "fail",
        "error": "PermissionError",
        "ms": response.json()["checks"]["media"]["ms"],
    }
    assert "/srv/secret" not in response.content.decode()


@pytest.mark.django_db
def test_a_scheduled_article_that_readers_do_not_get_yet_is_reported_without_failing(client, newsroom):
    start = timezone.now()
    article = ArticleFactory(author=newsroom["author"].author_profile)
    workflow.submit(article, newsroom["author"])
    workflow.approve(article, newsroom["reviewer"])
    with time_machine.travel(start, tick=False):
        workflow.publish(article, newsroom["editor"], at=start + timedelta(hours=1))
        assert client.get("/healthz").json()["checks"]["scheduled"] == {"status": "ok", "overdue": 0}

    # Its time came and nobody has asked for a page since: stored pages predate it.
    with time_machine.travel(start + timedelta(hours=1, minutes=5), tick=False):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["checks"]["scheduled"] == {"status": "late", "overdue": 1}
        # The first reader moves the edition on; nothing is overdue any more.
        assert article.title in client.get("/").content.decode()
        assert client.get("/healthz").json()["checks"]["scheduled"] == {"status": "ok", "overdue": 0}


DATABASE_DOWN = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.test import Client
    response = Client().get("/healthz")
    print(json.dumps({"status": response.status_code, "body": response.content.decode()}))
    """
)


def test_a_database_that_does_not_answer_makes_it_503(tmp_path):
    """A node whose database is gone (PostgreSQL on a closed port; or an SQLite file that
    cannot be opened), in a process of its own: the answer is a clean 503, not a 500."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        database_url = f"postgres://postgres@127.0.0.1:{closed_port()}/autotrendy"
        secret = "127.0.0.1"
    else:
        database_url = f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}"
        secret = "no-such-folder"
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "REDIS_"))},
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url,
    }
    result = subprocess.run(
        [sys.executable, "-c", DATABASE_DOWN],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])

    assert answer["status"] == 503
    body = json.loads(answer["body"])
    assert body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "fail"
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert body["checks"]["cache"]["status"] == "ok"
    assert "scheduled" not in body["checks"]
    assert secret not in answer["body"]
