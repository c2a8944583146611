"""The archive: each year with its months and their counts; month pages like the home page
(issue 11, point 5)."""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection

from tests.factories import ArticleFactory, TopicFactory

pytestmark = pytest.mark.django_db


def at(year, month, day=10):
    return datetime(year, month, day, 9, tzinfo=UTC)


def text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def site():
    for when in (
        at(2021, 11),
        at(2021, 11, 20),
        at(2022, 2, 1),
        at(2022, 2, 8),
        at(2022, 2, 20),
        at(2022, 5),
    ):
        ArticleFactory(published=True, published_at=when)
    ArticleFactory(draft=True)
    ArticleFactory(future=True)


def test_the_archive_shows_each_year_with_its_months_and_counts_newest_first(client, site):
    html = client.get("/archive/").content.decode()

    years = re.findall(r'<h2 class="archive-year__heading"[^>]*>(.*?)</h2>', html)
    assert [text(year) for year in years] == ["2022 4 articles", "2021 2 articles"]
    months = [text(item) for item in re.findall(r'<li class="archive-months__item">(.*?)</li>', html)]
    assert months == ["May 2022 1 article", "February 2022 3 articles", "November 2021 2 articles"]
    assert 'href="/archive/2022/02/"' in html


def test_the_counts_follow_a_new_publication(client, site):
    client.get("/archive/")
    ArticleFactory(published=True, published_at=at(2022, 2, 25))

    assert "February 2022 4 articles" in text(client.get("/archive/").content.decode())


def test_a_month_page_lists_titles_and_standfirsts_like_the_home_page(client):
    topic = TopicFactory(name="Batteries")
    ArticleFactory(
        published=True,
        published_at=at(2022, 2, 8),
        title="Solid-state cells arrive",
        standfirst="Twice the energy, a third of the charging time.",
        topics=[topic],
    )
    ArticleFactory(published=True, published_at=at(2022, 2, 1), title="Earlier piece")

    page = text(client.get("/archive/2022/02/").content.decode())

    assert "2 articles, newest first." in page
    assert "Batteries Solid-state cells arrive Twice the energy, a third of the charging time." in page
    assert page.index("Solid-state cells arrive") < page.index("Earlier piece")


def test_the_month_counts_are_remembered_for_the_edition(client, site, settings):
    settings.PAGE_CACHE_ENABLED = False  # the view's own queries
    client.get("/archive/")
    executed = []

    def record(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        assert client.get("/archive/").status_code == 200
    assert not any("GROUP BY" in sql for sql in executed), "the counts come from the cache"
