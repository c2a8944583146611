"""Videos in articles: a YouTube or Vimeo address alone on a line is a click-to-load embed
(issue 11, point 2). In Chromium, the click itself: tests/test_browser.py."""

import re

import pytest

from articles.embeds import FRAME_SOURCES, video_embed
from articles.rendering import render_markdown
from tests.factories import ArticleFactory

YOUTUBE_PLAYER = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"


@pytest.mark.parametrize(
    ("url", "player"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", YOUTUBE_PLAYER),
        ("https://youtu.be/dQw4w9WgXcQ", YOUTUBE_PLAYER),
        ("https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=share", YOUTUBE_PLAYER),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", YOUTUBE_PLAYER),
        ("https://youtu.be/dQw4w9WgXcQ?t=1m30s", f"{YOUTUBE_PLAYER}?start=90"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42", f"{YOUTUBE_PLAYER}?start=42"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        (
            "https://vimeo.com/76979871/abcdef1234",
            "https://player.vimeo.com/video/76979871?dnt=1&h=abcdef1234",
        ),
    ],
)
def test_youtube_and_vimeo_addresses_play_on_their_privacy_enhanced_players(url, player):
    embed = video_embed(url)

    assert embed.player_url == player
    assert embed.player_url.startswith(FRAME_SOURCES)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/@renault",
        "https://vimeo.com/channels/staffpicks",
        "https://example.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "javascript:alert(1)//youtu.be/dQw4w9WgXcQ",
    ],
)
def test_other_addresses_are_not_videos(url):
    assert video_embed(url) is None


@pytest.mark.django_db
def test_a_video_address_alone_on_a_line_is_a_link_with_a_poster_and_no_player():
    html = render_markdown("The launch film:\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\n\nMore text.")

    figure = re.search(r'<figure class="video-embed">.*?</figure>', html, re.DOTALL)[0]
    assert 'href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in figure, "without JavaScript: a plain link"
    assert f'data-embed="{YOUTUBE_PLAYER}"' in figure
    assert 'class="video-embed__play"' in figure
    assert "Video on YouTube" in figure
    assert "<iframe" not in html, "nothing from the video site until the reader clicks"
    assert "<img" not in html, "the poster is drawn by the site's CSS, not fetched from the video site"


@pytest.mark.django_db
def test_a_link_to_a_video_alone_on_a_line_gives_the_video_its_title():
    html = render_markdown("[The Renault 5 launch film](https://vimeo.com/76979871)")

    assert '<span class="video-embed__title">The Renault 5 launch film</span>' in html
    assert 'data-embed="https://player.vimeo.com/video/76979871?dnt=1"' in html


@pytest.mark.django_db
def test_a_video_address_inside_a_sentence_is_left_alone():
    html = render_markdown("Watch https://youtu.be/dQw4w9WgXcQ when you can.")

    assert "video-embed" not in html


@pytest.mark.django_db
def test_any_other_address_alone_on_a_line_becomes_a_link():
    html = render_markdown("Sources:\n\nhttps://www.acea.auto/figures/new-car-registrations_2025/\n")

    assert (
        '<p><a href="https://www.acea.auto/figures/new-car-registrations_2025/" target="_blank" '
        'rel="noopener noreferrer">https://www.acea.auto/figures/new-car-registrations_2025/</a></p>'
    ) in html


@pytest.mark.django_db
def test_a_forged_embed_cannot_smuggle_a_player_or_a_handler():
    html = render_markdown(
        '<figure class="video-embed"><a class="video-embed__link" href="https://example.com" '
        'data-embed="https://evil.example/x" onclick="steal()">x</a></figure>'
        '<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"></iframe>'
    )

    assert "onclick" not in html and "<iframe" not in html
    # A forged data-embed survives sanitizing, but static/js/video.js loads only the two
    # players, and the Content-Security-Policy frames nothing else.


@pytest.mark.django_db
def test_the_article_page_loads_the_video_script_only_with_a_video(client):
    with_video = ArticleFactory(published=True, body="https://youtu.be/dQw4w9WgXcQ")
    without = ArticleFactory(published=True)

    page = client.get(with_video.get_absolute_url()).content.decode()
    assert re.search(r'<script src="[^"]*js/video(\.[0-9a-f]+)?\.js" defer></script>', page)
    assert "js/video" not in client.get(without.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_feeds_carry_the_video_as_a_link(client):
    ArticleFactory(published=True, body="https://youtu.be/dQw4w9WgXcQ")

    feed = client.get("/feed/atom/").content.decode()

    assert "https://youtu.be/dQw4w9WgXcQ" in feed
    assert "iframe" not in feed
