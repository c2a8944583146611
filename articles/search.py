"""Searching published articles: one interface, an engine per database.

`search_articles(query, topic=..., author=...)` gives the published matches, best first;
every article fetched from it carries `.snippet`, safe HTML with the matched words in
`<mark>`. Behind it:

- PostgreSQL: the `search_vector` column that migration 0005 adds (title weighted A,
  standfirst B, body and take C, English stemming, GIN index), queried with
  `websearch_to_tsquery`, ranked by `ts_rank`, snippets by `ts_headline`.
- SQLite: the FTS5 table `articles_article_fts` (porter stemming, kept current by
  triggers), ranked by `bm25` with the same column weights, snippets by `snippet()`.
- SQLite without FTS5: every word must appear somewhere; title hits rank first.

The model does not declare `search_vector`: a field would put it in every SELECT and
INSERT, and SQLite has no such column (see the migration).
"""

import html
import re
import secrets
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVectorField
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, Expression, Func, Q, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.utils.safestring import mark_safe

from .models import Article

MAX_QUERY_LENGTH = 200
SEARCH_CONFIG = "english"
# Title, standfirst, body, take: ts_rank's default weights for A, B, C and C, which
# bm25 gets on SQLite too.
COLUMN_WEIGHTS = (1.0, 0.4, 0.2, 0.2)
FTS_TABLE = "articles_article_fts"

# ts_headline drops anything that looks like a tag; the snippet shows the Markdown as
# written, so "<" and ">" travel through it as these and come back before escaping.
ANGLE_STAND_INS = "\x0e\x0f"


def normalise_query(raw):
    """The query as we will search it: trimmed, whitespace folded, capped in length."""
    # NUL as a separator: PostgreSQL refuses it in any text parameter (a 500 otherwise).
    return " ".join((raw or "").replace("\x00", " ").split())[:MAX_QUERY_LENGTH]


# ---------------------------------------------------------------------------
# Reading a query


@dataclass(frozen=True)
class ParsedQuery:
    """A query in the shape of PostgreSQL's websearch syntax.

    `clauses` must all match; each clause is a tuple of alternatives (words joined by
    "or"); each alternative is a phrase, a tuple of words that must follow each other.
    `excluded` holds the phrases written with a leading "-". Words are letters and digits
    only, so nothing in here can be an operator of any search engine.
    """

    clauses: tuple = ()
    excluded: tuple = ()

    @property
    def words(self):
        return [word for clause in self.clauses for phrase in clause for word in phrase]


# A quoted phrase (the closing quote may be missing), or any other run of non-spaces.
_TERM_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD_RE = re.compile(r"[^\W_]+")


def parse_query(query):
    clauses, excluded = [], []
    join_with_previous = False
    for match in _TERM_RE.finditer(query):
        negated, quoted, bare = match.groups()
        if bare is not None and bare.lower() == "or":
            join_with_previous = bool(clauses)
            continue
        text = quoted if bare is None else bare
        if bare is not None and bare.startswith("-"):
            negated, text = "-", bare[1:]
        phrase = tuple(_WORD_RE.findall(text))
        if not phrase:
            continue
        if negated:
            excluded.append(phrase)
        elif join_with_previous:
            clauses[-1].append(phrase)
        else:
            clauses.append([phrase])
        join_with_previous = False
    return ParsedQuery(tuple(tuple(clause) for clause in clauses), tuple(excluded))


def has_words(query):
    """Whether `query` names anything to look for (excluded words alone do not)."""
    return bool(parse_query(query).clauses)


# ---------------------------------------------------------------------------
# The interface


def search_articles(query, *, topic=None, author=None):
    """Published articles matching `query` (websearch syntax), best match first.

    `topic` and `author` (model instances) narrow the search. Any string is accepted:
    one that names nothing to look for gives no results rather than an error.
    """
    parsed = parse_query(query)
    articles = Article.objects.published()
    if topic is not None:
        articles = articles.filter(topics=topic)
    if author is not None:
        articles = articles.filter(author=author)
    if not parsed.clauses:
        return SearchResults(articles.none(), lambda page: None)
    engine = search_engine()
    articles = articles.with_byline()
    if engine == "fts5":
        return _fts5_search(articles, parsed)
    if engine == "postgresql":
        ranked, add_snippets = _postgresql_search(articles, query)
    else:
        ranked, add_snippets = _simple_search(articles, parsed)
    return SearchResults(ranked.order_by("-rank", "-published_at", "-id"), add_snippets)


