"""A reader and a newsroom, in real Chromium."""

import re

import pytest
from django.core.management import call_command

from articles.roles import AUTHORS, EDITORS, REVIEWERS
from tests.browser import DESKTOP, PHONE, screenshot, screenshot_of
from tests.factories import PASSWORD, newsroom_member

# The live server needs committed data (transaction=True); serialized_rollback gives each
# test the migrated data back, the newsroom groups among it (see conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ALLIANCE = "Renault-Nissan-Mitsubishi Alliance: from start to future"


def test_reader_follows_the_alliance_article_to_last_weeks_assb_article(live_server, page):
    call_command("load_launch", verbosity=0)

    page.goto(live_server.url + "/")
    screenshot(page, "reader-1-home-desktop")
    screenshot(page, "reader-1-home-phone", PHONE)
    page.set_viewport_size(DESKTOP)

    page.get_by_role("link", name=ALLIANCE).first.click()
    page.wait_for_url("**/articles/renault-nissan-mitsubishi-alliance-from-start-to-future/")
    assert page.locator("h1").inner_text() == ALLIANCE
    assert "Written by Daniel Andzhurov – February 08, 2022" in page.locator("main").inner_text()
    assert "Reviewed by Asaf Kedem" in page.locator("main").inner_text()
    screenshot(page, "reader-2-alliance-desktop")
    screenshot(page, "reader-2-alliance-phone", PHONE)
    page.set_viewport_size(DESKTOP)

    page.get_by_role("link", name="an article about All-Solid-State-Batteries (ASSB)").click()
    page.wait_for_url("**/articles/all-solid-state-batteries/")
    assert "Written by Daniel Andzhurov – February 01, 2022" in page.locator("main").inner_text()
    screenshot(page, "reader-3-assb-desktop")
    screenshot(page, "reader-3-assb-phone", PHONE)

    # On a phone the page does not scroll sideways.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


