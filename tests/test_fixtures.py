"""The launch content: fixtures/launch.json and its covers, written by fixtures/build_launch.py.

The story: a newcomer runs `manage.py load_launch` (`make run` does), and the site opens
with the Alliance article exactly as it stood on the original Auto Trendy site, linked
both ways to its companion of the week before, the article about all-solid-state
batteries, each under its title card.

The seed capture is read from fixtures/seed/, a copy kept in the repository, so these
tests do not need anything outside it.
"""

import html
import importlib.util
import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.utils.html import strip_tags
from PIL import Image

from articles.images.renditions import planned_renditions, rendition_files
from articles.models import Article, Author, Topic
from tests.pictures import images_on, srcset_widths

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
LAUNCH_JSON = FIXTURES_DIR / "launch.json"
LAUNCH_MEDIA = FIXTURES_DIR / "media"
SEED = FIXTURES_DIR / "seed" / "alliance-from-start-to-future.txt"

ALLIANCE_SLUG = "renault-nissan-mitsubishi-alliance-from-start-to-future"
ASSB_SLUG = "all-solid-state-batteries"
ASSB_URL = f"/articles/{ASSB_SLUG}/"
STALE = "launch.json is stale: run `DJANGO_DEBUG=true .venv/bin/python fixtures/build_launch.py`"

# The site's chrome in the page capture, not part of the article.
CHROME_LINES = {"top of page", "Search", "bottom of page"}


def read_seed():
    """The captured article, split into its parts."""
    text = SEED.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() not in CHROME_LINES]
    blocks = [block.strip() for block in re.split(r"\n\s*\n", "\n".join(lines)) if block.strip()]
    title, byline, review, *paragraphs, take_heading, take = blocks
    assert take_heading == "Auto Trendy’s take:", "unexpected layout of the seed capture"
    return {
        "title": title,
        "byline": byline,
        "review": review,
        "paragraphs": paragraphs,
        "take_heading": take_heading.removesuffix(":"),
        "take": take,
    }


