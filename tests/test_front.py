"""The nginx front that `make serve` runs (deploy/), started for real: nginx and gunicorn.

A reader's story: pages come from nginx's micro-cache, static files and uploads straight from
disk, the newsroom and logged-in visitors never from the cache, and an article published in
another process is on the home page for every reader who asks more than 1 s after the commit.

Where nginx is missing these tests skip with the reason, except in CI (CI=true), where .ci/run
installs it and a skip is a failure.
"""

import gzip
import http.client
import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from PIL import Image

from bench.common import free_port
from deploy.serve import find_nginx
from tests.processes import REPO, newsroom_script

STARTUP_TIMEOUT = 180  # collectstatic and migrate on a busy two-core machine
NEW_TITLE = "Solid-state batteries reach the front"
NEW_SLUG = "solid-state-batteries-reach-the-front"
OLD_TITLE = "Charging stations double along the motorways"

# Three newsroom members, one published article and one approved, all through the workflow.
NEWSROOM = newsroom_script(
    f"""
    for title, slug in [({OLD_TITLE!r}, "charging-stations"), ({NEW_TITLE!r}, {NEW_SLUG!r})]:
        article = Article.objects.create(
            title=title, slug=slug, standfirst="For the front test.", body="Some text.",
            author=author.author_profile,
        )
        workflow.submit(article, author)
        workflow.approve(article, reviewer)
    workflow.publish(Article.objects.get(slug="charging-stations"), editor)
    """
)

