"""Syndication and crawling: RSS and Atom feeds, the sitemap, robots.txt, feed autodiscovery.

Feeds are read with feedparser, as a feed reader would; the sitemap with xml.etree.
"""

import io
import math
import re
import xml.etree.ElementTree as ET
from calendar import timegm
from datetime import UTC, date, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.xmlutils import SimplerXMLGenerator, UnserializableContentError

from articles import sitemaps
from articles.feeds import FEED_SIZE, article_content_html
from articles.feedxml import QuickAtom1Feed, QuickRss201rev2Feed, QuickXMLGenerator
from articles.models import Article, ArticleCoauthor, SlugRedirect
from tests.factories import ArticleFactory, AuthorFactory, TopicFactory
from tests.test_photos import stored_body_image

pytestmark = pytest.mark.django_db

ORIGIN = "https://autotrendy.example"
EXPECTED = Path(__file__).parent / "expected"
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
BODY = """Solid-state cells are coming.

<script>alert("feed")</script>

![A cell on the bench](/media/uploads/cell.png)

Read [the earlier story](/articles/earlier-story/) and [the footnote](#why)."""


@pytest.fixture(autouse=True)
def site_origin(settings):
    # Not the test client's host: every absolute URL must come from SITE_ORIGIN.
    settings.SITE_ORIGIN = ORIGIN


@pytest.fixture
def feed_articles():
    """Two published articles about batteries by Ada, one by Grace, and hidden ones."""
    now = timezone.now()
    ada = AuthorFactory(name="Ada Lovelace", slug="ada-lovelace")
    grace = AuthorFactory(name="Grace Hopper", slug="grace-hopper")
    batteries = TopicFactory(name="Batteries", slug="batteries")
    policy = TopicFactory(name="Policy", slug="policy")

    def published(title, slug, *, days_ago, **fields):
        return ArticleFactory(
            published=True, title=title, slug=slug, published_at=now - timedelta(days=days_ago), **fields
        )

    older = published("Older battery news", "older-battery-news", days_ago=3, author=ada, topics=[batteries])
    newer = published(
        "Solid-state batteries arrive",
        "solid-state-batteries-arrive",
        days_ago=1,
        author=ada,
        topics=[batteries, policy],
        standfirst="Carmakers promise more range.",
        body=BODY,
        take="Believe it when it ships.",
    )
    other = published("Tariffs, again", "tariffs-again", days_ago=2, author=grace, topics=[policy])
    draft = ArticleFactory(draft=True, title="A draft about batteries", author=ada, topics=[batteries])
    future = ArticleFactory(future=True, title="Scheduled battery story", author=ada, topics=[batteries])
    return {
        "ada": ada,
        "grace": grace,
        "batteries": batteries,
        "policy": policy,
        "older": older,
        "newer": newer,
        "other": other,
        "draft": draft,
        "future": future,
    }


