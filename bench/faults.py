"""Under load and faults: the production setup kept busy while Redis and PostgreSQL go away.

    .venv/bin/python bench/faults.py [--phases load,redis,postgres] [--duration 60]
        [--connections 64] [--pg-restart] [--record]        (or: make faults FAULTS_ARGS="...")

It builds a PostgreSQL database of its own (`--database-url`, default the local server's
`at_faults`: dropped and made afresh: migrate, the launch articles, `seed_articles`), starts a
redis-server of its own on a free port (never the shared one: this run stops it), and serves
the site as production does: deploy/serve.py, nginx in front of gunicorn, page cache in that
Redis. Then, with wrk from Debian's packages:

- **load**: `--duration` seconds at `--connections` connections on the article page, then on
  search (varied queries, so most reach Django and PostgreSQL): no 5xx, no socket errors.
- **redis**: a mixed load (article, home, searches) for 30 s; Redis is stopped at 10 s and
  started again at 20 s: the site keeps serving (no 5xx), the cache failing open.
- **postgres** (only with `--pg-restart`: it restarts the machine's PostgreSQL cluster, which
  other databases share): a mixed load for 30 s, a prober asking a page no cache holds every
  0.2 s, and three editors each saving an article in the admin every half second or so; at 10 s
  `pg_ctlcluster --skip-systemctl-redirect <version> main restart`. It measures the time from the
  restart's end to the first 200, and checks every save: either it committed (its text is in
  the article's history) or the editor was shown the form again with the text.

It prints a Markdown report (command, date, load average, figures, pass or fail per goal);
`--record` adds it to bench/RESULTS.md, newest first. Exit status 1 when a goal is missed.
"""

import argparse
import html.parser
import http.client
import http.cookies
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, RedisServer, free_port, loadavg, log

EDITOR = "faults-editor"
EDITOR_PASSWORD = "faults-run-" + "p" * 30
DESK_SLUG = "fault-run-desk-article"
EDITORS = 3  # editors saving at once, each on an article of their own
SAVE_FAILED = "The database could not be reached while saving"
SEARCH_WORDS = [
    "battery",
    "lithium",
    "sodium",
    "charging",
    "hydrogen",
    "range",
    "motorway",
    "recycling",
    "factory",
    "tariff",
    "dealer",
    "platform",
    "hybrid",
    "electric",
    "diesel",
    "petrol",
    "supply",
    "chain",
    "software",
    "recall",
    "van",
    "truck",
    "taxi",
    "bus",
    "subsidy",
    "grid",
    "solar",
    "cobalt",
    "nickel",
    "plant",
    "chip",
    "engine",
    "gearbox",
    "brake",
    "tyre",
    "safety",
    "crash",
    "emissions",
    "pricing",
    "lease",
    "fleet",
    "export",
    "import",
    "union",
    "strike",
]

WRK_SCRIPT = r"""
-- Rotates over the paths given after --, counts responses by status per thread. A path's
-- "RANDOM" becomes a new number each time (a URL no cache holds).
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  paths = args
  counter = math.random(1, #paths)
  statuses = {}
end
function request()
  counter = counter % #paths + 1
  local path = string.gsub(paths[counter], "RANDOM", tostring(math.random(1, 1000000000)))
  return wrk.format("GET", path)
end
function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("statuses")) do
      total[key] = (total[key] or 0) + count
    end
  end
  local parts = {}
  for key, count in pairs(total) do
    table.insert(parts, '"' .. key .. '": ' .. count)
  end
  io.write("STATUSES {" .. table.concat(parts, ", ") .. "}\n")
end
"""


# ---------------------------------------------------------------------------
# Processes


def django_env(options, redis_port, workdir):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "SITE_", "MEDIA_", "AWS_", "PAGE_CACHE"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="autotrendy.settings",
        DJANGO_SECRET_KEY="faults-only-" + "x" * 60,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=options.database_url,
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        MEDIA_ROOT=str(workdir / "media"),
        STATIC_ROOT=str(workdir / "static"),
        PYTHONUNBUFFERED="1",
    )
    if options.workers:
        env["WEB_CONCURRENCY"] = str(options.workers)
    return env


