"""The embedded setup: `make run`, `make staff`, the launch articles and the password pages.

The story: a newcomer runs `make run HOST=127.0.0.1 PORT=8401` because port 8000 is taken.
Every link the site builds (canonical links, feeds, sitemaps, share links, the password
link `make staff` prints in another terminal) points at port 8401. Running `make run`
again the next day loads nothing over what the editors changed, and `make staff` prints
its two lines, not a screen of migrations. The page where a new colleague sets a password
says Auto Trendy, not Django.
"""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command

from articles import accounts, preview, workflow
from articles.models import Article, ArticleEvent
from articles.roles import REVIEWERS
from tests.factories import ArticleFactory, SuperuserFactory, newsroom_member

REPO = Path(settings.BASE_DIR)
# Authors, topics and articles in the launch fixture.
LAUNCH_OBJECTS = len(json.loads((REPO / "fixtures" / "launch.json").read_text()))
ALLIANCE_SLUG = "renault-nissan-mitsubishi-alliance-from-start-to-future"


# The launch articles: only where missing


@pytest.mark.django_db
def test_load_launch_twice_keeps_an_editors_edit_and_records_nothing():
    call_command("load_launch", verbosity=0)
    editor = SuperuserFactory()
    article = Article.objects.get(slug=ALLIANCE_SLUG)
    article.title = "The Alliance, corrected by the desk"
    workflow.save_edit(article, editor, changed_fields=["title"])
    # A live article's correction reaches readers through review.
    workflow.submit_correction(article, editor)
    workflow.approve_correction(article, newsroom_member(REVIEWERS))
    workflow.publish_correction(article, editor)
    revisions, events = article.history.count(), ArticleEvent.objects.count()
    version = Article.objects.get(pk=article.pk).version

    call_command("load_launch", verbosity=0)

    again = Article.objects.get(pk=article.pk)
    assert again.title == "The Alliance, corrected by the desk"
    assert again.version == version
    assert again.history.count() == revisions, "loading recorded a revision"
    assert ArticleEvent.objects.count() == events, "loading recorded a workflow event"


@pytest.mark.django_db
def test_load_launch_adds_a_missing_launch_article_and_keeps_the_rest():
    call_command("load_launch", verbosity=0)
    kept = Article.objects.exclude(slug=ALLIANCE_SLUG).get()
    kept.standfirst = "Rewritten by an editor."
    Article.objects.filter(pk=kept.pk).update(standfirst=kept.standfirst)
    Article.objects.filter(slug=ALLIANCE_SLUG).delete()

    call_command("load_launch", verbosity=0)

    assert Article.objects.filter(slug=ALLIANCE_SLUG).exists()
    assert Article.objects.get(pk=kept.pk).standfirst == "Rewritten by an editor."
    alliance = Article.objects.get(slug=ALLIANCE_SLUG)
    assert list(alliance.related.all()) == [kept], "the re-added article lost its related article"


@pytest.mark.django_db
def test_load_launch_says_what_it_kept(capsys):
    call_command("load_launch")
    first = capsys.readouterr().out

    call_command("load_launch")
    second = capsys.readouterr().out

    assert f"Loaded {LAUNCH_OBJECTS} launch object(s)" in first
    assert "Loaded" not in second and f"Kept {LAUNCH_OBJECTS} launch object(s)" in second


# The set-password page and the reset email


@pytest.mark.django_db
def test_the_set_password_page_carries_the_newsrooms_name(client):
    user = get_user_model().objects.create(username="dana", is_staff=True)
    user.set_unusable_password()
    user.save()
    link = accounts.set_password_url(user).removeprefix(settings.SITE_ORIGIN)

    page = client.get(link, follow=True)

    html = page.content.decode()
    assert "new password" in html.lower()
    assert "Auto Trendy newsroom" in html
    assert "Django" not in html
    done = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "a-Long-new-pass-2026", "new_password2": "a-Long-new-pass-2026"},
        follow=True,
    )
    assert "Auto Trendy newsroom" in done.content.decode() and "Django" not in done.content.decode()
    user.refresh_from_db()
    assert user.check_password("a-Long-new-pass-2026")


@pytest.mark.django_db
def test_a_forgotten_password_email_names_the_newsroom_and_links_to_the_site_origin(client, settings):
    settings.SITE_ORIGIN = "https://news.autotrendy.example"
    user = SuperuserFactory(email="dana@example.com", first_name="Dana")
    login = client.get("/admin/login/").content.decode()
    assert 'href="/admin/password_reset/"' in login

    form = client.get("/admin/password_reset/").content.decode()
    response = client.post("/admin/password_reset/", {"email": "dana@example.com"}, follow=True)

    assert "Auto Trendy newsroom" in form and "Django" not in form
    assert "Django" not in response.content.decode()
    (message,) = mail.outbox
    assert message.to == ["dana@example.com"]
    assert "Auto Trendy" in message.subject and "Django" not in message.subject
    assert "Auto Trendy newsroom" in message.body and "Django" not in message.body
    (link,) = re.findall(r"https?://\S+", message.body)
    assert link.startswith("https://news.autotrendy.example/accounts/reset/")
    assert user.username in message.body
    # The link works (the test client is on another host; the path is what counts).
    assert client.get(link.removeprefix(settings.SITE_ORIGIN), follow=True).status_code == 200


