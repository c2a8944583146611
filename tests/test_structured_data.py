"""Rich previews on article pages: OpenGraph and Twitter card tags, and schema.org JSON-LD."""

import json
from datetime import datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from articles import preview
from articles.models import Article
from articles.structured_data import absolute_url, json_ld_script, names
from tests.factories import ArticleFactory, AuthorFactory, TopicFactory

pytestmark = pytest.mark.django_db

ORIGIN = "https://autotrendy.example"
DEFAULT_IMAGE = f"{ORIGIN}/static/img/og-default.png"


@pytest.fixture(autouse=True)
def site_origin(settings):
    settings.SITE_ORIGIN = ORIGIN


class HeadParser(HTMLParser):
    """The <meta> tags (property or name -> [content, ...]), the canonical link and the
    JSON-LD scripts of a page."""

    def __init__(self):
        super().__init__()
        self.meta = {}
        self.canonical = None
        self.json_ld = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and "content" in attrs:
            key = attrs.get("property") or attrs.get("name")
            self.meta.setdefault(key, []).append(attrs["content"])
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.canonical = attrs["href"]
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._script = []

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.json_ld.append("".join(self._script))
            self._script = None


def parse_page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    parser = HeadParser()
    parser.feed(response.content.decode())
    return parser


def meta(page, key):
    values = page.meta.get(key, [])
    assert len(values) == 1, f"{key}: {values}"
    return values[0]


def json_ld(page):
    assert len(page.json_ld) == 1
    return json.loads(page.json_ld[0])


def iso(value):
    return timezone.localtime(value).isoformat(timespec="seconds")


@pytest.fixture
def article():
    ada = AuthorFactory(name="Ada Lovelace", slug="ada-lovelace")
    grace = AuthorFactory(name="Grace Hopper", slug="grace-hopper")
    return ArticleFactory(
        published=True,
        title="Solid-state batteries arrive",
        slug="solid-state-batteries-arrive",
        standfirst="Carmakers promise more range & faster charging.",
        author=ada,
        reviewer=grace,
        approved_at=timezone.now() - timedelta(hours=2),
        topics=[TopicFactory(name="Batteries"), TopicFactory(name="Policy")],
    )


@pytest.fixture
def covered_article(image_bytes):
    return ArticleFactory(
        published=True,
        slug="with-a-cover",
        cover=ContentFile(image_bytes("PNG", size=(64, 48)), name="cover.png"),
        cover_alt="A red hatchback at a charging station",
    )


URL = "/articles/solid-state-batteries-arrive/"
CANONICAL = ORIGIN + URL


# ---------------------------------------------------------------------------
# OpenGraph and Twitter cards


def test_article_page_has_opengraph_tags(client, article):
    page = parse_page(client, URL)
    assert meta(page, "og:type") == "article"
    assert meta(page, "og:site_name") == "Auto Trendy"
    assert meta(page, "og:title") == "Solid-state batteries arrive"
    assert meta(page, "og:description") == "Carmakers promise more range & faster charging."
    assert meta(page, "og:url") == CANONICAL == page.canonical
    assert meta(page, "article:published_time") == iso(article.published_at)
    assert meta(page, "article:modified_time") == iso(article.updated_at)
    assert meta(page, "article:author") == f"{ORIGIN}/authors/ada-lovelace/"
    assert meta(page, "article:section") == "Batteries"
    assert page.meta["article:tag"] == ["Batteries", "Policy"]


def test_article_page_has_twitter_card_tags(client, article):
    page = parse_page(client, URL)
    assert meta(page, "twitter:card") == "summary_large_image"
    assert meta(page, "twitter:title") == "Solid-state batteries arrive"
    assert meta(page, "twitter:description") == "Carmakers promise more range & faster charging."
    assert meta(page, "twitter:image") == DEFAULT_IMAGE
    assert meta(page, "twitter:data1") == "Ada Lovelace"


def test_article_without_a_cover_is_previewed_with_the_site_image(client, article):
    page = parse_page(client, URL)
    assert meta(page, "og:image") == DEFAULT_IMAGE
    assert meta(page, "og:image:width") == "1200"
    assert meta(page, "og:image:height") == "630"
    assert meta(page, "og:image:alt") == "Auto Trendy"
    assert meta(page, "twitter:image:alt") == "Auto Trendy"


def test_site_image_exists_at_the_size_link_previews_want():
    path = finders.find("img/og-default.png")
    assert path, "static/img/og-default.png is missing"
    with Image.open(path) as image:
        assert image.size == (1200, 630)


def test_article_with_a_cover_is_previewed_with_it(client, covered_article):
    page = parse_page(client, covered_article.get_absolute_url())
    cover_url = ORIGIN + covered_article.cover.url
    assert covered_article.cover.url.startswith("/media/covers/")
    assert meta(page, "og:image") == cover_url
    assert meta(page, "og:image:width") == "64"
    assert meta(page, "og:image:height") == "48"
    assert meta(page, "og:image:alt") == "A red hatchback at a charging station"
    assert meta(page, "twitter:image") == cover_url
    assert meta(page, "twitter:image:alt") == "A red hatchback at a charging station"
    assert json_ld(page)["image"] == {
        "@type": "ImageObject",
        "url": cover_url,
        "width": 64,
        "height": 48,
        "caption": "A red hatchback at a charging station",
    }


