"""Run Auto Trendy's production setup on this machine: gunicorn behind nginx.

    .venv/bin/python deploy/serve.py [--host 127.0.0.1] [--port 8000] [--run-dir .run]

(`make serve HOST=... PORT=...` runs this.) It runs `collectstatic` and `migrate`, starts
gunicorn (deploy/gunicorn.conf.py) on a unix socket, renders deploy/nginx.conf into the run dir
and starts nginx in front, unprivileged: its pid, temp files, cache and logs all live in the
run dir. Ctrl-C (or SIGTERM) stops both; if either stops on its own, the other is stopped too.

The settings run as in production (DJANGO_DEBUG=false). What a laptop lacks is filled in, with
a message: a throwaway DJANGO_SECRET_KEY kept in the run dir, DJANGO_ALLOWED_HOSTS for the
address served, DJANGO_SECURE_SSL_REDIRECT=false (there is no TLS here) and SITE_ORIGIN.
Anything already set in the environment wins.
"""

import argparse
import ctypes
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
DEFAULT_RUN_DIR = REPO / ".run"
LIBC = ctypes.CDLL(None) if sys.platform.startswith("linux") else None
PR_SET_PDEATHSIG = 1

# sbin is not on an ordinary user's PATH, but that is where Debian puts nginx.
NGINX_EXTRA_PATH = ("/usr/sbin", "/usr/local/sbin")
NGINX_MISSING = (
    "nginx is not installed. On Debian or Ubuntu: sudo apt-get install nginx; on macOS: "
    "brew install nginx. Or point NGINX=/path/to/nginx at one (if NGINX is set, it is not an executable)."
)

# Characters that would need quoting in nginx's configuration: refused in paths and names.
UNSAFE_IN_CONFIG = re.compile(r"[\s\"';{}$\\#]")
# A unix socket path must fit in sun_path (108 bytes on Linux, 104 on macOS).
MAX_SOCKET_PATH = 100

SETTINGS_PROBE = """
import json
import django
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage

django.setup()
from django.core.files.storage import FileSystemStorage, storages

print(json.dumps({
    # False with object storage: pages link the bucket, nginx serves no /media/.
    "media_on_disk": isinstance(storages["default"], FileSystemStorage),
    "static_url": settings.STATIC_URL,
    "static_root": str(settings.STATIC_ROOT),
    "media_url": settings.MEDIA_URL,
    "media_root": str(settings.MEDIA_ROOT),
    "session_cookie": settings.SESSION_COOKIE_NAME,
    "csrf_cookie": settings.CSRF_COOKIE_NAME,
    "messages_cookie": CookieStorage.cookie_name,
}))
"""


class ServeError(Exception):
    """Something stops the front from starting; the message says what to do."""


class Stop(Exception):
    """Raised by the signal handler: Ctrl-C, SIGTERM or SIGHUP."""


def note(message):
    print(f"serve: {message}", flush=True)


def find_nginx():
    """The nginx binary: $NGINX, else nginx on the PATH or in an sbin directory; None if absent."""
    if os.environ.get("NGINX"):
        return shutil.which(os.environ["NGINX"])
    search = os.pathsep.join([os.environ.get("PATH", ""), *NGINX_EXTRA_PATH])
    return shutil.which("nginx", path=search)


def url_host(host):
    return f"[{host}]" if ":" in host else host