def manage(env, *args):
    log("manage.py " + " ".join(args))
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def build_database(options, env):
    import psycopg

    parts = urllib.parse.urlsplit(options.database_url)
    name = parts.path.lstrip("/")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "load_launch")
    manage(env, "seed_articles", "--count", str(options.articles), "--seed", "1")
    script = f"""
from django.contrib.auth.models import User
from articles.models import Article, Author
user = User.objects.create_superuser({EDITOR!r}, password={EDITOR_PASSWORD!r})
author = Author.objects.create(user=user, name="Fault Run", slug="fault-run")
for number in range({EDITORS}):
    Article.objects.create(title=f"The desk's article {{number}}", slug=f"{DESK_SLUG}-{{number}}",
                           standfirst="Edited during faults.", body="First version.", author=author)
"""
    subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script], cwd=ROOT, env=env, check=True
    )
    with psycopg.connect(options.database_url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
        article_path = connection.execute(
            "SELECT slug FROM articles_article WHERE status = 'published' ORDER BY published_at DESC LIMIT 1"
        ).fetchone()[0]
        desk_ids = [
            row[0]
            for row in connection.execute(
                "SELECT id FROM articles_article WHERE slug LIKE %s ORDER BY id", [f"{DESK_SLUG}-%"]
            )
        ]
    return f"/articles/{article_path}/", desk_ids


@contextmanager
def front(env, workdir):
    port = free_port()
    logfile = workdir / "front.log"
    with logfile.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "deploy/serve.py", "--port", str(port), "--run-dir", str(workdir / "run")],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while "(production setup) is at" not in logfile.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the front did not start; see {logfile}")
            time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()


# ---------------------------------------------------------------------------
# Load


def run_wrk(port, paths, *, seconds, options, workdir):
    """wrk over `paths` in rotation; the parsed figures and the statuses seen."""
    script = workdir / "rotate.lua"
    script.write_text(WRK_SCRIPT)
    command = [
        "wrk",
        "-t2",
        f"-c{options.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
        "--",
        *paths,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    return parse_wrk(completed.stdout + completed.stderr)


def parse_wrk(output):
    result = {"requests": 0, "rps": 0.0, "p50_ms": None, "p99_ms": None, "socket_errors": {}, "statuses": {}}
    if match := re.search(r"(\d+) requests in", output):
        result["requests"] = int(match[1])
    if match := re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE):
        result["rps"] = float(match[1])
    for percentile, key in (("50", "p50_ms"), ("99", "p99_ms")):
        if match := re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)", output, re.MULTILINE):
            result[key] = float(match[1]) * {"us": 0.001, "ms": 1, "s": 1000}[match[2]]
    if match := re.search(r"Socket errors: (.*)", output):
        result["socket_errors"] = {name: int(count) for name, count in re.findall(r"(\w+) (\d+)", match[1])}
    if match := re.search(r"STATUSES (\{.*\})", output):
        result["statuses"] = json.loads(match[1])
    result["server_errors"] = sum(count for status, count in result["statuses"].items() if int(status) >= 500)
    result["raw"] = output
    return result


def search_paths(count=40, seed=7):
    chooser = random.Random(seed)
    return [
        f"/search/?q={'+'.join(chooser.sample(SEARCH_WORDS, chooser.choice((1, 1, 2))))}"
        for _ in range(count)
    ]


