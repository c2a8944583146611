"""Full-text search: ranking, stemming, the index kept current, snippets, narrowing, odd input.

Most tests run on whichever database the suite uses (SQLite with FTS5 by default,
PostgreSQL with DATABASE_URL): the interface and the page are the same on both. Tests
of one engine's own machinery are marked and skip, with the reason, on the other.
"""

import random
import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.utils import timezone

import articles.search
from articles import views
from articles.models import Article
from articles.search import MAX_QUERY_LENGTH, normalise_query, postgresql, search_articles
from articles.search import query as search_query
from articles.search.query import parse_query
from articles.search.results import SearchResults
from articles.search.snippets import Markers, snippet_html
from articles.search.sqlite import fts5_query
from tests.factories import ArticleFactory, AuthorFactory, TopicFactory

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"
sqlite_only = pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite's FTS5 index: run without DATABASE_URL")


def postgresql_only(test):
    skip = pytest.mark.skipif(
        not ON_POSTGRESQL,
        reason="PostgreSQL full-text search: set DATABASE_URL=postgres://…/autotrendy_search to run it",
    )
    return pytest.mark.postgres(skip(test))


def titles(results):
    return [article.title for article in results]


def found(query, **narrowing):
    return titles(search_articles(query, **narrowing))


def listed_titles(response):
    return [article.title for article in response.context["article_list"]]


def status_text(response):
    """What the page says about the search: the notices, the count or "no match"."""
    block = re.search(r'<div class="search-status">(.*?)</div>', response.content.decode(), flags=re.DOTALL)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", block.group(1))).split())


# ---------------------------------------------------------------------------
# Finding and ranking


@pytest.mark.parametrize(
    "query, expected",
    [
        ("gigafactory", ["Gigafactory opens in Spain"]),
        ("GIGAFACTORY spain", ["Gigafactory opens in Spain"]),
        ("lithium", ["Cell chemistry"]),
        ("lithium gigafactory", []),
        ("  lithium   ", ["Cell chemistry"]),
    ],
)
def test_the_page_finds_words_in_the_title_or_body_whatever_their_case(client, query, expected):
    ArticleFactory(published=True, title="Gigafactory opens in Spain", body="A plant story.")
    ArticleFactory(published=True, title="Cell chemistry", body="Why lithium prices matter.")

    response = client.get("/search/", {"q": query})

    assert response.status_code == 200
    assert listed_titles(response) == expected


def test_a_title_match_ranks_above_a_standfirst_match_above_a_body_only_match():
    ArticleFactory(
        published=True,
        title="Why range anxiety fades",
        standfirst="Nothing here.",
        body="The battery matters. A battery is costly. Every battery ages.",
    )
    ArticleFactory(
        published=True, title="Cheaper cells", standfirst="The battery price falls.", body="Words."
    )
    ArticleFactory(published=True, title="Battery breakthrough", standfirst="Nothing here.", body="Words.")
    ArticleFactory(published=True, title="Hydrogen", standfirst="Nothing here.", body="No match at all.")

    assert found("battery") == ["Battery breakthrough", "Cheaper cells", "Why range anxiety fades"]


def test_equal_matches_list_the_newest_first():
    now = timezone.now()
    same = {"standfirst": "Same words.", "body": "The same words."}  # bm25 weighs lengths
    ArticleFactory(published=True, title="Battery news, older", published_at=now - timedelta(days=2), **same)
    ArticleFactory(published=True, title="Battery news, newer", published_at=now - timedelta(days=1), **same)

    assert found("battery") == ["Battery news, newer", "Battery news, older"]


def test_stemming_finds_other_forms_of_a_word():
    ArticleFactory(published=True, title="Solid-state batteries arrive", body="Cells charged in minutes.")
    ArticleFactory(published=True, title="Hydrogen", body="Nothing to see.")

    assert found("battery") == ["Solid-state batteries arrive"]
    assert found("charging") == ["Solid-state batteries arrive"]


