"""The queues on the admin's first page: what waits for each person, with counts, in order;
assigning a reviewer with a due date, and what is overdue."""

import html
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from articles import assignments, queues, workflow
from articles.models import Article, ArticleEvent, Correction
from tests.factories import ArticleFactory, AuthorFactory

Status = Article.Status
pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def days_ago(days, hours=0):
    return NOW - timedelta(days=days, hours=hours)


def draft_of(user, **kwargs):
    return ArticleFactory(author=user.author_profile, created_by=user, **kwargs)


def submitted(user, title, *, when):
    """An article of `user` submitted for review at `when`."""
    article = draft_of(user, title=title)
    with time_machine.travel(when, tick=False):
        workflow.submit(article, user)
    return article


def approved(author, reviewer, title, *, when):
    article = submitted(author, title, when=when - timedelta(hours=1))
    with time_machine.travel(when, tick=False):
        workflow.approve(article, reviewer)
    return article


def index_text(client, user):
    """The admin's first page as this person reads it (text, spaces normalised)."""
    client.force_login(user)
    page = client.get("/admin/").content.decode()
    text = html.unescape(re.sub(r"<[^>]+>", " ", page)).replace("\xa0", " ")
    return page, re.sub(r"\s+", " ", text)


def queue_box(page, name):
    """The text of one queue's box on the admin's first page."""
    match = re.search(rf"<section class=\"queue queue--{name}[^\"]*\"[^>]*>(.*?)</section>", page, re.DOTALL)
    assert match, f"no {name} queue on the page"
    text = html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip()


def titles(queryset):
    return [article.title for article in queryset]


# Each role sees its own queues ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("author", ["drafts", "sent-back"]),
        ("reviewer", ["assigned", "review"]),
        ("editor", ["drafts", "sent-back", "assigned", "review", "overdue", "ready", "scheduled"]),
    ],
)
def test_each_role_has_its_queues_on_the_first_page(client, newsroom, role, expected):
    page, _ = index_text(client, newsroom[role])
    assert re.findall(r'<section class="queue queue--([\w-]+)', page) == expected
    assert [queue.name for queue in queues.queues_for(newsroom[role])] == expected


def test_the_author_sees_their_drafts_and_what_was_sent_back_with_counts(client, newsroom):
    author, reviewer = newsroom["author"], newsroom["reviewer"]
    with time_machine.travel(days_ago(5), tick=False):
        draft_of(author, title="Older draft")
    with time_machine.travel(days_ago(1), tick=False):
        draft_of(author, title="Newer draft")
    draft_of(newsroom["other_author"], title="Somebody else's draft")
    sent_back = submitted(author, "Needs sources", when=days_ago(3))
    with time_machine.travel(days_ago(2), tick=False):
        workflow.request_changes(sent_back, reviewer, "Name your sources.")

    page, text = index_text(client, author)
    drafts = queue_box(page, "drafts")
    assert drafts.startswith("Your drafts 2 ")
    # What they worked on last comes first.
    assert drafts.index("Newer draft") < drafts.index("Older draft")
    assert "Somebody else's draft" not in text
    assert queue_box(page, "sent-back").startswith("Sent back to you 1 Needs sources")
    assert "sent back 2 days ago" in queue_box(page, "sent-back")
    assert "Awaiting review" not in text  # not an author's queue


def test_the_reviewer_sees_what_awaits_review_oldest_first_and_how_long_it_waited(client, newsroom):
    author, reviewer = newsroom["author"], newsroom["reviewer"]
    submitted(author, "Waiting one day", when=days_ago(1, hours=2))
    submitted(author, "Waiting three days", when=days_ago(3, hours=5))
    submitted(newsroom["other_author"], "Waiting two days", when=days_ago(2))
    draft_of(author, title="A draft, not for review")

    page, text = index_text(client, reviewer)
    box = queue_box(page, "review")
    assert box.startswith("Awaiting review 3 ")
    assert re.findall(r"Waiting \w+ days?", box) == [
        "Waiting three days",
        "Waiting two days",
        "Waiting one day",
    ]
    assert "waiting 3 days" in box and "waiting 2 days" in box and "waiting 1 day" in box
    assert "A draft, not for review" not in text
    assert queue_box(page, "assigned") == "Assigned to you 0 No review is assigned to you."