# `make run HOST=... PORT=...` and `make staff`, for real


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_environment(tmp_path):
    """The environment of a person at a terminal: debug from the Makefile, a fresh SQLite file."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "SITE_", "PYTEST", "REDIS_")) and name != "DATABASE_URL"
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["MEDIA_ROOT"] = str(tmp_path / "media")
    env["ORIGIN_FILE"] = str(tmp_path / "run" / "dev-origin")
    return env


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


@pytest.fixture(scope="module")
def make_run(tmp_path_factory):
    """`make run HOST=127.0.0.1 PORT=<free>` in its own process group, until the module ends."""
    if not (REPO / ".venv" / ".installed").exists():
        pytest.skip("needs `make install` first")
    tmp_path = tmp_path_factory.mktemp("make-run")
    env = make_environment(tmp_path)
    port = free_port()
    log = (tmp_path / "make-run.log").open("w+")
    server = subprocess.Popen(
        ["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                get(origin + "/robots.txt")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"make run did not start:\n{log.read()}")
                time.sleep(0.5)
        yield {"origin": origin, "port": port, "env": env, "tmp_path": tmp_path}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def test_make_run_builds_every_link_for_the_host_and_port_it_serves(make_run):
    origin = make_run["origin"]

    home = get(origin + "/")
    article = get(f"{origin}/articles/{ALLIANCE_SLUG}/")
    feed = get(origin + "/feed/rss/")
    sitemap = get(origin + "/sitemap.xml")
    robots = get(origin + "/robots.txt")

    assert f'<link rel="canonical" href="{origin}/">' in home
    assert f'<link rel="canonical" href="{origin}/articles/{ALLIANCE_SLUG}/">' in article
    assert f"{origin}/articles/{ALLIANCE_SLUG}/" in feed
    assert f"<loc>{origin}/sitemap-" in sitemap
    assert f"Sitemap: {origin}/sitemap.xml" in robots
    for page in (home, article, feed, sitemap, robots):
        assert "127.0.0.1:8000" not in page and "localhost:8000" not in page


def test_make_staff_beside_make_run_is_quiet_and_links_to_the_served_origin(make_run):
    def make_staff(*args):
        return subprocess.run(
            ["make", "--no-print-directory", "staff", *args],
            cwd=REPO,
            env=make_run["env"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )

    created = make_staff("USERNAME=dana", "ROLE=author", "NAME=Dana Reyes")
    again = make_staff("USERNAME=dana", "ROLE=reviewer")

    lines = created.stdout.strip().splitlines()
    assert lines[0] == "Created dana: author, byline “Dana Reyes”."
    assert lines[1].startswith(
        f"Set the password (one use, valid 3 days): {make_run['origin']}/accounts/reset/"
    )
    assert len(lines) == 2, f"make staff printed more than its two lines:\n{created.stdout}"
    assert "migrat" not in (created.stdout + created.stderr).lower()
    assert again.stdout.strip().splitlines()[0] == "Updated dana: reviewer, byline “Dana Reyes”."
    # The printed link opens the set-password page on the server `make run` started.
    link = lines[1].rsplit(" ", 1)[-1]
    assert "Auto Trendy newsroom" in get(link)


def test_make_run_again_loads_nothing_over_the_running_sites_articles(make_run):
    env = make_run["env"]
    edit = (
        "from articles.models import Article;"
        f"Article.objects.filter(slug='{ALLIANCE_SLUG}').update(title='Edited on the desk')"
    )
    subprocess.run(
        [".venv/bin/python", "manage.py", "shell", "-c", edit],
        cwd=REPO,
        env={**env, "DJANGO_DEBUG": "true"},
        check=True,
        capture_output=True,
        timeout=60,
    )

    fixtures = subprocess.run(
        ["make", "--no-print-directory", "fixtures"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert f"Kept {LAUNCH_OBJECTS} launch object(s)" in fixtures.stdout
    assert "Edited on the desk" in get(f"{make_run['origin']}/articles/{ALLIANCE_SLUG}/")


# Links inside the app follow SITE_ORIGIN (what `make run` sets)


@pytest.mark.django_db
def test_share_and_password_links_follow_the_configured_origin(settings, newsroom):
    settings.SITE_ORIGIN = "http://127.0.0.1:8401"
    draft = ArticleFactory(author=newsroom["author"].author_profile)

    assert preview.share_url(draft).startswith("http://127.0.0.1:8401/preview/")
    assert accounts.set_password_url(newsroom["author"]).startswith("http://127.0.0.1:8401/accounts/reset/")


@pytest.mark.django_db(transaction=True)
def test_workflow_emails_link_to_the_configured_origin(settings, newsroom):
    settings.SITE_ORIGIN = "http://127.0.0.1:8401"
    newsroom["reviewer"].email = "rita@example.com"
    newsroom["reviewer"].save()
    draft = ArticleFactory(author=newsroom["author"].author_profile)

    workflow.submit(draft, newsroom["author"])

    (message,) = [m for m in mail.outbox if "rita@example.com" in m.to]
    links = re.findall(r"https?://\S+", message.body)
    assert links and all(link.startswith("http://127.0.0.1:8401/") for link in links)