def test_every_word_must_match_and_the_take_counts_too():
    ArticleFactory(published=True, title="Lithium", body="Prices.", take="We think sodium wins.")
    ArticleFactory(published=True, title="Sodium", body="Prices.")

    assert found("sodium lithium") == ["Lithium"]
    assert sorted(found("sodium")) == ["Lithium", "Sodium"]


def test_phrases_or_and_minus():
    ArticleFactory(published=True, title="Solid state cells", body="Plain words.")
    ArticleFactory(published=True, title="State of solid research", body="Plain words.")
    ArticleFactory(published=True, title="Sodium cells", body="Plain words.")

    assert found('"solid state"') == ["Solid state cells"]
    assert sorted(found("solid or sodium")) == [
        "Sodium cells",
        "Solid state cells",
        "State of solid research",
    ]
    assert found("cells -sodium") == ["Solid state cells"]
    assert found('cells -"solid state"') == ["Sodium cells"]


def test_excluded_words_alone_find_nothing(client):
    ArticleFactory(published=True, title="Sodium cells")

    assert found("-lithium") == []
    response = client.get("/search/", {"q": "-lithium"})
    assert listed_titles(response) == []
    assert "Add a word to look for" in status_text(response)


def test_like_wildcards_are_matched_as_text():
    ArticleFactory(published=True, title="Margins up 5% this year")
    ArticleFactory(published=True, title="Battery breakthrough")

    assert found("5%") == ["Margins up 5% this year"]
    assert found("_") == []
    assert found("%") == []


# ---------------------------------------------------------------------------
# Only what readers may see


@pytest.mark.parametrize(
    "fields",
    [
        {"draft": True},
        {"future": True},
        {"status": Article.Status.IN_REVIEW, "published_at": timezone.now() - timedelta(days=1)},
        {"status": Article.Status.APPROVED, "published_at": timezone.now() - timedelta(days=1)},
        {"status": Article.Status.ARCHIVED, "published_at": timezone.now() - timedelta(days=1)},
    ],
    ids=["draft", "future", "in-review", "approved", "archived"],
)
def test_unpublished_articles_are_never_found(client, fields):
    ArticleFactory(title="Secret battery plan", body="Secret battery plan.", **fields)
    ArticleFactory(published=True, title="Public battery story")

    assert found("battery") == ["Public battery story"]
    assert found("secret") == []
    response = client.get("/search/", {"q": "secret battery"})
    assert "Secret battery plan" not in response.content.decode()


# ---------------------------------------------------------------------------
# The index follows every change


def test_the_index_follows_edits_saves_updates_and_deletions():
    article = ArticleFactory(published=True, title="Solid-state promise", body="Old words.")
    assert found("promise") == ["Solid-state promise"]

    article.title = "Sodium-ion reality"
    article.save()
    assert found("promise") == []
    assert found("sodium") == ["Sodium-ion reality"]

    article.body = "Fresh paragraphs about gigafactories."
    article.save(update_fields=["body"])
    assert found("gigafactory") == ["Sodium-ion reality"]
    assert found("old words") == []

    # Writes that bypass save() too: the database itself keeps the index.
    Article.objects.filter(pk=article.pk).update(standfirst="Tariffs bite.")
    assert found("tariff") == ["Sodium-ion reality"]

    article.delete()
    assert found("sodium") == []


@sqlite_only
def test_the_sqlite_in_use_has_fts5():
    # Search has no fallback without FTS5 (see articles.search): if this fails, the
    # SQLite library that Python links was built without it.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA compile_options")
        options = {row[0] for row in cursor.fetchall()}

    assert "ENABLE_FTS5" in options