def test_nobody_is_asked_to_review_their_own_article(newsroom):
    editor = newsroom["editor"]
    submitted(editor, "The editor's own piece", when=days_ago(1))
    submitted(newsroom["author"], "The author's piece", when=days_ago(1))
    assert titles(Article.objects.awaiting_review(editor)) == ["The author's piece"]
    assert titles(Article.objects.awaiting_review(newsroom["reviewer"])) == [
        "The editor's own piece",
        "The author's piece",
    ]


def test_the_editor_sees_what_is_ready_scheduled_next_and_overdue(client, newsroom):
    author, reviewer, editor = newsroom["author"], newsroom["reviewer"], newsroom["editor"]
    approved(author, reviewer, "Approved last week", when=days_ago(7))
    approved(author, reviewer, "Approved yesterday", when=days_ago(1))
    later = approved(author, reviewer, "Goes out in two days", when=days_ago(2))
    sooner = approved(author, reviewer, "Goes out tomorrow", when=days_ago(2))
    workflow.publish(later, editor, at=NOW + timedelta(days=2))
    workflow.publish(sooner, editor, at=NOW + timedelta(days=1))
    late = submitted(author, "Review overdue", when=days_ago(6))
    due = timezone.localdate()
    assignments.assign_reviewer(late, editor, reviewer=reviewer, due=due)

    with time_machine.travel(NOW + timedelta(days=2, hours=-1), tick=False):
        page, _ = index_text(client, editor)
        days_late = (timezone.localdate() - due).days
    ready = queue_box(page, "ready")
    assert ready.startswith("Approved, ready to publish 2 Approved last week")
    assert ready.index("Approved last week") < ready.index("Approved yesterday")
    assert "approved 1 week ago" in ready and "approved 2 days ago" in ready
    scheduled = queue_box(page, "scheduled")
    assert scheduled.startswith("Scheduled next 1 Goes out in two days")  # tomorrow's is live by then
    assert "in 1 hour" in scheduled
    overdue = queue_box(page, "overdue")
    assert overdue.startswith("Overdue 1 Review overdue")
    assert f"({days_late} day{'s' if days_late > 1 else ''} ago)" in overdue
    assert newsroom["reviewer"].author_profile.name in overdue


def test_the_first_page_shows_five_of_a_queue_and_links_to_all_of_it(client, newsroom):
    for number in range(7):
        submitted(newsroom["author"], f"Piece {number}", when=days_ago(10 - number))
    page, _ = index_text(client, newsroom["reviewer"])
    box = queue_box(page, "review")
    assert box.startswith("Awaiting review 7 Piece 0")
    assert re.findall(r"Piece \d", box) == [f"Piece {number}" for number in range(5)]
    assert box.endswith("All 7")
    assert 'href="/admin/articles/article/?queue=review">All 7</a>' in page


def test_a_queue_in_the_article_list_keeps_its_order(client, newsroom):
    submitted(newsroom["author"], "Second in line", when=days_ago(2))
    submitted(newsroom["author"], "First in line", when=days_ago(4))
    submitted(newsroom["author"], "Third in line", when=days_ago(1))
    client.force_login(newsroom["reviewer"])
    page = client.get("/admin/articles/article/?queue=review").content.decode()
    listed = re.findall(r">(\w+ in line)</a>", page)
    assert listed == ["First in line", "Second in line", "Third in line"]
    # A queue that is not theirs filters nothing away and breaks nothing.
    assert client.get("/admin/articles/article/?queue=ready").status_code == 200


# Assigning a reviewer ------------------------------------------------------------------------


def test_an_editor_assigns_a_reviewer_with_a_due_date_and_the_reviewer_is_told(
    client, newsroom, django_capture_on_commit_callbacks
):
    author, reviewer, editor = newsroom["author"], newsroom["reviewer"], newsroom["editor"]
    first = submitted(author, "Assigned, due later", when=days_ago(3))
    second = submitted(author, "Assigned, due sooner", when=days_ago(1))
    submitted(author, "Not assigned", when=days_ago(2))
    due_soon, due_later = timezone.localdate() + timedelta(days=1), timezone.localdate() + timedelta(days=4)

    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/articles/article/{first.pk}/assign/",
            {"assign-reviewer": reviewer.pk, "assign-due": due_later.isoformat()},
            follow=True,
        )
    name = reviewer.author_profile.name
    assert [str(m) for m in response.context["messages"]] == [
        f"Assigned to {name}, due {due_later:%-d %b %Y}. They have been told by email."
    ]
    first.refresh_from_db()
    assert (first.assigned_reviewer, first.review_due) == (reviewer, due_later)
    event = first.events.get(action=ArticleEvent.Action.REVIEW_ASSIGNED)
    assert (event.user, event.comment) == (editor, f"Assigned to {name}, due {due_later:%-d %b %Y}.")
    assert [message.to for message in mail.outbox] == [[reviewer.email]]
    assert mail.outbox[0].subject == "Please review: Assigned, due later"
    assert f"/admin/articles/article/{first.pk}/change/" in mail.outbox[0].body

    assignments.assign_reviewer(second, editor, reviewer=reviewer, due=due_soon)
    assert titles(Article.objects.assigned_to(reviewer)) == ["Assigned, due sooner", "Assigned, due later"]
    page, _ = index_text(client, reviewer)
    box = queue_box(page, "assigned")
    assert box.startswith("Assigned to you 2 Assigned, due sooner")
    assert f"due {due_soon:%a %-d %b}" in box
    # The change form says who is assigned and by when.
    text = client.get(f"/admin/articles/article/{first.pk}/change/").content.decode()
    assert re.search(rf"Review assigned to <strong>{re.escape(name)}</strong>, due", text)


