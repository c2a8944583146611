"""SQLite: the FTS5 table of migration 0001, with porter stemming, kept current by triggers.

Ranked by `bm25` with ts_rank's default column weights, snippets by FTS5's `snippet()`.
"""

from django.db import connection, transaction
from django.db.models.expressions import RawSQL

from .results import SearchResults
from .snippets import Markers, snippet_html

FTS_TABLE = "articles_article_fts"
# Title, standfirst, body, take: ts_rank's default weights for A, B, C and C, so that
# bm25 ranks as PostgreSQL does.
COLUMN_WEIGHTS = (1.0, 0.4, 0.2, 0.2)

# The schema migration 0001 creates, repeated here so that search can repair it: when a
# later migration alters the article table, Django's SQLite backend rebuilds the table
# (create a copy, drop the original, rename), and dropping the original drops these
# triggers with it. Keep in step with the migration.
_FTS_COLUMNS = "title, standfirst, body, take"
_FTS_TABLE_SQL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({_FTS_COLUMNS}, tokenize='porter unicode61')"
)
_FTS_TRIGGERS = {
    f"{FTS_TABLE}_insert": f"""
        CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON articles_article BEGIN
            INSERT INTO {FTS_TABLE}(rowid, {_FTS_COLUMNS})
            VALUES (new.id, new.title, new.standfirst, new.body, new.take);
        END""",
    f"{FTS_TABLE}_update": f"""
        CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update
        AFTER UPDATE OF id, {_FTS_COLUMNS} ON articles_article BEGIN
            DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
            INSERT INTO {FTS_TABLE}(rowid, {_FTS_COLUMNS})
            VALUES (new.id, new.title, new.standfirst, new.body, new.take);
        END""",
    f"{FTS_TABLE}_delete": f"""
        CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON articles_article BEGIN
            DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
        END""",
}
_FTS_REFILL_SQL = [
    f"DELETE FROM {FTS_TABLE}",
    f"INSERT INTO {FTS_TABLE}(rowid, {_FTS_COLUMNS}) SELECT id, {_FTS_COLUMNS} FROM articles_article",
]
_BM25_WEIGHTS = ", ".join(map(str, COLUMN_WEIGHTS))

# Whether a match may be shown (published, its time come, the author asked for) is read for
# each of up to 1,001 matches: from this index alone. From the table's rows SQLite reads
# past the Markdown and its HTML (overflow pages) to reach those columns, which made half
# the cost of ranking a common word's matches. SQLite would look a row up by its primary
# key rather than through this index, so the query names it (`INDEXED BY`).
_ELIGIBILITY_INDEX = "articles_article_search_eligibility"
_ELIGIBILITY_INDEX_SQL = f"CREATE INDEX IF NOT EXISTS {_ELIGIBILITY_INDEX} ON articles_article (id, status, published_at, author_id)"
_ARTICLE_TABLE = 'FROM "articles_article"'


def ensure_index():
    """Recreate the FTS5 table or its triggers if any is missing, and refill the table; make
    the eligibility index if it is missing (a table rebuild drops it too).

    One look at sqlite_master per search when all is well.
    """
    names = [FTS_TABLE, *_FTS_TRIGGERS, _ELIGIBILITY_INDEX]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name FROM sqlite_master WHERE name IN ({', '.join(['%s'] * len(names))})", names
        )
        missing = set(names) - {row[0] for row in cursor.fetchall()}
        if not missing:
            return
        with transaction.atomic():
            if missing != {_ELIGIBILITY_INDEX}:
                cursor.execute(_FTS_TABLE_SQL)
                for sql in _FTS_TRIGGERS.values():
                    cursor.execute(sql)
                for sql in _FTS_REFILL_SQL:
                    cursor.execute(sql)
            cursor.execute(_ELIGIBILITY_INDEX_SQL)


def fts5_query(parsed):
    """An FTS5 MATCH expression for `parsed`; every phrase is quoted, so any input is valid."""

    def phrase(words):
        # Words hold only letters and digits: no quote can end the string early.
        return '"' + " ".join(words) + '"'

    expression = " AND ".join("(" + " OR ".join(map(phrase, clause)) + ")" for clause in parsed.clauses)
    for words in parsed.excluded:
        expression = f"({expression}) NOT {phrase(words)}"
    return expression


def newest_matches(articles, parsed, count):
    """The newest `count` of `articles` matching `parsed`, as (pk, published_at, rank) rows."""
    # FTS5 walks the matches by rowid (the article's id) from the highest, natively, and
    # stops at the LIMIT; bm25 is computed for the rows returned only. Each row is checked
    # against the filters of `articles` (published, topic, author) by primary key, in a
    # correlated subquery that also gives its publication time (NULL: not eligible).
    eligible = articles.filter(pk=RawSQL(f"{FTS_TABLE}.rowid", ())).order_by().values("published_at")
    eligible_sql, eligible_params = eligible.query.sql_with_params()
    eligible_sql = eligible_sql.replace(
        _ARTICLE_TABLE, f"{_ARTICLE_TABLE} INDEXED BY {_ELIGIBILITY_INDEX}", 1
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, ({eligible_sql}) || '' AS published, -bm25({FTS_TABLE}, {_BM25_WEIGHTS}) "
            f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND published IS NOT NULL "
            f"ORDER BY rowid DESC LIMIT %s",
            [*eligible_params, fts5_query(parsed), count],
        )
        # The publication time as stored, text: it orders as the time does (SQLite's own
        # ORDER BY compares it so). `|| ''` makes it an expression, which the driver does not
        # convert as it converts a timestamp column: a third of the query's time.
        return cursor.fetchall()


def search(articles, parsed, *, limit):
    """The SearchResults of `articles` matching `parsed`, best first among the `limit` newest."""
    ensure_index()
    match = fts5_query(parsed)

    def add_snippets(page):
        by_id = {article.pk: article for article in page}
        markers = Markers.fresh()
        # Columns 2 and 3: body and take.
        snippet = f"snippet({FTS_TABLE}, %s, %s, %s, '…', 24)"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, {snippet}, {snippet} FROM {FTS_TABLE} "
                f"WHERE {FTS_TABLE} MATCH %s AND rowid IN ({', '.join(['%s'] * len(by_id))})",
                [2, markers.start, markers.stop, 3, markers.start, markers.stop, match, *by_id],
            )
            for article_id, from_body, from_take in cursor.fetchall():
                # The body's best passage, unless only the take has the words.
                only_take = markers.start not in from_body and markers.start in from_take
                by_id[article_id].snippet = snippet_html(from_take if only_take else from_body, markers)

    return SearchResults(lambda count: newest_matches(articles, parsed, count), add_snippets, limit=limit)