def search_engine():
    """ "postgresql", "fts5" or "simple": what `search_articles` uses on this database."""
    if connection.vendor == "postgresql":
        return "postgresql"
    if connection.vendor == "sqlite" and ensure_sqlite_index():
        return "fts5"
    return "simple"


class SearchResults:
    """The ranked matches of one search: lazy, countable and sliceable like a queryset,
    so a Paginator takes it as it is.

    `articles` is the matching articles, ordered best first by a `rank` annotation;
    or, with `ranking` (a callable giving [(pk, rank), ...] best first, for engines
    that rank faster outside the ORM's query), in any order. Slicing fetches that
    slice only and gives each article its `.snippet`: snippets are made for the page
    alone, because making one re-reads the article's text.
    """

    model = Article  # ListView names the page's list `article_list` after it.
    ordered = True

    def __init__(self, articles, add_snippets, *, ranking=None):
        self.articles = articles
        self._add_snippets = add_snippets
        self._rank = ranking
        self._ranking = None

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


# ---------------------------------------------------------------------------
# PostgreSQL


class SearchVectorColumn(Expression):
    """Article's `search_vector` column (PostgreSQL only; added by migration 0005)."""

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


def _postgresql_search(articles, query):
    # websearch_to_tsquery reads any string without error: quotes, "or", "-word".
    search_query = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
    ranked = (
        articles.alias(document=SearchVectorColumn())
        .filter(document=search_query)
        .annotate(rank=SearchRank(SearchVectorColumn(), search_query))
    )

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
        headlines = dict(
            Article.objects.filter(pk__in=[article.pk for article in page])
            .annotate(headline=headline)
            .values_list("pk", "headline")
        )
        angles = {ord(ANGLE_STAND_INS[0]): "<", ord(ANGLE_STAND_INS[1]): ">"}
        for article in page:
            raw = headlines.get(article.pk, "").translate(angles)
            passage = _with_ellipses(raw, f"{article.body}\n\n{article.take}", markers)
            article.snippet = snippet_html(passage, markers)

    return ranked, add_snippets


def _with_ellipses(passage, text, markers):
    """`passage` with "…" where it cuts `text` short, as FTS5's snippet() does it."""
    plain = passage.replace(markers.start, "").replace(markers.stop, "").strip()
    position = text.find(plain) if plain else -1
    if position < 0:
        return passage
    before = "…" if text[:position].strip() else ""
    after = "…" if text[position + len(plain) :].strip() else ""
    return f"{before}{passage}{after}"


# ---------------------------------------------------------------------------
# SQLite with FTS5

# The schema migration 0005 creates, repeated here so that search can repair it: when a
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
_fts5_missing = False  # This SQLite was built without FTS5: stop asking.


def ensure_sqlite_index():
    """Whether the FTS5 index is usable; recreates what is missing and refills it.

    One look at sqlite_master per search when all is well.
    """
    global _fts5_missing
    if _fts5_missing:
        return False
    names = [FTS_TABLE, *_FTS_TRIGGERS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name FROM sqlite_master WHERE name IN ({', '.join(['%s'] * len(names))})", names
        )
        present = {row[0] for row in cursor.fetchall()}
        if present == set(names):
            return True
        try:
            with transaction.atomic():
                cursor.execute(_FTS_TABLE_SQL)
                for sql in _FTS_TRIGGERS.values():
                    cursor.execute(sql)
                for sql in _FTS_REFILL_SQL:
                    cursor.execute(sql)
        except DatabaseError as error:
            if "fts5" not in str(error):
                raise
            _fts5_missing = True
            return False
    return True


def fts5_query(parsed):
    """An FTS5 MATCH expression for `parsed`; every phrase is quoted, so any input is valid."""

    def phrase(words):
        # Words hold only letters and digits: no quote can end the string early.
        return '"' + " ".join(words) + '"'

    expression = " AND ".join("(" + " OR ".join(map(phrase, clause)) + ")" for clause in parsed.clauses)
    for words in parsed.excluded:
        expression = f"({expression}) NOT {phrase(words)}"
    return expression


def _fts5_search(articles, parsed):
    match = fts5_query(parsed)

    def ranking():
        # FTS5 ranks every match in one pass of its own. Ranked inside the ORM's query,
        # SQLite would instead run the match again for each article: 0.6 s instead of
        # 0.02 s for 5,000 matches here.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, -bm25({FTS_TABLE}, {_BM25_WEIGHTS}) FROM {FTS_TABLE} "
                f"WHERE {FTS_TABLE} MATCH %s",
                [match],
            )
            ranks = dict(cursor.fetchall())
        # The filters of `articles` (published, topic, author) decide which of them count.
        matching = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match])
        eligible = articles.filter(id__in=matching).values_list("id", "published_at")
        best_first = sorted(eligible, key=lambda row: (-ranks[row[0]], -row[1].timestamp(), -row[0]))
        return [(pk, ranks[pk]) for pk, published_at in best_first]

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

    return SearchResults(articles, add_snippets, ranking=ranking)