def test_assigning_from_the_change_form_saves_the_edits_too(client, newsroom):
    from tests.test_desk_buttons import change_form_data

    editor, reviewer = newsroom["editor"], newsroom["reviewer"]
    article = submitted(newsroom["author"], "Assign me", when=days_ago(1))
    client.force_login(editor)
    data = change_form_data(client, article, title="Assign me, retitled")
    data.update({"_assign": "yes", "assign-reviewer": str(reviewer.pk), "assign-due": ""})
    response = client.post(f"/admin/articles/article/{article.pk}/change/", data)
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.assigned_reviewer, article.review_due) == (
        "Assign me, retitled",
        reviewer,
        None,
    )


@pytest.mark.parametrize(
    ("who", "reviewer", "due", "message"),
    [
        ("reviewer", "reviewer", None, "Only editors assign reviewers."),
        ("author", "reviewer", None, "Only editors assign reviewers."),
        ("editor", "author", None, "cannot review this article"),
        ("editor", "other_author", None, "cannot review this article"),
        ("editor", "reviewer", -1, "That day has passed: give today or a later day."),
    ],
)
def test_assignments_that_are_refused(newsroom, who, reviewer, due, message):
    article = submitted(newsroom["author"], "To assign", when=days_ago(1))
    due_date = timezone.localdate() + timedelta(days=due) if due is not None else None
    with pytest.raises(workflow.TransitionNotAllowed, match=re.escape(message)):
        assignments.assign_reviewer(article, newsroom[who], reviewer=newsroom[reviewer], due=due_date)
    article.refresh_from_db()
    assert article.assigned_reviewer is None and not article.events.filter(action="review_assigned").exists()


