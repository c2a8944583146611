"""Child process: serve reader pages in-process with Django's test client (no network,
DEBUG off) from the database in DATABASE_URL, and report what each page costs.

    python -m bench.inprocess --pages article,home --requests 50 --rounds 5 --json OUT
    python -m bench.inprocess --profile article --requests 50 --profile-dir DIR

Measure mode: after a warm-up, pages are requested in interleaved rounds (A B C A B C ...)
so that a burst of load on the machine hits every page alike; per page it reports the
median and 95th-percentile time, the SQL time, the queries of one request and the size.
With --requests 0 it only resolves the pages' URLs.

Profile mode: pyinstrument over N requests of one page; writes a call tree (.txt), the
functions by self time (-flat.txt), the interactive profile (.html) and the SQL statements
by time (-sql.txt, from a second series of N requests without the profiler).
"""

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

from .pages import LABELS, discover, parse_keys

WARMUP = 3


def setup():
    import django

    django.setup()
    from django.test import Client

    return Client()


def database_description():
    import sqlite3

    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    if connection.vendor == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    return connection.vendor


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list."""
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]


class SQLTimer:
    """A connection.execute_wrapper that counts queries and adds up their time."""

    def __init__(self):
        self.queries = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


def measure(client, urls, requests, rounds, budget_s=120):
    from django.db import connection

    results = {}
    live = {}
    for key, (url, note) in urls.items():
        entry = {"label": LABELS[key], "url": url, "note": note}
        results[key] = entry
        if url is None:
            continue
        for _ in range(WARMUP):
            response = client.get(url)
        entry["status"] = response.status_code
        body = b"".join(response) if response.streaming else response.content
        entry["bytes"] = len(body)
        if response.status_code != 200:
            entry["note"] = (note + "; " if note else "") + f"HTTP {response.status_code}, not measured"
            continue
        timer = SQLTimer()
        with connection.execute_wrapper(timer):
            client.get(url)
        entry["queries"] = timer.queries
        live[key] = {"ms": [], "sql_ms": []}

    if requests:
        per_round = [requests // rounds + (1 if index < requests % rounds else 0) for index in range(rounds)]
        for number, count in enumerate(per_round, 1):
            for key, samples in live.items():
                url = results[key]["url"]
                for index in range(count):
                    # A page that has used its share of the time budget by now takes one
                    # sample per round only: a 20-second page must not hold the run for hours.
                    if index and sum(samples["ms"]) > budget_s * 1000 * number / len(per_round):
                        break
                    timer = SQLTimer()
                    with connection.execute_wrapper(timer):
                        started = time.perf_counter()
                        client.get(url)
                        elapsed = time.perf_counter() - started
                    samples["ms"].append(elapsed * 1000)
                    samples["sql_ms"].append(timer.seconds * 1000)

    for key, samples in live.items():
        if not samples["ms"]:
            continue
        if len(samples["ms"]) < requests:
            note = results[key]["note"]
            results[key]["note"] = (note + "; " if note else "") + (
                f"{len(samples['ms'])} requests (time budget of {budget_s:g} s)"
            )
        summarise(results[key], samples["ms"], samples["sql_ms"])
    return results


def summarise(entry, ms, sql_ms):
    """Put the figures of a page's timed requests into its `entry` (and the samples, so that
    runs of the same page in several processes can be put together: `combine`)."""
    ordered = sorted(ms)
    entry.update(
        n=len(ordered),
        median_ms=statistics.median(ordered),
        p95_ms=percentile(ordered, 0.95),
        min_ms=ordered[0],
        max_ms=ordered[-1],
        sql_median_ms=statistics.median(sql_ms),
        samples_ms=list(ms),
        sql_samples_ms=list(sql_ms),
    )


def combine(runs):
    """One process's report from several (`measure` in each, on the same database): every
    page's samples together, its figures worked out from all of them."""
    combined = json.loads(json.dumps(runs[0]))
    for key, entry in combined.get("pages", {}).items():
        ms = [value for run in runs for value in run["pages"][key].get("samples_ms", [])]
        sql_ms = [value for run in runs for value in run["pages"][key].get("sql_samples_ms", [])]
        if ms:
            summarise(entry, ms, sql_ms)
    return combined


