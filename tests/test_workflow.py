"""The editorial workflow: who may move an article where, and what each move leaves behind."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles import workflow
from articles.models import Article, ArticleEvent, Correction
from articles.roles import AUTHORS, EDITORS, REVIEWERS
from tests.factories import ArticleFactory, AuthorFactory, newsroom_member

Status = Article.Status
pytestmark = pytest.mark.django_db


def article_in(status, author_user, **kwargs):
    article = ArticleFactory(author=author_user.author_profile, status=Status.DRAFT)
    reviewer = kwargs.pop("reviewer", None)
    fields = {"status": status, **kwargs}
    if status in {Status.APPROVED, Status.PUBLISHED}:
        fields["reviewer"] = reviewer or AuthorFactory()
        fields["approved_hash"] = workflow.content_hash(article)
    if status == Status.PUBLISHED:
        fields.setdefault("published_at", timezone.now() - timedelta(hours=1))
    Article.objects.filter(pk=article.pk).update(**fields)
    article.refresh_from_db()
    return article


def correction_in(status, author_user, maker, **kwargs):
    """A live article of `author_user` with a correction by `maker` (an editor) in `status`."""
    article = article_in(Status.PUBLISHED, author_user)
    edited = Article.objects.get(pk=article.pk)
    edited.body += "\n\nA corrected figure."
    workflow.save_edit(edited, maker, changed_fields=["body"])
    correction = workflow.open_correction(article)
    fields = {"status": status, **kwargs}
    if status in {Correction.Status.APPROVED, Correction.Status.PUBLISHED}:
        fields.setdefault("reviewer", AuthorFactory())
        fields["approved_hash"] = workflow.content_hash(correction)
    Correction.objects.filter(pk=correction.pk).update(**fields)
    article.refresh_from_db()
    article.test_correction = correction
    return article


def run(name, article, user):
    """Make a transition as the admin's desk does: through the table, with the inputs its row takes."""
    return workflow.run_transition(
        name,
        article,
        user or AnonymousUser(),
        comment="Please check the figures.",
        at=timezone.now() + timedelta(days=1),
    )


# (transition, the state it starts from, who may make it)
MATRIX = [
    ("submit", Status.DRAFT, {"author", "editor", "superuser"}),
    ("submit", Status.CHANGES_REQUESTED, {"author", "editor", "superuser"}),
    ("approve", Status.IN_REVIEW, {"reviewer", "editor", "superuser"}),
    ("request_changes", Status.IN_REVIEW, {"reviewer", "editor", "superuser"}),
    ("publish", Status.APPROVED, {"editor", "superuser"}),
    ("schedule", Status.APPROVED, {"editor", "superuser"}),
    ("unpublish", Status.PUBLISHED, {"editor", "superuser"}),
    ("archive", Status.PUBLISHED, {"editor", "superuser"}),
    ("archive", Status.DRAFT, {"editor", "superuser"}),
    # Corrections of a live article: the correction starts in the state named.
    ("submit_correction", "correction:draft", {"editor", "superuser"}),
    ("approve_correction", "correction:in_review", {"reviewer", "superuser"}),
    ("request_correction_changes", "correction:in_review", {"reviewer", "editor", "superuser"}),
    ("publish_correction", "correction:approved", {"editor", "superuser"}),
    ("discard_correction", "correction:draft", {"editor", "superuser"}),
]
ROLES = ["anonymous", "author", "other_author", "reviewer", "editor", "superuser"]


def test_the_matrix_covers_every_row_of_the_table():
    assert {transition for transition, _, _ in MATRIX} == set(workflow.TRANSITIONS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("transition", "start", "allowed"), MATRIX, ids=lambda v: v if isinstance(v, str) else None
)
def test_permission_matrix_for_transitions(newsroom, role, transition, start, allowed):
    if start.startswith("correction:"):
        article = correction_in(start.removeprefix("correction:"), newsroom["author"], newsroom["editor"])
        state = lambda: Correction.objects.get(article=article, pk=article.test_correction.pk).status
        start = start.removeprefix("correction:")
    else:
        article = article_in(start, newsroom["author"])
        state = lambda: Article.objects.get(pk=article.pk).status
    if role in allowed:
        run(transition, article, newsroom[role])
        assert state() != start
        assert ArticleEvent.objects.filter(article=article).exists()
    else:
        with pytest.raises(workflow.TransitionNotAllowed):
            run(transition, article, newsroom[role])
        assert state() == start


NOT_SUBMITTABLE = "Only a draft or an article sent back can be submitted; this one is {}."
NOT_IN_REVIEW = "Only an article in review can be reviewed; this one is {}."
NOT_APPROVED = "An article must be approved by a reviewer before it is published; this one is {}."


