"""HTTP figures with wrk: the project under gunicorn, the static limit (nginx serving the
very same bytes), optionally the peer (Wagtail) and any other named target (a page-cache
server, the nginx front), measured side by side in one run.

The method is the one of ../shared/bench-peer/run_http.sh: every URL is fetched once first
(a non-200 is reported and skipped), then per round and target a warm-up wrk run that is
thrown away and a measured `wrk -t2 -c16 -d10s --latency`, interleaved A B C A B C over
the rounds; the figures are the medians over the rounds.
"""

import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .common import CACHE_DIR, ROOT, django_env, free_port, log

PEER_HARNESS = ROOT.parent / "shared" / "bench-peer"
PEER_MAX_SIZE = 10_000  # Wagtail's add_child makes larger peers take hours to build


@dataclass
class Target:
    name: str
    url: str
    kind: str  # nginx, project, robots, cache, front, peer, extra
    page: str | None = None
    result: dict = field(default_factory=dict)


@dataclass
class WrkOptions:
    threads: int = 2
    connections: int = 16
    duration: str = "10s"
    warmup: str = "2s"
    rounds: int = 3
    timeout: str = "10s"


def fetch(url, timeout=60):
    """(status, body) of one GET, redirects not followed."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else "") or "/")
        response = connection.getresponse()
        return response.status, response.read()
    except OSError as error:
        return 0, str(error).encode()
    finally:
        connection.close()


def wait_until_up(url, process=None, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        status, _ = fetch(url, timeout=5)
        if status:
            return True
        time.sleep(0.2)
    return False


def _stop(process, sig=signal.SIGTERM, seconds=20):
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _serving(
    process, base, probe, *, name, seconds=60, stop_signal=signal.SIGTERM, stop_seconds=20, scratch=None
):
    """Yield `base` once `probe` answers; always stop the process (and remove `scratch`) after."""
    try:
        if not wait_until_up(base + probe, process, seconds=seconds):
            raise RuntimeError(f"{name} did not start")
        log(f"{name} pid {process.pid} on {base}")
        yield base
    finally:
        _stop(process, stop_signal, stop_seconds)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def gunicorn(database_url, env=None, *, workers=2, logdir):
    """The project under gunicorn (sync workers, DEBUG off) on a free loopback port."""
    port = free_port()
    Path(logdir).mkdir(parents=True, exist_ok=True)
    logfile = Path(logdir) / f"gunicorn-{port}.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "autotrendy.wsgi:application",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--error-logfile",
        str(logfile),
        # gunicorn 27's control socket has one default path: several servers would clash.
        "--no-control-socket",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=django_env(database_url, env))
    name = f"gunicorn ({workers} sync workers, log {logfile}) {env or ''}"
    with _serving(process, f"http://127.0.0.1:{port}", "/robots.txt", name=name) as base:
        yield base


@contextmanager
def static_nginx(files):
    """nginx serving `files` ({path: bytes}) as static files on a free loopback port: the
    physical limit for pages of those sizes."""
    if not shutil.which("nginx"):
        raise RuntimeError("nginx missing: apt-get install -y nginx")
    directory = Path(tempfile.mkdtemp(prefix="autotrendy-bench-nginx-"))
    port = free_port()
    root = directory / "root"
    for path, body in files.items():
        target = root / path.strip("/") / "index.html" if path.endswith("/") else root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    (directory / "tmp").mkdir()
    # nginx's workers drop to `nobody` when the master runs as root: let them read.
    for current, _dirs, names in os.walk(directory):
        os.chmod(current, 0o755)
        for name in names:
            os.chmod(Path(current) / name, 0o644)
    conf = directory / "nginx.conf"
    conf.write_text(
        f"""worker_processes auto;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type text/html;
    charset utf-8;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    open_file_cache max=100;
    client_body_temp_path {directory}/tmp;
    proxy_temp_path {directory}/tmp;
    fastcgi_temp_path {directory}/tmp;
    uwsgi_temp_path {directory}/tmp;
    scgi_temp_path {directory}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ try_files $uri $uri/index.html =404; }}
    }}
}}
"""
    )
    command = ["nginx", "-c", str(conf), "-p", str(directory), "-e", str(directory / "error.log")]
    process = subprocess.Popen([*command, "-g", "daemon off;"])
    name = f"nginx serving {len(files)} saved page(s) (log {directory}/error.log)"
    with _serving(
        process,
        f"http://127.0.0.1:{port}",
        "/",
        name=name,
        seconds=10,
        stop_signal=signal.SIGQUIT,
        scratch=directory,
    ) as base:
        yield base


@contextmanager
def front(database_url, env=None, *, logdir):
    """The project's production setup, deploy/serve.py (nginx in front of gunicorn), on the
    benchmark's database, on a free loopback port; yields its base URL."""
    script = ROOT / "deploy" / "serve.py"
    if not script.is_file():
        raise RuntimeError("deploy/serve.py does not exist (yet)")
    port = free_port()
    run_dir = Path(tempfile.mkdtemp(prefix="autotrendy-bench-front-"))
    Path(logdir).mkdir(parents=True, exist_ok=True)
    logfile = Path(logdir) / f"front-{port}.log"
    with logfile.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                str(script),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--run-dir",
                str(run_dir),
            ],
            cwd=ROOT,
            env=django_env(database_url, env),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    name = f"front (deploy/serve.py, log {logfile})"
    with _serving(
        process,
        f"http://127.0.0.1:{port}",
        "/robots.txt",
        name=name,
        seconds=120,
        stop_seconds=30,
        scratch=run_dir,
    ) as base:
        yield base


def _peer_env(directory, port):
    env = dict(os.environ, PEER_DIR=str(directory), PEER_BIND=f"127.0.0.1:{port}")
    env.pop("DATABASE_URL", None)
    env.pop("VIRTUAL_ENV", None)
    return env


