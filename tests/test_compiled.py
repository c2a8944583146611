"""The article page's query, compiled once (articles.compiled), finds exactly what the plain
queryset finds: the same article with the same byline, reviewer, co-authors, topics and
"last modified", and nothing readers may not see.

Marked `postgres` so that `make test` runs it on PostgreSQL as well as SQLite.
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.compiled import CompiledQuery, Parameter, column_converters, convert_row
from articles.models import Article, ArticleCoauthor
from articles.views import ARTICLE_PAGE
from tests.factories import ArticleFactory, AuthorFactory, TopicFactory
from tests.test_scale import build_site

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def fields(instance):
    return {name: value for name, value in vars(instance).items() if name != "_state"} if instance else None


def loaded(article):
    """What the article page reads of an article: its columns, annotations and the
    objects loaded with it."""
    return fields(article), fields(article.author), fields(article.reviewer)


def plain(slug, now):
    return list(Article.objects.for_article_page(now).filter(slug=slug))


def test_every_article_of_a_varied_site_is_found_as_the_plain_query_finds_it():
    build_site()
    now = timezone.now()
    slugs = list(Article.objects.values_list("slug", flat=True))
    assert len(slugs) > 150
    shown = 0
    for slug in slugs:
        compiled, reference = ARTICLE_PAGE.run(slug=slug, now=now), plain(slug, now)
        assert [loaded(a) for a in compiled] == [loaded(a) for a in reference], slug
        shown += len(reference)
    # Drafts, archived and scheduled articles are in the site too, and are not found.
    assert 0 < shown < len(slugs)


def test_a_scheduled_article_is_found_from_its_publication_time_on():
    article = ArticleFactory(future=True)
    assert ARTICLE_PAGE.run(slug=article.slug, now=timezone.now()) == []
    later = article.published_at + timedelta(seconds=1)
    assert [a.pk for a in ARTICLE_PAGE.run(slug=article.slug, now=later)] == [article.pk]


def test_co_authors_and_topics_come_with_the_article():
    lead, second = AuthorFactory(name="Ana Lead"), AuthorFactory(name="Ben Second")
    article = ArticleFactory(
        published=True, author=lead, topics=[TopicFactory(name="Batteries"), TopicFactory(name="Trucks")]
    )
    ArticleCoauthor.objects.create(article=article, author=second, position=1)

    (found,) = ARTICLE_PAGE.run(slug=article.slug, now=timezone.now())

    assert [author.name for author in found.byline_authors()] == ["Ana Lead", "Ben Second"]
    assert sorted(int(pk) for pk in found.topic_ids.split(",")) == sorted(
        article.topics.values_list("pk", flat=True)
    )


def test_each_run_is_one_query_with_the_values_given():
    first, second = ArticleFactory(published=True), ArticleFactory(published=True)
    ARTICLE_PAGE.run(slug=first.slug, now=timezone.now())  # compiled on this connection
    with CaptureQueriesContext(connection) as queries:
        found = ARTICLE_PAGE.run(slug=second.slug, now=timezone.now())
    assert [a.pk for a in found] == [second.pk]
    assert len(queries) == 1
    assert "compiled-query-slug" not in queries[0]["sql"]


@pytest.mark.django_db(transaction=True)
def test_each_thread_runs_the_query_on_its_own_connection():
    article = ArticleFactory(published=True)
    found = []

    def read():
        try:
            found.append([a.pk for a in ARTICLE_PAGE.run(slug=article.slug, now=timezone.now())])
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [[article.pk]] * 3


def test_a_placeholder_that_another_value_shares_is_refused():
    clashing = CompiledQuery(
        lambda title: Article.objects.filter(title=title, standfirst="same"),
        Parameter("title", Article._meta.get_field("title"), "same"),
    )
    with pytest.raises(ValueError, match="'title' is in the compiled query 2 times, not once"):
        clashing.run(title="Anything")


def test_a_placeholder_for_a_time_is_found_as_the_database_receives_it():
    moment = datetime(2022, 2, 8, 9, 0, tzinfo=UTC)
    article = ArticleFactory(published_at=moment)
    at = CompiledQuery(
        lambda when: Article.objects.filter(published_at=when),
        Parameter(
            "when", Article._meta.get_field("published_at"), datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
        ),
    )
    assert [a.pk for a in at.run(when=moment)] == [article.pk]
    assert at.run(when=moment + timedelta(seconds=1)) == []


def test_columns_read_back_from_sql_are_what_the_orm_reads():
    covered = ArticleFactory(
        published=True, cover="covers/a b.jpg", cover_alt="A car.", cover_width=640, cover_height=480
    )
    names = ["id", "title", "published_at", "cover", "cover_width", "created_at", "status"]
    converters = column_converters(Article, names, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(names)} FROM articles_article WHERE id = %s", [covered.pk])
        row = convert_row(list(cursor.fetchone()), converters, connection)

    assert row == list(Article.objects.filter(pk=covered.pk).values_list(*names).get())
    assert row[2] == covered.published_at and timezone.is_aware(row[2])
