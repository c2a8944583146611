"""Django settings for benchmark runs: the production settings (DEBUG off unless the
environment says otherwise), with static files collected into the benchmark's own
directory instead of the repository's `staticfiles/`, so the hashed-manifest storage
works exactly as in production without touching the working tree."""

import os

from autotrendy.settings import *

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]

# The benchmark's figures are for uncached pages: the page cache (articles.pagecache) is
# off unless a server is started for cache hits or behind the front (BENCH_PAGE_CACHE=on).
PAGE_CACHE_ENABLED = os.environ.get("BENCH_PAGE_CACHE", "off") == "on"
