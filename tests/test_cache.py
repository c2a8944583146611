"""The shared cache: with REDIS_URL set, the settings' Redis cache really stores and reads."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (.ci/run sets it for the PostgreSQL pass)"
)
def test_the_configured_redis_cache_round_trips_a_value():
    key = f"autotrendy-test-{uuid.uuid4().hex}"
    script = (
        "import django; django.setup();"
        "from django.core.cache import cache;"
        f"cache.set({key!r}, 'vroom', 30); from django.core.cache import caches; print(type(caches['default']).__name__, cache.get({key!r})); cache.delete({key!r})"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "autotrendy.settings",
        "DJANGO_DEBUG": "true",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["RedisCache", "vroom"]