def peer_database_url(size, pg_url):
    """The PostgreSQL database of the peer of `size` on the server of `pg_url` (made if missing)."""
    from bench.databases import _pg_admin, _pg_url

    name = f"at_peer_wagtail_{size}"
    with _pg_admin(pg_url) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return _pg_url(pg_url, name)


def prepare_peer(size, harness=PEER_HARNESS, *, pg_url=None):
    """Build (once) the Wagtail peer with the same article count; returns its directory.

    On SQLite by default; with `pg_url`, on a database of its own on that PostgreSQL server
    (the one the project is measured on), so that both sides of the comparison pay for the
    same engine.
    """
    directory = CACHE_DIR / (f"peer-wagtail-pg-{size}" if pg_url else f"peer-wagtail-{size}")
    marker = directory / ".bench-ready"
    if marker.exists():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    # Share one virtualenv between the peers of different sizes.
    if not (directory / "venv").exists():
        other = next((path for path in CACHE_DIR.glob("peer-wagtail-*/venv") if path.is_dir()), None)
        if other is not None:
            (directory / "venv").symlink_to(other.resolve())
    articles = 0 if size <= 2 else size
    logfile = CACHE_DIR / f"{directory.name}-setup.log"
    log(f"building the Wagtail peer with {articles} synthetic articles (log: {logfile})")
    env = _peer_env(directory, 0)
    if pg_url:
        env["DATABASE_URL"] = peer_database_url(size, pg_url)
    with logfile.open("w") as output:
        subprocess.run(
            [str(harness / "peer_wagtail" / "setup.sh"), "--articles", str(articles)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            check=True,
        )
    marker.write_text("ok\n")
    return directory


def _read_env_file(path):
    values = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values


@contextmanager
def peer_server(size, harness=PEER_HARNESS, *, pg_url=None):
    """The peer under gunicorn (its serve.sh: 2 sync workers); yields (base URL, paths).

    Its database is the one `prepare_peer` made: serve.sh reads it from the peer's env file.
    """
    directory = prepare_peer(size, harness, pg_url=pg_url)
    port = free_port()
    env = _peer_env(directory, port)
    serve = str(harness / "peer_wagtail" / "serve.sh")
    subprocess.run([serve, "start"], env=env, check=True, stdout=subprocess.DEVNULL)
    try:
        paths = _read_env_file(directory / "urls.env")
        yield f"http://127.0.0.1:{port}", paths
    finally:
        subprocess.run([serve, "stop"], env=env, check=False, stdout=subprocess.DEVNULL)


def _to_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        return None
    value, unit = float(match[1]), match[2]
    return value * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse_wrk(output):
    result = {"rps": 0.0, "p50_ms": None, "p99_ms": None, "non2xx": 0, "errors": 0}
    if match := re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE):
        result["rps"] = float(match[1])
    if match := re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE):
        result["p50_ms"] = _to_ms(match[1])
    if match := re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE):
        result["p99_ms"] = _to_ms(match[1])
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        result["non2xx"] = int(match[1])
    if match := re.search(r"Socket errors:(.*)", output):
        result["errors"] = sum(int(number) for number in re.findall(r"\d+", match[1]))
    return result


def wrk(url, options, duration=None, latency=True):
    command = [
        "wrk",
        f"-t{options.threads}",
        f"-c{options.connections}",
        f"-d{duration or options.duration}",
        "--timeout",
        options.timeout,
    ]
    if latency:
        command.append("--latency")
    completed = subprocess.run([*command, url], capture_output=True, text=True, check=False)
    return completed.stdout + completed.stderr


def measure(targets, options, rawdir):
    """Run wrk over the targets in interleaved rounds; fills each target's `result`."""
    if not shutil.which("wrk"):
        raise RuntimeError("wrk missing: apt-get install -y wrk")
    live = []
    for target in targets:
        host = urlsplit(target.url).hostname or ""
        if not (host.startswith("127.") or host in {"localhost", "::1"}):
            target.result = {"skipped": "not a loopback URL"}
            continue
        status, body = fetch(target.url)
        target.result = {"status": status, "bytes": len(body)}
        if status != 200:
            target.result["skipped"] = f"HTTP {status or 'no answer'}"
            log(f"SKIP {target.name}: {target.result['skipped']} ({target.url})")
            continue
        live.append(target)
    runs = {id(target): [] for target in live}
    Path(rawdir).mkdir(parents=True, exist_ok=True)
    for round_number in range(1, options.rounds + 1):
        for index, target in enumerate(live, 1):
            wrk(target.url, options, duration=options.warmup, latency=False)
            # The warm-up leaves requests queued at a sync server (wrk hangs up, the workers
            # still serve them): one plain request waits until they are gone.
            fetch(target.url)
            output = wrk(target.url, options)
            (Path(rawdir) / f"t{index}_r{round_number}.txt").write_text(f"{target.url}\n{output}")
            run = parse_wrk(output)
            runs[id(target)].append(run)
            log(
                f"round {round_number} {target.name}: {run['rps']:.1f} req/s, p50 {run['p50_ms']} ms, "
                f"p99 {run['p99_ms']} ms"
            )
    for target in live:
        samples = runs[id(target)]
        rps = [run["rps"] for run in samples]
        target.result.update(
            rps=statistics.median(rps),
            rps_min=min(rps),
            rps_max=max(rps),
            p50_ms=statistics.median(run["p50_ms"] or 0 for run in samples),
            p99_ms=statistics.median(run["p99_ms"] or 0 for run in samples),
            non2xx=sum(run["non2xx"] for run in samples),
            errors=sum(run["errors"] for run in samples),
        )
    return targets
