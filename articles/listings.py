"""Reader listings at any size: a page of articles in two narrow steps, and exact counts
that cost one query per edition of the site.

A deep page (`?page=500`) used to make the database read and throw away every earlier row
in full (OFFSET) and count every matching article (COUNT) on every request. Here:

- the page's ids come first, from a query that selects ids alone in index order, so the
  skipped entries are read from the (status, published_at, id) index, not the table; then
  the ten rows, with their bylines and topics;
- past the first MARK_STRIDE entries, a page starts from the nearest remembered mark (every
  MARK_STRIDE-th entry's time and id, found once per edition): page 9,000 skips as few
  entries as page 50;
- the number of articles (for "Page 3 of 500" and for refusing page 501) is remembered
  under the site's edition (`articles.editions.edition_memo`).
"""

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Q, Window
from django.db.models.functions import Mod, RowNumber
from django.utils.functional import cached_property

from . import models
from .compiled import CompiledQuery, Parameter, column_converters, convert_row
from .editions import edition_memo
from .models import NEWEST_FIRST, Article, Author, Topic, topics_among


def browsable_topics():
    """The topics with a published article (the navigation, search's topic filter), by name."""
    return edition_memo("browsable-topics", lambda: list(Topic.objects.with_published_articles()))


def browsable_authors():
    """The authors with a published article (search's author filter), by name."""
    return edition_memo("browsable-authors", lambda: list(Author.objects.with_published_articles()))


def read_more_candidates():
    """ "Read more"'s candidates (`Article.surroundings`), by topic id: each browsable topic's
    newest `READ_MORE_CANDIDATES` published articles, newest first, each as (id,
    published_at, the ids of its topics).

    Remembered per edition, found for every topic in one statement: looked for on every
    article page, walking a topic's articles newest first until enough were found was most of
    the page's database time on a large site (1.6 ms of 2.5 on PostgreSQL at 10,000 articles).
    """

    def newest():
        limit = models.READ_MORE_CANDIDATES
        branches, params = [], []
        for topic in browsable_topics():
            of_topic = (
                Article.objects.published()
                .filter(topics=topic.pk)
                .with_topic_ids()
                .order_by(*NEWEST_FIRST)
                .values_list("pk", "published_at", "topic_ids")[:limit]
            )
            sql, topic_params = of_topic.query.sql_with_params()
            # A derived table each: SQLite takes no LIMIT in a branch of a UNION.
            branches.append(f"SELECT {int(topic.pk)}, k.* FROM ({sql}) k")
            params += topic_params
        found = {}
        if branches:
            with connection.cursor() as cursor:
                cursor.execute(" UNION ALL ".join(branches), params)
                rows = cursor.fetchall()
            converters = column_converters(Article, ["published_at"], connection)
            for topic_id, pk, published_at, topic_ids in rows:
                (published_at,) = convert_row([published_at], converters, connection)
                topics = frozenset(int(other) for other in (topic_ids or "").split(",") if other)
                found.setdefault(topic_id, []).append((pk, published_at, topics))
        for candidates in found.values():
            candidates.sort(key=lambda row: (row[1], row[0]), reverse=True)
        return found

    return edition_memo(f"read-more-candidates:{models.READ_MORE_CANDIDATES}", newest)


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


# A deep page is read from the nearest remembered position before it (`ListingPaginator.marks`):
# at most this many index entries skipped, whatever the page.
MARK_STRIDE = 500


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
        return self._get_page(cards(self._ids(bottom, top)), number, self)

    def _ids(self, bottom, top):
        """The ids at positions bottom..top of the listing (newest first).

        Skipping `bottom` entries (OFFSET) reads them all from the index: work that grows with
        the page's depth (page 10,000 of 100,000 articles: the whole index). Past the first
        MARK_STRIDE, the page is read from the nearest mark before it instead (`marks()`), and
        fewer than MARK_STRIDE entries are skipped.
        """
        listing = self.object_list
        marks = self.marks() if bottom >= MARK_STRIDE else []
        mark = min(bottom // MARK_STRIDE, len(marks))
        if mark:
            # From the mark on, in the listing's order (NEWEST_FIRST): the mark itself, then
            # everything older (among equal times, the lower ids). The mark's time comes first
            # in the WHERE clause: SQLite bounds the index range by the first of two upper
            # bounds on a column, and the listing's own ("published by now") would have it walk
            # from today back.
            published_at, pk = marks[mark - 1]
            from_mark = Article.objects.filter(published_at__lte=published_at).filter(
                Q(published_at__lt=published_at) | Q(pk__lte=pk)
            )
            listing = from_mark & listing
            start = mark * MARK_STRIDE
            bottom, top = bottom - start, top - start
        listing = listing.values_list("pk", flat=True)
        return list(listing[bottom:top])

    def marks(self):
        """[(published_at, id)] of the listing's entries at positions MARK_STRIDE,
        2 x MARK_STRIDE, ...: remembered per edition, found in one statement (the database
        numbers the entries in order and keeps every MARK_STRIDE-th).

        The first deep page of a listing in an edition pays for it: about 0.1 to 0.2 s for
        the home page or a large topic at 100,000 articles on the benchmark's machine; every
        deep page after it is as cheap as page 50."""

        def find():
            numbered = (
                self.object_list.order_by()
                .annotate(position=Window(RowNumber(), order_by=list(NEWEST_FIRST)))
                .annotate(remainder=Mod(F("position") - 1, MARK_STRIDE))
                .filter(remainder=0, position__gt=1)
                .order_by("position")
                .values_list("published_at", "pk")
            )
            return list(numbered)

        return edition_memo(f"listing-marks:{self.name}:{MARK_STRIDE}", find)