@sqlite_only
def test_sqlite_puts_back_triggers_that_a_table_rebuild_dropped():
    # Django alters an SQLite table by copying it and dropping the original, which takes
    # the original's triggers along. Search notices and rebuilds the index.
    article = ArticleFactory(published=True, title="Solid-state promise")
    assert found("promise") == ["Solid-state promise"]
    with connection.cursor() as cursor:
        for name in ("insert", "update", "delete"):
            cursor.execute(f"DROP TRIGGER articles_article_fts_{name}")
    Article.objects.filter(pk=article.pk).update(title="Sodium-ion reality")
    ArticleFactory(published=True, title="Hydrogen returns")

    assert found("sodium") == ["Sodium-ion reality"]
    assert found("promise") == []
    assert found("hydrogen") == ["Hydrogen returns"]
    article.delete()
    assert found("sodium") == []


@sqlite_only
def test_sqlite_reads_whether_a_match_may_be_shown_from_the_eligibility_index():
    # Up to 1,001 matches are checked one by one (published, time come, author asked for):
    # through the covering index, never the table's rows, whose text comes first.
    topic, author = TopicFactory(), AuthorFactory()
    article = ArticleFactory(published=True, title="Battery swap", author=author)
    article.topics.add(topic)
    statements = []

    def keep(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    for narrowing in ({}, {"topic": topic}, {"author": author}):
        statements.clear()
        with connection.execute_wrapper(keep):
            assert found("battery", **narrowing) == ["Battery swap"]
        ranking = next((sql, params) for sql, params in statements if "bm25" in sql)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + ranking[0].replace("%s", "?"), ranking[1])
            plan = " | ".join(row[-1] for row in cursor.fetchall())
        assert "COVERING INDEX articles_article_search_eligibility" in plan, plan

    # A table rebuild drops it (as it drops the triggers): search makes it again.
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX articles_article_search_eligibility")
    assert found("battery") == ["Battery swap"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles_article_search_eligibility'")
        assert cursor.fetchone() is not None


@postgresql_only
def test_postgresql_keeps_a_weighted_search_vector_in_the_row():
    article = ArticleFactory(
        published=True, title="Battery", standfirst="Sodium", body="Lithium", take="Cobalt"
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM articles_article WHERE id = %s", [article.pk])
        vector = cursor.fetchone()[0]
    assert "'batteri':1A" in vector
    assert "'sodium':2B" in vector
    assert "'lithium':3C" in vector
    assert "'cobalt':4C" in vector


@postgresql_only
def test_postgresql_answers_a_search_from_the_gin_index():
    # Enough published articles that reading them all costs more than the index.
    author = AuthorFactory()
    published_at = timezone.now() - timedelta(days=1)
    Article.objects.bulk_create(
        Article(
            title=f"Story {number}",
            slug=f"story-{number}",
            standfirst="A standfirst.",
            body="Battery news." if number == 7 else "Other news.",
            author=author,
            status=Article.Status.PUBLISHED,
            published_at=published_at,
        )
        for number in range(2000)
    )
    with connection.cursor() as cursor:
        # What autovacuum does in production: the rows of earlier tests (rolled back, but
        # written) wait in the index's pending list, whose length makes the planner shy.
        cursor.execute("SELECT gin_clean_pending_list('article_search_vector_idx')")
        cursor.execute("ANALYZE articles_article")
        # For this test's transaction only: rules out a sequential scan on any table size.
        cursor.execute("SET LOCAL enable_seqscan = off")

    plan = postgresql.newest_matching(Article.objects.published(), parse_query("battery"), 1001).explain()

    assert "Bitmap Index Scan on article_search_vector_idx" in plan, plan
    assert found("battery") == ["Story 7"]


@postgresql_only
def test_postgresql_keeps_the_search_vector_in_the_row_not_in_toast():
    # Storage MAIN (migration 0001): finding and ranking the newest matches reads every candidate's
    # vector; out of the row (TOAST) that read was most of a search's cost.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'articles_article'::regclass AND attname = 'search_vector'"
        )
        assert cursor.fetchone()[0] == "m"  # MAIN


# ---------------------------------------------------------------------------
# Snippets


def test_snippets_mark_the_matched_words_and_escape_the_text(client):
    ArticleFactory(
        published=True,
        title="Cells",
        body="Intro. <script>alert('x')</script> The new **batteries** are cheap & good, as 5 < 6.",
    )

    [article] = search_articles("batteries")
    assert "<mark>batteries</mark>" in article.snippet
    assert "&lt;script&gt;" in article.snippet
    assert "<script>" not in article.snippet
    assert "&amp; good" in article.snippet
    assert "5 &lt; 6" in article.snippet
    assert "**" not in article.snippet  # Markdown punctuation is dropped

    page = client.get("/search/", {"q": "batteries"}).content.decode()
    assert f'<p class="search-result__snippet">{article.snippet}</p>' in page
    assert "<script>alert" not in page


def test_a_snippet_comes_from_the_take_when_only_the_take_matches():
    ArticleFactory(published=True, title="Cells", body="Nothing relevant here at all.", take="Sodium wins.")

    [article] = search_articles("sodium")

    assert "<mark>Sodium</mark>" in article.snippet


def test_a_title_only_match_still_gets_a_snippet_of_the_body():
    ArticleFactory(published=True, title="Battery breakthrough", body="Engineers in Spain did it.")

    [article] = search_articles("battery")

    assert "Engineers in Spain" in article.snippet
    assert "<mark>" not in article.snippet


def test_marker_like_characters_in_the_text_mark_nothing():
    ArticleFactory(published=True, title="Cells", body="Odd \x02 text \x03 about a battery \x02 here.")

    [article] = search_articles("battery")

    assert article.snippet.count("<mark>") == article.snippet.count("</mark>") == 1
    assert "\x02" not in article.snippet and "\x03" not in article.snippet


MARKERS = Markers("<<", ">>")  # readable stand-ins for the random ones


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("plain <<word>> here", "plain <mark>word</mark> here"),
        ("<b><<x>></b> & y", "&lt;b&gt;<mark>x</mark>&lt;/b&gt; &amp; y"),
        ("a<<b>> >> c<< \x02\x03d", "a<mark>b</mark> c d"),
        (
            "# Heading\n\n**bold** and [a <<link>>](https://example.com) `code`",
            "Heading — bold and a <mark>link</mark> code",
        ),
        ("\"quoted\" 'single'", "&quot;quoted&quot; &#x27;single&#x27;"),
        (
            "end of a paragraph.\n\n## Why <<sodium>> now\nSodium is cheaper",
            "end of a paragraph. Why <mark>sodium</mark> now — Sodium is cheaper",
        ),
        ("## What it costs?\n\nLess.", "What it costs? Less."),
        ("Range goes up.\n\n### The catch ###", "Range goes up. The catch"),
    ],
    ids=[
        "mark",
        "escape",
        "stray-markers",
        "markdown",
        "quotes",
        "heading-apart",
        "heading-punctuated",
        "heading-last",
    ],
)
def test_snippet_html(raw, expected):
    assert snippet_html(raw, MARKERS) == expected


