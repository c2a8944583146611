"""The review screen in real Chromium: a reviewer reads what changed, comments on a passage
chosen by selecting it, sends the article back; the author finds the comment beside the text
and resolves it. Screenshots on a desktop and a phone."""

import pytest

from articles import workflow
from articles.models import ReviewComment
from articles.roles import AUTHORS, REVIEWERS
from tests.browser import PHONE, screenshot
from tests.factories import ArticleFactory, newsroom_member
from tests.test_accessibility import axe_source, serious_violations  # noqa: F401 (a fixture)
from tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BODY = (
    "## The promise\n\n"
    "A **solid** electrolyte replaces the liquid one, and the cells no longer catch fire when "
    "punctured: https://example.com/a-very-long-address-that-must-wrap-on-a-phone-screen-too\n\n"
    "Range goes up by a third, says the maker.\n\n"
    "Charging takes twelve minutes from ten to eighty per cent.\n\n"
    "The first cars arrive in 2028."
)
WIDE = {"width": 1440, "height": 900}
NARROWEST = {"width": 320, "height": 640}


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def assert_no_sideways_scrolling(page, viewport):
    page.set_viewport_size(viewport)
    width = page_width(page)
    wide = page.evaluate(
        """(limit) => [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
            .slice(0, 5)
            .map((el) => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))""",
        viewport["width"],
    )
    assert width <= viewport["width"], f"the review screen is {width}px wide at {viewport['width']}px: {wide}"


def select_text(page, container, text):
    """Select `text` inside `container` (a CSS selector) as a mouse would."""
    page.evaluate(
        """([selector, text]) => {
            const root = document.querySelector(selector);
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.nodeValue.indexOf(text);
                if (at === -1) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + text.length);
                const selection = window.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
                return;
            }
            throw new Error("not found: " + text);
        }""",
        [container, text],
    )


def test_reviewer_comments_on_a_passage_and_the_author_resolves_it(live_server, page, axe_source):  # noqa: F811
    base = live_server.url
    author = newsroom_member(AUTHORS, username="lena", byline="Lena Writer")
    reviewer = newsroom_member(REVIEWERS, username="ravi", byline="Ravi Reviewer")
    article = ArticleFactory(
        author=author.author_profile, title="Why solid-state batteries matter", body=BODY
    )
    workflow.submit(article, author)
    workflow.request_changes(article, reviewer, "Give the source of the range figure.")
    article.body = BODY.replace("says the maker", "says Nissan (November 2021)")
    workflow.save_edit(article, author, changed_fields=["body"])
    workflow.submit(article, author)

    # The reviewer opens the review screen from the article's page in the admin.
    log_in(page, base, reviewer)
    page.goto(f"{base}/admin/articles/article/{article.pk}/change/")
    page.get_by_role("link", name="Review", exact=True).click()
    page.wait_for_selector("#changes .diff")
    assert page.locator(".article__title").inner_text() == "Why solid-state batteries matter"
    assert page.locator(".article__body strong").inner_text() == "solid"  # rendered, as readers see it
    assert page.locator("#changes .diff del").first.text_content() == "[Removed: the maker.]"
    assert page.locator("#changes .diff ins").first.text_content() == "[Added: Nissan (November 2021).]"
    assert (
        "Body: 3 words added, 2 removed, in 1 place." in page.locator(".review-changes__summary").inner_text()
    )
    assert_no_sideways_scrolling(page, WIDE)
    screenshot(page, "review-1-reviewer-sees-the-changes-desktop", WIDE)
    assert_no_sideways_scrolling(page, NARROWEST)
    screenshot(page, "review-1-reviewer-sees-the-changes-phone", PHONE)
    assert_no_sideways_scrolling(page, PHONE)
    page.set_viewport_size(WIDE)

    # A selection in the article becomes the comment's passage.
    select_text(page, "#review-article .article__body", "twelve minutes")
    page.get_by_role("button", name="Comment on the selection").click()
    assert page.locator("#id_quote").input_value() == "twelve minutes"
    assert page.locator("#id_before").input_value().endswith("Charging takes")
    page.fill("#id_body", "Which charger? Say the power in kW.")
    page.get_by_role("button", name="Add comment").click()
    page.wait_for_selector(".review-messages__item--success")
    comment = ReviewComment.objects.get()
    assert (comment.quote, comment.prefix[-14:]) == ("twelve minutes", "Charging takes")
    item = page.locator(f"#comment-{comment.pk}")
    assert "Which charger?" in item.inner_text() and "In the body." in item.inner_text()
    screenshot(page, "review-2-reviewer-commented-desktop", WIDE)
    assert serious_violations(page, axe_source) == []  # axe-core: the screen with a diff and a comment

    # Sent back: the open comment is the message to the author.
    page.get_by_role("button", name="Request changes").click()
    page.wait_for_selector(".messagelist .success")
    article.refresh_from_db()
    assert article.status == article.Status.CHANGES_REQUESTED

    # The author finds the comment beside the text, from the article's page, and resolves it.
    log_in(page, base, author)
    page.goto(f"{base}/admin/articles/article/{article.pk}/change/")
    page.get_by_role("link", name="Review (1 open comment)").click()
    item = page.locator(f"#comment-{comment.pk}")
    assert "Which charger?" in item.inner_text()
    item.get_by_role("button", name="Show in the article").click()
    marked = page.evaluate(
        "CSS.highlights.get('review-passage-current') ? [...CSS.highlights.get('review-passage-current')][0].toString() : ''"
    )
    assert marked == "twelve minutes"
    screenshot(page, "review-3-author-sees-the-comment-desktop", WIDE)
    screenshot(page, "review-3-author-sees-the-comment-phone", PHONE)
    page.set_viewport_size(WIDE)
    item.get_by_role("button", name="Mark resolved").click()
    page.wait_for_selector(f"#comment-{comment.pk}.review-comment--resolved")
    assert "Resolved by" in page.locator(f"#comment-{comment.pk}").inner_text()
    comment.refresh_from_db()
    assert comment.resolved_by == author
    screenshot(page, "review-4-author-resolved-desktop", WIDE)
    screenshot(page, "review-4-author-resolved-phone", PHONE)
    assert_no_sideways_scrolling(page, PHONE)

    # History marks the reviewed revisions; its Compare starts with what changed since the last
    # review, and the diff wraps instead of widening the page.
    page.set_viewport_size(WIDE)
    page.goto(f"{base}/admin/articles/article/{article.pk}/history/")
    assert page.locator("td .review-mark").count() == 2  # sent back twice
    page.get_by_role("button", name="Compare selected revisions").click()
    page.wait_for_selector("#content-main .diff")
    assert "Body: 3 words added, 2 removed, in 1 place." in page.locator(".compare-summary").inner_text()
    assert_no_sideways_scrolling(page, WIDE)
    screenshot(page, "review-5-history-compare-desktop", WIDE)
    assert_no_sideways_scrolling(page, PHONE)
    screenshot(page, "review-5-history-compare-phone", PHONE)