class Prober(threading.Thread):
    """Sends a request for a page no cache holds (the article with a new query string each
    time) every `interval` s, without waiting for the previous one: (sent, answered, status)."""

    def __init__(self, port, path, interval=0.2):
        super().__init__(daemon=True)
        self.port, self.path, self.interval = port, path, interval
        self.results = []
        self.stopping = threading.Event()
        self.requests = []

    def probe(self, number):
        started = time.time()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            connection.request("GET", f"{self.path}?probe={number}x{random.randrange(10**6)}")
            status = connection.getresponse().status
            connection.close()
        except OSError as error:
            status = type(error).__name__
        self.results.append((started, time.time(), status))

    def run(self):
        number = 0
        while not self.stopping.is_set():
            number += 1
            request = threading.Thread(target=self.probe, args=(number,), daemon=True)
            request.start()
            self.requests.append(request)
            time.sleep(self.interval)
        for request in self.requests:
            request.join(20)
        self.results.sort()

    def latency_ms(self):
        times = sorted((end - start) * 1000 for start, end, status in self.results if status == 200)
        return times[len(times) // 2] if times else None


# ---------------------------------------------------------------------------
# The editor at the desk


class FormParser(html.parser.HTMLParser):
    """The fields of the admin's change form (id="article_form"), as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.fields, self.inside, self.textarea, self.select, self.select_multiple = (
            [],
            False,
            None,
            None,
            False,
        )

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "article_form":
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind in ("submit", "button", "file", "image"):
                return
            self.fields.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name:
            self.textarea = [name, ""]
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields.append((self.select, attrs.get("value", "")))

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea[0], self.textarea[1].removeprefix("\n")))
            self.textarea = None
        elif tag == "select":
            self.select = None


class Browser:
    def __init__(self, port):
        self.port, self.cookies = port, {}

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = dict(headers or {})
        headers["Cookie"] = "; ".join(f"{key}={value}" for key, value in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        return response.status, text

    def post(self, path, fields):
        fields = [*fields, ("csrfmiddlewaretoken", self.cookies.get("csrftoken", ""))]
        return self.request(
            "POST",
            path,
            urllib.parse.urlencode(fields),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}{path}",
                "Origin": f"http://127.0.0.1:{self.port}",
            },
        )


class Editor(threading.Thread):
    """Opens the article's change form, rewrites the body with a new marker, saves; again and again."""

    def __init__(self, port, article_id, interval=0.2):
        super().__init__(daemon=True)
        self.browser = Browser(port)
        self.url = f"/admin/articles/article/{article_id}/change/"
        self.interval = interval
        self.saves = []  # (marker, started, status, outcome)
        self.form_failures = 0
        self.stopping = threading.Event()

    def log_in(self):
        self.browser.request("GET", "/admin/login/")
        status, text = self.browser.post(
            "/admin/login/?next=/admin/",
            [("username", EDITOR), ("password", EDITOR_PASSWORD), ("next", "/admin/")],
        )
        if status != 302:
            raise SystemExit(f"the editor could not log in ({status}): {text[:500]}")

    def run(self):
        number = 0
        while not self.stopping.is_set():
            try:
                status, page = self.browser.request("GET", self.url)
            except OSError:
                status, page = 0, ""
            if status != 200:
                self.form_failures += 1  # nothing typed yet: nothing to lose
                time.sleep(self.interval)
                continue
            parser = FormParser()
            parser.feed(page)
            number += 1
            marker = f"fault-save-{number:05d}-{random.randrange(10**9):09d}"
            fields = [
                (name, value) for name, value in parser.fields if name not in ("body", "csrfmiddlewaretoken")
            ]
            fields += [("body", f"A paragraph the editor typed.\n\n{marker}"), ("_continue", "Save")]
            started = time.time()
            try:
                status, text = self.browser.post(self.url, fields)
            except OSError as error:
                status, text = type(error).__name__, ""
            if status == 302:
                outcome = "committed"
            elif status == 200 and SAVE_FAILED in text and marker in text:
                outcome = "shown again with the text"
            elif status == 503 and marker in text:
                outcome = "kept on the retry page"
            elif status == 200 and marker in text:
                outcome = "form with an error, text kept"
            else:
                outcome = "LOST"
            self.saves.append((marker, started, status, outcome))
            time.sleep(self.interval)


def committed_markers(database_url, markers):
    import psycopg

    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT body FROM articles_historicalarticle WHERE slug LIKE %s", [f"{DESK_SLUG}-%"]
        ).fetchall()
    history = "\n".join(body for (body,) in rows)
    return {marker for marker in markers if marker in history}


# ---------------------------------------------------------------------------
# Phases


