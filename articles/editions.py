"""Values remembered per edition of the site: exact, never a guess with a timeout.

What readers can see changes only with the site's edition (`articles.pagecache`): its token
changes in the same transaction as a publish, unpublish, archive, correction, topic or author
change, and moves on when a scheduled publication time comes. Anything computed from what
readers can see (the navigation's topics, a listing's count, "Read more"'s candidates) is
therefore right for as long as the token it was computed under is current.
"""

import hashlib
import threading

from django.conf import settings
from django.core.cache import cache

from . import pagecache

# Values remembered under the newest editions this process has seen, by token: the shared
# cache unpickles a value on every read (and with Redis asks over the network); a reader
# page asks for its navigation on every request. Two editions, so that a request still on
# the previous one does not push out the current one. The values are shared by the requests
# of the process: read them, never change them.
_KEPT_EDITIONS = 2
_kept = {}
_kept_lock = threading.Lock()


def _kept_values(token):
    with _kept_lock:
        values = _kept.get(token)
        if values is None:
            values = _kept[token] = {}
            while len(_kept) > _KEPT_EDITIONS:
                del _kept[next(iter(_kept))]  # the oldest: dicts keep their insertion order
        return values


def forget_kept():
    """Drop what this process keeps (the tests do, as they empty the cache: a test's
    rollback can bring an edition token back)."""
    with _kept_lock:
        _kept.clear()


def edition_memo(name, compute):
    """`compute()`, remembered for the site's current edition: in this process, and in the
    shared cache for the other processes.

    Exact, not a guess with a timeout: the edition's token changes in the same transaction as
    anything readers can see (a publish, unpublish, archive, correction, topic or author
    change), and moves on when a scheduled publication time comes (articles.pagecache). What
    `compute()` reads changes only with the edition, so a value stored under a token is right
    for as long as anybody reads that token; a request that starts after a change commits
    reads the new token and computes afresh. (A request already running when a change commits
    may store the new value under the old token: the old token is no longer read by then.)
    """
    token = pagecache.current_edition().token
    digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    kept = _kept_values(token)
    if digest in kept:
        return kept[digest]
    key = f"edition-memo:{token}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, settings.PAGE_CACHE_TIMEOUT)
    kept[digest] = value
    return value