def fetch_feed(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return response, parsed


def titles(parsed):
    return [entry.title for entry in parsed.entries]


def as_datetime(struct_time):
    return datetime.fromtimestamp(timegm(struct_time), tz=UTC)


def same_second(struct_time, value):
    return as_datetime(struct_time) == value.replace(microsecond=0)


# ---------------------------------------------------------------------------
# The whole site


@pytest.mark.parametrize(
    "url, content_type, version",
    [("/feed/rss/", "application/rss+xml", "rss20"), ("/feed/atom/", "application/atom+xml", "atom10")],
)
def test_site_feed_lists_published_articles_newest_first(client, feed_articles, url, content_type, version):
    response, parsed = fetch_feed(client, url)
    assert response["Content-Type"].startswith(content_type)
    assert parsed.version == version
    assert parsed.feed.title == "Auto Trendy"
    assert parsed.feed.link == f"{ORIGIN}/"
    assert titles(parsed) == ["Solid-state batteries arrive", "Tariffs, again", "Older battery news"]


@pytest.mark.parametrize("url", ["/feed/rss/", "/feed/atom/"])
def test_site_feed_points_to_itself_on_the_canonical_origin(client, feed_articles, url):
    _, parsed = fetch_feed(client, url)
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == [ORIGIN + url]


@pytest.mark.parametrize("url", ["/feed/rss/", "/feed/atom/"])
def test_feed_item_has_every_field(client, feed_articles, url):
    _, parsed = fetch_feed(client, url)
    entry = parsed.entries[0]
    article = feed_articles["newer"]
    assert entry.title == "Solid-state batteries arrive"
    assert entry.link == f"{ORIGIN}/articles/solid-state-batteries-arrive/"
    assert entry.summary == "Carmakers promise more range."
    assert entry.author == "Ada Lovelace"
    assert same_second(entry.published_parsed, article.published_at)
    assert same_second(entry.updated_parsed, article.updated_at)
    assert sorted(tag.term for tag in entry.tags) == ["Batteries", "Policy"]


@pytest.mark.parametrize("url", ["/feed/rss/", "/feed/atom/"])
def test_feed_content_is_the_sanitized_article_with_its_take(client, feed_articles, url):
    _, parsed = fetch_feed(client, url)
    entry = parsed.entries[0]
    content = entry.content[0]
    assert content.type == "text/html"
    html = content.value
    assert "Solid-state cells are coming." in html
    assert "<script" not in html and "alert(" not in html
    assert "Auto Trendy’s take</h2>" in html
    assert "Believe it when it ships." in html


@pytest.mark.parametrize("url", ["/feed/rss/", "/feed/atom/"])
def test_feed_content_links_are_absolute(client, feed_articles, url):
    response = client.get(url)
    # The raw XML, unescaped: feedparser would resolve relative links itself, readers may not.
    raw = unescape(response.content.decode())
    assert f'src="{ORIGIN}/media/uploads/cell.png"' in raw
    assert f'href="{ORIGIN}/articles/earlier-story/"' in raw
    assert f'href="{ORIGIN}/articles/solid-state-batteries-arrive/#why"' in raw
    assert not re.search(r'(?:href|src)="(?:/|#)', raw)


def test_atom_entries_link_their_authors_pages(client, feed_articles):
    _, parsed = fetch_feed(client, "/feed/atom/")
    assert parsed.entries[0].author_detail.href == f"{ORIGIN}/authors/ada-lovelace/"


def test_feed_ids_survive_a_slug_change(client, feed_articles):
    _, before = fetch_feed(client, "/feed/atom/")
    article = feed_articles["newer"]
    article.slug = "solid-state-batteries-are-here"
    article.save()
    _, after = fetch_feed(client, "/feed/atom/")
    assert after.entries[0].link.endswith("/solid-state-batteries-are-here/")
    assert after.entries[0].id == before.entries[0].id
    assert after.entries[0].id.startswith("tag:autotrendy.example,")


def test_scheduled_article_is_not_updated_before_it_appears(client):
    """An article written days before its scheduled time: updated when it went live."""
    article = ArticleFactory(published=True)
    published_at = timezone.now() - timedelta(minutes=5)
    Article.objects.filter(pk=article.pk).update(
        published_at=published_at, updated_at=published_at - timedelta(days=2)
    )
    _, parsed = fetch_feed(client, "/feed/atom/")
    assert same_second(parsed.entries[0].updated_parsed, published_at)


def test_site_feed_is_limited(client):
    for _ in range(FEED_SIZE + 2):
        ArticleFactory(published=True)
    _, parsed = fetch_feed(client, "/feed/rss/")
    assert len(parsed.entries) == FEED_SIZE


def test_empty_feed_is_still_a_valid_feed(client):
    _, parsed = fetch_feed(client, "/feed/atom/")
    assert parsed.entries == []


# ---------------------------------------------------------------------------
# Every byte: what subscribers get stays what it was


@pytest.fixture
def varied_site():
    """Articles with everything a feed item can carry, at fixed times: co-authors in order,
    several topics or none, a take, footnotes, an uploaded photo with its renditions, links
    of every kind (root-relative, protocol-relative, external, in-page, quoted in code),
    markup typed into a title; and a draft and a scheduled article that no feed shows.
    Returns {name: article}."""
    ada = AuthorFactory(name="Ada Lovelace", slug="ada-lovelace", bio="Writes about batteries.")
    grace = AuthorFactory(name="Grace Hopper", slug="grace-hopper", bio="")
    katherine = AuthorFactory(name="Katherine Johnson", slug="katherine-johnson")
    batteries = TopicFactory(name="Batteries", slug="batteries", description="Cells & packs.")
    policy = TopicFactory(name="Policy", slug="policy", description="")
    photo = stored_body_image()
    articles = {
        "full": ArticleFactory(
            published=True,
            title="Solid-state <cells> & the 2027 cars",
            slug="solid-state-cells",
            standfirst="Carmakers promise more range & less weight.",
            author=ada,
            topics=[policy, batteries],
            body=(
                "## The cells\n\nSolid-state cells are coming.[^range]\n\n"
                f"![A cell on the bench]({photo.image.url})\n\n"
                "![An old diagram](/static/img/diagram.png)\n\n"
                "Read [the earlier story](/articles/earlier-story/), [the maker](https://maker.example/cells), "
                "[a mirror](//mirror.example/cells) and [the cells section](#the-cells).\n\n"
                'In HTML that is `<a href="/articles/earlier-story/">`.\n\n'
                "[^range]: Up to 800 km, says the maker."
            ),
            take="Believe it when it ships: see [our tests](/articles/tests/).",
        ),
        "plain": ArticleFactory(
            published=True,
            title="Tariffs, again",
            slug="tariffs-again",
            standfirst="",
            author=grace,
            body="Nothing to link here.",
        ),
        "written_by_three": ArticleFactory(
            published=True,
            title="Three views on hydrogen",
            slug="three-views-on-hydrogen",
            standfirst="Fuel cells, compared.",
            author=grace,
            topics=[batteries],
            body="We disagree.[^1]\n\n[^1]: Politely.",
        ),
        "draft": ArticleFactory(draft=True, title="A draft", author=ada, topics=[batteries]),
        "scheduled": ArticleFactory(future=True, title="Scheduled", author=ada, topics=[batteries]),
    }
    # Added in the other order: the byline follows the positions.
    ArticleCoauthor.objects.create(article=articles["written_by_three"], author=ada, position=2)
    ArticleCoauthor.objects.create(article=articles["written_by_three"], author=katherine, position=1)
    ArticleCoauthor.objects.create(article=articles["full"], author=grace, position=1)
    for days, name in enumerate(["full", "written_by_three", "plain"], start=1):
        published_at = datetime(2026, 3, 10, 9, 30, tzinfo=UTC) - timedelta(days=days)
        Article.objects.filter(pk=articles[name].pk).update(
            created_at=published_at - timedelta(days=2),
            published_at=published_at,
            # One edited after it appeared, one written after its scheduled time had been set.
            updated_at=published_at + timedelta(hours=5 if name == "full" else -30),
        )
    return articles


@pytest.mark.parametrize(
    "url, expected",
    [
        ("/feed/rss/", "site.rss.xml"),
        ("/feed/atom/", "site.atom.xml"),
        ("/topics/batteries/feed/rss/", "topic.rss.xml"),
        ("/topics/batteries/feed/atom/", "topic.atom.xml"),
        ("/authors/ada-lovelace/feed/rss/", "author.rss.xml"),
        ("/authors/grace-hopper/feed/atom/", "author.atom.xml"),
    ],
)
def test_feeds_say_exactly_what_they_said(client, varied_site, url, expected, tmp_path):
    """The whole feed, byte for byte, against tests/expected/feeds/ (the ids, which depend on
    the database, written as the articles' names). After a deliberate change to what the feeds
    say, the failure leaves the new output in the test's tmp_path to check and copy."""
    content = client.get(url).content.decode()
    for name, article in varied_site.items():
        content = content.replace(f":article:{article.pk}<", f":article:{name}<")
    path = EXPECTED / "feeds" / expected
    if content != path.read_text():
        (tmp_path / expected).write_text(content)
        assert content.splitlines() == path.read_text().splitlines(), f"new output: {tmp_path / expected}"


# Stored HTML as the feeds find it, and what the old three passes
# (`\b(href|src)="/(?!/)`, `\bsrcset="([^"]*)"`, `\bhref="#`) made of it: the same.
LINKS_IN_CONTENT = [
    ('<a href="/articles/a/">', f'<a href="{ORIGIN}/articles/a/">'),
    ('<img src="/media/a.png" alt="">', f'<img src="{ORIGIN}/media/a.png" alt="">'),
    ('<a href="#fn:1">', f'<a href="{ORIGIN}/articles/here/#fn:1">'),
    ('<a href="//cdn.example/a">', '<a href="//cdn.example/a">'),
    ('<a href="https://maker.example/">', '<a href="https://maker.example/">'),
    ("<a href='/single-quoted/'>", "<a href='/single-quoted/'>"),
    ('<a xhref="/a" data-href="/b" hreflang="/c">', f'<a xhref="/a" data-href="{ORIGIN}/b" hreflang="/c">'),
    ('<img src="#x" xsrc="/y">', '<img src="#x" xsrc="/y">'),
    ('href="/at-the-start"', f'href="{ORIGIN}/at-the-start"'),
    (
        '<img srcset="/a.jpg 480w, //cdn.example/b.jpg 960w, https://c.example/c.jpg 2x" src="/a.jpg">',
        f'<img srcset="{ORIGIN}/a.jpg 480w, //cdn.example/b.jpg 960w, https://c.example/c.jpg 2x" src="{ORIGIN}/a.jpg">',
    ),
    ('<img data-srcset="/a.jpg 1x">', f'<img data-srcset="{ORIGIN}/a.jpg 1x">'),
    ('<img srcset="/never closed', '<img srcset="/never closed'),
    ('<code>&lt;a href="/quoted/"&gt;</code>', f'<code>&lt;a href="{ORIGIN}/quoted/"&gt;</code>'),
    ('<a href="/one/"><a href="/two/">', f'<a href="{ORIGIN}/one/"><a href="{ORIGIN}/two/">'),
    ("no links at all", "no links at all"),
]


@pytest.mark.parametrize("stored, expected", LINKS_IN_CONTENT)
def test_feed_content_makes_root_relative_and_in_page_links_absolute(stored, expected):
    assert article_content_html(stored, "", f"{ORIGIN}/articles/here/") == expected


def test_feed_content_adds_the_take_under_the_sites_heading(settings):
    settings.SITE_NAME = "Cars & Co"
    take = '<p>See <a href="/x/">this</a>.</p>'

    assert article_content_html("<p>Body.</p>", take, f"{ORIGIN}/articles/here/") == (
        f'<p>Body.</p>\n<h2>Cars &amp; Co’s take</h2>\n<p>See <a href="{ORIGIN}/x/">this</a>.</p>'
    )


# The calls Django's feed generators make of their XML writer, with what a feed can hold.
QUICK_ELEMENTS = [
    ("title", "Fast & <cheap> \"quoted\" 'single' ]]> é ✓", None),
    ("description", "", None),
    ("description", None, None),
    ("atom:link", None, {"rel": "self", "href": "https://x.example/?a=1&b=<2>"}),
    ("link", "", {"href": 'say "hi"', "rel": "alternate"}),
    ("category", "", {"term": 'it\'s "both"'}),
    ("category", "", {"term": "it's"}),
    ("guid", "tag:x,2026:1", {"isPermaLink": "false"}),
    ("summary", "line\nbreak\ttab", {"type": "text"}),
    ("name", "attribute\nnewline", {"title": "a\nb\rc\td"}),
]


def write_elements(generator_class, short_empty_elements=True):
    out = io.StringIO()
    handler = generator_class(out, "utf-8", short_empty_elements=short_empty_elements)
    handler.startDocument()
    handler.startElement("item", {})  # its ">" still to come when the first element is written
    for name, contents, attrs in QUICK_ELEMENTS:
        handler.addQuickElement(name, contents, attrs)
        handler.startElement("author", {})
        handler.addQuickElement("uri", "https://x.example/")
        handler.endElement("author")
    handler.endElement("item")
    return out.getvalue()


@pytest.mark.parametrize("short_empty_elements", [True, False])
def test_the_quick_xml_writer_writes_what_djangos_writes(short_empty_elements):
    expected = write_elements(SimplerXMLGenerator, short_empty_elements)
    assert write_elements(QuickXMLGenerator, short_empty_elements) == expected


@pytest.mark.parametrize("attrs", [None, {"term": "bell\x07"}])
@pytest.mark.parametrize("contents", ["form feed \x0c", "fine"])
def test_the_quick_xml_writer_refuses_what_xml_cannot_hold(contents, attrs):
    if attrs is None and contents == "fine":
        return
    for generator_class in (SimplerXMLGenerator, QuickXMLGenerator):
        handler = generator_class(io.StringIO(), "utf-8", short_empty_elements=True)
        with pytest.raises(UnserializableContentError):
            handler.addQuickElement("title", contents, attrs)


def a_full_feed(generator_class):
    """A feed using everything Django's generators write, in a language beyond ASCII."""
    feed = generator_class(
        title="Ünïcödé & <co>",
        link="https://x.example/",
        description="Déscription",
        language="fr",
        author_name="Ada",
        author_email="ada@x.example",
        author_link="https://x.example/ada/",
        subtitle="Sous-titre",
        categories=["Batteries", "Politique"],
        feed_url="https://x.example/feed/",
        feed_copyright="© 2026",
        feed_guid="urn:x",
        ttl=60,
        stylesheets=["/feed.xsl"],
    )
    feed.add_item(
        title="Élément ✓",
        link="https://x.example/a/",
        description="<p>Corps</p>",
        author_name="Ada",
        author_email="ada@x.example",
        author_link="https://x.example/ada/",
        pubdate=datetime(2026, 3, 9, 9, 30, tzinfo=UTC),
        updateddate=datetime(2026, 3, 9, 14, 30, tzinfo=UTC),
        comments="https://x.example/a/#comments",
        unique_id="urn:x:a",
        unique_id_is_permalink=False,
        categories=["Batteries"],
        item_copyright="© Ada",
        ttl=30,
        enclosures=[Enclosure("https://x.example/a.mp3", "123", "audio/mpeg")],
    )
    return feed


@pytest.mark.parametrize(
    "quick_class, django_class", [(QuickRss201rev2Feed, Rss201rev2Feed), (QuickAtom1Feed, Atom1Feed)]
)
@pytest.mark.parametrize("encoding", ["utf-8", "ascii"])
def test_the_quick_feed_generators_write_djangos_bytes(quick_class, django_class, encoding):
    """To a response, a binary file, or as a string (`writeString`)."""
    quick, django = a_full_feed(quick_class), a_full_feed(django_class)
    expected = HttpResponse()
    django.write(expected, encoding)
    response = HttpResponse()
    quick.write(response, encoding)
    assert response.content == expected.content
    binary = io.BytesIO()
    quick.write(binary, encoding)
    assert binary.getvalue() == expected.content
    assert quick.writeString(encoding) == django.writeString(encoding)


# ---------------------------------------------------------------------------
# One topic, one author


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_topic_feed_lists_only_that_topics_published_articles(client, feed_articles, kind):
    _, parsed = fetch_feed(client, f"/topics/batteries/feed/{kind}/")
    assert parsed.feed.title == "Auto Trendy: Batteries"
    assert parsed.feed.link == f"{ORIGIN}/topics/batteries/"
    assert titles(parsed) == ["Solid-state batteries arrive", "Older battery news"]


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_author_feed_lists_only_that_authors_published_articles(client, feed_articles, kind):
    _, parsed = fetch_feed(client, f"/authors/grace-hopper/feed/{kind}/")
    assert parsed.feed.title == "Auto Trendy: articles by Grace Hopper"
    assert parsed.feed.link == f"{ORIGIN}/authors/grace-hopper/"
    assert titles(parsed) == ["Tariffs, again"]


@pytest.mark.parametrize(
    "url",
    [
        "/topics/no-such-topic/feed/rss/",
        "/topics/no-such-topic/feed/atom/",
        "/authors/nobody/feed/rss/",
        "/authors/nobody/feed/atom/",
    ],
)
def test_feed_of_unknown_topic_or_author_is_404(client, feed_articles, url):
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------------------
# Plain text stays text: what an author types reaches subscribers as those characters


# Markup, a bare "&" and "<", an entity that must not be decoded, and a script payload.
TYPED = 'Fast & <cheap>: <img src=x onerror="alert(1)"> <b>bold</b> &amp; 5 < 6'


class _Markup(HTMLParser):
    """The elements and the text a feed reader shows for an HTML value."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.elements.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def what_the_reader_sees(detail):
    """(text shown, elements made) for a feedparser text construct (title_detail, ...)."""
    if detail.type == "text/plain":
        return detail.value, []
    markup = _Markup()
    markup.feed(detail.value)
    markup.close()
    return "".join(markup.text), markup.elements


@pytest.fixture
def typed_markup(settings):
    """Every plain-text field that reaches a feed holds TYPED: titles, standfirst, topic
    and author names, the topic's description and the author's bio, the site's name."""
    settings.SITE_NAME = "Cars & <Co>"
    settings.SITE_DESCRIPTION = f"About: {TYPED}"
    author = AuthorFactory(name=f"Ada {TYPED}", slug="ada", bio=f"Bio: {TYPED}")
    topic = TopicFactory(name=f"Batteries {TYPED}", slug="batteries", description=f"Topic: {TYPED}")
    ArticleFactory(
        published=True,
        title=f"Title: {TYPED}",
        standfirst=f"Standfirst: {TYPED}",
        author=author,
        topics=[topic],
    )


@pytest.mark.parametrize("kind", ["rss", "atom"])
@pytest.mark.parametrize(
    "path, channel_title, channel_description",
    [
        pytest.param("/feed", "Cars & <Co>", f"About: {TYPED}", id="site"),
        pytest.param(
            "/topics/batteries/feed", f"Cars & <Co>: Batteries {TYPED}", f"Topic: {TYPED}", id="topic"
        ),
        pytest.param(
            "/authors/ada/feed", f"Cars & <Co>: articles by Ada {TYPED}", f"Bio: {TYPED}", id="author"
        ),
    ],
)
def test_feeds_show_typed_markup_as_text_and_inject_no_element(
    client, typed_markup, path, kind, channel_title, channel_description
):
    _, parsed = fetch_feed(client, f"{path}/{kind}/")
    channel, entry = parsed.feed, parsed.entries[0]
    assert what_the_reader_sees(channel.title_detail) == (channel_title, [])
    assert what_the_reader_sees(channel.subtitle_detail) == (channel_description, [])
    assert what_the_reader_sees(entry.title_detail) == (f"Title: {TYPED}", [])
    assert what_the_reader_sees(entry.summary_detail) == (f"Standfirst: {TYPED}", [])
    assert entry.author == f"Ada {TYPED}"
    assert [tag.term for tag in entry.tags] == [f"Batteries {TYPED}"]


# ---------------------------------------------------------------------------
# Autodiscovery


def alternate_links(page):
    """{(type, href)} of the <link rel="alternate"> elements in the page's head."""
    head = page.split("</head>", 1)[0]
    links = set()
    for tag in re.findall(r"<link\b[^>]*>", head):
        if 'rel="alternate"' in tag:
            attrs = dict(re.findall(r'(\w+)="([^"]*)"', tag))
            links.add((attrs["type"], attrs["href"]))
    return links


SITE_FEEDS = {("application/rss+xml", "/feed/rss/"), ("application/atom+xml", "/feed/atom/")}


@pytest.mark.parametrize(
    "page, own_feeds",
    [
        ("/", set()),
        ("/articles/solid-state-batteries-arrive/", set()),
        (
            "/topics/batteries/",
            {
                ("application/rss+xml", "/topics/batteries/feed/rss/"),
                ("application/atom+xml", "/topics/batteries/feed/atom/"),
            },
        ),
        (
            "/authors/ada-lovelace/",
            {
                ("application/rss+xml", "/authors/ada-lovelace/feed/rss/"),
                ("application/atom+xml", "/authors/ada-lovelace/feed/atom/"),
            },
        ),
    ],
)
def test_pages_announce_their_feeds(client, feed_articles, page, own_feeds):
    response = client.get(page)
    assert response.status_code == 200
    assert alternate_links(response.content.decode()) == SITE_FEEDS | own_feeds


def test_announced_feeds_exist(client, feed_articles):
    for _, href in alternate_links(client.get("/topics/batteries/").content.decode()):
        assert client.get(href).status_code == 200


# ---------------------------------------------------------------------------
# Sitemap and robots.txt


def sitemap_pages(client):
    """The sitemap files the index at /sitemap.xml lists: {path and query: lastmod}."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    pages = {}
    for sitemap in root.findall("sm:sitemap", SITEMAP_NS):
        location = sitemap.findtext("sm:loc", namespaces=SITEMAP_NS)
        assert location.startswith(f"{ORIGIN}/"), location
        pages[location.removeprefix(ORIGIN)] = sitemap.findtext("sm:lastmod", namespaces=SITEMAP_NS)
    return pages


def sitemap_entries(client):
    """Every URL of every sitemap file the index lists: {location: lastmod}."""
    entries = {}
    for page in sitemap_pages(client):
        response = client.get(page)
        assert response.status_code == 200, page
        root = ET.fromstring(response.content)
        assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
        for url in root.findall("sm:url", SITEMAP_NS):
            location = url.findtext("sm:loc", namespaces=SITEMAP_NS)
            assert location not in entries, f"{location} is listed twice"
            entries[location] = url.findtext("sm:lastmod", namespaces=SITEMAP_NS)
    return entries


def test_sitemap_lists_home_published_articles_and_their_topics_and_authors(client, feed_articles):
    TopicFactory(name="Empty topic", slug="empty-topic")
    AuthorFactory(name="Silent author", slug="silent-author")
    entries = sitemap_entries(client)
    assert set(entries) == {
        f"{ORIGIN}/",
        f"{ORIGIN}/articles/solid-state-batteries-arrive/",
        f"{ORIGIN}/articles/older-battery-news/",
        f"{ORIGIN}/articles/tariffs-again/",
        f"{ORIGIN}/topics/batteries/",
        f"{ORIGIN}/topics/policy/",
        f"{ORIGIN}/authors/ada-lovelace/",
        f"{ORIGIN}/authors/grace-hopper/",
    }


def test_sitemap_gives_when_each_page_last_changed(client, feed_articles):
    """Each page changed when its latest article last changed for readers: its last edit,
    or its publication for an article written before its scheduled time."""
    now = timezone.now()
    edits = {"older": now - timedelta(days=4), "newer": now - timedelta(days=6), "other": now}
    for name, edited_at in edits.items():
        Article.objects.filter(pk=feed_articles[name].pk).update(updated_at=edited_at)
    three_days_ago, yesterday, today = (
        timezone.localdate(now - timedelta(days=days)).isoformat() for days in (3, 1, 0)
    )

    assert sitemap_entries(client) == {
        f"{ORIGIN}/": today,
        f"{ORIGIN}/articles/older-battery-news/": three_days_ago,
        f"{ORIGIN}/articles/solid-state-batteries-arrive/": yesterday,
        f"{ORIGIN}/articles/tariffs-again/": today,
        f"{ORIGIN}/topics/batteries/": yesterday,
        f"{ORIGIN}/topics/policy/": today,
        f"{ORIGIN}/authors/ada-lovelace/": yesterday,
        f"{ORIGIN}/authors/grace-hopper/": today,
    }


def test_sitemap_index_lists_each_section_with_its_last_change(client, feed_articles):
    Article.objects.filter(pk=feed_articles["other"].pk).update(updated_at=timezone.now() - timedelta(days=1))
    latest = feed_articles["newer"].updated_at
    pages = sitemap_pages(client)
    assert list(pages) == [
        "/sitemap-home.xml",
        "/sitemap-articles.xml",
        "/sitemap-topics.xml",
        "/sitemap-authors.xml",
    ]
    # The latest change to any published article: Grace's was made a day older above.
    assert set(pages.values()) == {timezone.localtime(latest).isoformat()}


def test_sitemap_articles_come_in_pages_of_id_ranges_the_highest_first(client, feed_articles, monkeypatch):
    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", 3)
    highest = Article.objects.order_by("-pk").first().pk
    pages = [page for page in sitemap_pages(client) if page.startswith("/sitemap-articles.xml")]
    assert pages[:2] == ["/sitemap-articles.xml", "/sitemap-articles.xml?p=2"]
    assert len(pages) == math.ceil(highest / 3)
    for number, page in enumerate(pages[:4], 1):  # ids run high on a database used before
        root = ET.fromstring(client.get(page).content)
        locations = [
            url.findtext("sm:loc", namespaces=SITEMAP_NS) for url in root.findall("sm:url", SITEMAP_NS)
        ]
        top = highest - (number - 1) * 3
        expected = Article.objects.published().filter(pk__gt=top - 3, pk__lte=top)
        assert locations == [f"{ORIGIN}{article.get_absolute_url()}" for article in expected]
    # The first page: the last three articles written, of which readers see Grace's alone
    # (the draft and the scheduled one came after it).
    first = ET.fromstring(client.get(pages[0]).content)
    assert [url.findtext("sm:loc", namespaces=SITEMAP_NS) for url in first.findall("sm:url", SITEMAP_NS)] == [
        f"{ORIGIN}{feed_articles['other'].get_absolute_url()}"
    ]
    assert client.get(f"/sitemap-articles.xml?p={len(pages) + 1}").status_code == 404
    assert client.get("/sitemap-articles.xml?p=two").status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_sitemap_leaves_out_topics_and_authors_with_only_hidden_articles(client):
    ArticleFactory(draft=True, author=AuthorFactory(slug="drafter"), topics=[TopicFactory(slug="secret")])
    ArticleFactory(future=True, author=AuthorFactory(slug="planner"), topics=[TopicFactory(slug="later")])
    assert set(sitemap_entries(client)) == {f"{ORIGIN}/"}


def test_robots_txt_keeps_crawlers_out_of_the_newsroom_and_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /admin/" in lines
    assert "Disallow: /preview/" in lines
    assert f"Sitemap: {ORIGIN}/sitemap.xml" in lines
    assert "Disallow: /" not in lines


# ---------------------------------------------------------------------------
# The sitemap's exact bytes


def at(text):
    """A moment in UTC, as the database gives it back."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def varied_sitemap_site(settings, monkeypatch):
    """Nine articles in three sitemap pages of three ids each, in a time zone where some of
    them changed on another day than in UTC.

    Page 1 (ids 7-9): published with a co-author, published long ago, scheduled for later.
    Page 2 (ids 4-6): a draft, one in review, one archived: nothing for readers.
    Page 3 (ids 1-3): a renamed article (its old slug redirects), and two published at the
    same minute, one of them written before its publication time.
    """
    settings.TIME_ZONE = "Europe/Paris"
    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", 3)
    ada = AuthorFactory(name="Ada Lovelace", slug="ada-lovelace")
    grace = AuthorFactory(name="Grace Hopper", slug="grace-hopper")
    hedy = AuthorFactory(name="Hedy Lamarr", slug="hedy-lamarr")  # only ever a co-author
    drafter = AuthorFactory(name="Dora Drafter", slug="dora-drafter")  # no published article
    batteries = TopicFactory(name="Batteries", slug="batteries")
    policy = TopicFactory(name="Policy", slug="policy")
    secret = TopicFactory(name="Secret", slug="secret")  # drafts and archived only
    later = TopicFactory(name="Later", slug="later")  # the scheduled article only
    Status = Article.Status
    rows = [
        # id, slug, status, published_at, updated_at, author, topics
        (1, "first-name", Status.PUBLISHED, "2025-01-10 08:00", "2025-01-12 09:15:30", ada, [batteries]),
        (2, "tie-one", Status.PUBLISHED, "2025-02-01 12:00", "2025-02-01 12:00", grace, [policy]),
        (3, "tie-two", Status.PUBLISHED, "2025-02-01 12:00", "2025-01-20 10:00", ada, [policy]),
        (4, "a-draft", Status.DRAFT, None, "2025-03-05 10:00", drafter, [secret]),
        (5, "in-review", Status.IN_REVIEW, None, "2025-03-05 11:00", drafter, [secret]),
        (
            6,
            "archived",
            Status.ARCHIVED,
            "2024-06-01 10:00",
            "2025-03-06 10:00",
            drafter,
            [secret, batteries],
        ),
        (
            7,
            "with-a-co-author",
            Status.PUBLISHED,
            "2025-03-01 23:30",
            "2025-03-01 23:45:10.123456",
            grace,
            [batteries],
        ),
        (8, "published-long-ago", Status.PUBLISHED, "2024-12-24 06:00", "2024-12-24 06:00", ada, []),
        (9, "scheduled", Status.PUBLISHED, None, "2025-03-07 10:00", grace, [later]),
    ]
    for pk, slug, status, published_at, updated_at, author, topics in rows:
        if slug == "scheduled":
            published_at = timezone.now() + timedelta(days=3)
        elif published_at:
            published_at = at(published_at)
        article = ArticleFactory(
            id=pk, slug=slug, status=status, published_at=published_at, author=author, topics=topics
        )
        if slug == "with-a-co-author":
            ArticleCoauthor.objects.create(article=article, author=hedy, position=1)
            ArticleCoauthor.objects.create(article=article, author=ada, position=2)
        if slug == "first-name":
            article.slug = "second-name"
            article.save()
        Article.objects.filter(pk=pk).update(updated_at=at(updated_at))
    assert SlugRedirect.objects.filter(old_slug="first-name").exists()


def sitemap_file(client, url):
    """The bytes of one sitemap file, checked to be well-formed XML."""
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/xml"
    assert response["X-Robots-Tag"] == "noindex, noodp, noarchive"
    ET.fromstring(response.content)
    return response


HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
URLSET = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
# Every sitemap file of `varied_sitemap_site`, byte for byte, as Django's sitemap templates wrote them.
VARIED_SITEMAP = {
    "/sitemap.xml": (
        HEAD + '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        "<sitemap><loc>https://autotrendy.example/sitemap-home.xml</loc>"
        "<lastmod>2025-03-02T00:45:10.123456+01:00</lastmod></sitemap>"
        "<sitemap><loc>https://autotrendy.example/sitemap-articles.xml</loc>"
        "<lastmod>2025-03-02T00:45:10.123456+01:00</lastmod></sitemap>"
        "<sitemap><loc>https://autotrendy.example/sitemap-articles.xml?p=2</loc>"
        "<lastmod>2025-03-02T00:45:10.123456+01:00</lastmod></sitemap>"
        "<sitemap><loc>https://autotrendy.example/sitemap-articles.xml?p=3</loc>"
        "<lastmod>2025-03-02T00:45:10.123456+01:00</lastmod></sitemap>"
        "<sitemap><loc>https://autotrendy.example/sitemap-topics.xml</loc>"
        "<lastmod>2025-03-02T00:45:10.123456+01:00</lastmod></sitemap>"
        "<sitemap><loc>https://autotrendy.example/sitemap-authors.xml</loc>"
        "<lastmod>2025-03-02T00:45:10.123456+01:00</lastmod></sitemap>"
        "\n</sitemapindex>\n"
    ),
    "/sitemap-home.xml": (
        HEAD + URLSET + "<url><loc>https://autotrendy.example/</loc><lastmod>2025-03-02</lastmod>"
        "<changefreq>daily</changefreq><priority>1.0</priority></url>"
        "\n</urlset>\n"
    ),
    "/sitemap-articles.xml": (
        HEAD + URLSET + "<url><loc>https://autotrendy.example/articles/with-a-co-author/</loc>"
        "<lastmod>2025-03-02</lastmod><changefreq>weekly</changefreq><priority>0.8</priority></url>"
        "<url><loc>https://autotrendy.example/articles/published-long-ago/</loc>"
        "<lastmod>2024-12-24</lastmod><changefreq>weekly</changefreq><priority>0.8</priority></url>"
        "\n</urlset>\n"
    ),
    "/sitemap-articles.xml?p=2": HEAD + URLSET + "\n</urlset>\n",
    "/sitemap-articles.xml?p=3": (
        HEAD + URLSET + "<url><loc>https://autotrendy.example/articles/tie-two/</loc>"
        "<lastmod>2025-02-01</lastmod><changefreq>weekly</changefreq><priority>0.8</priority></url>"
        "<url><loc>https://autotrendy.example/articles/tie-one/</loc>"
        "<lastmod>2025-02-01</lastmod><changefreq>weekly</changefreq><priority>0.8</priority></url>"
        "<url><loc>https://autotrendy.example/articles/second-name/</loc>"
        "<lastmod>2025-01-12</lastmod><changefreq>weekly</changefreq><priority>0.8</priority></url>"
        "\n</urlset>\n"
    ),
    "/sitemap-topics.xml": (
        HEAD + URLSET + "<url><loc>https://autotrendy.example/topics/batteries/</loc>"
        "<lastmod>2025-03-02</lastmod><changefreq>daily</changefreq><priority>0.6</priority></url>"
        "<url><loc>https://autotrendy.example/topics/policy/</loc>"
        "<lastmod>2025-02-01</lastmod><changefreq>daily</changefreq><priority>0.6</priority></url>"
        "\n</urlset>\n"
    ),
    "/sitemap-authors.xml": (
        HEAD + URLSET + "<url><loc>https://autotrendy.example/authors/ada-lovelace/</loc>"
        "<lastmod>2025-03-02</lastmod><changefreq>weekly</changefreq><priority>0.5</priority></url>"
        "<url><loc>https://autotrendy.example/authors/grace-hopper/</loc>"
        "<lastmod>2025-03-02</lastmod><changefreq>weekly</changefreq><priority>0.5</priority></url>"
        "<url><loc>https://autotrendy.example/authors/hedy-lamarr/</loc>"
        "<lastmod>2025-03-02</lastmod><changefreq>weekly</changefreq><priority>0.5</priority></url>"
        "\n</urlset>\n"
    ),
}


@pytest.mark.parametrize("url", VARIED_SITEMAP)
def test_every_sitemap_file_of_a_varied_site_has_these_exact_bytes(client, varied_sitemap_site, url):
    """The index and every section of a site with drafts, scheduled, archived, renamed and
    co-written articles, and dates that fall on another day in the site's time zone."""
    assert sitemap_file(client, url).content.decode() == VARIED_SITEMAP[url]


def test_each_sitemap_file_says_when_it_last_changed(client, varied_sitemap_site, settings):
    """Uncached, each file's Last-Modified is its latest URL's (none for a file without any);
    the page cache answers with the edition's instead (tests/test_pagecache.py)."""
    settings.PAGE_CACHE_ENABLED = False
    newest = "Sat, 01 Mar 2025 23:45:10 GMT"
    assert {url: sitemap_file(client, url).get("Last-Modified") for url in VARIED_SITEMAP} == {
        "/sitemap.xml": newest,
        "/sitemap-home.xml": newest,
        "/sitemap-articles.xml": newest,
        "/sitemap-articles.xml?p=2": None,
        "/sitemap-articles.xml?p=3": "Sat, 01 Feb 2025 12:00:00 GMT",
        "/sitemap-topics.xml": newest,
        "/sitemap-authors.xml": newest,
    }


AWKWARD_URLS = [
    ("https://autotrendy.example/a?b=1&c=<2>&d='\"", at("2025-03-01 23:30")),  # escaped; next day in Paris
    ("https://autotrendy.example/no-date/", None),
    ("https://autotrendy.example/a-date/", date(2025, 1, 2)),
    ("https://autotrendy.example/naive/", datetime(2025, 1, 3, 23, 30)),  # left as it is
    ("https://autotrendy.example/early/", at("0999-12-31 23:30")),  # years of four digits
]


@pytest.mark.parametrize("changefreq, priority", [("weekly", 0.8), (None, None), ("", 0.0), ("daily", 1)])
@pytest.mark.parametrize("urls", [AWKWARD_URLS, []])
def test_a_sitemap_written_out_is_what_djangos_template_writes(settings, urls, changefreq, priority):
    settings.TIME_ZONE = "Europe/Paris"
    # The entries as django.contrib.sitemaps.Sitemap.get_urls gives them to its template.
    template_urls = [
        {
            "location": location,
            "lastmod": lastmod,
            "changefreq": changefreq,
            "priority": str(priority if priority is not None else ""),
        }
        for location, lastmod in urls
    ]
    written = sitemaps.urlset_xml(urls, changefreq=changefreq, priority=priority)
    assert written == render_to_string("sitemap.xml", {"urlset": template_urls})


@pytest.mark.parametrize("entries", [AWKWARD_URLS, []])
def test_a_sitemap_index_written_out_is_what_djangos_template_writes(settings, entries):
    settings.TIME_ZONE = "Europe/Paris"
    template_entries = [{"location": location, "last_mod": lastmod} for location, lastmod in entries]
    written = sitemaps.sitemapindex_xml(entries)
    assert written == render_to_string("sitemap_index.xml", {"sitemaps": template_entries})


def test_an_author_who_only_co_wrote_articles_is_in_the_sitemap_with_their_last_change(client, feed_articles):
    """Their page lists what they co-wrote: the sitemap gives its date (and the index, which
    takes the latest of every section's, does not fail on them)."""
    hedy = AuthorFactory(name="Hedy Lamarr", slug="hedy-lamarr")
    ArticleCoauthor.objects.create(article=feed_articles["older"], author=hedy, position=1)
    entries = sitemap_entries(client)
    assert entries[f"{ORIGIN}/authors/hedy-lamarr/"] == entries[f"{ORIGIN}/articles/older-battery-news/"]
