"""The benchmark's Markdown report and its scaling plot, from the results dict of run.py."""

import os
import re
from pathlib import Path

from .common import LAUNCH_SIZE
from .pages import BASELINE, LABELS

FLAT_TARGET = 1.5  # a page at N articles costs at most 1.5x what it costs at 2
ARTICLE_QUERIES_TARGET = 4
SEARCH_P95_TARGET_MS = 50
SEARCH_P95_SIZE = 100_000
PEER_TARGET = 3.0  # the article page at least 3x Wagtail's req/s
CACHE_HIT_TARGET = 3.0  # a cache hit within 3x of /robots.txt
FRONT_TARGET = 0.5  # the article through the front at least 0.5x nginx serving the same bytes

DB_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _n(value):
    return f"{value:,}"


def _ms(value):
    if value is None:
        return "–"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _mark(ok):
    return "pass" if ok else "**FAIL**"


def ratio(runs, run, key):
    """This page's median at this size over the same page (page 1 for page 500) at the launch size."""
    base_run = next((r for r in runs if r["db"] == run["db"] and r["size"] == LAUNCH_SIZE), None)
    if base_run is None:
        return None
    base = base_run["inprocess"]["pages"].get(BASELINE.get(key, key), {}).get("median_ms")
    value = run["inprocess"]["pages"].get(key, {}).get("median_ms")
    if not base or value is None:
        return None
    return value / base


def inprocess_section(results):
    if not any(run.get("inprocess") for run in results["runs"]):
        return []
    lines = []
    options = results["options"]
    lines += [
        "## In-process: time and queries per page",
        "",
        (
            f"Django's test client, DEBUG off, no network: {options['requests']} requests per page in "
            f"{options['rounds']} rounds after a warm-up, the sizes taken in turn in every round (pages "
            "interleaved within a round); median and p95 in ms, queries of one "
            f"request. ×: the median over the same page's at {LAUNCH_SIZE} articles (page {500} over page 1); "
            f"target at most {FLAT_TARGET}x."
        ),
        "",
    ]
    for db in options["databases"]:
        runs = sorted(
            (r for r in results["runs"] if r["db"] == db and r.get("inprocess")), key=lambda r: r["size"]
        )
        if not runs:
            continue
        lines += [f"### {runs[0].get('database') or DB_NAMES[db]}", ""]
        header = ["page"]
        align = ["---"]
        for run in runs:
            published = _n(run["published"])
            header += [f"{published}: median", "p95", "queries"]
            align += ["---:", "---:", "---:"]
            if run["size"] != LAUNCH_SIZE:
                header.append("×")
                align.append("---:")
        header.append(f"≤ {FLAT_TARGET}x")
        align.append(":---:")
        lines += ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
        notes = []
        for key in results["options"]["pages"]:
            row = [LABELS[key]]
            ratios = []
            for run in runs:
                page = run["inprocess"]["pages"].get(key, {})
                row += [_ms(page.get("median_ms")), _ms(page.get("p95_ms")), str(page.get("queries", "–"))]
                if run["size"] != LAUNCH_SIZE:
                    value = ratio(results["runs"], run, key)
                    row.append("–" if value is None else f"{value:.2f}")
                    if value is not None:
                        ratios.append(value)
                if page.get("note"):
                    notes.append(
                        f"{LABELS[key]} at {_n(run['published'])}: {page.get('url') or ''} {page['note']}"
                    )
            row.append(_mark(max(ratios) <= FLAT_TARGET) if ratios else "–")
            lines.append("| " + " | ".join(row) + " |")
        largest = runs[-1]["inprocess"]["pages"]
        lines += [
            "",
            "URLs at the largest size: "
            + ", ".join(f"{LABELS[key]} `{page['url']}`" for key, page in largest.items() if page.get("url"))
            + ".",
        ]
        if notes:
            lines += ["", "Notes: " + "; ".join(notes) + "."]
        lines += ["", *goal_lines(db, runs, results["runs"]), ""]
    return lines


