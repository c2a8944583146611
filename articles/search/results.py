"""The results of one search, in the shape a Paginator and a ListView expect."""

from ..listings import cards
from ..models import Article


class SearchResults:
    """The ranked matches of one search: lazy, countable and sliceable like a queryset,
    so a Paginator takes it as it is.

    `newest_matches(count)` is the engine's query: the newest matching articles (highest
    id first) that `articles` allows, at most `count`, as (pk, published_at, rank) rows
    (published_at: the time, or any value that orders as it does).
    It is asked for `limit` + 1: `limit` of them are ranked, best first (rank, then
    newest published, then highest id, as the listing orders ties), and the extra one
    only tells that more matched (`capped`). With fewer matches than `limit`, every match
    is ranked: the results are exactly those of ranking them all.

    Slicing fetches that slice only and gives each article its `.snippet` through
    `add_snippets(page)`: snippets are made for the page alone, because making one
    re-reads the article's text.
    """

    model = Article  # ListView names the page's list `article_list` after it.
    ordered = True

    def __init__(self, newest_matches, add_snippets, *, limit):
        self._newest_matches = newest_matches
        self._add_snippets = add_snippets
        self.limit = limit
        self._ranking = None
        self._capped = False

    @classmethod
    def empty(cls):
        return cls(lambda count: [], lambda page: None, limit=0)

    def ranking(self):
        """[(pk, rank), ...] best first."""
        if self._ranking is None:
            rows = list(self._newest_matches(self.limit + 1))
            self._capped = len(rows) > self.limit
            best_first = sorted(rows[: self.limit], key=lambda row: (row[2], row[1], row[0]), reverse=True)
            self._ranking = [(pk, rank) for pk, published_at, rank in best_first]
        return self._ranking

    @property
    def capped(self):
        """Whether more articles matched than the `limit` newest that were ranked."""
        self.ranking()
        return self._capped

    def count(self):
        return len(self.ranking())

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        chosen = self.ranking()[index]
        ranks = dict(chosen)
        # As listing cards, by primary key alone: the ranking query applied the filters a
        # moment ago. With them repeated here, SQLite (no ANALYZE statistics) would read the
        # articles through the status index, all the published ones, to find ten. An
        # article deleted since is left out.
        page = cards([pk for pk, rank in chosen])
        for article in page:
            article.rank = ranks[article.pk]
            article.snippet = ""
        if page:
            self._add_snippets(page)
        return page

    def __iter__(self):
        return iter(self[:])

    def __bool__(self):
        return self.count() > 0
