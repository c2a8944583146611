"""A live article corrected through review, in real Chromium (issue 9.2): the editor's
change waits in a correction, a reviewer approves it, the editor publishes it with a note,
and the reader sees the new words, "Updated <date>" and the corrections log."""

import re

import pytest

from articles import workflow
from articles.models import Article
from articles.roles import AUTHORS, EDITORS, REVIEWERS
from tests.browser import PHONE, log_in, screenshot
from tests.factories import ArticleFactory, newsroom_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_editor_corrects_a_live_article_through_review(live_server, page):
    base = live_server.url
    author = newsroom_member(AUTHORS, username="lena", byline="Lena Writer")
    reviewer = newsroom_member(REVIEWERS, username="ravi", byline="Ravi Reviewer")
    editor = newsroom_member(EDITORS, username="erin", byline="Erin Editor")
    article = ArticleFactory(
        author=author.author_profile,
        title="The plant's daily output",
        body="The plant builds **100 cars** a day.",
    )
    workflow.submit(article, author)
    workflow.approve(article, reviewer)
    workflow.publish(article, editor)
    change_url = f"{base}/admin/articles/article/{article.pk}/change/"

    # The editor corrects the figure: the form says readers keep the published version.
    log_in(page, base, editor)
    page.goto(change_url)
    assert "Readers see the published version; your changes go to review as a correction." in (
        page.locator("#article_form").inner_text()
    )
    page.fill("#id_body", "The plant builds **120 cars** a day.")
    page.fill("#id_correction_note", "An earlier version gave the daily output as 100 cars.")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist")
    assert "120 cars" in page.input_value("#id_body")
    screenshot(page, "correction-1-editor-corrects-live-article")
    page.get_by_role("button", name="Submit correction for review").click()
    page.wait_for_selector(".messagelist .success")
    assert "Approve correction" not in page.locator(".newsroom-desk").inner_text()  # the editor's own words
    screenshot(page, "correction-2-editor-submits")

    # Readers still get the approved words.
    page.context.clear_cookies()
    page.goto(base + article.get_absolute_url())
    assert "100 cars" in page.locator("main").inner_text()

    # The reviewer approves the correction.
    log_in(page, base, reviewer)
    page.goto(change_url)
    page.get_by_role("button", name="Approve correction").click()
    page.wait_for_selector(".messagelist .success")
    screenshot(page, "correction-3-reviewer-approves")

    # The editor publishes it with the public note.
    log_in(page, base, editor)
    page.goto(change_url)
    page.fill("#comment-publish_correction", "An earlier version gave the daily output as 100 cars.")
    page.get_by_role("button", name="Publish correction").click()
    page.wait_for_selector(".messagelist .success")
    assert "Told lena and ravi by email." in page.locator(".messagelist").inner_text()
    screenshot(page, "correction-4-editor-publishes")

    # The reader sees the new words, when they changed, and why.
    page.context.clear_cookies()
    page.goto(base + article.get_absolute_url())
    main = page.locator("main").inner_text()
    assert "120 cars" in main and "100 cars a day" not in main
    assert re.search(r"Updated \w+ \d{2}, \d{4}", main)
    assert "Reviewed by Ravi Reviewer" in main
    corrections = page.locator(".corrections").inner_text()
    assert "An earlier version gave the daily output as 100 cars." in corrections
    screenshot(page, "correction-5-reader-sees-updated-article")
    screenshot(page, "correction-5-reader-sees-updated-article-phone", PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert Article.objects.get(pk=article.pk).corrected_at is not None