# Publishes the approved article and prints the moment its transaction committed.
PUBLISH = textwrap.dedent(
    f"""
    import time
    from django.contrib.auth.models import User
    from django.db import transaction
    from articles import workflow
    from articles.models import Article

    article = Article.objects.get(slug={NEW_SLUG!r})
    editor = User.objects.get(username="eda")
    with transaction.atomic():
        # Registered first, so it runs first after the commit (before the notifications).
        transaction.on_commit(lambda: print(f"committed at {{time.time():.6f}}", flush=True))
        workflow.publish(article, editor)
    """
)


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    started: float
    finished: float

    @property
    def cache(self):
        return self.headers.get("X-Cache-Status")

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class Front:
    """nginx and gunicorn, as `make serve` runs them, on a free loopback port and a temporary database."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.run_dir = workdir / "run"
        self.media_root = workdir / "media"
        self.log_path = workdir / "serve.log"
        self.port = free_port()
        # The environment of a laptop: none of the shell's Django settings, a database of its own.
        self.env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("DJANGO_", "DATABASE_", "REDIS_", "SITE_", "EMAIL_", "MEDIA_"))
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="autotrendy.settings",
            DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
            MEDIA_ROOT=str(self.media_root),
            PYTHONUNBUFFERED="1",
        )
        self.process = None

    def start(self):
        command = [sys.executable, "deploy/serve.py", "--host", "127.0.0.1", "--port", str(self.port)]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [*command, "--run-dir", str(self.run_dir)],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while "(production setup) is at" not in self.log_path.read_text():
            if self.process.poll() is not None:
                pytest.fail(
                    f"the front stopped while starting (exit {self.process.returncode})\n{self.logs()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"the front did not start within {STARTUP_TIMEOUT} s\n{self.logs()}")
            time.sleep(0.2)
        # The same throwaway secret serve.py made for this run, for the scripts below.
        self.env["DJANGO_SECRET_KEY"] = (self.run_dir / "secret_key").read_text().strip()

    def stop(self):
        """Ctrl-C, as an operator would; True if serve.py stopped nginx and gunicorn and exited 0."""
        if self.process is None or self.process.poll() is not None:
            return False
        try:
            children = self.child_pids()
        except (OSError, ValueError, AttributeError):
            children = None  # stop anyway; the check below then fails
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()  # its children get SIGTERM from the kernel (PR_SET_PDEATHSIG)
            self.process.wait(10)
            return False
        time.sleep(0.2)
        return self.process.returncode == 0 and children is not None and not any(map(alive, children))

    def child_pids(self):
        nginx = int((self.run_dir / "nginx.pid").read_text())
        gunicorn = re.search(r"Listening at: \S+ \((\d+)\)", self.log_path.read_text())
        return [nginx, int(gunicorn.group(1))]

    def manage_shell(self, code, stdout=subprocess.PIPE):
        return subprocess.Popen(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=REPO,
            env=self.env,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def run_script(self, code):
        process = self.manage_shell(code)
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, f"the script failed:\n{output}\n{self.logs()}"
        return output

    def request(self, path, *, method="GET", headers=None, body=None, source=None):
        """`source`: the client's own loopback address (127.0.0.2, ...), as another visitor."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(source, 0) if source else None
        )
        started = time.time()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        return Response(response.status, response.headers, content, started, time.time())

    def logs(self):
        """What serve.py, gunicorn and nginx said: for the message of a failing assertion."""
        parts = []
        for path, lines in (
            (self.log_path, 60),
            (self.run_dir / "logs" / "nginx-error.log", 30),
            (self.run_dir / "logs" / "nginx-access.log", 30),
        ):
            text = path.read_text(errors="replace") if path.exists() else "(none)"
            parts.append(f"--- {path.name} (last {lines} lines)\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(parts)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    if find_nginx() is None:
        reason = "nginx is not installed (apt-get install nginx): the front cannot be tested"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (in CI .ci/run installs it, and a skip is a failure)")
        pytest.skip(reason)
    front = Front(tmp_path_factory.mktemp("front"))
    try:
        front.start()
        front.run_script(NEWSROOM)
        yield front
    finally:
        stopped_cleanly = front.stop()
    assert stopped_cleanly, f"Ctrl-C did not stop nginx and gunicorn cleanly\n{front.logs()}"


def same_second(first, second):
    return int(first.started) == int(second.started)


def back_to_back(front, path, **options):
    """Two requests started within one second (the cache's lifetime): at most five tries."""
    for _ in range(5):
        # Start early in a second, so a slow render still leaves time for the second request.
        if time.time() % 1 > 0.4:
            time.sleep(1.02 - time.time() % 1)
        first = front.request(path, **options)
        second = front.request(path, **options)
        if same_second(first, second):
            return first, second
    pytest.fail(f"no two requests for {path} fitted in one second: the machine is too slow\n{front.logs()}")


def test_a_published_article_is_on_the_home_page_for_whoever_asks_1_s_after_the_commit(front):
    _, warm = back_to_back(front, "/")
    assert warm.status == 200, front.logs()
    assert warm.cache == "HIT", f"the home page is not held by the cache\n{front.logs()}"
    assert OLD_TITLE in warm.text and NEW_TITLE not in warm.text

    publish_log = front.workdir / "publish.log"
    with open(publish_log, "w") as output:
        publisher = front.manage_shell(PUBLISH, stdout=output)
    polls = []
    committed_at = None
    deadline = time.monotonic() + 120
    # Readers keep asking while another process publishes (the cache stays warm all along).
    while committed_at is None or time.time() < committed_at + 1.5:
        assert time.monotonic() < deadline, f"the publish did not finish\n{front.logs()}"
        polls.append(front.request("/"))
        if committed_at is None and publisher.poll() is not None:
            output = publish_log.read_text()
            found = re.search(r"committed at (\d+\.\d+)", output)
            assert publisher.returncode == 0 and found, f"the publish failed:\n{output}"
            committed_at = float(found.group(1))
        time.sleep(0.02)

    def seen(response):
        return f"{response.started - committed_at:+.3f}s {response.status} {response.cache} " + (
            "new" if NEW_TITLE in response.text else "old"
        )

    after_a_second = [poll for poll in polls if poll.started >= committed_at + 1.0]
    assert after_a_second, "no reader asked more than 1 s after the commit"
    assert all(poll.status == 200 and NEW_TITLE in poll.text for poll in after_a_second), (
        "a reader asking more than 1 s after the commit got the old home page:\n"
        + "\n".join(seen(poll) for poll in polls if poll.started >= committed_at - 0.2)
        + "\n"
        + front.logs()
    )


@pytest.mark.parametrize("path", ["/", "/search/?q=batteries", "/articles/charging-stations/", "/feed/rss/"])
def test_the_second_request_for_a_reader_page_within_a_second_comes_from_the_cache(front, path):
    first, second = back_to_back(front, path)
    assert first.status == second.status == 200, front.logs()
    assert second.cache == "HIT", f"{path}: {first.cache} then {second.cache}\n{front.logs()}"
    assert second.body == first.body


@pytest.mark.parametrize(
    "cookie", ["sessionid=a-logged-in-editor", "csrftoken=abc; theme=dark", "theme=dark; messages=note"]
)
def test_a_visitor_with_a_session_csrf_or_messages_cookie_never_gets_the_shared_copy(front, cookie):
    first, second = back_to_back(front, "/", headers={"Cookie": cookie})
    assert first.status == second.status == 200
    assert (first.cache, second.cache) == ("BYPASS", "BYPASS"), front.logs()


def test_other_cookies_do_not_split_the_cache(front):
    first, second = back_to_back(front, "/", headers={"Cookie": "theme=dark; _ga=GA1.2.3"})
    assert second.cache == "HIT", f"{first.cache} then {second.cache}\n{front.logs()}"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/login/"),
        ("GET", "/admin/login/?next=/admin/"),
        ("GET", "/accounts/reset/done/"),
        ("GET", "/preview/not-a-real-token/"),
        ("POST", "/search/"),
        ("GET", "/no-such-page/?page=2"),
    ],
)
def test_the_newsroom_and_anything_not_a_reader_page_pass_through_uncached(front, method, path):
    first, second = back_to_back(front, path, method=method)
    assert first.status == second.status, front.logs()
    assert first.status != 502, front.logs()
    assert (first.cache, second.cache) == ("BYPASS", "BYPASS"), f"{method} {path}\n{front.logs()}"