def test_markers_are_new_for_every_search():
    first, second = Markers.fresh(), Markers.fresh()

    assert first.start != second.start and first.start != first.stop


# ---------------------------------------------------------------------------
# Narrowing by topic and author


@pytest.fixture
def narrowable():
    batteries = TopicFactory(name="Batteries", slug="batteries")
    policy = TopicFactory(name="Policy", slug="policy")
    daniel = AuthorFactory(name="Daniel Andzhurov", slug="daniel-andzhurov")
    ada = AuthorFactory(name="Ada Lovelace", slug="ada-lovelace")
    ArticleFactory(published=True, title="Battery by Daniel", author=daniel, topics=[batteries])
    ArticleFactory(published=True, title="Battery policy by Ada", author=ada, topics=[policy])
    ArticleFactory(published=True, title="Battery by Ada", author=ada, topics=[batteries])
    ArticleFactory(draft=True, title="Battery draft by Daniel", author=daniel, topics=[batteries])
    return {"batteries": batteries, "daniel": daniel}


def test_topic_and_author_narrow_the_search(client, narrowable):
    assert sorted(found("battery", topic=narrowable["batteries"])) == ["Battery by Ada", "Battery by Daniel"]
    assert found("battery", author=narrowable["daniel"]) == ["Battery by Daniel"]

    by_topic = client.get("/search/", {"q": "battery", "topic": "batteries"})
    assert sorted(listed_titles(by_topic)) == ["Battery by Ada", "Battery by Daniel"]
    assert "2 articles found in Batteries" in status_text(by_topic)

    both = client.get("/search/", {"q": "battery", "topic": "batteries", "author": "daniel-andzhurov"})
    assert listed_titles(both) == ["Battery by Daniel"]
    assert "1 article found in Batteries by Daniel Andzhurov" in status_text(both)