def production_environment(base, *, host, port, run_dir):
    """The environment for manage.py and gunicorn: production settings, laptop gaps filled."""
    env = dict(base)
    env["DJANGO_SETTINGS_MODULE"] = env.get("DJANGO_SETTINGS_MODULE") or "autotrendy.settings"
    env["DJANGO_DEBUG"] = "false"
    if not env.get("DJANGO_SECRET_KEY"):
        key_file = run_dir / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        env["DJANGO_SECRET_KEY"] = key_file.read_text().strip()
        note(
            f"DJANGO_SECRET_KEY is not set: using a throwaway key kept in {key_file} "
            "for this local run only. Set DJANGO_SECRET_KEY in production."
        )
    if not env.get("DJANGO_ALLOWED_HOSTS"):
        hosts = ["localhost", "127.0.0.1", "[::1]"]
        if host not in ("0.0.0.0", "::", "") and url_host(host) not in hosts:
            hosts.append(url_host(host))
        env["DJANGO_ALLOWED_HOSTS"] = ",".join(hosts)
        note(f"DJANGO_ALLOWED_HOSTS is not set: using {env['DJANGO_ALLOWED_HOSTS']}.")
    if not env.get("DJANGO_SECURE_SSL_REDIRECT"):
        env["DJANGO_SECURE_SSL_REDIRECT"] = "false"
        note("No TLS here: DJANGO_SECURE_SSL_REDIRECT=false (set it to true behind HTTPS).")
    if not env.get("DJANGO_TRUSTED_PROXIES"):
        # nginx (deploy/nginx.conf) replaces X-Forwarded-For with the address it saw: the
        # login lockout counts per client address, not per nginx.
        env["DJANGO_TRUSTED_PROXIES"] = "1"
    if not env.get("SITE_ORIGIN"):
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host
        env["SITE_ORIGIN"] = f"http://{url_host(shown)}:{port}"
    return env


def render(template, values):
    """The template with every @NAME@ replaced; an unknown name is an error, not a blank."""

    def replace(match):
        try:
            return values[match.group(1)]
        except KeyError:
            raise ServeError(
                f"deploy/nginx.conf uses @{match.group(1)}@, which serve.py does not fill"
            ) from None

    return re.sub(r"@([A-Z][A-Z_]*)@", replace, template)


def check_safe(label, value):
    if UNSAFE_IN_CONFIG.search(value):
        raise ServeError(
            f"{label} {value!r} has a space or a character nginx would need quoted; "
            "use a path without them (e.g. --run-dir in /tmp)."
        )
    return value


def url_path(label, url):
    if not url.startswith("/") or not url.endswith("/"):
        raise ServeError(
            f"{label} is {url!r}: the front serves it from disk only as a local path like /static/."
        )
    return check_safe(label, url)


def app_server_lines(app_servers, socket_dir):
    """The upstream's `server` lines: the local gunicorn's socket, or the nodes given."""
    addresses = []
    for address in app_servers or []:
        if not re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}", address):
            raise ServeError(f"--app-server {address!r} is not HOST:PORT.")
        addresses.append(address)
    if not addresses:
        addresses = ["unix:" + check_safe("The socket dir", str(socket_dir / "gunicorn.sock"))]
    return "\n".join(f"        server {address} fail_timeout=0;" for address in addresses)


def without_block(template, marker):
    """The template without the lines between `# <marker>:start` and `# <marker>:end`."""
    pattern = re.compile(
        rf"^[ \t]*# {re.escape(marker)}:start\n.*?^[ \t]*# {re.escape(marker)}:end\n",
        re.DOTALL | re.MULTILINE,
    )
    if not pattern.search(template):
        raise ServeError(f"deploy/nginx.conf has no {marker} block.")
    return pattern.sub("", template)


def nginx_config(template, *, settings, **placement):
    """deploy/nginx.conf filled in for these settings, address, run dir and app servers."""
    if not settings["media_on_disk"]:
        template = without_block(template, "media-on-disk")
    return render(template, nginx_values(settings=settings, **placement))