def phase_load(port, paths, options, workdir):
    results = {}
    runs = (
        ("article", [paths["article"]]),
        ("search", paths["search"]),
        ("search-uncached", [f"{path}&r=RANDOM" for path in paths["search"]]),
    )
    for name, targets in runs:
        log(f"load: {options.duration} s at {options.connections} connections on {name}")
        results[name] = run_wrk(port, targets, seconds=options.duration, options=options, workdir=workdir)
        results[name]["loadavg"] = loadavg()
    return results


def mixed(paths):
    return [paths["article"], "/", *paths["search"][:20]]


def phase_redis(port, paths, options, workdir, redis):
    prober = Prober(port, paths["article"])
    prober.start()
    timeline = {}

    def fault():
        time.sleep(10)
        timeline["stopped"] = time.time()
        log("redis: stopping redis-server")
        redis.stop()
        time.sleep(10)
        log("redis: starting redis-server again")
        redis.start()
        timeline["started"] = time.time()

    faulter = threading.Thread(target=fault, daemon=True)
    faulter.start()
    log(f"redis: 30 s of mixed load at {options.connections} connections")
    result = run_wrk(port, mixed(paths), seconds=30, options=options, workdir=workdir)
    faulter.join()
    prober.stopping.set()
    prober.join()
    down = [r for r in prober.results if timeline["stopped"] <= r[0] < timeline["started"]]
    result["probes_while_down"] = len(down)
    result["probe_failures_while_down"] = sum(1 for r in down if r[2] != 200)
    result["probe_failures"] = sum(1 for r in prober.results if r[2] != 200)
    result["loadavg"] = loadavg()
    return result


def phase_postgres(port, paths, options, workdir, desk_ids):
    editors = [Editor(port, desk_id, interval=0.5) for desk_id in desk_ids]
    for editor in editors:
        editor.log_in()
    prober = Prober(port, paths["article"])
    timeline = {}

    def fault():
        time.sleep(10)
        version, cluster = options.pg_cluster.split()
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", "-m", "fast", version, cluster, "restart"]
        if options.pg_restart_command:
            command = ["sh", "-c", options.pg_restart_command]
        log("postgres: " + " ".join(command))
        timeline["restart_started"] = time.time()
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
        )
        timeline["restart_finished"] = time.time()
        timeline["restart_output"] = (completed.stdout + completed.stderr).strip()
        timeline["restart_status"] = completed.returncode

    prober.start()
    for editor in editors:
        editor.start()
    faulter = threading.Thread(target=fault, daemon=True)
    faulter.start()
    log(f"postgres: 30 s of mixed load at {options.connections} connections, editors saving")
    result = run_wrk(port, mixed(paths), seconds=30, options=options, workdir=workdir)
    faulter.join()
    time.sleep(2)  # the last saves finish
    for thread in (prober, *editors):
        thread.stopping.set()
        thread.join()

    started, finished = timeline["restart_started"], timeline["restart_finished"]
    probes = prober.results
    failed = [r for r in probes if r[0] >= started - 1 and r[2] != 200]
    after = [r for r in probes if r[0] >= finished and r[2] == 200]
    # Serving again: from the first request sent after the last failed one, every answer is a 200.
    last_failure_sent = failed[-1][0] if failed else None
    back = next((r for r in probes if last_failure_sent and r[0] > last_failure_sent and r[2] == 200), None)
    if not failed:
        recovery = 0.0
    elif back is None:
        recovery = None
    else:
        recovery = max(0.0, back[0] - finished)
    result.update(
        restart_s=finished - started,
        restart_status=timeline["restart_status"],
        restart_output=timeline["restart_output"],
        recovery_s=recovery,
        first_200_after_restart_s=(after[0][1] - finished) if after else None,
        failing_window_s=(failed[-1][0] - failed[0][0]) if failed else 0.0,
        probe_failures=len(failed),
        probes=len(probes),
        probe_median_ms=prober.latency_ms(),
        probe_statuses=sorted({str(r[2]) for r in failed}),
    )
    saves = sorted(save for editor in editors for save in editor.saves)
    markers = [save[0] for save in saves if save[3] == "committed"]
    in_history = committed_markers(options.database_url, markers)
    outcomes = {}
    for marker, _, _, outcome in saves:
        if outcome == "committed" and marker not in in_history:
            outcome = "LOST (302 but not in history)"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    during = [s for s in saves if started - 1 <= s[1] <= finished + 2]
    result.update(
        saves=len(saves),
        save_outcomes=outcomes,
        saves_during_restart=len(during),
        saves_during_restart_outcomes=sorted({s[3] for s in during}),
        form_failures=sum(editor.form_failures for editor in editors),
        lost_saves=sum(count for outcome, count in outcomes.items() if outcome.startswith("LOST")),
        loadavg=loadavg(),
    )
    return result