def test_the_search_form_offers_topics_and_authors_with_the_choice_kept(client, narrowable):
    AuthorFactory(name="Nobody Published", slug="nobody-published")
    ArticleFactory(draft=True, title="Unseen", author=AuthorFactory(name="Only Drafts", slug="only-drafts"))

    page = client.get("/search/", {"q": "battery", "topic": "batteries"}).content.decode()
    form = re.search(r'<form[^>]*aria-label="Search articles".*?</form>', page, flags=re.DOTALL).group(0)

    assert re.search(r'<label[^>]*for="search-page-topic"', form)
    assert re.search(r'<label[^>]*for="search-page-author"', form)
    assert '<option value="batteries" selected>Batteries</option>' in form
    assert '<option value="policy">Policy</option>' in form
    # Authors with published articles, by name, each once.
    assert re.findall(r'<option value="([^"]*)"', form.split('name="author"')[1]) == [
        "",
        "ada-lovelace",
        "daniel-andzhurov",
    ]
    assert 'value="battery"' in form


@pytest.mark.parametrize(
    "parameter, value",
    [
        ("topic", "no-such-topic"),
        ("author", "nobody"),
        ("topic", "bad slug!"),
        ("topic", "nul\x00byte"),
        ("author", "x" * 5000),
        ("topic", "电池"),
    ],
    ids=["unknown-topic", "unknown-author", "not-a-slug", "null-byte", "5000-chars", "unicode"],
)
def test_an_unknown_topic_or_author_is_said_and_ignored(client, narrowable, parameter, value):
    response = client.get("/search/", {"q": "battery", parameter: value})

    assert response.status_code == 200
    assert len(listed_titles(response)) == 3
    assert f"There is no {parameter}" in status_text(response)


def test_pages_keep_the_query_and_the_narrowing_in_their_links(client):
    hydrogen = TopicFactory(name="Hydrogen", slug="hydrogen")
    for number in range(12):
        ArticleFactory(published=True, title=f"Fuel cell story {number}", topics=[hydrogen])
    ArticleFactory(published=True, title="Fuel cell story elsewhere")

    first = client.get("/search/", {"q": "fuel cell", "topic": "hydrogen"})
    next_link = unescape(re.search(r'rel="next" href="([^"]+)"', first.content.decode()).group(1))
    second = client.get("/search/" + next_link)

    assert "q=fuel+cell" in next_link and "topic=hydrogen" in next_link and "page=2" in next_link
    assert len(listed_titles(first)) == 10
    assert len(listed_titles(second)) == 2
    assert "12 articles found in Hydrogen" in status_text(second)
    assert "Page 2 of 2" in second.content.decode()
    previous_link = unescape(re.search(r'rel="prev" href="([^"]+)"', second.content.decode()).group(1))
    assert "topic=hydrogen" in previous_link and "page=" not in previous_link


# ---------------------------------------------------------------------------
# Many matches: the newest are ranked, and the page says there are more