@pytest.mark.parametrize(
    ("transition", "wrong_state", "reason"),
    [
        ("submit", Status.IN_REVIEW, NOT_SUBMITTABLE.format("in review")),
        ("submit", Status.PUBLISHED, NOT_SUBMITTABLE.format("published")),
        ("approve", Status.DRAFT, NOT_IN_REVIEW.format("draft")),
        ("approve", Status.APPROVED, NOT_IN_REVIEW.format("approved")),
        ("request_changes", Status.DRAFT, NOT_IN_REVIEW.format("draft")),
        ("publish", Status.DRAFT, NOT_APPROVED.format("draft")),
        ("publish", Status.IN_REVIEW, NOT_APPROVED.format("in review")),
        ("publish", Status.CHANGES_REQUESTED, NOT_APPROVED.format("changes requested")),
        ("unpublish", Status.APPROVED, "Only a published or scheduled article can be unpublished."),
        ("archive", Status.ARCHIVED, "This article is already archived."),
    ],
)
def test_a_transition_from_the_wrong_state_is_refused_with_a_reason(
    newsroom, transition, wrong_state, reason
):
    article = article_in(wrong_state, newsroom["author"])
    with pytest.raises(workflow.TransitionNotAllowed) as refusal:
        run(transition, article, newsroom["superuser"])
    assert str(refusal.value) == reason
    article.refresh_from_db()
    assert article.status == wrong_state


def test_an_unknown_transition_is_refused_by_name(newsroom):
    article = article_in(Status.DRAFT, newsroom["author"])
    with pytest.raises(workflow.TransitionNotAllowed) as refusal:
        workflow.run_transition("promote", article, newsroom["superuser"])
    assert str(refusal.value) == "There is no workflow step called “promote”."
    article.refresh_from_db()
    assert article.status == Status.DRAFT and not article.events.exists()


def test_scheduling_needs_a_time(newsroom):
    article = article_in(Status.APPROVED, newsroom["author"])
    with pytest.raises(workflow.TransitionNotAllowed, match="Give the date and time"):
        workflow.run_transition("schedule", article, newsroom["editor"])
    article.refresh_from_db()
    assert article.status == Status.APPROVED


def test_the_table_gives_each_transition_its_inputs(newsroom):
    article = article_in(Status.IN_REVIEW, newsroom["author"])
    workflow.run_transition("request_changes", article, newsroom["reviewer"], comment="Cite the study.")
    assert article.events.get().comment == "Cite the study."

    article = article_in(Status.APPROVED, newsroom["author"])
    when = timezone.now() + timedelta(days=3)
    workflow.run_transition("schedule", article, newsroom["editor"], comment="Not taken", at=when)
    article.refresh_from_db()
    assert article.is_scheduled and article.published_at == when
    assert workflow.TRANSITIONS["schedule"].success_message(article) == (
        f"Scheduled: readers will see it from {timezone.localtime(when):%Y-%m-%d %H:%M}."
    )

    article = article_in(Status.APPROVED, newsroom["author"])
    workflow.run_transition("publish", article, newsroom["editor"], at=when)
    assert article.is_live  # "publish now" takes no time: it ignores one


def test_nobody_reviews_their_own_article_not_even_a_superuser(newsroom):
    article = article_in(Status.IN_REVIEW, newsroom["superuser"])
    with pytest.raises(workflow.TransitionNotAllowed, match="own article"):
        workflow.approve(article, newsroom["superuser"])
    reviewer_writing = newsroom_member(REVIEWERS)
    own = article_in(Status.IN_REVIEW, reviewer_writing)
    with pytest.raises(workflow.TransitionNotAllowed, match="own article"):
        workflow.request_changes(own, reviewer_writing, "Looks fine to me")


