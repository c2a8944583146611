"""Phone and search polish (issue 11, point 6): one search box on the search page, search
snippets that keep a heading apart from the text after it. The topic bar's scroll hint is
checked in Chromium (tests/test_browser.py)."""

import re

import pytest

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def search_forms(response):
    return re.findall(
        r'<form class="search-form[^"]*" role="search" aria-label="([^"]+)"', response.content.decode()
    )


def test_the_search_page_has_one_search_box(client):
    ArticleFactory(published=True, title="Sodium cells")

    assert search_forms(client.get("/search/", {"q": "sodium"})) == ["Search articles"]
    assert search_forms(client.get("/search/")) == ["Search articles"]


def test_every_other_page_keeps_the_search_box_in_its_header(client):
    article = ArticleFactory(published=True)

    for url in ("/", article.get_absolute_url(), "/archive/", article.author.get_absolute_url()):
        assert search_forms(client.get(url)) == ["Site search"], url


def test_a_search_snippet_keeps_a_heading_apart_from_the_text_after_it(client):
    ArticleFactory(
        published=True,
        title="Cheaper cells",
        body="Lithium prices rose again.\n\n## Why sodium now\n\nSodium is cheap and plentiful in sea water.",
    )

    html = client.get("/search/", {"q": "sodium"}).content.decode()
    snippet = re.search(r'<p class="search-result__snippet">(.*?)</p>', html, re.DOTALL)[1]

    assert "now — <mark>Sodium</mark> is" in snippet, snippet