def nginx_values(*, settings, host, port, run_dir, socket_dir, app_servers=None):
    cookies = [settings["session_cookie"], settings["messages_cookie"], settings["csrf_cookie"]]
    for name in cookies:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ServeError(f"The cookie name {name!r} is not a plain token.")
    return {
        "RUN_DIR": check_safe("The run dir", str(run_dir)),
        "LOG_DIR": str(run_dir / "logs"),
        "USER_DIRECTIVE": (
            # As root, nginx would run its workers as nobody, who may not read the repository
            # or the run dir. As any other user the directive is ignored, so it is left out.
            "user root;" if os.geteuid() == 0 else "# user: nginx runs as the user who started it"
        ),
        "LISTEN": f"{url_host(host)}:{port}",
        "APP_SERVERS": app_server_lines(app_servers, socket_dir),
        "STAMP_SOCKET": str(socket_dir / "stamp.sock"),
        "STATIC_URL": url_path("STATIC_URL", settings["static_url"]),
        "STATIC_ROOT": check_safe("STATIC_ROOT", settings["static_root"].rstrip("/")),
        **(
            {
                "MEDIA_URL": url_path("MEDIA_URL", settings["media_url"]),
                "MEDIA_ROOT": check_safe("MEDIA_ROOT", settings["media_root"].rstrip("/")),
            }
            if settings["media_on_disk"]
            else {}
        ),
        "SESSION_COOKIE": re.escape(settings["session_cookie"]),
        "MESSAGES_COOKIE": re.escape(settings["messages_cookie"]),
        "CSRF_COOKIE": re.escape(settings["csrf_cookie"]),
    }


def prepare_run_dir(run_dir):
    run_dir.mkdir(parents=True, exist_ok=True)
    # The run dir ignores itself, wherever it is.
    (run_dir / ".gitignore").write_text("*\n")
    pid_file = run_dir / "nginx.pid"
    if pid_file.exists():
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError):
            pid_file.unlink()
        except PermissionError:
            pid = pid_file.read_text().strip()
            raise ServeError(f"nginx (pid {pid}) is already running from {run_dir}: stop it first.") from None
        else:
            raise ServeError(f"nginx (pid {pid}) is already running from {run_dir}: stop it first.")
    # Cached pages from an earlier run are not served again, whatever their age.
    shutil.rmtree(run_dir / "cache", ignore_errors=True)
    for sub in ("logs", "tmp", "cache"):
        (run_dir / sub).mkdir(exist_ok=True)


def socket_dir_for(run_dir):
    if len(str(run_dir / "gunicorn.sock")) <= MAX_SOCKET_PATH:
        return run_dir, False
    return Path(tempfile.mkdtemp(prefix="autotrendy-")), True


def manage(env, *args):
    note("manage.py " + " ".join(args))
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, check=False)
    if result.returncode:
        raise ServeError(f"manage.py {args[0]} failed (exit {result.returncode}); see above.")


