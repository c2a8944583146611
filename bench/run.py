"""Reader-page benchmark: latency and queries of the pages readers hit most.

    .venv/bin/python bench/run.py [--articles 200] [--requests 200]

Builds a throwaway SQLite database (or uses DATABASE_URL) with the launch fixtures plus
N generated published articles, then requests each page through Django's test client
in-process (no network) and reports median and 95th-percentile time, database queries
per request, and peak Python memory. Results are printed as a Markdown table.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="autotrendy-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autotrendy.settings")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    os.environ["MEDIA_ROOT"] = workdir

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from articles.models import Article, Author, Topic

    setup_test_environment()
    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    settings.STATIC_ROOT = workdir
    call_command("migrate", verbosity=0)
    call_command("loaddata", "launch", verbosity=0)
    author = Author.objects.get(slug="daniel-andzhurov")
    reviewer = Author.objects.get(slug="asaf-kedem")
    topics = list(Topic.objects.all())
    body = "\n\n".join(["Electric vehicles, batteries and the road ahead. " * 12] * 8)
    now = timezone.now()
    for number in range(args.articles):
        article = Article(
            title=f"Generated article {number}",
            slug=f"generated-{number}",
            standfirst="A generated article.",
            body=body,
            author=author,
            reviewer=reviewer,
            status=Article.Status.PUBLISHED,
            published_at=now - timedelta(hours=number + 1),
        )
        article.save()
        article.topics.set(topics[: 1 + number % len(topics)])

    pages = {
        "home": "/",
        "home page 5": "/?page=5",
        "article": "/articles/renault-nissan-mitsubishi-alliance-from-start-to-future/",
        "topic": f"/topics/{topics[0].slug}/",
        "author": "/authors/daniel-andzhurov/",
        "search": "/search/?q=battery",
    }
    client = Client()
    rows = []
    tracemalloc.start()
    for name, url in pages.items():
        client.get(url)  # warm up
        timings = []
        queries = []
        with connection.execute_wrapper(
            lambda execute, sql, *rest, queries=queries: queries.append(sql) or execute(sql, *rest)
        ):
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        for _ in range(args.requests):
            start = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        rows.append(
            (name, url, statistics.median(timings), timings[int(len(timings) * 0.95) - 1], len(queries))
        )
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024

    print(
        f"{args.articles + 2} published articles, {args.requests} requests per page, "
        f"{connection.vendor}, Python {sys.version.split()[0]}\n"
    )
    print("| page | URL | median ms | p95 ms | queries |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name, url, median, p95, count in rows:
        print(f"| {name} | `{url}` | {median:.1f} | {p95:.1f} | {count} |")
    print(f"\nPeak Python memory while serving (tracemalloc): {peak:.1f} MiB")


if __name__ == "__main__":
    main()
