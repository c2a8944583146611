"""The newsroom's first page and desk in real Chromium, one journey per role: the queues,
a step that saves the edits first, a dialog before a step that is hard to undo."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from articles import assignments, workflow
from articles.models import Article, ArticleEvent
from articles.roles import AUTHORS, EDITORS, REVIEWERS
from tests.browser import log_in, screenshot
from tests.factories import ArticleFactory, AuthorFactory, newsroom_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
Status = Article.Status


@pytest.fixture
def author(transactional_db):
    return newsroom_member(AUTHORS, username="lena", byline="Lena Writer")


@pytest.fixture
def reviewer(transactional_db):
    # The editor assigns reviews to him by this name.
    return newsroom_member(REVIEWERS, username="asaf", byline="Asaf Kedem")


@pytest.fixture
def editor(transactional_db):
    return newsroom_member(EDITORS, username="erin", byline="Erin Editor")


def submitted_days_ago(user, title, days):
    article = ArticleFactory(author=user.author_profile, created_by=user, title=title)
    workflow.submit(article, user)
    ArticleEvent.objects.filter(article=article).update(created_at=timezone.now() - timedelta(days=days))
    return article


def queue(page, name):
    return page.locator(f"section.queue--{name}")


def test_the_author_finds_their_drafts_and_submit_keeps_the_edits(live_server, page, author, reviewer):
    base = live_server.url
    draft = ArticleFactory(
        author=author.author_profile, created_by=author, title="Charging at home", body="Old body."
    )
    sent_back = submitted_days_ago(author, "Hydrogen trucks", 2)
    workflow.request_changes(sent_back, reviewer, "Add the 2030 figures.")

    log_in(page, base, author)
    assert queue(page, "drafts").locator(".queue__count").inner_text() == "1"
    assert queue(page, "sent-back").locator(".queue__count").inner_text() == "1"
    assert "Hydrogen trucks" in queue(page, "sent-back").inner_text()
    assert page.locator("section.queue--review").count() == 0
    screenshot(page, "queues-author-1-first-page")

    page.get_by_role("link", name="Charging at home").click()
    page.wait_for_selector(".newsroom-desk")
    page.fill("#id_body", "A wallbox charges overnight for less than a public charger.")
    # Leaving with unsaved edits asks first.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="History").click()
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"] and page.url.endswith(f"/{draft.pk}/change/")
    screenshot(page, "queues-author-2-edited-not-saved")

    # Submit saves the edits first, then lands on the drafts.
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(re.compile(r".*/admin/articles/article/\?queue=drafts$"))
    assert "Submitted for review" in page.locator(".messagelist").inner_text()
    draft.refresh_from_db()
    assert (draft.status, draft.body) == (
        Status.IN_REVIEW,
        "A wallbox charges overnight for less than a public charger.",
    )
    screenshot(page, "queues-author-3-landed-on-drafts")


def test_the_reviewer_works_through_the_review_queue(live_server, page, author, reviewer, editor):
    base = live_server.url
    submitted_days_ago(author, "Waiting one day", 1)
    oldest = submitted_days_ago(author, "Waiting three days", 3)
    assigned = submitted_days_ago(author, "Assigned to Asaf", 2)
    assignments.assign_reviewer(
        assigned, editor, reviewer=reviewer, due=timezone.localdate() + timedelta(days=1)
    )

    log_in(page, base, reviewer)
    review = queue(page, "review")
    assert review.locator(".queue__count").inner_text() == "3"
    entries = review.locator(".queue__link").all_inner_texts()
    assert entries == ["Waiting three days", "Assigned to Asaf", "Waiting one day"]
    assert "waiting 3 days" in review.inner_text().replace("\xa0", " ")
    assert queue(page, "assigned").locator(".queue__link").all_inner_texts() == ["Assigned to Asaf"]
    screenshot(page, "queues-reviewer-1-first-page")

    review.get_by_role("link", name="Waiting three days").click()
    page.wait_for_selector(".newsroom-desk")
    approve = page.get_by_role("button", name="Approve")
    request = page.get_by_role("button", name="Request changes")
    # Approve and Request changes look different.
    assert approve.evaluate("b => getComputedStyle(b).backgroundColor") != request.evaluate(
        "b => getComputedStyle(b).backgroundColor"
    )
    screenshot(page, "queues-reviewer-2-desk")
    page.fill("#comment-request_changes", "Which study is the range figure from?")
    request.click()
    # Back on the review queue, the next one first.
    page.wait_for_url(re.compile(r".*/admin/articles/article/\?queue=review$"))
    assert "Sent back to the author" in page.locator(".messagelist").inner_text()
    assert (
        page.locator("#result_list tbody th a, #result_list tbody td a").first.inner_text()
        == "Assigned to Asaf"
    )
    oldest.refresh_from_db()
    assert oldest.status == Status.CHANGES_REQUESTED
    screenshot(page, "queues-reviewer-3-back-on-the-queue")


def test_the_editor_publishes_assigns_and_confirms_an_unpublish(live_server, page, author, reviewer, editor):
    base = live_server.url
    ready = submitted_days_ago(author, "Ready to go", 2)
    workflow.approve(ready, reviewer)
    scheduled = submitted_days_ago(author, "Out on Friday", 3)
    workflow.approve(scheduled, reviewer)
    workflow.publish(scheduled, editor, at=timezone.now() + timedelta(days=2))
    late = submitted_days_ago(author, "Late review", 5)
    Article.objects.filter(pk=late.pk).update(review_due=timezone.localdate() - timedelta(days=2))
    unassigned = submitted_days_ago(author, "Needs a reviewer", 1)
    live = ArticleFactory(
        author=author.author_profile, title="Live piece", published=True, reviewer=AuthorFactory()
    )

    log_in(page, base, editor)
    assert queue(page, "ready").locator(".queue__link").all_inner_texts() == ["Ready to go"]
    assert queue(page, "scheduled").locator(".queue__link").all_inner_texts() == ["Out on Friday"]
    assert queue(page, "overdue").locator(".queue__link").all_inner_texts() == ["Late review"]
    assert "2 days ago" in queue(page, "overdue").inner_text()
    screenshot(page, "queues-editor-1-first-page")

    # Publish from the ready list; the editor lands on it again, now empty.
    queue(page, "ready").get_by_role("link", name="Ready to go").click()
    page.get_by_role("button", name="Publish now").click()
    page.wait_for_url(re.compile(r".*\?queue=ready$"))
    assert "Published" in page.locator(".messagelist").inner_text()

    # Assign a reviewer with a due date.
    page.goto(f"{base}/admin/articles/article/{unassigned.pk}/change/")
    page.select_option("#assign-reviewer", label="Asaf Kedem")
    due = timezone.localdate() + timedelta(days=3)
    page.fill("#assign-due", due.isoformat())
    page.get_by_role("button", name="Assign").click()
    page.wait_for_selector(".messagelist .success")
    assert "Review assigned to Asaf Kedem" in page.locator(".newsroom-assignment").inner_text()
    unassigned.refresh_from_db()
    assert (unassigned.assigned_reviewer, unassigned.review_due) == (reviewer, due)
    screenshot(page, "queues-editor-2-assigned")

    # Unpublish asks first, in a dialog; Cancel changes nothing.
    page.goto(f"{base}/admin/articles/article/{live.pk}/change/")
    unpublish = page.get_by_role("link", name="Unpublish…")
    assert "rgb(179, 38, 30)" in unpublish.evaluate("a => getComputedStyle(a).borderColor")  # danger
    unpublish.click()
    dialog = page.locator("dialog#confirm-unpublish")
    dialog.wait_for(state="visible")
    assert "Unpublish “Live piece”?" in dialog.inner_text()
    screenshot(page, "queues-editor-3-confirm-unpublish")
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="hidden")
    live.refresh_from_db()
    assert live.status == Status.PUBLISHED

    unpublish.click()
    dialog.get_by_label("Reason (optional)").fill("Legal asked us to check a quote.")
    dialog.get_by_role("button", name="Yes, unpublish").click()
    page.wait_for_selector(".messagelist .success")
    assert "Unpublished: readers no longer see it." in page.locator(".messagelist").inner_text()
    live.refresh_from_db()
    assert live.status == Status.APPROVED
    assert "Published → Approved" in page.locator(".timeline").inner_text()
    screenshot(page, "queues-editor-4-unpublished")
