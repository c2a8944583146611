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

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from . import pagecache
from .models import Author, Topic


def edition_memo(name, compute):
    """`compute()`, remembered in the cache for the site's current edition.

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
    key = f"edition-memo:{token}:{digest}"
    # A reader request reads each value from the cache once (the article page needs the
    # topics twice: its own and the navigation's).
    this_request = pagecache.request_memo()
    if this_request is not None and key in this_request:
        return this_request[key]
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, settings.PAGE_CACHE_TIMEOUT)
    if this_request is not None:
        this_request[key] = value
    return value


def browsable_topics():
    """The topics with a published article (the navigation, search's topic filter), by name."""
    return edition_memo("browsable-topics", lambda: list(Topic.objects.with_published_articles()))


def browsable_authors():
    """The authors with a published article (search's author filter), by name."""
    return edition_memo("browsable-authors", lambda: list(Author.objects.with_published_articles()))


class ListingPaginator(Paginator):
    """Pages of a listing, ids first, with a count remembered per edition.

    `object_list` is the listing as a lean queryset (filters and order only); `rows` is the
    queryset that loads a page's articles for display (byline, topics); `name` identifies the
    listing (its path) for the remembered count.
    """

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, rows, name):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.rows = rows
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
        by_id = {article.pk: article for article in self.rows.filter(pk__in=ids)}
        return self._get_page([by_id[pk] for pk in ids if pk in by_id], number, self)