def test_the_admin_login_page_is_rendered_for_each_visitor(front):
    first, second = back_to_back(front, "/admin/login/")
    assert first.status == second.status == 200
    # Each visitor gets their own CSRF cookie and Django's never-cache headers, untouched.
    assert "csrftoken=" in first.headers["Set-Cookie"] and "csrftoken=" in second.headers["Set-Cookie"]
    assert first.headers["Set-Cookie"] != second.headers["Set-Cookie"]
    assert "no-store" in second.headers["Cache-Control"]


def log_in_through_the_front(front, username, password, *, source, headers=None):
    page = front.request("/admin/login/", source=source)
    csrf = re.search(r"csrftoken=([^;]+)", page.headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    body = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
    return front.request(
        "/admin/login/",
        method="POST",
        body=body,
        source=source,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
            **(headers or {}),
        },
    )


def test_the_login_lockout_counts_each_client_address_behind_nginx(front):
    """nginx tells Django the client's address (DJANGO_TRUSTED_PROXIES=1 from serve.py), so one
    address guessing is locked out without locking out everyone behind the proxy; and a client
    cannot pick its own address with a forged X-Forwarded-For (nginx replaces it)."""
    front.run_script(
        "from django.contrib.auth.models import User\n"
        "user = User.objects.get(username='eda')\n"
        "user.set_password('a long and right pass phrase')\n"
        "user.save()\n"
    )
    for attempt in range(5):
        guess = log_in_through_the_front(
            front,
            "rui",
            f"guess {attempt}",
            source="127.0.0.2",
            headers={"X-Forwarded-For": f"198.51.100.{attempt}"},
        )
    assert guess.status == 429, front.logs()

    locked = log_in_through_the_front(front, "eda", "a long and right pass phrase", source="127.0.0.2")
    assert locked.status == 429
    assert "Too many failed attempts: try again in 15 minutes" in locked.text

    elsewhere = log_in_through_the_front(front, "eda", "a long and right pass phrase", source="127.0.0.3")
    assert elsewhere.status == 302, front.logs()
    assert elsewhere.headers["Location"] == "/admin/"


def test_static_files_come_from_nginx_with_hashed_names_cached_for_a_year(front):
    home = front.request("/")
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home.text)
    assert stylesheet, "the home page links no hashed stylesheet"

    response = front.request(stylesheet.group(1), headers={"Accept-Encoding": "gzip"})

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # whitenoise's precompressed copy, sent by nginx (gzip_static).
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"--" in gzip.decompress(response.body)  # custom properties: it is the stylesheet
    # Only responses that went to Django carry X-Cache-Status: this one never did.
    assert response.cache is None


def test_unhashed_static_names_are_cached_briefly(front):
    response = front.request("/static/css/site.css")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "max-age=60"
    assert response.cache is None


def test_uploaded_media_come_from_nginx(front):
    # With DEBUG off Django serves no media at all: a 200 here is nginx reading MEDIA_ROOT.
    image = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(image, "PNG")
    (front.media_root / "uploads").mkdir(parents=True, exist_ok=True)
    (front.media_root / "uploads" / "front-test.png").write_bytes(image.getvalue())

    response = front.request("/media/uploads/front-test.png")

    assert response.status == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.body == image.getvalue()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.cache is None


def test_pages_are_gzipped_for_browsers_that_accept_it(front):
    plain = front.request("/")
    compressed = front.request("/", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert OLD_TITLE in gzip.decompress(compressed.body).decode()
    assert plain.headers.get("Content-Encoding") is None
