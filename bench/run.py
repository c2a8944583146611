"""Reader benchmark: what every reader page costs from 2 to 100,000 articles, in-process
and over HTTP, on SQLite and PostgreSQL, against the goals of issue 8.

    .venv/bin/python bench/run.py [--sizes 2,10000,100000] [--db sqlite,postgresql]
                                  [--http [--peer] [--front URL] [--cached-env K=V ...]]
    .venv/bin/python bench/run.py --profile article --size 10000 --db postgresql

See bench/README.md. Seeded databases are cached (see bench/databases.py); the report
goes to bench/out/ (and, with --record, to the end of bench/RESULTS.md), the plot to
bench/scaling.png.
"""

import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import databases, httpbench, report
from bench.common import (
    BENCH_DIR,
    CACHE_DIR,
    LAUNCH_SIZE,
    OUT_DIR,
    loadavg,
    log,
    parse_env_pairs,
    run_django,
)
from bench.inprocess import combine
from bench.pages import KEYS, parse_keys

DB_ALIASES = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql", "pg": "postgresql"}
HTTP_PAGES = "article,home,home-500,search-common,search-rare"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Reader-page benchmark (issue 8): in-process, HTTP, plot and profiles.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    what = parser.add_argument_group("what to measure")
    what.add_argument(
        "--sizes", default="2,10000,100000", help="article counts (2: the launch articles only)"
    )
    what.add_argument("--db", default="sqlite,postgresql", help="sqlite and/or postgresql")
    what.add_argument("--pages", default=",".join(KEYS), help="in-process pages")
    what.add_argument("--requests", type=int, default=50, help="in-process requests per page")
    what.add_argument("--rounds", type=int, default=5, help="in-process interleaved rounds")
    what.add_argument(
        "--budget",
        type=float,
        default=120,
        help="seconds of timed requests per page and run, at most (a slow page then gets one per round)",
    )
    what.add_argument("--no-inprocess", action="store_true", help="skip the in-process figures")
    what.add_argument(
        "--env",
        action="append",
        metavar="KEY=VALUE",
        help="extra environment of the project "
        "(in-process and the uncached gunicorn), e.g. a switch that turns the page cache off",
    )

    http = parser.add_argument_group("HTTP (wrk)")
    http.add_argument("--http", action="store_true", help="also measure over HTTP with wrk")
    http.add_argument("--http-sizes", help="sizes for the HTTP part (default: every size of --sizes)")
    http.add_argument("--http-pages", default=HTTP_PAGES, help="project pages measured over HTTP")
    http.add_argument(
        "--peer", action="store_true", help=f"Wagtail side by side (sizes up to {httpbench.PEER_MAX_SIZE:,})"
    )
    http.add_argument("--peer-harness", type=Path, default=httpbench.PEER_HARNESS)
    http.add_argument(
        "--cache-hits",
        action="store_true",
        help="start a second gunicorn with the page cache on (BENCH_PAGE_CACHE=on) and measure hits",
    )
    http.add_argument(
        "--serve-front",
        action="store_true",
        help="start deploy/serve.py (nginx in front of gunicorn, page cache on) on the benchmark's "
        "database and measure the article and home page through it",
    )
    http.add_argument(
        "--cached-env",
        action="append",
        metavar="KEY=VALUE",
        help="environment of the cache-hit server and the front (implies --cache-hits), "
        "e.g. REDIS_URL=redis://127.0.0.1:6379/5",
    )
    http.add_argument(
        "--front",
        metavar="URL",
        help="an nginx front already running (e.g. `make serve`): "
        "measure the article and home page through it",
    )
    http.add_argument(
        "--target",
        action="append",
        metavar="NAME=URL",
        help="any other URL; {article}, {home}, ... are the pages' paths, {project} and "
        "{cached} the gunicorn base URLs",
    )
    http.add_argument("--duration", default="10s")
    http.add_argument("--warmup", default="2s")
    http.add_argument("--http-rounds", type=int, default=3)
    http.add_argument("--threads", type=int, default=2)
    http.add_argument("--connections", type=int, default=16)

    prof = parser.add_argument_group("profiling (instead of the benchmark)")
    prof.add_argument(
        "--profile",
        metavar="PAGE",
        action="append",
        help=f"pyinstrument over --requests requests of this page (one of {', '.join(KEYS)}); repeatable",
    )
    prof.add_argument("--size", type=int, default=10_000, help="the size to profile at")

    out = parser.add_argument_group("databases and output")
    out.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    out.add_argument("--seed", type=int, default=1, help="seed_articles --seed")
    out.add_argument("--reseed", action="store_true", help="seed afresh even when a cached database exists")
    out.add_argument(
        "--drop-cached", action="store_true", help="drop every cached benchmark database and exit"
    )
    out.add_argument("--out", type=Path, default=OUT_DIR, help="report, JSON and raw outputs")
    out.add_argument("--plot", type=Path, default=BENCH_DIR / "scaling.png")
    out.add_argument(
        "--record", action="store_true", help="add the report to bench/RESULTS.md (newest first)"
    )
    out.add_argument("--title", help="heading of the report")
    out.add_argument("--from-json", type=Path, help="only render the report and plot of an earlier run")
    args = parser.parse_args(argv)

    args.databases = []
    for name in args.db.split(","):
        if name.strip().lower() not in DB_ALIASES:
            parser.error(f"unknown database {name!r}: sqlite or postgresql")
        args.databases.append(DB_ALIASES[name.strip().lower()])
    try:
        args.size_list = sorted({int(size) for size in args.sizes.split(",")})
        args.http_size_list = (
            sorted({int(size) for size in args.http_sizes.split(",")}) if args.http_sizes else args.size_list
        )
    except ValueError:
        parser.error("sizes are comma-separated whole numbers")
    if any(size < LAUNCH_SIZE for size in args.size_list):
        parser.error(f"the smallest size is {LAUNCH_SIZE} (the launch articles)")
    args.page_keys = parse_keys(args.pages)
    args.http_page_keys = parse_keys(args.http_pages)
    args.env_extra = parse_env_pairs(args.env)
    args.cached_env_extra = {"BENCH_PAGE_CACHE": "on", **parse_env_pairs(args.cached_env)}
    args.cache_hits = args.cache_hits or bool(args.cached_env)
    args.targets = []
    for item in args.target or []:
        name, sep, url = item.partition("=")
        if not sep:
            parser.error(f"--target wants NAME=URL, got {item!r}")
        args.targets.append((name, url))
    return args