@pytest.fixture
def five_battery_stories():
    """Five published matches, written and published in this order, one day apart: two
    with the word in the title, one in the standfirst, two in the body only."""
    stories = [
        ("Battery breakthrough", "Nothing here.", "Words."),
        ("Range anxiety fades", "Nothing here.", "The battery matters."),
        ("Battery recycling", "Nothing here.", "Words."),
        ("Cheaper cells", "The battery price falls.", "Words."),
        ("Grid storage", "Nothing here.", "The battery matters."),
    ]
    now = timezone.now()
    for days_ago, (title, standfirst, body) in zip(range(5, 0, -1), stories, strict=True):
        ArticleFactory(
            published=True,
            title=title,
            standfirst=standfirst,
            body=body,
            published_at=now - timedelta(days=days_ago),
        )
    # Best first: titles, then the standfirst, then bodies; ties newest first.
    return [
        "Battery recycling",
        "Battery breakthrough",
        "Cheaper cells",
        "Grid storage",
        "Range anxiety fades",
    ]


def test_up_to_the_limit_every_match_is_ranked_exactly_as_without_one(monkeypatch, five_battery_stories):
    unlimited = search_articles("battery")
    monkeypatch.setattr(articles.search, "MAX_RANKED", 5)
    at_the_limit = search_articles("battery")

    assert titles(unlimited) == titles(at_the_limit) == five_battery_stories
    assert [a.snippet for a in unlimited] == [a.snippet for a in at_the_limit]
    assert not at_the_limit.capped


def test_past_the_limit_the_newest_matches_are_ranked_and_the_page_says_there_are_more(
    client, monkeypatch, five_battery_stories
):
    monkeypatch.setattr(articles.search, "MAX_RANKED", 3)

    results = search_articles("battery")
    response = client.get("/search/", {"q": "battery"})

    # The three most recently written, best first; the two older ones are not ranked.
    assert titles(results) == ["Battery recycling", "Cheaper cells", "Grid storage"]
    assert results.capped
    assert listed_titles(response) == ["Battery recycling", "Cheaper cells", "Grid storage"]
    assert status_text(response) == (
        "More than 3 articles found, best match first among the newest 3. Add a word to narrow the search."
    )


def test_the_limit_counts_only_what_readers_may_see_after_the_narrowing(monkeypatch, five_battery_stories):
    monkeypatch.setattr(articles.search, "MAX_RANKED", 3)
    # Newer than every story, and none of them may take a place among the newest.
    ArticleFactory(draft=True, title="Battery draft")
    ArticleFactory(future=True, title="Battery scheduled")
    ArticleFactory(status=Article.Status.ARCHIVED, published_at=timezone.now(), title="Battery archived")
    older = TopicFactory(name="Older", slug="older")
    for title in ("Battery breakthrough", "Range anxiety fades"):
        Article.objects.get(title=title).topics.add(older)

    assert found("battery") == ["Battery recycling", "Cheaper cells", "Grid storage"]
    narrowed = search_articles("battery", topic=older)
    assert titles(narrowed) == ["Battery breakthrough", "Range anxiety fades"]
    assert not narrowed.capped


def test_pages_stop_at_the_limit_and_a_page_past_it_is_not_found(client, monkeypatch):
    monkeypatch.setattr(articles.search, "MAX_RANKED", 12)
    for number in range(14):
        ArticleFactory(published=True, title=f"Fuel cell story {number}")

    second = client.get("/search/", {"q": "fuel cell", "page": 2})
    last = client.get("/search/", {"q": "fuel cell", "page": "last"})

    assert len(listed_titles(second)) == 2
    assert "Page 2 of 2" in second.content.decode()
    assert 'rel="next"' not in second.content.decode()
    assert status_text(second).startswith("More than 12 articles found")
    assert listed_titles(last) == listed_titles(second)
    assert client.get("/search/", {"q": "fuel cell", "page": 3}).status_code == 404
    assert client.get("/search/", {"q": "fuel cell", "page": 10**12}).status_code == 404


def test_the_limit_reads_with_a_thousands_separator(client, monkeypatch):
    monkeypatch.setattr(articles.search, "MAX_RANKED", 1000)
    monkeypatch.setattr(SearchResults, "capped", True)
    ArticleFactory(published=True, title="Battery breakthrough")

    response = client.get("/search/", {"q": "battery"})

    assert status_text(response).startswith("More than 1,000 articles found")
    assert "among the newest 1,000." in status_text(response)