def test_a_refused_assignment_by_url_is_a_message_not_a_change(client, newsroom):
    article = submitted(newsroom["author"], "To assign", when=days_ago(1))
    client.force_login(newsroom["reviewer"])
    response = client.post(
        f"/admin/articles/article/{article.pk}/assign/",
        {"assign-reviewer": newsroom["reviewer"].pk},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["Only editors assign reviewers."]
    client.force_login(newsroom["editor"])
    response = client.post(
        f"/admin/articles/article/{article.pk}/assign/",
        {"assign-reviewer": "x", "assign-due": "soon"},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["Choose a reviewer from the list."]
    article.refresh_from_db()
    assert article.assigned_reviewer is None


def test_a_published_article_has_no_review_to_assign(newsroom):
    article = approved(newsroom["author"], newsroom["reviewer"], "Out already", when=days_ago(2))
    workflow.publish(article, newsroom["editor"])
    with pytest.raises(workflow.TransitionNotAllowed, match="there is no review to assign"):
        assignments.assign_reviewer(article, newsroom["editor"], reviewer=newsroom["reviewer"])


def test_an_assignment_is_not_a_revision_and_can_be_taken_back(newsroom):
    article = submitted(newsroom["author"], "Assigned", when=days_ago(1))
    revisions = article.history.count()
    assignments.assign_reviewer(article, newsroom["editor"], reviewer=newsroom["reviewer"])
    assignments.assign_reviewer(article, newsroom["editor"], reviewer=None)
    article.refresh_from_db()
    assert article.assigned_reviewer is None and article.history.count() == revisions
    assert list(article.events.filter(action="review_assigned").values_list("comment", flat=True)) == [
        "No reviewer assigned any more.",
        f"Assigned to {newsroom['reviewer'].author_profile.name}.",
    ]


def test_overdue_is_unapproved_past_its_due_date(newsroom):
    author, reviewer, editor = newsroom["author"], newsroom["reviewer"], newsroom["editor"]
    today = timezone.localdate()
    due_tomorrow = submitted(author, "In review, due tomorrow", when=days_ago(3))
    sent_back = submitted(author, "Sent back, due today", when=days_ago(3))
    done = submitted(author, "Approved, due today", when=days_ago(3))
    assignments.assign_reviewer(due_tomorrow, editor, reviewer=reviewer, due=today + timedelta(days=1))
    for article in (sent_back, done):
        assignments.assign_reviewer(article, editor, reviewer=reviewer, due=today)
    workflow.request_changes(sent_back, reviewer, "More figures.")
    workflow.approve(done, reviewer)
    assert titles(Article.objects.overdue()) == []  # due today is not late yet
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert titles(Article.objects.overdue()) == ["Sent back, due today"]
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        # The longest overdue first; the approved one was done in time.
        assert titles(Article.objects.overdue()) == ["Sent back, due today", "In review, due tomorrow"]


# Corrections of live articles wait in the same queues ----------------------------------------


def live_article(newsroom, title):
    return ArticleFactory(
        author=newsroom["author"].author_profile,
        title=title,
        status=Status.PUBLISHED,
        reviewer=AuthorFactory(),
        published_at=days_ago(30),
    )


def correction_of(article, status, *, by, **fields):
    """A correction of the live `article`, written by `by`, in `status`."""
    return Correction.objects.create(
        article=article, title="Corrected", standfirst="S", body="B", status=status, created_by=by, **fields
    )


def test_corrections_wait_for_review_and_publication_with_their_article(client, newsroom):
    editor = newsroom["editor"]
    in_review = live_article(newsroom, "Corrected and in review")
    with time_machine.travel(days_ago(2), tick=False):
        correction_of(in_review, "in_review", by=editor)
        ArticleEvent.objects.create(article=in_review, user=editor, action="correction_submitted")
    approved_fix = live_article(newsroom, "Correction approved")
    correction_of(
        approved_fix,
        "approved",
        by=editor,
        reviewer=newsroom["reviewer"].author_profile,
        approved_hash="0" * 64,
    )

    page, _ = index_text(client, newsroom["reviewer"])
    box = queue_box(page, "review")
    assert box.startswith("Awaiting review 1 Corrected and in review Correction")
    assert "waiting 2 days" in box
    # Who wrote the correction does not review it.
    assert titles(Article.objects.awaiting_review(editor)) == []
    page, _ = index_text(client, editor)
    assert queue_box(page, "ready").startswith("Approved, ready to publish 1 Correction approved Correction")


def test_assigning_a_reviewer_without_an_email_address_says_so(client, newsroom):
    article = submitted(newsroom["author"], "Quiet reviewer", when=days_ago(1))
    reviewer = newsroom["reviewer"]
    reviewer.email = ""
    reviewer.save()
    client.force_login(newsroom["editor"])
    response = client.post(
        f"/admin/articles/article/{article.pk}/assign/", {"assign-reviewer": reviewer.pk}, follow=True
    )
    name = reviewer.author_profile.name
    assert [str(m) for m in response.context["messages"]] == [
        f"Assigned to {name}.",
        f"{name} has no email address: nobody told them, tell them yourself.",
    ]


def test_a_correction_made_through_the_workflow_moves_through_the_queues(newsroom):
    author, reviewer, editor = newsroom["author"], newsroom["reviewer"], newsroom["editor"]
    article = approved(author, reviewer, "Live and corrected", when=days_ago(3))
    workflow.publish(article, editor)
    edited = Article.objects.get(pk=article.pk)
    edited.body = "The corrected body."
    workflow.save_edit(edited, editor, changed_fields=["body"])
    correction = workflow.open_correction(article)
    assert correction is not None
    if correction.status == Correction.Status.DRAFT:
        assert titles(Article.objects.drafts_of(editor)) == ["Live and corrected"]
        workflow.submit_correction(article, editor)
    assert titles(Article.objects.awaiting_review(reviewer)) == ["Live and corrected"]
    assert titles(Article.objects.awaiting_review(editor)) == []  # the editor wrote the new words
    workflow.approve_correction(article, reviewer)
    assert titles(Article.objects.awaiting_review(reviewer)) == []
    assert titles(Article.objects.ready_to_publish()) == ["Live and corrected"]
    workflow.publish_correction(article, editor)
    assert titles(Article.objects.ready_to_publish()) == []
