"""Shared helpers: paths, the environment of the Django processes, small system probes."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
OUT_DIR = BENCH_DIR / "out"
# Seeded databases, collected static files and the peer live here between runs.
CACHE_DIR = Path(os.environ.get("BENCH_CACHE_DIR", Path(tempfile.gettempdir()) / "autotrendy-bench"))
STATIC_ROOT = CACHE_DIR / "static"
MEDIA_ROOT = CACHE_DIR / "media"

LAUNCH_SIZE = 2  # the two launch articles of fixtures/launch.json, nothing seeded


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def loadavg():
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def django_env(database_url, extra=None):
    """The environment of every Django process the benchmark starts: production settings
    (DEBUG off), a throwaway secret, loopback hosts, no Redis unless `extra` sets it."""
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DJANGO_DEBUG"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "bench-only-" + "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(MEDIA_ROOT),
            "BENCH_STATIC_ROOT": str(STATIC_ROOT),
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra or {})
    return env


def run_django(args, database_url, extra_env=None, **kwargs):
    """`python -m <args>` (or a script) in a child process with the benchmark's Django environment."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=django_env(database_url, extra_env), check=True, **kwargs
    )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parse_env_pairs(pairs):
    """["KEY=VALUE", ...] from the command line as a dict."""
    result = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"expected KEY=VALUE, got {pair!r}")
        result[key] = value
    return result


def redis_server_command(port):
    """A throwaway redis-server on loopback at `port` that keeps nothing on disk (the fault
    bench and the tests stop and start their own, never the shared one)."""
    return [
        "redis-server",
        *("--port", str(port), "--bind", "127.0.0.1"),
        *("--save", "", "--appendonly", "no"),
    ]


def port_open(port, timeout=0.2):
    """Whether something on loopback accepts connections at `port`."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=timeout).close()
        return True
    except OSError:
        return False


class RedisServer:
    """A throwaway redis-server (redis_server_command) on a free port, to stop and start again."""

    def __init__(self, workdir):
        self.port = free_port()
        self.workdir = workdir
        self.process = None

    def start(self, within=10):
        self.process = subprocess.Popen(
            redis_server_command(self.port),
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + within
        while not port_open(self.port):
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start within {within} s")
            time.sleep(0.05)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
