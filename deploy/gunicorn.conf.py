"""gunicorn settings for Auto Trendy behind nginx (deploy/serve.py passes --bind).

Sync workers: each request holds one worker, nginx buffers slow clients and absorbs spikes
with its micro-cache, so a few workers per core are enough. WEB_CONCURRENCY overrides the count.
"""

import os

wsgi_app = "autotrendy.wsgi:application"
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# A request that takes longer than this is killed and logged: nginx answers 502.
timeout = 30
# On SIGTERM, requests in flight get this long to finish.
graceful_timeout = 10
# nginx writes the access log (with the cache status); gunicorn logs errors only.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "autotrendy"
# Only nginx talks to gunicorn (a unix socket, or loopback): trust its X-Forwarded-* headers.
forwarded_allow_ips = "127.0.0.1,::1"
