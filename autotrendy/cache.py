"""The Redis cache, failing open: a cache that is down is a cache that misses.

Django's RedisCache raises when Redis is unreachable, so every page would be a 500 while
Redis restarts. Here a read that fails is a miss (the page is rendered), a write that fails
is skipped, and one warning is logged when Redis goes away and one when it is back. After a
failure Redis is left alone for `retry_after` seconds (OPTIONS, default 2): a Redis that
hangs rather than refuses costs the socket timeout once, not on every call of every request.

Nothing lives only in the cache: sessions are in the database, the page cache's edition is a
database row, so a cache that forgets is always correct, only slower.
"""

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _fail_open(fallback):
    """Run the cache operation; on a Redis error (or while Redis is down) return `fallback(...)`."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            if self._down_until and time.monotonic() < self._down_until:
                return fallback(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except (RedisError, OSError) as error:
                self._went_down(error)
                return fallback(*args, **kwargs)
            if self._down_until:
                self._down_until = 0.0
                logger.warning("Redis cache is reachable again.")
            return result

        return wrapper

    return decorate


def _default(key, default=None, *args, **kwargs):
    return default


def _nothing(*args, **kwargs):
    return None


def _false(*args, **kwargs):
    return False


def _empty_dict(*args, **kwargs):
    return {}


def _all_keys_failed(data, *args, **kwargs):
    return list(data)


def _raise_missing(key, *args, **kwargs):
    raise ValueError(f"Key '{key}' not found (the cache is unreachable).")


class FailOpenRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache` that never raises for Redis being away."""

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("retry_after", 2.0))
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._down_until = 0.0

    def _went_down(self, error):
        if not self._down_until:
            logger.warning(
                "Redis cache unreachable (%s): serving without it, retrying every %s s.",
                error,
                self.retry_after,
            )
        self._down_until = time.monotonic() + self.retry_after

    add = _fail_open(_false)(RedisCache.add)
    get = _fail_open(_default)(RedisCache.get)
    set = _fail_open(_nothing)(RedisCache.set)
    touch = _fail_open(_false)(RedisCache.touch)
    delete = _fail_open(_false)(RedisCache.delete)
    get_many = _fail_open(_empty_dict)(RedisCache.get_many)
    has_key = _fail_open(_false)(RedisCache.has_key)
    set_many = _fail_open(_all_keys_failed)(RedisCache.set_many)
    delete_many = _fail_open(_nothing)(RedisCache.delete_many)
    clear = _fail_open(_false)(RedisCache.clear)
    # incr (and decr) keep the cache's contract, ValueError for a missing key: with Redis
    # away, every key is missing.
    incr = _fail_open(_raise_missing)(RedisCache.incr)
