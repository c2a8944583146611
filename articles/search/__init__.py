"""Searching published articles: one interface, an engine per database.

`search_articles(query, topic=..., author=...)` gives the published matches, best first;
every article fetched from it carries `.snippet`, safe HTML with the matched words in
`<mark>`. When more than `MAX_RANKED` articles match, it ranks the `MAX_RANKED` newest
of them and says so (`.capped`); see "Bounded work" below. The modules:

- `query`: normalising what was typed (`normalise_query`, with the "truncated" flag) and
  reading it as web-search syntax (`parse_query`, `has_words`).
- `postgresql`: the `search_vector` column that migration 0001 adds (title weighted A,
  standfirst B, body and take C, English stemming, GIN index; kept in the row, out
  of TOAST), queried with `websearch_to_tsquery`, ranked by `ts_rank`, snippets by
  `ts_headline`.
- `sqlite`: the FTS5 table `articles_article_fts` (porter stemming, kept current by
  triggers), ranked by `bm25` with the same column weights, snippets by `snippet()`.
- `snippets`: turning a passage with marked matches into safe HTML.
- `results`: `SearchResults`, which a Paginator takes like a queryset.

Bounded work (decided 2026-11-25, measured). Ranking every match made a search cost grow
with the matches: at 100,000 articles, "battery" (a third of them) took 1.2 s on
PostgreSQL (a COUNT and ts_rank over 33,000 rows) and 0.75 s on SQLite (bm25 for every
match, then every match's publication time), against 8 and 3 ms with the two launch
articles. Now 29 and 15 ms (a page of ten snippets included). A search takes the newest
`MAX_RANKED` + 1 matches (highest id first: the articles most recently written) in an
order both databases walk natively and stop early (PostgreSQL: the primary key, testing
each row with `@@`, or the GIN index for a rare word; SQLite: FTS5's own rowid order),
ranks the `MAX_RANKED` newest, and counts no further: the extra one only tells that more
matched, and the page says "more than 1,000" and pages through those. A site with fewer
matches sees exactly what ranking them all gives: same articles, order and snippets.
Newest by id, not by publication time: FTS5 walks rowids only, and finding the newest by
publication would read every match's row, a cost that grows with the matches again. The
work is about `MAX_RANKED` rows (3 us each on PostgreSQL, 8 us on SQLite), more when the
filters reject most matches (a common word narrowed to a small topic reads the word's
matches until enough pass). Rejected: a RUM index (ranks inside the index, but an extension CI and every server
would need, with a fallback where absent) and a smaller vector for ranking (a different
rank, so different results on small sites).

The model does not declare `search_vector`: a field would put it in every SELECT and
INSERT, and SQLite has no such column (see the migration).

FTS5 only, no fallback without it (decided 2026-11-25, measured). CPython on Linux
builds no SQLite of its own: `_sqlite3` links the system's libsqlite3. On Debian 12 that
is libsqlite3-0 3.40.1-2+deb12u2, and `sqlite3.connect(":memory:")` with
`pragma compile_options` lists ENABLE_FTS5, and `CREATE VIRTUAL TABLE … USING fts5(…,
tokenize='porter unicode61')` succeeds, in every interpreter on the machine: the venv's
3.13.0, pyenv's 3.12.1 and 3.13.0 (and 3.6 to 3.11), and Debian's own python3 3.11.2.
Where CPython bundles SQLite, it compiles FTS5 in: the Windows build
(PCbuild/sqlite3.vcxproj, SQLITE_ENABLE_FTS5) and the macOS installer
(Mac/BuildScript/build-installer.py, -DSQLITE_ENABLE_FTS5); so do python-build-standalone
(uv's Pythons: cpython-unix/build-sqlite.sh). A "simple" LIKE-matching engine for an
SQLite without FTS5 served no build we use, so it was removed; such an SQLite now
fails at `migrate` ("no such module: fts5") instead of searching worse.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from ..models import Article
from . import postgresql, sqlite
from .query import MAX_QUERY_LENGTH, has_words, normalise_query, parse_query
from .results import SearchResults

__all__ = ["MAX_QUERY_LENGTH", "MAX_RANKED", "has_words", "normalise_query", "search_articles"]

ENGINES = {"postgresql": postgresql, "sqlite": sqlite}

# The newest matches that one search ranks; past them the page says "more than".
MAX_RANKED = 1000


def search_articles(query, *, topic=None, author=None):
    """Published articles matching `query` (websearch syntax), best match first.

    `topic` and `author` (model instances) narrow the search. Any string is accepted:
    one that names nothing to look for gives no results rather than an error. At most
    `MAX_RANKED` results, the best of the newest matches; `.capped` tells whether more
    matched.
    """
    parsed = parse_query(query)
    articles = Article.objects.published()
    if topic is not None:
        articles = articles.filter(topics=topic)
    if author is not None:
        articles = articles.by_author(author)
    if not parsed.clauses:
        return SearchResults.empty()
    try:
        engine = ENGINES[connection.vendor]
    except KeyError:
        raise ImproperlyConfigured(f"Search needs PostgreSQL or SQLite, not {connection.vendor}.") from None
    return engine.search(articles, parsed, limit=MAX_RANKED)
