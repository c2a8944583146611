"""PostgreSQL: the stored, weighted `search_vector` column that migration 0001 adds.

Queried with `websearch_to_tsquery`, ranked by `ts_rank`, snippets by `ts_headline`.

The newest matches are found in one query, `ORDER BY id DESC LIMIT n`, and the planner
picks the cheaper way for the word at hand (EXPLAIN ANALYZE, 100,000 articles): for a
word in a third of them ("battery") it walks the primary key backwards and tests each
row's vector with `@@`, stopping at the n-th match (3,000 rows read for n = 1,001, 1,135
buffers, 2.5 ms); for a rare word ("Renault") it asks the GIN index and sorts
the few matches. `ts_rank` is computed for the rows returned only. Both read the vector
from the row itself, out of TOAST (storage MAIN: see migration 0001).
"""

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import Expression, FloatField, Func, TextField, Value
from django.db.models.functions import Concat

from ..models import Article
from .results import SearchResults
from .snippets import Markers, snippet_html

SEARCH_CONFIG = "english"

# ts_headline drops anything that looks like a tag; the snippet shows the Markdown as
# written, so "<" and ">" travel through it as these and come back before escaping.
ANGLE_STAND_INS = "\x0e\x0f"


class SearchVectorColumn(Expression):
    """Article's `search_vector` column (PostgreSQL only; added by migration 0001)."""

    output_field = SearchVectorField()

    def __init__(self, alias=None):
        super().__init__()
        self.alias = alias

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        # The query's own alias of the article table, kept right (relabeled_clone) when
        # Django nests the query as a subquery and renames its tables.
        return SearchVectorColumn(query.get_initial_alias())

    def relabeled_clone(self, relabels):
        return SearchVectorColumn(relabels.get(self.alias, self.alias))

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name(self.alias)}.{connection.ops.quote_name('search_vector')}", []


def _search_query(parsed):
    # websearch_to_tsquery reads any string without error: quotes, "or", "-word".
    return SearchQuery(parsed.text, config=SEARCH_CONFIG, search_type="websearch")


# The publication time as seconds since 1970, a float (exact to the microsecond for any
# date of this era): it orders as the time does, and a float is read without the work of
# making a timezone-aware datetime, for each of up to 1,001 matches.
_EPOCH = Func(
    "published_at", template="EXTRACT(EPOCH FROM %(expressions)s)::float8", output_field=FloatField()
)


def newest_matching(articles, parsed, count):
    """The query of `newest_matches`."""
    search_query = _search_query(parsed)
    return (
        articles.alias(document=SearchVectorColumn())
        .filter(document=search_query)
        .annotate(rank=SearchRank(SearchVectorColumn(), search_query), published=_EPOCH)
        .order_by("-id")
        .values_list("id", "published", "rank")[:count]
    )


def newest_matches(articles, parsed, count):
    """The newest `count` of `articles` matching `parsed`, as (pk, published_at, rank) rows
    (published_at: seconds since 1970)."""
    # The rows as the driver gives them: no converter of Django's to pass each value through.
    sql, params = newest_matching(articles, parsed, count).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def search(articles, parsed, *, limit):
    """The SearchResults of `articles` matching `parsed`, best first among the `limit` newest."""
    search_query = _search_query(parsed)

    def add_snippets(page):
        markers = Markers.fresh()
        text = Func(
            Concat("body", Value("\n\n"), "take", output_field=TextField()),
            Value("<>"),
            Value(ANGLE_STAND_INS),
            function="translate",
            output_field=TextField(),
        )
        headline = SearchHeadline(
            text,
            search_query,
            config=SEARCH_CONFIG,
            start_sel=markers.start,
            stop_sel=markers.stop,
            min_words=15,
            max_words=35,
        )
        # With the text the passage was cut from (cards leave the body and take out).
        headlines = {
            pk: (headline, f"{body}\n\n{take}")
            for pk, headline, body, take in Article.objects.filter(pk__in=[article.pk for article in page])
            .annotate(headline=headline)
            .values_list("pk", "headline", "body", "take")
        }
        angles = {ord(ANGLE_STAND_INS[0]): "<", ord(ANGLE_STAND_INS[1]): ">"}
        for article in page:
            raw, text = headlines.get(article.pk, ("", ""))
            passage = _with_ellipses(raw.translate(angles), text, markers)
            article.snippet = snippet_html(passage, markers)

    return SearchResults(lambda count: newest_matches(articles, parsed, count), add_snippets, limit=limit)


def _with_ellipses(passage, text, markers):
    """`passage` with "…" where it cuts `text` short, as FTS5's snippet() does it."""
    plain = passage.replace(markers.start, "").replace(markers.stop, "").strip()
    position = text.find(plain) if plain else -1
    if position < 0:
        return passage
    before = "…" if text[:position].strip() else ""
    after = "…" if text[position + len(plain) :].strip() else ""
    return f"{before}{passage}{after}"