def git_description():
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return head + (" with uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def now():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def collect_static():
    """Static files for the hashed-manifest storage, once per run (into the cache dir)."""
    log("collectstatic")
    run_django(["manage.py", "collectstatic", "--noinput", "--clear", "-v", "0"], "sqlite:///:memory:")


def inprocess(database_url, args, *, pages, requests, workdir, rounds=None, budget=None):
    output = Path(workdir) / "inprocess.json"
    run_django(
        [
            "-m",
            "bench.inprocess",
            "--pages",
            ",".join(pages),
            "--requests",
            str(requests),
            "--rounds",
            str(rounds or args.rounds),
            "--budget",
            str(budget or args.budget),
            "--json",
            str(output),
        ],
        database_url,
        args.env_extra,
    )
    return json.loads(output.read_text())


def inprocess_by_size(databases_by_size, args, workdir):
    """The in-process figures of every size of one database, {size: report}, measured round
    by round across the sizes (2, 10,000, 100,000, then back: 100,000, 10,000, 2, ...), one
    process per size and round, so that a change in the machine's load over the minutes of a
    run weighs on every size alike: the ratios between sizes are the point."""
    sizes = list(databases_by_size)
    rounds = max(1, min(args.rounds, args.requests or 1))
    per_round = [
        args.requests // rounds + (1 if index < args.requests % rounds else 0) for index in range(rounds)
    ]
    reports = {size: [] for size in sizes}
    for number, count in enumerate(per_round):
        for size in sizes if number % 2 == 0 else sizes[::-1]:
            log(f"  round {number + 1} of {rounds}: {size:,} articles")
            reports[size].append(
                inprocess(
                    databases_by_size[size],
                    args,
                    pages=args.page_keys,
                    requests=count,
                    workdir=workdir,
                    rounds=1,
                    budget=args.budget / rounds,
                )
            )
    return {size: combine(runs) for size, runs in reports.items()}


def peer_targets(run, args, stack):
    """Wagtail side by side: on the run's own engine (on PostgreSQL, a database of its own on
    the same server), and in a PostgreSQL run also its article on SQLite, as measured before."""
    if run["size"] > httpbench.PEER_MAX_SIZE:
        log(f"no peer at {run['size']:,} articles (building it takes hours)")
        return []
    engines = [("sqlite", None)] if run["db"] == "sqlite" else [("postgresql", args.pg_url), ("sqlite", None)]
    targets = []
    for engine, pg_url in engines:
        try:
            peer, paths = stack.enter_context(
                httpbench.peer_server(run["size"], args.peer_harness, pg_url=pg_url)
            )
        except (OSError, subprocess.CalledProcessError, KeyError) as error:
            log(f"peer on {engine} unavailable, measured without it: {error}")
            continue
        if engine != run["db"]:
            targets.append(
                httpbench.Target(
                    "Wagtail article (SQLite)", peer + paths["ARTICLE_PATH"], "peer-sqlite", "article"
                )
            )
            continue
        on = " (PostgreSQL)" if engine == "postgresql" else ""
        targets += [
            httpbench.Target(f"Wagtail article{on}", peer + paths["ARTICLE_PATH"], "peer", "article"),
            httpbench.Target(f"Wagtail index page 1{on}", peer + paths["INDEX_PATH"], "peer", "home"),
            httpbench.Target(
                f"Wagtail search “Renault”{on}", peer + "/search/?query=Renault", "peer", "search-rare"
            ),
        ]
    return targets


def http_run(run, database_url, args, rawdir):
    """Start the servers for one database and size, build the targets, measure them."""
    pages = run["inprocess"]["pages"]
    paths = {key: page["url"] for key, page in pages.items() if page.get("url")}
    Target = httpbench.Target
    with ExitStack() as stack:
        project = stack.enter_context(httpbench.gunicorn(database_url, args.env_extra, logdir=rawdir))
        status, article_html = httpbench.fetch(project + paths["article"])
        if status != 200:
            raise RuntimeError(f"the article answered {status} under gunicorn")
        nginx = stack.enter_context(httpbench.static_nginx({paths["article"]: article_html}))
        targets = [Target("nginx, same article bytes", nginx + paths["article"], "nginx", "article")]
        targets += [
            Target(f"Auto Trendy {report.LABELS[key]}", project + paths[key], "project", key)
            for key in args.http_page_keys
            if key in paths
        ]
        targets.append(Target("Auto Trendy /robots.txt", project + "/robots.txt", "robots"))
        cached = None
        if args.cache_hits:
            cached = stack.enter_context(
                httpbench.gunicorn(database_url, {**args.env_extra, **args.cached_env_extra}, logdir=rawdir)
            )
            targets += [
                Target(f"cache hit: {report.LABELS[key]}", cached + paths[key], "cache", key)
                for key in ("article", "home")
            ]
            # The reference of "a hit within 3x of /robots.txt through the same server".
            targets.append(Target("cache server /robots.txt", cached + "/robots.txt", "cache-robots"))
        fronts = [("front (--front)", args.front.rstrip("/"))] if args.front else []
        if args.serve_front:
            env = {**args.env_extra, **args.cached_env_extra}
            fronts.append(
                (
                    "front (deploy/serve.py)",
                    stack.enter_context(httpbench.front(database_url, env, logdir=rawdir)),
                )
            )
        for label, front in fronts:
            targets += [
                Target(f"{label}: {report.LABELS[key]}", front + paths[key], "front", key)
                for key in ("article", "home")
            ]
        if args.peer:
            targets += peer_targets(run, args, stack)
        placeholders = {**paths, "project": project, "cached": cached or ""}
        for name, url in args.targets:
            try:
                targets.append(Target(name, url.format(**placeholders), "extra"))
            except KeyError as error:
                raise SystemExit(f"--target {name}: unknown placeholder {error}") from error
        options = httpbench.WrkOptions(
            threads=args.threads,
            connections=args.connections,
            duration=args.duration,
            warmup=args.warmup,
            rounds=args.http_rounds,
        )
        httpbench.measure(targets, options, rawdir)
    return {"targets": [vars(target) for target in targets]}


def profile_runs(args, results, workdir):
    directory = args.out / "profiles"
    for db in args.databases:
        database_url, _ = databases.database(
            db, args.size, pg_url=args.pg_url, seed=args.seed, reseed=args.reseed
        )
        for key in args.profile:
            parse_keys(key)
            stem = f"{key}-{db}-{args.size}"
            output = Path(workdir) / f"{stem}.json"
            log(f"profiling {key} on {db} at {args.size:,} articles ({args.requests} requests)")
            run_django(
                [
                    "-m",
                    "bench.inprocess",
                    "--profile",
                    key,
                    "--requests",
                    str(args.requests),
                    "--profile-dir",
                    str(directory),
                    "--profile-stem",
                    stem,
                    "--json",
                    str(output),
                ],
                database_url,
                args.env_extra,
            )
            item = json.loads(output.read_text())
            flat = Path(item["profile"]["files"]["flat"]).read_text().splitlines()
            item["top"] = [line for line in flat if re.match(r"\s*\d+\.\d+ ", line)][:25]
            results["profiles"].append(item)


def main(argv=None):
    args = parse_args(argv)
    if args.drop_cached:
        databases.drop_all(args.pg_url)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    if args.from_json:
        results = json.loads(args.from_json.read_text())
        finish(results, args, args.from_json.with_suffix(""))
        return

    command = "bench/run.py " + " ".join(shlex.quote(arg) for arg in (sys.argv[1:] if argv is None else argv))
    results = {
        "title": args.title or ("profile" if args.profile else None),
        "command": command,
        "started": now(),
        "loadavg_start": loadavg(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "git": git_description(),
        "options": {
            "databases": args.databases,
            "sizes": args.size_list,
            "pages": args.page_keys,
            "requests": args.requests,
            "rounds": args.rounds,
            "wrk": {
                "threads": args.threads,
                "connections": args.connections,
                "duration": args.duration,
                "warmup": args.warmup,
                "rounds": args.http_rounds,
            },
        },
        "runs": [],
        "profiles": [],
    }
    import django

    results["django"] = django.get_version()
    workdir = tempfile.mkdtemp(prefix="autotrendy-bench-run-")
    try:
        measure_all(args, results, workdir, stamp)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["finished"] = now()
    results["loadavg_end"] = loadavg()
    path = args.out / f"bench-{stamp}"
    path.with_suffix(".json").write_text(json.dumps(results, indent=1))
    finish(results, args, path)


def measure_all(args, results, workdir, stamp):
    sizes = [args.size] if args.profile else sorted({LAUNCH_SIZE, *args.size_list})
    databases.check_seeding_available(sizes)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    collect_static()
    if args.profile:
        profile_runs(args, results, workdir)
    else:
        for db in args.databases:
            prepared = {
                size: databases.database(db, size, pg_url=args.pg_url, seed=args.seed, reseed=args.reseed)
                for size in sizes
            }
            measured = [
                size
                for size in sizes
                if not args.no_inprocess and (size in args.size_list or size == LAUNCH_SIZE)
            ]
            if measured:
                log(f"{db}: in-process, {len(measured)} sizes round by round")
                by_size = inprocess_by_size({size: prepared[size][0] for size in measured}, args, workdir)
            for size in sizes:
                database_url, seeding = prepared[size]
                want_http = args.http and size in args.http_size_list
                measure_here = size in measured
                if want_http:
                    log(f"{db}, {size:,} articles: HTTP")
                data = (
                    by_size[size]
                    if measure_here
                    else inprocess(
                        database_url,
                        args,
                        pages=sorted(set(args.http_page_keys) | {"article"}),
                        requests=0,
                        workdir=workdir,
                    )
                )
                run = {
                    "db": db,
                    "size": size,
                    "published": data["published"],
                    "database": data["database"],
                    "seeding": seeding,
                    "inprocess": data if measure_here else None,
                }
                if want_http:
                    run["inprocess"] = run["inprocess"] or data
                    run["http"] = http_run(
                        run, database_url, args, Path(args.out) / f"wrk-{stamp}" / f"{db}-{size}"
                    )
                    if not measure_here:
                        run["inprocess"] = None
                results["runs"].append(run)


def record(results_md, text):
    """Put the report into RESULTS.md after its introduction: newest run first."""
    current = results_md.read_text() if results_md.exists() else "# Benchmark results\n"
    at = current.find("\n## ")
    at = len(current) if at < 0 else at + 1
    results_md.write_text(current[:at].rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n\n" + current[at:])
    log(f"recorded in {results_md}")


def finish(results, args, path):
    plot_link = None
    if not results["profiles"] and report.plot(results, args.plot):
        log(f"plot: {args.plot}")
        plot_link = os.path.relpath(args.plot, BENCH_DIR)
    text = report.markdown(results, plot_link=plot_link)
    markdown_path = path.with_suffix(".md")
    # The link in the copy under out/ is relative to that file.
    markdown_path.write_text(
        text
        if plot_link is None
        else text.replace(f"]({plot_link})", f"]({os.path.relpath(args.plot, markdown_path.parent)})")
    )
    log(f"report: {markdown_path}")
    if args.record:
        record(BENCH_DIR / "RESULTS.md", text)
    print(text)


if __name__ == "__main__":
    main()
