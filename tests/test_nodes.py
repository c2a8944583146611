"""Several nodes: two app servers behind one nginx, sharing PostgreSQL, Redis and object storage.

The multi-node layout of the README, run for real on loopback: moto's S3 server (the bucket),
a redis-server of the test's own, a fresh PostgreSQL database, two gunicorns started with
deploy/gunicorn.conf.py on two free ports, and nginx in front (deploy/serve.py
--app-server, as an operator would run it). An editor works on node A; readers asking node B
see the publish and the uploaded image at once, because nothing lives on one node: media in
the bucket, sessions and the site's edition in the database, pages in the shared Redis.

Needs PostgreSQL (marked `postgres`, run by `make test`'s PostgreSQL pass), nginx and
redis-server; skips with the reason without them, except in CI, where that is a failure.
"""

import http.client
import http.cookies
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid

import pytest
from django.db import connection
from PIL import Image

from bench.common import free_port, port_open, redis_server_command
from deploy.serve import find_nginx
from tests.processes import REPO, newsroom_script, run_python

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="several nodes share PostgreSQL: set DATABASE_URL=postgres://… to run it",
    ),
]

BUCKET = "autotrendy-media"
STARTUP_TIMEOUT = 180
PASSWORD = "a-long-test-password-for-the-nodes"
TITLE = "Two nodes, one magazine"
SLUG = "two-nodes-one-magazine"

NEWSROOM = newsroom_script(
    f"""
    from django.core.files.base import ContentFile
    from PIL import Image
    import io

    article = Article.objects.create(
        title={TITLE!r}, slug={SLUG!r}, standfirst="Shared by every node.",
        body="Before the image.", author=author.author_profile, cover_alt="A title card",
    )
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 600), (30, 90, 200)).save(buffer, "JPEG")
    article.cover.save("nodes-cover.jpg", ContentFile(buffer.getvalue(), name="nodes-cover.jpg"))
    workflow.submit(article, author)
    workflow.approve(article, reviewer)
    print("ARTICLE", article.pk, flush=True)
    """,
    password=PASSWORD,
)


def wait_for_port(port, *, process, what, logs, timeout=STARTUP_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} stopped while starting (exit {process.returncode})\n{logs()}")
        if port_open(port, timeout=0.5):
            return
        time.sleep(0.2)
    pytest.fail(f"{what} did not start within {timeout} s\n{logs()}")


def missing(reason):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (in CI .ci/run installs it, and a skip is a failure)")
    pytest.skip(reason)


class Client:
    """A browser for one origin: keeps its cookies, sends the CSRF token on POSTs."""

    def __init__(self, port, cookies=None):
        self.port = port
        self.cookies = cookies if cookies is not None else {}

    def request(self, method, path, *, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.body = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        response.text = response.body.decode("utf-8", "replace")
        return response

    def get(self, path, **options):
        return self.request("GET", path, **options)

    def post_form(self, path, fields, *, referer_path=None):
        fields = {**fields, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
        return self.request(
            "POST",
            path,
            body=urllib.parse.urlencode(fields),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}{referer_path or path}",
                "Origin": f"http://127.0.0.1:{self.port}",
            },
        )

    def post_file(self, path, field, name, data, content_type):
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
                "X-Requested-With": "XMLHttpRequest",
                "Referer": f"http://127.0.0.1:{self.port}/admin/",
                "Origin": f"http://127.0.0.1:{self.port}",
            },
        )

    def log_in(self, username):
        self.get("/admin/login/")
        response = self.post_form(
            "/admin/login/?next=/admin/", {"username": username, "password": PASSWORD, "next": "/admin/"}
        )
        assert response.status == 302, response.text[:2000]


