"""A reader and a newsroom, in real Chromium."""

import re

import pytest
from django.core.management import call_command

from articles.roles import AUTHORS, EDITORS, REVIEWERS
from tests.browser import DESKTOP, PHONE, screenshot
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