def test_other_pages_have_no_article_tags(client, article):
    page = parse_page(client, "/")
    assert "og:type" not in page.meta
    assert page.json_ld == []


# ---------------------------------------------------------------------------
# JSON-LD


def test_json_ld_is_a_news_article(client, article):
    data = json_ld(parse_page(client, URL))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Solid-state batteries arrive"
    assert data["description"] == "Carmakers promise more range & faster charging."
    assert data["url"] == CANONICAL
    assert data["mainEntityOfPage"]["@id"] == CANONICAL
    assert data["image"]["url"] == DEFAULT_IMAGE
    assert data["articleSection"] == "Batteries"
    assert data["keywords"] == ["Batteries", "Policy"]


def test_json_ld_dates_are_iso_8601(client, article):
    data = json_ld(parse_page(client, URL))
    assert data["datePublished"] == iso(article.published_at)
    assert data["dateModified"] == iso(article.updated_at)
    assert datetime.fromisoformat(data["datePublished"]).tzinfo is not None


def test_json_ld_names_the_author_publisher_and_reviewer(client, article):
    data = json_ld(parse_page(client, URL))
    ada = {"@type": "Person", "name": "Ada Lovelace", "url": f"{ORIGIN}/authors/ada-lovelace/"}
    assert data["author"] == ada
    assert data["publisher"]["@type"] == "Organization"
    assert data["publisher"]["name"] == "Auto Trendy"
    assert data["publisher"]["logo"]["url"] == f"{ORIGIN}/static/img/logo.png"
    # schema.org defines reviewedBy on WebPage: the page the article is the main entity of.
    page = data["mainEntityOfPage"]
    assert page["@type"] == "WebPage"
    grace = {"@type": "Person", "name": "Grace Hopper", "url": f"{ORIGIN}/authors/grace-hopper/"}
    assert page["reviewedBy"] == grace
    assert page["lastReviewed"] == iso(article.approved_at)


def test_json_ld_without_a_reviewer_names_none(client):
    unreviewed = ArticleFactory(published=True)
    data = json_ld(parse_page(client, unreviewed.get_absolute_url()))
    assert "reviewedBy" not in data["mainEntityOfPage"]


def test_json_ld_cannot_close_its_script_element(client):
    title = 'Bad </script><script>alert("x")</script> & <!-- more'
    risky = ArticleFactory(published=True, title=title, slug="risky")
    response = client.get(risky.get_absolute_url())
    html = response.content.decode()
    assert '<script>alert("x")' not in html
    script = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in script and ">" not in script and "&" not in script
    assert json.loads(script)["headline"] == title


def test_json_ld_script_escapes_html_characters():
    html = str(json_ld_script({"headline": "</script> & <b>"}))
    escaped = "\\u003C/script\\u003E \\u0026 \\u003Cb\\u003E"
    assert html == f'<script type="application/ld+json">{{"headline": "{escaped}"}}</script>'


def test_scheduled_article_is_not_modified_before_it_was_published(client):
    article = ArticleFactory(published=True, slug="scheduled")
    published_at = timezone.now() - timedelta(minutes=5)
    Article.objects.filter(pk=article.pk).update(
        published_at=published_at, updated_at=published_at - timedelta(days=2)
    )
    page = parse_page(client, "/articles/scheduled/")
    assert json_ld(page)["dateModified"] == iso(published_at)
    assert meta(page, "article:modified_time") == iso(published_at)


def test_draft_preview_has_its_future_preview_tags_without_a_publication_date(client):
    draft = ArticleFactory(draft=True, title="Not out yet", slug="not-out-yet")
    page = parse_page(client, urlsplit(preview.share_url(draft)).path)
    assert meta(page, "og:url") == f"{ORIGIN}/articles/not-out-yet/"
    assert "article:published_time" not in page.meta
    data = json_ld(page)
    assert data["headline"] == "Not out yet"
    assert "datePublished" not in data


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/articles/a-slug/", f"{ORIGIN}/articles/a-slug/"),
        ("/media/covers/a.jpg?v=2", f"{ORIGIN}/media/covers/a.jpg?v=2"),
        ("/", f"{ORIGIN}/"),
        ("/media/../static/x.png", f"{ORIGIN}/static/x.png"),
        ("/a/./b", f"{ORIGIN}/a/b"),
        ("https://cdn.example/covers/a.jpg", "https://cdn.example/covers/a.jpg"),
        ("//cdn.example/covers/a.jpg", "https://cdn.example/covers/a.jpg"),
        ("covers/a.jpg", f"{ORIGIN}/covers/a.jpg"),
    ],
)
def test_a_url_is_made_absolute_on_the_sites_origin(url, expected):
    assert absolute_url(url) == expected


@pytest.mark.parametrize(
    ("named", "phrase"),
    [(["Ada"], "Ada"), (["Ada", "Ben"], "Ada and Ben"), (["Ada", "Ben", "Cy"], "Ada, Ben and Cy")],
)
def test_the_byline_names_read_as_one_phrase(named, phrase):
    assert names([AuthorFactory.build(name=name) for name in named]) == phrase