def fetch(url):
    """GET an absolute URL (the bucket's): status, content type, bytes."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        return response.status, response.headers.get("Content-Type"), response.read()
    finally:
        connection.close()


class Cluster:
    """moto (S3), redis-server, a PostgreSQL database, nginx and two gunicorn nodes."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.processes = {}
        self.logs_dir = workdir / "logs"
        self.logs_dir.mkdir()
        self.ports = {name: free_port() for name in ("s3", "redis", "node_a", "node_b", "front")}
        database = connection.settings_dict
        self.database_name = f"{database['NAME']}_cluster"
        self.admin_dsn = {
            "host": database["HOST"] or "127.0.0.1",
            "port": database["PORT"] or 5432,
            "user": database["USER"],
            "password": database["PASSWORD"] or None,
            "dbname": "postgres",
        }
        auth = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
        host = f"{self.admin_dsn['host']}:{self.admin_dsn['port']}"
        self.endpoint = f"http://127.0.0.1:{self.ports['s3']}"
        self.env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("DJANGO_", "DATABASE_", "REDIS_", "SITE_", "EMAIL_", "MEDIA_", "AWS_"))
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="autotrendy.settings",
            DJANGO_SECRET_KEY="nodes-test-" + "k" * 60,
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_SECURE_SSL_REDIRECT="false",
            SITE_ORIGIN=f"http://127.0.0.1:{self.ports['front']}",
            DATABASE_URL=f"postgres://{auth}@{host}/{self.database_name}",
            REDIS_URL=f"redis://127.0.0.1:{self.ports['redis']}/0",
            AWS_STORAGE_BUCKET_NAME=BUCKET,
            AWS_S3_ENDPOINT_URL=self.endpoint,
            AWS_S3_REGION_NAME="us-east-1",
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_ACL="public-read",
            STATIC_ROOT=str(workdir / "static"),
            WEB_CONCURRENCY="1",
            PYTHONUNBUFFERED="1",
        )

    def start(self, name, command, port=None, env=None):
        log = open(self.logs_dir / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env or self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        if port is not None:
            wait_for_port(port, process=process, what=name, logs=self.logs)
        return process

    def logs(self):
        parts = []
        for path in sorted(self.logs_dir.glob("*.log")):
            parts.append(
                f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-25:])
            )
        return "\n".join(parts)

    def up(self):
        import boto3
        import psycopg

        self.start(
            "s3",
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.ports["s3"])],
            self.ports["s3"],
        )
        boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket=BUCKET)
        self.start(
            "redis",
            redis_server_command(self.ports["redis"]),
            self.ports["redis"],
        )
        with psycopg.connect(**self.admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{self.database_name}"')

        # The front first: serve.py migrates the shared database and collects the static files.
        front = self.start(
            "front",
            [
                sys.executable,
                "deploy/serve.py",
                "--port",
                str(self.ports["front"]),
                "--run-dir",
                str(self.workdir / "run"),
                "--app-server",
                f"127.0.0.1:{self.ports['node_a']}",
                "--app-server",
                f"127.0.0.1:{self.ports['node_b']}",
            ],
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while "(production setup) is at" not in (self.logs_dir / "front.log").read_text():
            if front.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the front did not start\n{self.logs()}")
            time.sleep(0.2)
        for node in ("node_a", "node_b"):
            self.start(
                node,
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--config",
                    "deploy/gunicorn.conf.py",
                    "--bind",
                    f"127.0.0.1:{self.ports[node]}",
                    "--control-socket",
                    str(self.workdir / f"{node}.ctl"),
                ],
                self.ports[node],
            )

    def run_script(self, code):
        result = run_python(["manage.py", "shell", "--no-imports", "-c", code], env=self.env, timeout=120)
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{self.logs()}"
        return result.stdout

    def down(self):
        # The front (serve.py stops nginx), the nodes, then what they share.
        for name in ("front", "node_a", "node_b", "redis", "s3"):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGINT if name == "front" else signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        import psycopg

        with psycopg.connect(**self.admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if find_nginx() is None:
        missing("nginx is not installed (apt-get install nginx)")
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed (apt-get install redis-server)")
    cluster = Cluster(tmp_path_factory.mktemp("nodes"))
    try:
        cluster.up()
        output = cluster.run_script(NEWSROOM)
        cluster.article_id = int(re.search(r"ARTICLE (\d+)", output).group(1))
        yield cluster
    finally:
        cluster.down()


def png(colour=(200, 30, 30), size=(64, 48)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_publish_and_an_upload_on_one_node_are_served_at_once_by_the_other(cluster):
    node_a = Client(cluster.ports["node_a"])
    node_a.log_in("eda")
    # The session is in the database: node B knows the editor too.
    as_editor_on_b = Client(cluster.ports["node_b"], cookies=dict(node_a.cookies))
    assert as_editor_on_b.get("/admin/").status == 200
    reader_b = Client(cluster.ports["node_b"])
    reader_a = Client(cluster.ports["node_a"])

    # The page cache is shared: a page node B stored is a hit on node A.
    assert reader_b.get("/").headers["X-Page-Cache"] == "miss"
    home_on_a = reader_a.get("/")
    assert home_on_a.headers["X-Page-Cache"] == "hit"
    assert TITLE not in home_on_a.text

    # The editor drags an image into the editor on node A: it lands in the bucket.
    uploaded = node_a.post_file("/admin/markdownx/upload/", "image", "diagram.png", png(), "image/png")
    assert uploaded.status == 200, uploaded.text[:2000]
    image_url = re.fullmatch(r"!\[\]\((\S+)\)", json.loads(uploaded.text)["image_code"]).group(1)
    assert image_url.startswith(f"{cluster.endpoint}/{BUCKET}/uploads/")
    status, content_type, data = fetch(image_url)
    assert (status, content_type) == (200, "image/png")
    assert data.startswith(b"\x89PNG")

    # The image goes into the body (a correction-free edit before publishing), then node A publishes.
    # The approval is pinned to the words (workflow.content_hash): these are the approved ones.
    cluster.run_script(
        "from articles.models import Article\n"
        "from articles.workflow import content_hash\n"
        f"Article.objects.filter(pk={cluster.article_id}).update(body='Before the image.\\n\\n![A diagram]({image_url})')\n"
        f"article = Article.objects.get(pk={cluster.article_id}); article.approved_hash = content_hash(article); article.save()\n"
    )
    published = node_a.post_form(
        f"/admin/articles/article/{cluster.article_id}/workflow/publish/",
        {},
        referer_path=f"/admin/articles/article/{cluster.article_id}/change/",
    )
    assert published.status == 302, published.text[:2000]

    # At once, on node B: the home page and the article, with the body image and the cover
    # (and its renditions) linked from the bucket, every one of them there.
    home_on_b = reader_b.get("/")
    assert TITLE in home_on_b.text, cluster.logs()
    article_on_b = reader_b.get(f"/articles/{SLUG}/")
    assert article_on_b.status == 200
    assert image_url in article_on_b.text
    media_urls = set(re.findall(rf"{re.escape(cluster.endpoint)}/{BUCKET}/[^\s\"',]+", article_on_b.text))
    assert any("/covers/" in url and "-480w.webp" in url for url in media_urls), media_urls
    for url in media_urls:
        status, content_type, _ = fetch(url)
        assert status == 200 and content_type.startswith("image/"), url

    # Through the front too (nginx over both nodes): no /media/ of its own, the pages link the bucket.
    front = Client(cluster.ports["front"])
    through_front = front.get(f"/articles/{SLUG}/")
    assert through_front.status == 200 and image_url in through_front.text
    assert front.get("/media/uploads/anything.png").status == 404
