"""The results of one search, in the shape a Paginator and a ListView expect."""

from ..models import Article


class SearchResults:
    """The ranked matches of one search: lazy, countable and sliceable like a queryset,
    so a Paginator takes it as it is.

    `articles` is the matching articles, ordered best first by a `rank` annotation;
    or, with `ranking` (a callable giving [(pk, rank), ...] best first, for engines
    that rank faster outside the ORM's query), in any order. Slicing fetches that
    slice only and gives each article its `.snippet` through `add_snippets(page)`:
    snippets are made for the page alone, because making one re-reads the article's text.
    """

    model = Article  # ListView names the page's list `article_list` after it.
    ordered = True

    def __init__(self, articles, add_snippets, *, ranking=None):
        self.articles = articles
        self._add_snippets = add_snippets
        self._rank = ranking
        self._ranking = None

    @classmethod
    def empty(cls, articles):
        return cls(articles.none(), lambda page: None)

    def ranking(self):
        if self._ranking is None:
            self._ranking = self._rank()
        return self._ranking

    def count(self):
        return self.articles.count() if self._rank is None else len(self.ranking())

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        if self._rank is None:
            page = list(self.articles[index])
        else:
            chosen = self.ranking()[index]
            found = self.articles.in_bulk([pk for pk, rank in chosen])
            page = []
            for pk, rank in chosen:
                found[pk].rank = rank
                page.append(found[pk])
        for article in page:
            article.snippet = ""
        if page:
            self._add_snippets(page)
        return page

    def __iter__(self):
        return iter(self[:])

    def __bool__(self):
        return self.count() > 0