def goal_lines(db, runs, all_runs):
    lines = []
    counts = [run["inprocess"]["pages"].get("article", {}).get("queries") for run in runs]
    if any(count is not None for count in counts):
        fixed = len(set(counts)) == 1
        worst = max(count for count in counts if count is not None)
        lines.append(
            f"- Article page queries: {', '.join(str(c) for c in counts)} "
            f"(target: at most {ARTICLE_QUERIES_TARGET}, the same at every size): "
            f"{_mark(fixed and worst <= ARTICLE_QUERIES_TARGET)}"
        )
    sized = [run for run in runs if run["size"] != LAUNCH_SIZE]
    if sized:
        largest = sized[-1]
        flat = [
            (key, value)
            for key in largest["inprocess"]["pages"]
            if (value := ratio(all_runs, largest, key)) is not None
        ]
        failing = [f"{LABELS[key]} {value:.2f}x" for key, value in flat if value > FLAT_TARGET]
        lines.append(
            f"- Flat at {_n(largest['published'])}: {len(flat) - len(failing)} of {len(flat)} pages within "
            f"{FLAT_TARGET}x" + (f"; over: {', '.join(failing)}" if failing else "")
        )
    if db == "postgresql":
        for run in runs:
            if run["size"] >= SEARCH_P95_SIZE:
                for key in ("search-common", "search-rare"):
                    p95 = run["inprocess"]["pages"].get(key, {}).get("p95_ms")
                    if p95 is not None:
                        lines.append(
                            f"- {LABELS[key]} p95 at {_n(run['published'])}: {p95:.1f} ms "
                            f"(target under {SEARCH_P95_TARGET_MS} ms): {_mark(p95 < SEARCH_P95_TARGET_MS)}"
                        )
    return lines