def probe_settings(env):
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise ServeError(f"Could not read the Django settings:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _child_setup():
    # Its own process group: Ctrl-C reaches this script only, which stops the children in order.
    os.setpgid(0, 0)
    if LIBC is not None:
        # If this script is killed outright, the kernel sends the child SIGTERM: nothing is left behind.
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start(name, command, env):
    note(f"starting {name}: {' '.join(map(str, command))}")
    # preexec_fn is safe here: this script starts no threads.
    return subprocess.Popen(command, cwd=REPO, env=env, preexec_fn=_child_setup)  # noqa: PLW1509


def wait_until(ready, *, what, timeout, processes):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise ServeError(
                    f"{name} stopped (exit {process.returncode}) while waiting for {what}; see above."
                )
        if ready():
            return
        time.sleep(0.1)
    raise ServeError(f"Timed out after {timeout} s waiting for {what}.")


def accepts(address, family=socket.AF_INET):
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(1)
            probe.connect(address)
        return True
    except OSError:
        return False


def stop(name, process, first_signal, timeout):
    if process is None or process.poll() is not None:
        return
    note(f"stopping {name}")
    for sig, wait in ((first_signal, timeout), (signal.SIGKILL, 5)):
        try:
            process.send_signal(sig)
            process.wait(wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            note(f"{name} did not stop within {wait} s: killing it")


def start_gunicorn(processes, env, socket_dir):
    """gunicorn (deploy/gunicorn.conf.py) on the unix socket nginx's upstream names; waits until it listens."""
    gunicorn_socket = socket_dir / "gunicorn.sock"
    processes["gunicorn"] = start(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(DEPLOY / "gunicorn.conf.py"),
            "--bind",
            f"unix:{gunicorn_socket}",
            # Its control socket (for gunicornc) here, not one shared path in $HOME.
            "--control-socket",
            str(socket_dir / "gunicorn.ctl"),
        ],
        env,
    )
    wait_until(
        lambda: accepts(str(gunicorn_socket), socket.AF_UNIX),
        what="gunicorn",
        timeout=60,
        processes=processes,
    )


def serve(args):
    nginx = find_nginx()
    if nginx is None:
        raise ServeError(NGINX_MISSING)
    run_dir = Path(args.run_dir).resolve()
    prepare_run_dir(run_dir)
    env = production_environment(os.environ, host=args.host, port=args.port, run_dir=run_dir)

    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "migrate", "--noinput")
    settings = probe_settings(env)
    if settings["media_on_disk"]:
        Path(settings["media_root"]).mkdir(parents=True, exist_ok=True)
    else:
        note("Media are on object storage (AWS_STORAGE_BUCKET_NAME): nginx serves no /media/.")

    socket_dir, temporary_sockets = socket_dir_for(run_dir)
    config = run_dir / "nginx.conf"
    config.write_text(
        nginx_config(
            (DEPLOY / "nginx.conf").read_text(),
            settings=settings,
            host=args.host,
            port=args.port,
            run_dir=run_dir,
            socket_dir=socket_dir,
            app_servers=args.app_server,
        )
    )
    gunicorn_socket = socket_dir / "gunicorn.sock"
    for stale in (gunicorn_socket, socket_dir / "stamp.sock"):
        stale.unlink(missing_ok=True)

    nginx_command = [nginx, "-p", str(run_dir), "-c", str(config), "-e", "stderr"]
    check = subprocess.run([*nginx_command, "-t", "-q"], capture_output=True, text=True, check=False)
    if check.returncode:
        raise ServeError(f"nginx rejected {config}:\n{check.stderr}")

    processes = {}
    try:
        if args.app_server:
            note("Fronting the app servers " + ", ".join(args.app_server) + " (no gunicorn started here).")
        else:
            start_gunicorn(processes, env, socket_dir)
        processes["nginx"] = start("nginx", nginx_command, env)
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        connect_host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(args.host, args.host)
        wait_until(
            lambda: accepts((connect_host, args.port), family), what="nginx", timeout=30, processes=processes
        )
        origin = f"http://{url_host(connect_host)}:{args.port}/"
        note(f"Auto Trendy (production setup) is at {origin}  (logs: {run_dir / 'logs'}; Ctrl-C stops)")
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    raise ServeError(
                        f"{name} stopped on its own (exit {process.returncode}); stopping the rest."
                    )
            time.sleep(0.5)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        # nginx first, so no request reaches a gunicorn that is going away. SIGQUIT is
        # nginx's graceful stop; gunicorn's is SIGTERM (graceful_timeout in its config).
        stop("nginx", processes.get("nginx"), signal.SIGQUIT, 10)
        stop("gunicorn", processes.get("gunicorn"), signal.SIGTERM, 15)
        for leftover in (gunicorn_socket, socket_dir / "stamp.sock", socket_dir / "gunicorn.ctl"):
            leftover.unlink(missing_ok=True)
        if temporary_sockets:
            shutil.rmtree(socket_dir, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--host", default="127.0.0.1", help="the address nginx listens on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8000, help="the port nginx listens on (default 8000)")
    parser.add_argument(
        "--app-server",
        action="append",
        metavar="HOST:PORT",
        help="front an app server running elsewhere instead of starting gunicorn here; repeat for "
        "each node (they share PostgreSQL, Redis and object storage: see README)",
    )
    parser.add_argument(
        "--run-dir",
        default=str(DEFAULT_RUN_DIR),
        help="where nginx keeps its config, pid, temp files, cache and logs (default .run/ in the repo)",
    )
    args = parser.parse_args(argv)

    def on_signal(signum, frame):
        raise Stop(signal.Signals(signum).name)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        serve(args)
    except Stop as stopped:
        note(f"{stopped}: stopped.")
        return 0
    except ServeError as error:
        print(f"serve: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