def test_the_database_refuses_a_reviewer_who_is_the_author(newsroom):
    article = article_in(Status.DRAFT, newsroom["author"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(reviewer=article.author)


def test_approval_records_the_reviewer_and_time(newsroom):
    article = article_in(Status.IN_REVIEW, newsroom["author"])
    workflow.approve(article, newsroom["reviewer"], comment="Solid piece.")
    article.refresh_from_db()
    assert article.status == Status.APPROVED
    assert article.reviewer == newsroom["reviewer"].author_profile
    assert article.approved_at is not None
    event = article.events.get(action=ArticleEvent.Action.APPROVED)
    assert (event.user, event.from_status, event.to_status, event.comment) == (
        newsroom["reviewer"],
        Status.IN_REVIEW,
        Status.APPROVED,
        "Solid piece.",
    )


def test_sending_back_needs_a_comment(newsroom):
    article = article_in(Status.IN_REVIEW, newsroom["author"])
    with pytest.raises(workflow.TransitionNotAllowed, match="comment"):
        workflow.request_changes(article, newsroom["reviewer"], "   ")


def test_publishing_needs_an_approval(newsroom):
    article = article_in(Status.IN_REVIEW, newsroom["author"])
    with pytest.raises(workflow.TransitionNotAllowed, match="approved"):
        workflow.publish(article, newsroom["editor"])
    assert not Article.objects.published().exists()


def test_a_scheduled_article_appears_to_readers_at_its_time_without_any_job(newsroom, client):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        article = article_in(Status.APPROVED, newsroom["author"])
        workflow.publish(article, newsroom["editor"], at=start + timedelta(days=2))
        assert article.events.filter(action=ArticleEvent.Action.SCHEDULED).exists()
        assert not Article.objects.published().filter(pk=article.pk).exists()
        assert client.get(article.get_absolute_url()).status_code == 404
        assert article.title not in client.get("/").content.decode()
    with time_machine.travel(start + timedelta(days=2, seconds=1), tick=False):
        assert Article.objects.published().filter(pk=article.pk).exists()
        assert client.get(article.get_absolute_url()).status_code == 200
        assert article.title in client.get("/").content.decode()


def test_unpublishing_takes_the_article_off_the_site_and_keeps_the_approval(newsroom, client):
    article = article_in(Status.PUBLISHED, newsroom["author"])
    assert client.get(article.get_absolute_url()).status_code == 200
    workflow.unpublish(article, newsroom["editor"], comment="Legal check")
    article.refresh_from_db()
    assert article.status == Status.APPROVED and article.reviewer is not None
    assert article.events.get(action=ArticleEvent.Action.UNPUBLISHED).comment == "Legal check"
    assert client.get(article.get_absolute_url()).status_code == 404


def test_editing_an_approved_article_voids_the_approval(newsroom):
    article = article_in(Status.APPROVED, newsroom["author"])
    article.body += "\n\nOne more paragraph."
    workflow.save_edit(article, newsroom["editor"], changed_fields=["body"])
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    assert article.reviewer is None
    assert article.events.filter(action=ArticleEvent.Action.APPROVAL_VOIDED).exists()


def test_an_editors_correction_of_a_live_article_waits_for_review_and_is_recorded(newsroom, client):
    article = article_in(Status.PUBLISHED, newsroom["author"])
    published_body = article.body
    article.body = "Corrected figures: 35 new EV models."
    workflow.save_edit(article, newsroom["editor"], changed_fields=["body"])
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    page = client.get(article.get_absolute_url()).content.decode()
    assert published_body in page and "Corrected figures" not in page
    assert workflow.open_correction(article).body == "Corrected figures: 35 new EV models."
    assert article.events.filter(
        action=ArticleEvent.Action.CORRECTION_STARTED, user=newsroom["editor"]
    ).exists()


def test_an_author_cannot_edit_once_submitted(newsroom):
    article = article_in(Status.IN_REVIEW, newsroom["author"])
    article.title = "Sneaky change"
    with pytest.raises(workflow.TransitionNotAllowed) as refusal:
        workflow.save_edit(article, newsroom["author"], changed_fields=["title"])
    assert str(refusal.value) == (
        "This article is in review: you can edit it again when it is a draft or sent back to you."
    )
    assert Article.objects.get(pk=article.pk).title != "Sneaky change"


def test_a_stale_edit_is_refused(newsroom):
    article = article_in(Status.DRAFT, newsroom["author"])
    first = Article.objects.get(pk=article.pk)
    second = Article.objects.get(pk=article.pk)
    first.title = "First"
    workflow.save_edit(first, newsroom["author"], changed_fields=["title"], expected_version=first.version)
    second.title = "Second"
    with pytest.raises(workflow.EditConflict) as conflict:
        workflow.save_edit(
            second, newsroom["author"], changed_fields=["title"], expected_version=second.version
        )
    assert (conflict.value.expected, conflict.value.stored) == (1, 2)
    assert Article.objects.get(pk=article.pk).title == "First"


def test_check_version_lets_the_stored_version_through_and_refuses_any_other(newsroom):
    article = article_in(Status.DRAFT, newsroom["author"])
    stored = article.version
    with transaction.atomic():
        workflow.check_version(article, stored)  # nothing raised: the edit saw the latest save
    for stale in (stored - 1, stored + 1, None):
        with pytest.raises(workflow.EditConflict) as conflict, transaction.atomic():
            workflow.check_version(article, stale)
        assert (conflict.value.expected, conflict.value.stored) == (stale, stored)
        assert str(conflict.value) == (
            f"Somebody else saved this article (version {stored}) after you opened it (version {stale})."
        )


def test_check_version_of_a_deleted_article_finds_no_conflict(newsroom):
    article = article_in(Status.DRAFT, newsroom["author"])
    Article.objects.filter(pk=article.pk).delete()
    with transaction.atomic():
        workflow.check_version(article, 99)


def test_every_transition_is_on_the_timeline_in_order(newsroom):
    article = article_in(Status.DRAFT, newsroom["author"])
    workflow.submit(article, newsroom["author"])
    workflow.request_changes(article, newsroom["reviewer"], "Cite the source.")
    workflow.submit(article, newsroom["author"])
    workflow.approve(article, newsroom["reviewer"])
    workflow.publish(article, newsroom["editor"])
    actions = list(
        article.events.order_by("created_at", "id").values_list("action", "from_status", "to_status")
    )
    assert actions == [
        ("submitted", "draft", "in_review"),
        ("changes_requested", "in_review", "changes_requested"),
        ("submitted", "changes_requested", "in_review"),
        ("approved", "in_review", "approved"),
        ("published", "approved", "published"),
    ]


def test_notifications_go_to_reviewers_then_to_the_author(newsroom, django_capture_on_commit_callbacks):
    newsroom["author"].email = "writer@example.com"
    newsroom["author"].save()
    newsroom["reviewer"].email = "reviewer@example.com"
    newsroom["reviewer"].save()
    article = article_in(Status.DRAFT, newsroom["author"])

    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(article, newsroom["author"])
    assert len(mail.outbox) == 1
    assert "reviewer@example.com" in mail.outbox[0].to
    assert "writer@example.com" not in mail.outbox[0].to
    assert article.title in mail.outbox[0].subject

    for step, expected_subject, expected_to in [
        (
            lambda: workflow.request_changes(article, newsroom["reviewer"], "Add sources."),
            "Changes requested",
            ["writer@example.com"],
        ),
        (lambda: workflow.submit(article, newsroom["author"]), "For review", None),
        (lambda: workflow.approve(article, newsroom["reviewer"]), "Approved", None),
        (
            lambda: workflow.publish(article, newsroom["editor"]),
            "Published",
            ["writer@example.com", "reviewer@example.com"],
        ),
    ]:
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            step()
        assert len(mail.outbox) == 1, expected_subject
        assert mail.outbox[0].subject.startswith(expected_subject)
        if expected_to is not None:
            assert mail.outbox[0].to == expected_to


def test_reviewers_are_told_when_an_approval_is_voided(newsroom, django_capture_on_commit_callbacks):
    newsroom["reviewer"].email = "reviewer@example.com"
    newsroom["reviewer"].save()
    article = article_in(Status.APPROVED, newsroom["author"], title="Solid-state cells")
    article.body += "\n\nA late change."
    with django_capture_on_commit_callbacks(execute=True):
        workflow.save_edit(article, newsroom["editor"], changed_fields=["body"])
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "For review: Solid-state cells"
    assert message.body.startswith("“Solid-state cells” was changed after approval and needs a new review.")
    assert "submitted" not in message.body


def test_add_staff_creates_a_user_with_a_byline_and_changes_the_role_on_rerun(capsys):
    call_command(
        "add_staff", "maria", "--role", "author", "--name", "Maria Costa", "--email", "m@example.com"
    )
    output = capsys.readouterr().out
    assert "/accounts/reset/" in output
    user = get_user_model().objects.get(username="maria")
    assert user.is_staff and list(user.groups.values_list("name", flat=True)) == [AUTHORS]
    assert user.author_profile.name == "Maria Costa"
    assert user.author_profile.slug == "maria-costa"

    call_command("add_staff", "maria", "--role", "reviewer")
    user.refresh_from_db()
    assert get_user_model().objects.filter(username="maria").count() == 1
    assert list(user.groups.values_list("name", flat=True)) == [REVIEWERS]
    assert user.author_profile.name == "Maria Costa"
    assert user.has_perm("articles.review_article") and not user.has_perm("articles.publish_article")


def test_every_fresh_database_has_the_three_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {AUTHORS, REVIEWERS, EDITORS}
    assert Group.objects.get(name=EDITORS).permissions.filter(codename="publish_article").exists()
    assert not Group.objects.get(name=AUTHORS).permissions.filter(codename="publish_article").exists()


def test_every_step_leaves_a_revision_naming_who_made_it(newsroom):
    article = article_in(Status.DRAFT, newsroom["author"])
    workflow.submit(article, newsroom["author"])
    workflow.approve(article, newsroom["reviewer"])
    latest = article.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == newsroom["reviewer"]
    assert latest.status == Status.APPROVED
    assert article.history.filter(history_user=newsroom["author"], status=Status.IN_REVIEW).exists()


def test_editors_archive_rather_than_delete(client, newsroom):
    article = article_in(Status.PUBLISHED, newsroom["author"])
    client.force_login(newsroom["editor"])
    assert client.get(f"/admin/articles/article/{article.pk}/delete/").status_code == 403
    client.force_login(newsroom["superuser"])
    assert client.get(f"/admin/articles/article/{article.pk}/delete/").status_code == 200