def visible_text(markup):
    """What a reader sees: tags stripped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(strip_tags(markup)).split())


def paragraphs_of(markup):
    return [visible_text(p) for p in re.findall(r"<p>(.*?)</p>", markup, flags=re.DOTALL)]


class _LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []  # (href, visible text)
        self._open = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open = [dict(attrs).get("href"), ""]

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            self.links.append((self._open[0], " ".join(self._open[1].split())))
            self._open = None


def links_in(markup):
    collector = _LinkCollector()
    collector.feed(markup)
    return collector.links


def fixtures_module(name):
    """A script or module of fixtures/ (not a package: loaded from its file)."""
    spec = importlib.util.spec_from_file_location(name, FIXTURES_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def media_files():
    """Every file in MEDIA_ROOT, with the time it was last written."""
    root = Path(settings.MEDIA_ROOT)
    return {
        path.relative_to(root).as_posix(): path.stat().st_mtime_ns
        for path in root.rglob("*")
        if path.is_file()
    }


def media_path(name):
    return Path(settings.MEDIA_ROOT) / name


def fixture_records(model):
    records = json.loads(LAUNCH_JSON.read_text(encoding="utf-8"))
    return [record for record in records if record["model"] == model]


def snapshot():
    """Everything the fixture touches, including both many-to-many tables."""
    objects = [*Author.objects.order_by("pk"), *Topic.objects.order_by("pk"), *Article.objects.order_by("pk")]
    return {
        "objects": serializers.serialize("json", objects),
        "topics": sorted(Article.topics.through.objects.values_list("article_id", "topic_id")),
        "related": sorted(Article.related.through.objects.values_list("from_article_id", "to_article_id")),
    }


@pytest.fixture
def launch(db):
    call_command("load_launch", verbosity=0)


@pytest.fixture
def alliance(launch):
    return Article.objects.get(slug=ALLIANCE_SLUG)


@pytest.fixture
def assb(launch):
    return Article.objects.get(slug=ASSB_SLUG)


# Loading


@pytest.mark.django_db
def test_the_launch_content_loads_into_an_empty_database():
    assert not Article.objects.exists() and not Author.objects.exists() and not Topic.objects.exists()

    call_command("load_launch", verbosity=0)

    assert set(Author.objects.values_list("slug", flat=True)) == {"daniel-andzhurov", "asaf-kedem"}
    assert set(Article.objects.published().values_list("slug", flat=True)) == {ALLIANCE_SLUG, ASSB_SLUG}
    assert 3 <= Topic.objects.count() <= 5


@pytest.mark.django_db
def test_loading_the_launch_content_a_second_time_changes_nothing():
    call_command("load_launch", verbosity=0)
    before, files = snapshot(), media_files()

    call_command("load_launch", verbosity=0)

    assert snapshot() == before
    assert media_files() == files, "a file was written again"


@pytest.mark.django_db
def test_every_launch_object_passes_model_validation(launch):
    for obj in [*Author.objects.all(), *Topic.objects.all(), *Article.objects.all()]:
        obj.full_clean()


# The Alliance article, word for word


def test_the_alliance_body_and_take_render_to_the_captured_text():
    seed = read_seed()
    records = fixture_records("articles.article")
    (article,) = [r["fields"] for r in records if r["fields"]["slug"] == ALLIANCE_SLUG]

    assert paragraphs_of(article["body_html"]) == seed["paragraphs"]
    assert paragraphs_of(article["take_html"]) == [seed["take"]]


def test_a_reader_sees_the_alliance_article_exactly_as_captured(client, alliance):
    seed = read_seed()

    response = client.get(f"/articles/{ALLIANCE_SLUG}/")

    assert response.status_code == 200
    text = visible_text(response.content.decode())
    for part in (seed["title"], seed["byline"], seed["review"]):
        assert part in text
    assert seed["byline"] == "Written by Daniel Andzhurov – February 08, 2022"
    assert seed["review"] == "Reviewed by Asaf Kedem"
    # The paragraphs in their order, then the take under its heading.
    position = 0
    for part in [*seed["paragraphs"], seed["take_heading"], seed["take"]]:
        found = text.find(part, position)
        assert found != -1, f"not on the page (in this order): {part!r}"
        position = found + len(part)


def test_both_mentions_of_last_weeks_article_link_to_it(client, alliance, assb):
    links = [(href, text) for href, text in links_in(alliance.body_html) if href == ASSB_URL]

    assert links == [
        (ASSB_URL, "an article about All-Solid-State-Batteries (ASSB)"),
        (ASSB_URL, "Read more about batteries in the article from last week"),
    ]
    assert assb.get_absolute_url() == ASSB_URL
    response = client.get(ASSB_URL)
    assert response.status_code == 200
    assert response.context["article"] == assb


def test_a_reader_can_open_the_assb_article(client, assb):
    response = client.get(ASSB_URL)

    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert assb.title in text
    assert "Written by Daniel Andzhurov – February 01, 2022" in text
    assert "Reviewed by Asaf Kedem" in text
    assert visible_text(assb.take_html) in text


def test_the_assb_article_shows_it_is_linked_from_the_alliance_article(client, alliance, assb):
    assert list(assb.linked_from.all()) == [alliance]

    page = visible_text(client.get(ASSB_URL).content.decode())

    assert f"Linked from {alliance.title}" in page


def test_the_alliance_article_is_next_after_the_assb_article(client, alliance, assb):
    assert f"Next article {alliance.title}" in visible_text(client.get(ASSB_URL).content.decode())
    alliance_page = visible_text(client.get(alliance.get_absolute_url()).content.decode())
    assert f"Previous article {assb.title}" in alliance_page


def test_the_two_articles_are_related_both_ways(client, alliance, assb):
    assert list(alliance.related.all()) == [assb]
    assert list(assb.related.all()) == [alliance]
    assert list(client.get(alliance.get_absolute_url()).context["related_articles"]) == [assb]
    assert list(client.get(assb.get_absolute_url()).context["related_articles"]) == [alliance]


def test_bylines_dates_and_topics_are_as_published(alliance, assb):
    daniel = Author.objects.get(slug="daniel-andzhurov")
    asaf = Author.objects.get(slug="asaf-kedem")
    assert (daniel.name, asaf.name) == ("Daniel Andzhurov", "Asaf Kedem")
    for author in (daniel, asaf):
        assert author.bio and not author.photo and author.user is None

    assert alliance.title == "Renault-Nissan-Mitsubishi Alliance: from start to future"
    assert alliance.published_at.date() == datetime(2022, 2, 8, tzinfo=UTC).date()
    assert assb.published_at.date() == datetime(2022, 2, 1, tzinfo=UTC).date()
    for article in (alliance, assb):
        assert (article.author, article.reviewer) == (daniel, asaf)
        assert article.status == Article.Status.PUBLISHED and article.is_live
        assert article.standfirst and article.take
        # A title card (fixtures/title_cards.py), described for screen readers.
        assert article.cover.name.startswith("covers/title-cards/") and len(article.cover_alt) > 20
        assert article.topics.exists()
    assert set(alliance.topics.all()) & set(assb.topics.all()), "the two articles share no topic"


# The fixture stays in step with the renderer


def test_stored_html_and_word_counts_match_a_fresh_render():
    for record in fixture_records("articles.article"):
        fields = record["fields"]
        fresh = Article(body=fields["body"], take=fields["take"])
        fresh.render()
        slug = fields["slug"]
        assert fields["body_html"] == fresh.body_html, f"{slug}: body_html differs; {STALE}"
        assert fields["take_html"] == fresh.take_html, f"{slug}: take_html differs; {STALE}"
        assert fields["word_count"] == fresh.word_count, f"{slug}: word_count differs; {STALE}"


def test_launch_json_is_what_build_launch_writes():
    build_launch = fixtures_module("build_launch")

    assert LAUNCH_JSON.read_text(encoding="utf-8") == build_launch.build_json(), STALE


# The covers: title cards committed under fixtures/media/, copied into MEDIA_ROOT on loading


def test_each_launch_cover_is_committed_as_the_fixture_describes_it():
    for record in fixture_records("articles.article"):
        fields = record["fields"]
        with Image.open(LAUNCH_MEDIA / fields["cover"]) as card:
            assert (card.format, card.size) == ("JPEG", (1600, 900))
            assert (fields["cover_width"], fields["cover_height"]) == card.size
        assert fields["cover_renditions"] == planned_renditions(
            fields["cover"], width=1600, image_format="JPEG"
        )


def test_loading_puts_the_covers_and_their_renditions_in_media(client, alliance, assb):
    for article in (alliance, assb):
        assert media_path(article.cover.name).read_bytes() == (LAUNCH_MEDIA / article.cover.name).read_bytes()
        for name in rendition_files(article.cover_renditions):
            assert media_path(name).is_file(), name
        (img,) = images_on(client.get(article.get_absolute_url()), "article__cover-image")
        assert img["alt"] == article.cover_alt
        assert srcset_widths(img["srcset"]) == srcset_widths(img["sources"][0]["srcset"]) == [480, 960, 1600]

    home = images_on(client.get("/"), "article-card__image")
    assert [img["alt"] for img in home] == [alliance.cover_alt, assb.cover_alt]


def test_loading_again_brings_back_a_lost_cover_and_a_lost_rendition(alliance, assb):
    lost_cover = media_path(alliance.cover.name)
    lost_rendition = media_path(assb.cover_renditions["webp"]["960"])
    lost_cover.unlink()
    lost_rendition.unlink()

    call_command("load_launch", verbosity=0)

    assert lost_cover.read_bytes() == (LAUNCH_MEDIA / alliance.cover.name).read_bytes()
    with Image.open(lost_rendition) as rendition:
        assert (rendition.format, rendition.size) == ("WEBP", (960, 540))
    assert Article.objects.get(pk=assb.pk).cover_renditions == assb.cover_renditions


def test_build_launch_draws_a_title_card_of_1600_by_900():
    title_cards = fixtures_module("title_cards")

    data = title_cards.draw_title_card("Solid-state batteries, explained", kicker="Auto Trendy")

    with Image.open(io.BytesIO(data)) as card:
        assert (card.format, card.size) == ("JPEG", (1600, 900))


def test_a_title_card_is_drawn_without_any_system_font(monkeypatch):
    title_cards = fixtures_module("title_cards")
    monkeypatch.setattr(title_cards, "BOLD_FONTS", ("no-such-font.ttf",))

    data = title_cards.draw_title_card("A car on the road", kicker="Auto Trendy", motif="road")

    with Image.open(io.BytesIO(data)) as card:
        assert card.size == (1600, 900)


@pytest.mark.postgres
@pytest.mark.django_db
def test_after_the_launch_content_new_topics_authors_and_articles_get_free_ids():
    """The fixture's rows keep their ids; PostgreSQL's sequences must move past them."""
    call_command("load_launch", verbosity=0)

    topic = Topic.objects.create(name="A topic of our own", slug="a-topic-of-our-own")
    author = Author.objects.create(name="A new writer", slug="a-new-writer")
    article = Article.objects.create(title="Written after launch", slug="written-after-launch", author=author)

    assert topic.pk and author.pk and article.pk
    assert Topic.objects.count() > 1 and Author.objects.count() > 1
