"""Seeded benchmark databases, built once and reused.

A database is keyed by its size and by a hash of what decides its content (every
migration, the seeding code, the launch fixtures and the Django version), so a change to
any of them seeds afresh while repeated runs reuse the 100,000-article database.

- SQLite: a file `sqlite-<size>-<hash>.sqlite3` in the cache directory.
- PostgreSQL: a database `at_bench_<size>_<hash>` on the server given by --pg-url, built
  under a `_building` name and renamed when complete, then VACUUM ANALYZEd, so that a run
  interrupted while seeding never leaves a half-seeded database that looks finished.

Older databases of the same size (another hash) are removed once a new one is complete.
"""

import hashlib
import json
import subprocess
import time
from urllib.parse import urlsplit, urlunsplit

from .common import CACHE_DIR, LAUNCH_SIZE, ROOT, log, run_django

SEED_COMMAND = ROOT / "articles" / "management" / "commands" / "seed_articles.py"


def content_files():
    """The files whose content decides what a seeded database holds."""
    files = sorted(ROOT.glob("*/migrations/*.py"))
    files += [SEED_COMMAND, ROOT / "articles" / "management" / "commands" / "load_launch.py"]
    files += [ROOT / "fixtures" / "launch.json"]
    # Wherever the seeding helper keeps its bulk path.
    files += sorted(ROOT.glob("articles/seed*.py")) + sorted(ROOT.glob("articles/seed*/**/*.py"))
    return [path for path in files if path.is_file()]


def content_hash():
    import django

    digest = hashlib.sha256(django.get_version().encode())
    for path in content_files():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def seed_count(size):
    """Articles to seed on top of the two launch articles: size 2 means none."""
    return 0 if size <= LAUNCH_SIZE else size


def check_seeding_available(sizes):
    if any(seed_count(size) for size in sizes) and not SEED_COMMAND.is_file():
        raise SystemExit(
            f"`manage.py seed_articles` does not exist yet ({SEED_COMMAND.relative_to(ROOT)}): "
            f"only size {LAUNCH_SIZE} (the launch articles) can be benchmarked."
        )


def _seed(database_url, size, seed):
    log(f"seeding {size} ({seed_count(size)} generated + launch articles) into {_redact(database_url)}")
    started = time.perf_counter()
    result = run_django(
        ["-m", "bench.seed", "--count", str(seed_count(size)), "--seed", str(seed)],
        database_url,
        stdout=subprocess.PIPE,
        text=True,
    )
    info = json.loads(result.stdout.strip().splitlines()[-1])
    info["total_s"] = time.perf_counter() - started
    log(f"seeded in {info['total_s']:.1f} s: {info}")
    return info


def _redact(url):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.hostname or "")) if parts.password else url


def _meta_path(kind, size, digest):
    return CACHE_DIR / f"{kind}-{size}-{digest}.json"


def sqlite_database(size, *, seed=1, reseed=False):
    """(DATABASE_URL, info) of a seeded SQLite file."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    digest = content_hash()
    path = CACHE_DIR / f"sqlite-{size}-{digest}.sqlite3"
    meta = _meta_path("sqlite", size, digest)
    if path.exists() and meta.exists() and not reseed:
        info = json.loads(meta.read_text())
        info["reused"] = True
        return f"sqlite:///{path}", info
    building = path.with_suffix(".building")
    for stale in (path, building, meta):
        stale.unlink(missing_ok=True)
    info = _seed(f"sqlite:///{building}", size, seed)
    building.rename(path)
    meta.write_text(json.dumps(info))
    for old in CACHE_DIR.glob(f"sqlite-{size}-*"):
        if digest not in old.name:
            old.unlink(missing_ok=True)
    info["reused"] = False
    return f"sqlite:///{path}", info


def _pg_admin(base_url):
    import psycopg

    parts = urlsplit(base_url)
    try:
        return psycopg.connect(
            urlunsplit(parts._replace(path="/postgres")), autocommit=True, connect_timeout=5
        )
    except psycopg.OperationalError as error:
        raise SystemExit(
            f"PostgreSQL is not reachable at {_redact(base_url)} ({error}); start it, point --pg-url at "
            "a server whose user may create databases, or use --db sqlite."
        ) from error


def _pg_url(base_url, name):
    return urlunsplit(urlsplit(base_url)._replace(path=f"/{name}"))


def postgres_database(size, *, base_url, seed=1, reseed=False):
    """(DATABASE_URL, info) of a seeded PostgreSQL database on the server of `base_url`."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    digest = content_hash()
    name = f"at_bench_{size}_{digest}"
    building = f"{name}_building"
    meta = _meta_path("pg", size, digest)
    with _pg_admin(base_url) as admin:
        existing = {row[0] for row in admin.execute("SELECT datname FROM pg_database")}
        if name in existing and meta.exists() and not reseed:
            info = json.loads(meta.read_text())
            info["reused"] = True
            return _pg_url(base_url, name), info
        for stale in (name, building):
            if stale in existing:
                admin.execute(f'DROP DATABASE "{stale}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{building}"')
    info = _seed(_pg_url(base_url, building), size, seed)
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(_pg_url(base_url, building), autocommit=True) as connection:
        # What autovacuum would have done on a live site: planner statistics and a
        # visibility map, so plans do not depend on when the run happened.
        connection.execute("VACUUM ANALYZE")
    info["vacuum_analyze_s"] = time.perf_counter() - started
    with _pg_admin(base_url) as admin:
        admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        for (old,) in admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
            (f"at\\_bench\\_{size}\\_%", name),
        ).fetchall():
            admin.execute(f'DROP DATABASE "{old}" WITH (FORCE)')
    meta.write_text(json.dumps(info))
    info["reused"] = False
    return _pg_url(base_url, name), info


def database(vendor, size, *, pg_url, seed=1, reseed=False):
    if vendor == "sqlite":
        return sqlite_database(size, seed=seed, reseed=reseed)
    return postgres_database(size, base_url=pg_url, seed=seed, reseed=reseed)


def drop_all(pg_url):
    """Remove every cached benchmark database (--drop-cached)."""
    for path in CACHE_DIR.glob("sqlite-*"):
        path.unlink()
    for path in CACHE_DIR.glob("pg-*.json"):
        path.unlink()
    try:
        with _pg_admin(pg_url) as admin:
            names = admin.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'at\\_bench\\_%'"
            ).fetchall()
            for (name,) in names:
                admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                log(f"dropped PostgreSQL database {name}")
    except Exception as error:  # noqa: BLE001 - no server is fine here
        log(f"PostgreSQL not cleaned: {error}")