# ---------------------------------------------------------------------------
# The page, whatever is typed


def test_the_page_shows_the_query_how_many_were_found_and_each_result(client):
    ada = AuthorFactory(name="Ada Lovelace")
    for number in range(3):
        ArticleFactory(
            published=True,
            title=f"Battery story {number}",
            standfirst=f"Standfirst {number}.",
            author=ada,
            published_at=timezone.now() - timedelta(days=number + 1),
        )

    response = client.get("/search/", {"q": "battery"})
    page = response.content.decode()

    assert "Results for “battery”" in page
    assert 'value="battery"' in page
    assert status_text(response) == "3 articles found, best match first."
    results = re.search(r'<ol class="article-grid search-results".*?</ol>', page, flags=re.DOTALL).group(0)
    items = re.findall(r"<li\b.*?</li>", results, flags=re.DOTALL)
    assert len(items) == 3
    for number, item in enumerate(items):
        article = Article.objects.get(title=f"Battery story {number}")
        assert (
            f'<h2 class="article-card__title"><a class="article-card__link" href="{article.get_absolute_url()}">'
            in item
        )
        assert f"Standfirst {number}." in item
        assert f'href="{ada.get_absolute_url()}">Ada Lovelace</a>' in item
        assert f'<time datetime="{timezone.localtime(article.published_at).isoformat()}">' in item


ODD_QUERIES = {
    "empty": "",
    "spaces": "   ",
    "double-quote": '"',
    "three-quotes": '"""',
    "apostrophe": "'",
    "star": "*",
    "bangs": "!!!",
    "percent": "%",
    "underscore": "_",
    "like-wildcards": "%_%",
    "near": "NEAR(",
    "near-words": "NEAR(battery cell, 2)",
    "minus": "-",
    "colon": ":",
    "column-filter": "title:battery",
    "caret": "^battery",
    "operators": "AND OR NOT",
    "operators-around": "OR battery AND NOT",
    "or-at-ends": "or battery or",
    "unbalanced": '"battery (cell',
    "parentheses": "(battery) OR (",
    "tsquery": "battery & !cell | <->",
    "sql-or": "' OR 1=1 --",
    "sql-drop": "'; DROP TABLE articles_article; --",
    "5000-chars": "battery " + "x" * 5000,
    "700-words": "battery " * 700,
    "just-over-limit": "a" * 201,
    "null-byte": "\x00",
    "null-in-word": "batt\x00ery",
    "emoji": "🔋",
    "emoji-and-word": "🔋 battery",
    "unicode": "électrique Über 電池 🚗",
    "backslash": "\\",
    "mark-markup": "<mark>battery</mark>",
    "script-markup": "<script>alert(1)</script>",
    "stop-words": "the and of",
}
# All the page may say about a search, whatever was typed.
STATUS_SAYINGS = (
    "Type a word or two to search the articles.",
    "Search for words or numbers; punctuation alone matches nothing.",
    "Add a word to look for: words after a minus sign are only left out.",
    "No articles match",
    "found, best match first.",
)


@pytest.mark.parametrize("query", ODD_QUERIES.values(), ids=ODD_QUERIES.keys())
def test_any_query_gives_a_page_with_a_clear_message(client, query):
    ArticleFactory(published=True, title="Battery breakthrough", body="Cells and more cells.")
    ArticleFactory(draft=True, title="Battery draft")

    response = client.get("/search/", {"q": query})

    assert response.status_code == 200
    status = status_text(response)
    assert any(saying in status for saying in STATUS_SAYINGS), status
    page = response.content.decode()
    assert "Battery draft" not in page
    assert "<mark>battery</mark>" not in page.split('class="search-status"')[0]  # the query is text
    assert "<script>alert(1)</script>" not in page


