"""Reader listings at any size: a page of articles in two narrow steps, and exact counts
that cost one query per edition of the site.

A deep page (`?page=500`) used to make the database read and throw away every earlier row
in full (OFFSET) and count every matching article (COUNT) on every request. Here:

- the page's ids come first, from a query that selects ids alone in index order, so the
  skipped entries are read from the (status, published_at, id) index, not the table; then
  the ten rows, with their bylines and topics;
- the number of articles (for "Page 3 of 500" and for refusing page 501) is remembered
  under the site's edition (`articles.pagecache.current_edition()`).
"""

import hashlib
import threading

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from . import pagecache
from .compiled import CompiledQuery, Parameter
from .models import Article, Author, Topic, topics_among

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


def browsable_topics():
    """The topics with a published article (the navigation, search's topic filter), by name."""
    return edition_memo("browsable-topics", lambda: list(Topic.objects.with_published_articles()))


def browsable_authors():
    """The authors with a published article (search's author filter), by name."""
    return edition_memo("browsable-authors", lambda: list(Author.objects.with_published_articles()))


# A page of cards by id: `for_cards()` for up to CARD_SLOTS ids, its SQL written once per
# database connection (articles.compiled); each id has a slot of its own, so the statement is
# the same whatever the ids. Unused slots get an id no article has.
CARD_SLOTS = 10
_NO_ARTICLE = 0
_CARDS = CompiledQuery(
    lambda **slots: Article.objects.for_cards().filter(pk__in=list(slots.values())),
    *(Parameter(f"slot{slot}", Article._meta.pk, -1 - slot) for slot in range(CARD_SLOTS)),
)


def cards(ids):
    """The articles with these ids as listing cards show them, in the order of `ids` (an id
    no longer found is left out), each with its `first_topic` taken from the topics readers
    can browse (the navigation's, remembered per edition): one query per CARD_SLOTS ids.

    For published articles only: their topics are all browsable.
    """
    found = {}
    for start in range(0, len(ids), CARD_SLOTS):
        chunk = list(ids[start : start + CARD_SLOTS])
        chunk += [_NO_ARTICLE] * (CARD_SLOTS - len(chunk))
        found.update(
            (article.pk, article)
            for article in _CARDS.run(**{f"slot{slot}": pk for slot, pk in enumerate(chunk)})
        )
    rows = [found[pk] for pk in ids if pk in found]
    if rows:
        topics = browsable_topics()
        for article in rows:
            article.first_topic = next(iter(topics_among(article.topic_ids, topics)), None)
    return rows


class ListingPaginator(Paginator):
    """Pages of a listing, ids first, with a count remembered per edition.

    `object_list` is the listing of published articles as a lean queryset (filters and order
    only); a page's articles are then loaded for display by id (`cards`); `name` identifies
    the listing (its path) for the remembered count.
    """

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, name):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.name = name

    @cached_property
    def count(self):
        return edition_memo(f"listing-count:{self.name}", self.object_list.count)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        return self._get_page(cards(ids), number, self)