# ---------------------------------------------------------------------------
# Report


def wrk_row(name, result):
    errors = sum(result["socket_errors"].values())
    return (
        f"| {name} | {result['requests']:,} | {result['rps']:,.0f} | {fmt_ms(result['p50_ms'])} | "
        f"{fmt_ms(result['p99_ms'])} | {result['server_errors']} | {errors} | "
        f"{', '.join(f'{k}: {v:,}' for k, v in sorted(result['statuses'].items()))} | {result['loadavg']} |"
    )


def fmt_s(value):
    return "never" if value is None else f"{value:.2f} s"


def fmt_ms(value):
    return "n/a" if value is None else f"{value:,.1f}"


def report(options, results, started_at, load_start, context):
    lines = [
        f"## {started_at:%Y-%m-%d}: Under load and faults (bench/faults.py)",
        "",
        f"- Command: `{' '.join(['bench/faults.py', *sys.argv[1:]])}`",
        f"- Date: {started_at:%Y-%m-%d %H:%M:%S} to {datetime.now(UTC):%H:%M:%S} (UTC)",
        f"- Load average (1, 5, 15 min) at start: {load_start}; at end: {loadavg()} ({os.cpu_count()} CPUs)",
        (
            f"- Setup: deploy/serve.py (nginx in front of gunicorn, {context['workers']} sync workers), "
            f"PostgreSQL database of {options.articles + 2:,} published articles, its own redis-server "
            f"(page cache and cache), wrk -t2 -c{options.connections} --timeout 10s; code at {context['commit']}"
        ),
        "",
    ]
    goals = []
    table_head = [
        "| run | requests | req/s | p50 ms | p99 ms | 5xx | socket errors | statuses | load at end |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    if "load" in results:
        lines += [f"### {options.duration} s at {options.connections} connections", "", *table_head]
        for name, result in results["load"].items():
            label = {
                "article": "article (one URL)",
                "search": "search (40 queries in turn)",
                "search-uncached": "search, every URL new (no cache answers)",
            }[name]
            lines.append(wrk_row(label, result))
            clean = result["server_errors"] == 0 and not sum(result["socket_errors"].values())
            goals.append((f"{name}: no 5xx and no socket errors", clean))
        lines.append("")
    if "redis" in results:
        result = results["redis"]
        lines += [
            "### Redis stopped mid-load (at 10 s, started again at 20 s)",
            "",
            *table_head,
            wrk_row("mixed: article, home, 20 searches", result),
            "",
            (
                f"Prober (the article with a new query string every 0.2 s, no cache can answer it): {result['probes_while_down']} requests "
                f"while Redis was down, {result['probe_failures_while_down']} failed; "
                f"{result['probe_failures']} failed over the whole run."
            ),
            "",
        ]
        goals.append(
            (
                "Redis down: no 5xx, no socket errors",
                result["server_errors"] == 0
                and not sum(result["socket_errors"].values())
                and result["probe_failures"] == 0,
            )
        )
    if "postgres" in results:
        result = results["postgres"]
        first = result["first_200_after_restart_s"]
        lines += [
            f"### PostgreSQL restarted mid-load (`pg_ctlcluster ... {options.pg_cluster} restart` at 10 s)",
            "",
            *table_head,
            wrk_row("mixed: article, home, 20 searches", result),
            "",
            f"- The restart took {result['restart_s']:.2f} s (exit {result['restart_status']}).",
            (
                f"- Prober (the article with a new query string every 0.2 s, {result['probes']} in all, median answer "
                f"{fmt_ms(result['probe_median_ms'])} ms under this load): {result['probe_failures']} failed "
                f"({', '.join(result['probe_statuses']) or 'none'}), sent within "
                f"{result['failing_window_s']:.2f} s. **Serving again {fmt_s(result['recovery_s'])} after "
                f"the restart ended** (every request sent from then on got a 200); the first 200 after the "
                f"restart's end arrived {fmt_s(first)} after it (its time in the queue included)."
            ),
            (
                f"- Admin saves: {result['saves']} ({', '.join(f'{k}: {v}' for k, v in sorted(result['save_outcomes'].items()))}); "
                f"{result['saves_during_restart']} in flight around the restart "
                f"({', '.join(result['saves_during_restart_outcomes']) or 'none'}); "
                f"{result['form_failures']} times the change form itself could not be opened (nothing typed yet). "
                f"**Lost saves: {result['lost_saves']}.**"
            ),
            "",
        ]
        recovered = result["recovery_s"]
        goals.append(
            ("PostgreSQL restart: serving again within 2 s", recovered is not None and recovered < 2)
        )
        goals.append(("PostgreSQL restart: no lost admin save", result["lost_saves"] == 0))
    lines += ["### Goals", "", *[f"- {'✅' if ok else '❌'} {goal}" for goal, ok in goals], ""]
    return "\n".join(lines), all(ok for _, ok in goals)


def record(section):
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text()
    index = text.index("\n## ") + 1
    path.write_text(text[:index] + section + "\n" + text[index:])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phases", default="load,redis,postgres")
    parser.add_argument("--duration", type=int, default=60, help="seconds per load run (default 60)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--articles", type=int, default=10_000, help="articles seeded (default 10,000)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: deploy/gunicorn.conf.py's)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/at_faults")
    parser.add_argument(
        "--pg-restart",
        action="store_true",
        help="allow the postgres phase: restarts the PostgreSQL cluster that other databases share",
    )
    parser.add_argument(
        "--pg-restart-command",
        help="run this instead of the restart, to try the phase's machinery (e.g. 'sleep 1')",
    )
    parser.add_argument(
        "--pg-cluster", default=None, help='"<version> <name>" (default: the first of pg_lsclusters)'
    )
    parser.add_argument("--record", action="store_true", help="add the report to bench/RESULTS.md")
    options = parser.parse_args(argv)
    phases = [phase.strip() for phase in options.phases.split(",") if phase.strip()]
    if "postgres" in phases and not options.pg_restart:
        log("skipping the postgres phase: it restarts the shared PostgreSQL cluster; pass --pg-restart")
        phases.remove("postgres")
    for tool in ("wrk", "redis-server"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install {tool})")
    if options.pg_cluster is None:
        first = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=False)
        options.pg_cluster = " ".join(first.stdout.split()[:2]) or "15 main"

    started_at, load_start = datetime.now(UTC), loadavg()
    workdir = Path(tempfile.mkdtemp(prefix="autotrendy-faults-"))
    redis = RedisServer(workdir)
    redis.start()
    try:
        env = django_env(options, redis.port, workdir)
        article, desk_ids = build_database(options, env)
        paths = {"article": article, "search": search_paths()}
        default_workers = re.search(
            r'"WEB_CONCURRENCY", "(\d+)"', (ROOT / "deploy/gunicorn.conf.py").read_text()
        )
        context = {
            "workers": env.get("WEB_CONCURRENCY") or default_workers[1],
            "commit": subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
            ).stdout.strip(),
        }
        results = {}
        with front(env, workdir) as port:
            for path in (article, *paths["search"], "/"):  # warm up: every page once
                Browser(port).request("GET", path)
            if "load" in phases:
                results["load"] = phase_load(port, paths, options, workdir)
            if "redis" in phases:
                results["redis"] = phase_redis(port, paths, options, workdir, redis)
            if "postgres" in phases:
                results["postgres"] = phase_postgres(port, paths, options, workdir, desk_ids)
    finally:
        redis.stop()
    section, passed = report(options, results, started_at, load_start, context)
    (workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print(section)
    log(f"raw results and logs in {workdir}")
    if options.record:
        record(section)
        log("added to bench/RESULTS.md")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