# ---------------------------------------------------------------------------
# Anything else: every word somewhere, title hits first


def _simple_search(articles, parsed):
    def contains(words):
        if len(words) == 1:
            lookup, value = "icontains", words[0]
        else:
            # A phrase: its words in order, with only non-word characters between.
            lookup, value = "iregex", r"\W+".join(map(re.escape, words))
        return Q(*(Q(**{f"{field}__{lookup}": value}) for field in Article.CONTENT_FIELDS), _connector=Q.OR)

    for clause in parsed.clauses:
        either = Q()
        for words in clause:
            either |= contains(words)
        articles = articles.filter(either)
    for words in parsed.excluded:
        articles = articles.exclude(contains(words))
    rank = Value(0.0)
    for word in parsed.words:
        rank += Case(When(title__icontains=word, then=Value(COLUMN_WEIGHTS[0])), default=Value(0.0))
        rank += Case(When(standfirst__icontains=word, then=Value(COLUMN_WEIGHTS[1])), default=Value(0.0))
    ranked = articles.annotate(rank=rank)
    words = sorted(set(parsed.words), key=len, reverse=True)

    def add_snippets(page):
        pattern = re.compile("|".join(map(re.escape, words)), flags=re.IGNORECASE)
        markers = Markers.fresh()
        for article in page:
            passage = _passage(f"{article.body}\n\n{article.take}", pattern, markers)
            article.snippet = snippet_html(passage, markers)

    return ranked, add_snippets


def _passage(text, pattern, markers, *, around=120):
    """Some words of `text` around the first match of `pattern`, matches marked."""
    first = pattern.search(text)
    start = max(0, first.start() - around // 2) if first else 0
    end = min(len(text), start + around * 2)
    # Cut at spaces, not inside words.
    if start:
        start = text.find(" ", start, first.start()) + 1 or start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    passage = pattern.sub(lambda match: markers.start + match.group(0) + markers.stop, text[start:end])
    return ("…" if start else "") + passage + ("…" if end < len(text) else "")


# ---------------------------------------------------------------------------
# Snippets

_MARKDOWN_CLEANUP = [
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)?"), r"\1"),  # links and images: their text
    (re.compile(r"!?\[([^\]]*)\]\[[^\]]*\]"), r"\1"),  # reference links
    (re.compile(r"\]\([^)\s]*\)?|!?\[|\]"), ""),  # what is left of links the passage cut
    (re.compile(r"^[ \t]*(?:#{1,6}|>+|[-*+]|\d+[.)])[ \t]+", flags=re.MULTILINE), ""),  # block markers
    (re.compile(r"\*+|`+|~~|(?<!\w)_+|_+(?!\w)"), ""),  # emphasis and code
]


@dataclass(frozen=True)
class Markers:
    """What the database puts around the matched words of a snippet, for one search.

    The random part means no article text can contain them, so only real matches become
    <mark>. The control characters keep them clear of the Markdown clean-up.
    """

    start: str
    stop: str

    @classmethod
    def fresh(cls):
        token = secrets.token_hex(8)
        return cls(f"\x02{token}\x02", f"\x03{token}\x03")


def snippet_html(raw, markers):
    """Safe HTML for a passage of Markdown in which `markers` bracket the matches.

    The passage is reader text, not HTML: everything is escaped, Markdown punctuation is
    dropped, and only a start and stop marker pair becomes <mark>; stray ones vanish.
    """
    for pattern, replacement in _MARKDOWN_CLEANUP:
        raw = pattern.sub(replacement, raw)

    def escape(text):
        text = text.replace(markers.start, "").replace(markers.stop, "")
        return html.escape(text.replace("\x02", "").replace("\x03", ""), quote=True)

    parts = []
    position = 0
    for match in re.finditer(
        f"{re.escape(markers.start)}(.*?){re.escape(markers.stop)}", raw, flags=re.DOTALL
    ):
        parts.append(escape(raw[position : match.start()]))
        if match.group(1).strip():
            parts.append(f"<mark>{escape(match.group(1))}</mark>")
        position = match.end()
    parts.append(escape(raw[position:]))
    return mark_safe(" ".join("".join(parts).split()))