def http_section(results):
    runs = [run for run in results["runs"] if run.get("http")]
    if not runs:
        return []
    wrk = results["options"]["wrk"]
    lines = [
        "## HTTP: requests per second with wrk",
        "",
        (
            f"`wrk -t{wrk['threads']} -c{wrk['connections']} -d{wrk['duration']}` after a {wrk['warmup']} warm-up, "
            f"{wrk['rounds']} interleaved rounds, medians (min..max over the rounds). The project runs under "
            "gunicorn (2 sync workers, DEBUG off) on loopback; nginx serves the article's very bytes as a static "
            "file (the physical limit); wrk shares the machine's cores with the servers."
        ),
        "",
    ]
    for run in runs:
        http = run["http"]
        lines += [f"### {run.get('database') or DB_NAMES[run['db']]}, {_n(run['published'])} articles", ""]
        lines += [
            "| target | URL | bytes | req/s | min..max | p50 ms | p99 ms | non-2xx | errors | × nginx |",
            "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        nginx = next((t for t in http["targets"] if t["kind"] == "nginx" and "rps" in t["result"]), None)
        for target in http["targets"]:
            result = target["result"]
            if "rps" not in result:
                lines.append(
                    f"| {target['name']} | `{target['url']}` | | skipped: {result.get('skipped', '?')} | | | | | | |"
                )
                continue
            versus = f"{result['rps'] / nginx['result']['rps']:.4f}" if nginx else "–"
            lines.append(
                f"| {target['name']} | `{target['url']}` | {result['bytes']} | {result['rps']:,.1f} | "
                f"{result['rps_min']:,.1f}..{result['rps_max']:,.1f} | {result['p50_ms']:.2f} | "
                f"{result['p99_ms']:.2f} | {result['non2xx']} | {result['errors']} | {versus} |"
            )
        checks = http_checks(http["targets"])
        if checks:
            lines += ["", *checks]
        lines.append("")
    return lines


def http_checks(targets):
    def rps(kind, page=None):
        for target in targets:
            if target["kind"] == kind and (page is None or target.get("page") == page):
                return target["result"].get("rps")
        return None

    lines = []
    article = rps("project", "article")
    for kind, which in (("peer", "Wagtail's article"), ("peer-sqlite", "Wagtail's article on SQLite")):
        peer = rps(kind, "article")
        if article and peer:
            lines.append(
                f"- Article vs {which}: {article / peer:.2f}x (target at least {PEER_TARGET}x): "
                f"{_mark(article / peer >= PEER_TARGET)}"
            )
    robots = rps("cache-robots") or rps("robots")
    for target in targets:
        hit = target["result"].get("rps")
        if target["kind"] == "cache" and hit and robots:
            lines.append(
                f"- {target['name']}: /robots.txt is {robots / hit:.2f}x faster "
                f"(target: within {CACHE_HIT_TARGET}x): {_mark(robots / hit <= CACHE_HIT_TARGET)}"
            )
    nginx = rps("nginx")
    for target in targets:
        through = target["result"].get("rps")
        if target["kind"] == "front" and target.get("page") == "article" and through and nginx:
            lines.append(
                f"- {target['name']}: {through / nginx:.3f}x nginx serving the same bytes "
                f"(target at least {FRONT_TARGET}x): {_mark(through / nginx >= FRONT_TARGET)}"
            )
    return lines


def seeding_lines(results):
    lines = []
    for run in results["runs"]:
        seeding = run.get("seeding") or {}
        if run["size"] == LAUNCH_SIZE:
            continue
        how = "reused from an earlier run" if seeding.get("reused") else "seeded in this run"
        seconds = seeding.get("seed_s")
        lines.append(
            f"{DB_NAMES[run['db']]} {_n(run['published'])}: {how}"
            + (f", `seed_articles` took {seconds:.1f} s" if seconds else "")
        )
    return ["- Databases: " + "; ".join(lines) + "."] if lines else []


def _short_sql(sql, limit=300):
    """The statement on one line, its select list elided: what it reads and how is the part that
    tells statements apart."""
    sql = " ".join(sql.split())
    sql = re.sub(r"^SELECT (DISTINCT )?.+? FROM ", lambda m: f"SELECT {m[1] or ''}… FROM ", sql, count=1)
    sql = sql.replace('"', "").replace("|", "\\|").replace("`", "'")
    return sql if len(sql) <= limit else sql[: limit - 1] + "…"


def profile_section(results):
    lines = []
    for item in results.get("profiles", []):
        profile = item["profile"]
        lines += [
            (
                f"## Profile: {LABELS[profile['page']]} `{profile['url']}`, {item['database']}, "
                f"{_n(item['published'])} articles"
            ),
            "",
            f"pyinstrument over {profile['requests']} requests: {profile['ms_per_request']:.1f} ms per request. "
            "Self time by where the code lives: "
            + ", ".join(f"{name} {share}%" for name, share in profile["by_package"].items() if share >= 1)
            + ".",
            "",
            "Top functions by self time:",
            "",
            "```",
            *item.get("top", []),
            "```",
            "",
            "Slowest SQL statements (time per request, from a series without the profiler):",
            "",
            "| ms/request | calls/request | statement |",
            "| ---: | ---: | --- |",
            *(
                f"| {row['ms_per_request']:.2f} | {row['calls_per_request']:g} | `{_short_sql(row['sql'])}` |"
                for row in profile.get("sql", [])[:6]
            ),
            "",
            "Files: " + ", ".join(f"`{path}`" for path in profile["files"].values()),
            "",
        ]
    return lines


def busy_lines(results):
    """A warning when other work shared the machine: its figures are only comparable within the run."""
    try:
        loads = [float(results[key].split()[0]) for key in ("loadavg_start", "loadavg_end")]
    except (ValueError, IndexError, KeyError):
        return []
    cpus = results.get("cpus") or 1
    if max(loads) <= cpus / 2:
        return []
    return [
        (
            f"- **The machine was busy** (1-minute load up to {max(loads):.1f} on {cpus} CPUs): other work "
            "shared the cores, so absolute figures are noisy; compare within this run only."
        )
    ]


def markdown(results, plot_link=None):
    versions = sorted({run["database"] for run in results["runs"] if run.get("database")})
    lines = [
        f"## {results['started'][:10]}: {results.get('title') or 'benchmark run'}",
        "",
        f"- Command: `{results['command']}`",
        f"- Date: {results['started']} to {results['finished']} (UTC)",
        (
            f"- Load average (1, 5, 15 min) at start: {results['loadavg_start']}; at end: {results['loadavg_end']} "
            f"({results['cpus']} CPUs)"
        ),
        f"- Python {results['python']}, Django {results['django']}"
        + (f", {', '.join(versions)}" if versions else "")
        + f"; code at {results['git']}",
        *seeding_lines(results),
        *busy_lines(results),
        "",
    ]
    lines += inprocess_section(results)
    if plot_link:
        lines += [f"![Page cost against the number of articles]({plot_link})", ""]
    lines += http_section(results)
    lines += profile_section(results)
    return "\n".join(lines).rstrip() + "\n"


def plot(results, path):
    """Median ms (top) and the ratio to the launch size (bottom) against the article count,
    one column per database. Returns False when there is nothing to plot."""
    databases = [
        db
        for db in results["options"]["databases"]
        if len({r["size"] for r in results["runs"] if r["db"] == db and r.get("inprocess")}) >= 2
    ]
    if not databases:
        return False
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    keys = results["options"]["pages"]
    colours = plt.get_cmap("tab20")
    markers = "osD^v<>pPXh*"
    figure, axes = plt.subplots(
        2,
        len(databases),
        figsize=(6.5 * len(databases), 9),
        squeeze=False,
        sharex=True,
        constrained_layout=True,
    )
    for column, db in enumerate(databases):
        runs = sorted(
            (r for r in results["runs"] if r["db"] == db and r.get("inprocess")), key=lambda r: r["size"]
        )
        top, bottom = axes[0][column], axes[1][column]
        for index, key in enumerate(keys):
            points = [
                (
                    run["published"],
                    run["inprocess"]["pages"].get(key, {}).get("median_ms"),
                    ratio(results["runs"], run, key),
                )
                for run in runs
            ]
            points = [point for point in points if point[1] is not None]
            if not points:
                continue
            style = {"color": colours(index), "marker": markers[index % len(markers)], "label": LABELS[key]}
            top.plot([p[0] for p in points], [p[1] for p in points], **style)
            ratios = [(p[0], p[2]) for p in points if p[2] is not None]
            bottom.plot([p[0] for p in ratios], [p[1] for p in ratios], **style)
        name = runs[0].get("database") or DB_NAMES[db]
        top.set_title(f"{name}: median ms per page (uncached, in-process)")
        top.set_xscale("log")
        top.set_yscale("log")
        top.set_ylabel("median ms (log)")
        top.grid(True, which="both", alpha=0.3)
        bottom.axhline(
            FLAT_TARGET, color="black", linestyle="--", linewidth=1, label=f"target {FLAT_TARGET}x"
        )
        bottom.set_title(f"{name}: cost relative to {LAUNCH_SIZE} articles")
        bottom.set_xscale("log")
        bottom.set_yscale("log")
        bottom.set_ylabel("× the page at 2 articles (log)")
        bottom.set_xlabel("published articles (log)")
        bottom.grid(True, which="both", alpha=0.3)
    plain = ticker.FuncFormatter(lambda value, _: f"{value:g}")
    sizes = sorted({r["published"] for r in results["runs"] if r["db"] in databases and r.get("inprocess")})
    for axis in axes.flat:
        axis.yaxis.set_major_formatter(plain)
        axis.yaxis.set_minor_formatter(plain)
        axis.tick_params(axis="y", which="minor", labelsize="x-small")
        axis.set_xticks(sizes, [f"{size:,}" for size in sizes])
        axis.xaxis.set_minor_locator(ticker.NullLocator())
    axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small")
    axes[1][-1].legend(
        handles=[h for h in axes[1][-1].get_legend_handles_labels()[0] if h.get_label().startswith("target")],
        loc="upper left",
        bbox_to_anchor=(1.02, 1),
        fontsize="small",
    )
    figure.suptitle(f"Auto Trendy reader pages, {results['started'][:10]} (load {results['loadavg_start']})")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