def log_in(page, base, user):
    page.context.clear_cookies()
    page.goto(base + "/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))


def open_article(page, base, title):
    page.goto(base + "/admin/articles/article/")
    page.get_by_role("link", name=title).click()
    page.wait_for_selector(".newsroom-desk")


def test_author_reviewer_editor_and_reader(live_server, page):
    base = live_server.url
    author = newsroom_member(AUTHORS, username="lena", byline="Lena Writer")
    reviewer = newsroom_member(REVIEWERS, username="ravi", byline="Ravi Reviewer")
    editor = newsroom_member(EDITORS, username="erin", byline="Erin Editor")
    title = "Why solid-state batteries matter"

    # The author writes a draft in the markdownx editor and sees the live preview.
    log_in(page, base, author)
    page.goto(base + "/admin/articles/article/add/")
    page.fill("#id_title", title)
    page.fill("#id_standfirst", "Twice the energy density, a third of the charging time.")
    page.fill("#id_body", "## The promise\n\nA **solid** electrolyte replaces the liquid one.")
    page.wait_for_selector(".markdownx-preview strong", timeout=10_000)
    screenshot(page, "newsroom-1-author-writes")
    page.click("input[name=_continue]")
    page.wait_for_selector(".newsroom-desk")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector(".messagelist .success")
    screenshot(page, "newsroom-2-author-submitted")

    # The reviewer sends it back with a comment.
    log_in(page, base, reviewer)
    open_article(page, base, title)
    page.fill("#comment-request_changes", "Please give the source for the energy density figure.")
    page.get_by_role("button", name="Request changes").click()
    page.wait_for_selector(".messagelist .success")
    screenshot(page, "newsroom-3-reviewer-requests-changes")

    # The author reads the comment, fixes the article and resubmits.
    log_in(page, base, author)
    open_article(page, base, title)
    assert "Please give the source" in page.locator(".timeline").inner_text()
    page.fill(
        "#id_body",
        "## The promise\n\nA **solid** electrolyte replaces the liquid one (Nissan, November 2021).",
    )
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector(".messagelist .success")
    screenshot(page, "newsroom-4-author-resubmits")

    # The reviewer approves.
    log_in(page, base, reviewer)
    open_article(page, base, title)
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector(".messagelist .success")
    screenshot(page, "newsroom-5-reviewer-approves")

    # The editor publishes.
    log_in(page, base, editor)
    open_article(page, base, title)
    page.get_by_role("button", name="Publish now").click()
    page.wait_for_selector(".messagelist .success")
    screenshot(page, "newsroom-6-editor-publishes")

    # A reader sees it on the home page, reviewed by the reviewer.
    page.context.clear_cookies()
    page.goto(base + "/")
    page.get_by_role("link", name=title).first.click()
    main = page.locator("main").inner_text()
    assert "Reviewed by Ravi Reviewer" in main
    assert "Written by Lena Writer" in main
    assert "Nissan, November 2021" in main
    screenshot(page, "newsroom-7-reader-sees-it")


def press_photo(size=(2400, 1600)):
    """A stand-in for an agency photo: sky, road and a red car's silhouette, as a JPEG."""
    import io

    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGB", size, (120, 170, 220))
    draw = ImageDraw.Draw(image)
    for row in range(height // 2):
        shade = 220 - row * 80 // (height // 2)
        draw.line([(0, row), (width, row)], fill=(110, 160, shade))
    draw.rectangle([0, height * 0.62, width, height], fill=(60, 62, 68))
    draw.rectangle([0, height * 0.78, width, height * 0.8], fill=(235, 235, 235))
    draw.rounded_rectangle(
        [width * 0.25, height * 0.45, width * 0.75, height * 0.7], radius=60, fill=(200, 16, 46)
    )
    draw.rounded_rectangle(
        [width * 0.35, height * 0.36, width * 0.62, height * 0.5], radius=50, fill=(170, 12, 38)
    )
    for x in (0.33, 0.67):
        draw.ellipse(
            [width * x - 110, height * 0.63, width * x + 110, height * 0.63 + 220], fill=(20, 20, 20)
        )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def test_reader_sees_a_captioned_photo_and_plays_a_video_that_loads_nothing_before_the_click(
    live_server, page
):
    from django.core.files.base import ContentFile

    from articles.models import ArticleCoauthor, BodyImage
    from tests.factories import ArticleFactory, AuthorFactory

    photo = BodyImage()
    photo.image.save("r5-le-mans.jpg", ContentFile(press_photo()), save=True)
    ada = AuthorFactory(name="Ada Lovelace")
    article = ArticleFactory(
        published=True,
        author=ada,
        title="The Renault 5 E-Tech on track",
        standfirst="A city car with a racing past, filmed and photographed at Le Mans.",
        body=(
            "Renault brought its electric 5 to the circuit for a few laps before the race.\n\n"
            f'![A red Renault 5 E-Tech on the grid]({photo.image.url} "The Renault 5 E-Tech before the parade lap'
            ' — Photo: Renault Group")\n\n'
            "## The film\n\nThe launch film shows the car on the road and in the studio.\n\n"
            "[Renault 5 E-Tech: the launch film](https://www.youtube.com/watch?v=dQw4w9WgXcQ)\n\n"
            "The car goes on sale next spring.\n"
        ),
    )
    ArticleCoauthor.objects.create(article=article, author=AuthorFactory(name="Grace Hopper"), position=1)

    # No internet here, and nothing may reach a video site before the click: every request
    # leaving the live server is recorded; the privacy-enhanced player gets a stand-in page.
    outside = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(live_server.url):
            return request_route.continue_()
        outside.append(url)
        if url.startswith("https://www.youtube-nocookie.com/embed/"):
            return request_route.fulfill(
                status=200,
                content_type="text/html",
                body="<!doctype html><title>Player</title><body style='margin:0;background:#000;color:#fff;"
                "font:24px sans-serif;display:grid;place-items:center;height:100vh'>▶ youtube-nocookie player</body>",
            )
        return request_route.abort()

    page.route("**/*", route)
    page.goto(live_server.url + article.get_absolute_url())
    main = page.locator("main")
    assert "Written by Ada Lovelace and Grace Hopper" in main.inner_text()

    figure = page.locator("figure.figure")
    assert "The Renault 5 E-Tech before the parade lap" in figure.locator("figcaption").inner_text()
    assert "PHOTO: RENAULT GROUP" in figure.locator("figcaption").inner_text().upper()
    image = figure.locator("img")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert image.evaluate("img => img.currentSrc").endswith(".webp"), "Chromium takes the WebP rendition"
    screenshot(page, "reader-4-captioned-photo-desktop")
    page.set_viewport_size(PHONE)
    page.wait_for_function("document.querySelector('figure.figure img').currentSrc.includes('-960w')")
    screenshot(page, "reader-4-captioned-photo-phone")
    page.set_viewport_size(DESKTOP)

    video = page.locator("figure.video-embed")
    video.scroll_into_view_if_needed()
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)  # time for anything lazy the scroll started
    assert outside == [], f"requests left the site before the click: {outside}"
    assert video.locator("iframe").count() == 0
    screenshot(page, "reader-5-video-before-click-page")
    screenshot_of(video, "reader-5-video-before-click")

    video.locator("a.video-embed__link").click()
    frame = video.locator("iframe")
    frame.wait_for()
    src = frame.get_attribute("src")
    assert src == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"
    assert frame.get_attribute("title") == "Renault 5 E-Tech: the launch film"
    page.frame_locator("figure.video-embed iframe").get_by_text("youtube-nocookie player").wait_for()
    assert outside and all(url.startswith("https://www.youtube-nocookie.com/embed/") for url in outside), (
        outside
    )
    assert page.url.endswith(article.get_absolute_url()), "the click plays the video here, it does not leave"
    screenshot_of(video, "reader-5-video-after-click")

    # Dark mode on a phone, following the system setting.
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + article.get_absolute_url())
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 20, 24)"
    screenshot(page, "reader-6-dark-article-phone")
    page.goto(live_server.url + "/")
    screenshot(page, "reader-6-dark-home-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


def test_on_a_phone_the_topic_bar_shows_that_it_scrolls(live_server, page):
    from tests.factories import ArticleFactory, TopicFactory

    names = [
        "Batteries",
        "Electric cars",
        "Hybrids",
        "Alliances",
        "Vans and trucks",
        "Motorsport",
        "Charging",
    ]
    ArticleFactory(published=True, topics=[TopicFactory(name=name) for name in names])
    topics = "ul.site-header__topics"

    def fades():
        return page.evaluate(
            """selector => {
                const style = getComputedStyle(document.querySelector(selector));
                return [style.getPropertyValue("--topics-fade-start"), style.getPropertyValue("--topics-fade-end")];
            }""",
            topics,
        )

    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + "/")
    assert page.evaluate(f"(e => e.scrollWidth <= e.clientWidth)(document.querySelector('{topics}'))")
    assert fades() == ["0px", "0px"], "a bar that fits does not fade"

    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    assert page.evaluate(f"(e => e.scrollWidth > e.clientWidth)(document.querySelector('{topics}'))")
    assert fades() == ["0px", "48px"], "at the start, the end fades: more topics that way"
    screenshot(page, "reader-7-topic-bar-phone")
    page.evaluate(f"document.querySelector('{topics}').scrollLeft = 10000")
    page.wait_for_function(
        f"getComputedStyle(document.querySelector('{topics}')).getPropertyValue('--topics-fade-end') === '0px'"
    )
    assert fades() == ["48px", "0px"], "at the end, the start fades"
    screenshot(page, "reader-7-topic-bar-phone-scrolled")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"