def test_a_long_query_is_shortened_and_still_searched(client):
    ArticleFactory(published=True, title="Battery breakthrough")

    response = client.get("/search/", {"q": "battery " + "x" * 5000})

    assert len(response.context["query"]) == MAX_QUERY_LENGTH == 200
    assert status_text(response).startswith("Your search was shortened to 200 characters.")
    assert listed_titles(response) == []  # "battery" and the 192 x's: no article has both


def test_the_page_states_the_limit_it_applies(client, monkeypatch):
    # One number, from articles.search, in the box's maxlength and in the notice.
    monkeypatch.setattr(search_query, "MAX_QUERY_LENGTH", 50)
    monkeypatch.setattr(views, "MAX_QUERY_LENGTH", 50)

    response = client.get("/search/", {"q": "battery " * 10})

    assert len(response.context["query"]) == 50
    assert "shortened to 50 characters" in status_text(response)
    assert re.search(r'<input[^>]*id="search-page"[^>]*maxlength="50"', response.content.decode())


@pytest.mark.parametrize(
    "query, message",
    [
        ("", "Type a word or two"),
        ("\x00", "Type a word or two"),
        ("!!! ???", "punctuation alone matches nothing"),
        ("🔋", "punctuation alone matches nothing"),
        ("- -battery", "Add a word to look for"),
        ("quixotic", "No articles match “quixotic”"),
    ],
)
def test_messages(client, query, message):
    ArticleFactory(published=True, title="Battery breakthrough")

    response = client.get("/search/", {"q": query})

    assert message in status_text(response)
    assert listed_titles(response) == []


def test_random_punctuation_and_operators_never_break_the_search():
    ArticleFactory(published=True, title="Battery breakthrough", body="Cells near the plant.")
    alphabet = [*"\"'*-+:()^!&|<>~\\%_{é", " ", " ", "or", "OR", "AND", "NOT", "NEAR", "battery", "cell", "x"]
    randomness = random.Random(20261125)
    for _ in range(300):
        query, _truncated = normalise_query(
            "".join(randomness.choices(alphabet, k=randomness.randint(1, 12)))
        )
        page = search_articles(query)[:10]  # fetches the page and its snippets
        assert titles(page) in ([], ["Battery breakthrough"]), query


# ---------------------------------------------------------------------------
# Reading queries (no database)


@pytest.mark.parametrize(
    "raw, normalised, truncated",
    [
        ("  lithium \t\n cells  ", "lithium cells", False),
        ("lith\x00ium", "lith ium", False),
        ("x" * 200, "x" * 200, False),
        ("x" * 201, "x" * 200, True),
        ("battery" + " " * 500, "battery", False),
        (None, "", False),
    ],
    ids=["whitespace", "null-byte", "at-limit", "over-limit", "trailing-spaces", "none"],
)
def test_normalise_query(raw, normalised, truncated):
    assert normalise_query(raw) == (normalised, truncated)


@pytest.mark.parametrize(
    "query, clauses, excluded",
    [
        ("battery cell", ((("battery",),), (("cell",),)), ()),
        ('"solid state" battery', ((("solid", "state"),), (("battery",),)), ()),
        ("lithium or sodium cells", ((("lithium",), ("sodium",)), (("cells",),)), ()),
        ("cells -sodium", ((("cells",),),), (("sodium",),)),
        ('cells -"solid state"', ((("cells",),),), (("solid", "state"),)),
        ("or battery or", ((("battery",),),), ()),
        ("e-tron", ((("e", "tron"),),), ()),
        ('NEAR( "" * : -', ((("NEAR",),),), ()),
        ('"unclosed phrase', ((("unclosed", "phrase"),),), ()),
    ],
)
def test_parse_query(query, clauses, excluded):
    parsed = parse_query(query)

    assert (parsed.clauses, parsed.excluded) == (clauses, excluded)
    assert parsed.text == query


def test_fts5_query_quotes_every_phrase():
    parsed = parse_query('lithium or "solid state" NEAR cells -sodium')

    assert fts5_query(parsed) == '(("lithium" OR "solid state") AND ("NEAR") AND ("cells")) NOT "sodium"'