def profile(client, key, url, requests, directory, stem):
    from pyinstrument import Profiler

    for _ in range(WARMUP):
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: nothing to profile")
    profiler = Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()
    started = time.perf_counter()
    for _ in range(requests):
        client.get(url)
    elapsed = time.perf_counter() - started
    profiler.stop()
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "tree": directory / f"{stem}.txt",
        "flat": directory / f"{stem}-flat.txt",
        "html": directory / f"{stem}.html",
    }
    files["tree"].write_text(profiler.output_text(unicode=True, color=False))
    files["flat"].write_text(profiler.output_text(unicode=True, color=False, flat=True))
    files["html"].write_text(profiler.output_html())
    # The statements, timed apart from the profiler (its sampling would inflate them).
    statements = StatementLog()
    from django.db import connection

    with connection.execute_wrapper(statements):
        for _ in range(requests):
            client.get(url)
    slowest = statements.slowest(requests)
    files["sql"] = directory / f"{stem}-sql.txt"
    files["sql"].write_text(
        "\n\n".join(
            f"{row['ms_per_request']:.2f} ms/request, {row['calls_per_request']:g} call(s)/request\n{row['sql']}"
            for row in slowest
        )
        + "\n"
    )
    return {
        "page": key,
        "url": url,
        "requests": requests,
        "ms_per_request": elapsed * 1000 / requests,
        "files": {name: str(path) for name, path in files.items()},
        "by_package": self_time_by_package(profiler.last_session.root_frame()),
        "sql": slowest,
    }


class StatementLog:
    """An execute_wrapper that adds up time per SQL statement (parameters left out)."""

    def __init__(self):
        self.statements = {}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            calls, seconds = self.statements.get(sql, (0, 0.0))
            self.statements[sql] = (calls + 1, seconds + time.perf_counter() - started)

    def slowest(self, requests, limit=10):
        rows = sorted(self.statements.items(), key=lambda item: -item[1][1])[:limit]
        return [
            {"sql": sql, "calls_per_request": calls / requests, "ms_per_request": seconds * 1000 / requests}
            for sql, (calls, seconds) in rows
        ]


PACKAGES = (
    # (marker in the file path, bucket); the first match wins.
    ("/psycopg", "database (driver and server)"),
    ("/django/db/backends/", "database (driver and server)"),
    ("/sqlite3/", "database (driver and server)"),
    ("/django/db/", "Django ORM (building queries, making objects)"),
    ("/django/template/", "Django templates"),
    ("/django/urls/", "Django URL reversing"),
    ("/django/", "Django (other)"),
    ("/articles/", "the app (articles/)"),
    ("/markdown/", "Markdown"),
)


def self_time_by_package(root):
    """Share of the self time by where the code lives. Time in C functions and pyinstrument's
    `[self]` entries counts for the Python file that called them."""
    buckets = {}

    def bucket(path):
        path = path.replace("\\", "/")
        return next((name for marker, name in PACKAGES if marker in path), "other")

    def walk(frame, inherited):
        path = frame.file_path if frame.file_path and not frame.file_path.startswith("<") else inherited
        own = max(0.0, frame.time - sum(child.time for child in frame.children))
        if own:
            name = bucket(path or "")
            buckets[name] = buckets.get(name, 0.0) + own
        for child in frame.children:
            walk(child, path)

    if root is not None:
        walk(root, "")
    total = sum(buckets.values()) or 1.0
    return {
        name: round(100 * seconds / total, 1)
        for name, seconds in sorted(buckets.items(), key=lambda i: -i[1])
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", default="")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--budget", type=float, default=120, help="seconds of timed requests per page, at most"
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--profile", metavar="PAGE")
    parser.add_argument("--profile-dir", type=Path)
    parser.add_argument("--profile-stem", default="profile")
    args = parser.parse_args()

    client = setup()
    from django import get_version

    from articles.models import Article

    info = {
        "database": database_description(),
        "django": get_version(),
        "python": sys.version.split()[0],
        "published": Article.objects.published().count(),
    }
    if args.profile:
        key = parse_keys(args.profile)[0]
        url, note = discover(client, [key])[key]
        if url is None:
            raise SystemExit(f"no URL for {key}: {note}")
        info["profile"] = profile(client, key, url, args.requests, args.profile_dir, args.profile_stem)
    else:
        urls = discover(client, parse_keys(args.pages))
        rounds = max(1, min(args.rounds, args.requests or 1))
        info["pages"] = measure(client, urls, args.requests, rounds, budget_s=args.budget)
    text = json.dumps(info, indent=1)
    if args.json:
        args.json.write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
