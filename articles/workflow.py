"""The editorial workflow: the one place that knows who may move an article where.

    draft ──submit──▶ in_review ──approve──▶ approved ──publish──▶ published
      ▲                  │                     │  ▲                  │
      └─ changes_requested ◀─request_changes───┘  └────unpublish─────┘
    any state except archived ──archive──▶ archived

Every function checks the article's current state (re-read under a row lock) and the
user's permissions, raises `TransitionNotAllowed` with a reason, changes the article in
one transaction, records an `ArticleEvent`, and sends its emails after commit. The admin,
the management commands and the tests all come through here; nothing else writes
`Article.status`.
"""

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import notifications
from .models import Article, ArticleCoauthor, ArticleEvent

Status = Article.Status
Action = ArticleEvent.Action

EDITABLE_BY_AUTHOR = {Status.DRAFT, Status.CHANGES_REQUESTED}


class TransitionNotAllowed(Exception):
    """The state or the user's role does not allow this change; the message says why."""


class EditConflict(Exception):
    """Somebody else saved the article since this edit started."""

    def __init__(self, *, expected, stored):
        self.expected, self.stored = expected, stored
        super().__init__(
            f"Somebody else saved this article (version {stored}) after you opened it (version {expected})."
        )


# The words approved ------------------------------------------------------------------


def content_words(source):
    """{field: value} of Article.CONTENT_FIELDS from an article, a correction, a revision
    (historical record) or a mapping."""
    if isinstance(source, Mapping):
        return {name: source.get(name) or "" for name in Article.CONTENT_FIELDS}
    return {name: getattr(source, name) or "" for name in Article.CONTENT_FIELDS}


def content_hash(source):
    """The sha256 (hex) of the content fields, in Article.CONTENT_FIELDS order, exactly as stored.

    An approval stores it (`approved_hash`); publishing refuses words whose hash differs, so
    what readers get is byte for byte what the reviewer approved.
    """
    words = content_words(source)
    payload = json.dumps([words[name] for name in Article.CONTENT_FIELDS], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


# Roles, as permissions -----------------------------------------------------------------


def is_author_of(user, article):
    """The user writes under the article's byline: its lead author or a co-author."""
    return user.is_authenticated and user.pk in article.byline_user_ids()


def can_review(user):
    return user.has_perm("articles.review_article")


def can_publish(user):
    return user.has_perm("articles.publish_article")


def can_edit_any(user):
    return user.has_perm("articles.edit_any_article")


def can_view(user, article):
    """Who may open an unpublished article in the admin or preview it."""
    if not user.is_authenticated or not user.is_staff:
        return False
    if can_edit_any(user) or is_author_of(user, article):
        return True
    # Reviewers see what is, or has been, in front of the reviewers; never a draft.
    return can_review(user) and article.status not in EDITABLE_BY_AUTHOR


def can_edit(user, article):
    """Who may change an article's content now."""
    if can_edit_any(user):
        return article.status != Status.ARCHIVED or user.is_superuser
    return (
        is_author_of(user, article)
        and user.has_perm("articles.change_article")
        and article.status in EDITABLE_BY_AUTHOR
    )


def visible_articles(user, queryset=None):
    """The articles a staff user may list in the admin."""
    queryset = Article.objects.all() if queryset is None else queryset
    if can_edit_any(user):
        return queryset
    own = Q(author__user=user) | Q(
        pk__in=ArticleCoauthor.objects.filter(author__user=user).values("article_id")
    )
    if can_review(user):
        return queryset.filter(own | ~Q(status__in=EDITABLE_BY_AUTHOR))
    return queryset.filter(own)


# Checks --------------------------------------------------------------------------------


def _refuse(message):
    raise TransitionNotAllowed(message)


def _check_submit(article, user):
    if article.status not in EDITABLE_BY_AUTHOR:
        _refuse(
            f"Only a draft or an article sent back can be submitted; this one is {article.get_status_display().lower()}."
        )
    if not ((is_author_of(user, article) and user.has_perm("articles.submit_article")) or can_edit_any(user)):
        _refuse("Only the article's author or an editor can submit it for review.")


def _check_review(article, user):
    if article.status != Status.IN_REVIEW:
        _refuse(
            f"Only an article in review can be reviewed; this one is {article.get_status_display().lower()}."
        )
    if not can_review(user):
        _refuse("Only reviewers and editors can review articles.")
    if is_author_of(user, article):
        _refuse("Nobody reviews their own article: another reviewer must do it.")


def _check_publish(article, user):
    if not can_publish(user):
        _refuse("Only editors can publish articles.")
    if article.status != Status.APPROVED:
        _refuse(
            "An article must be approved by a reviewer before it is published; "
            f"this one is {article.get_status_display().lower()}."
        )
    if article.reviewer_id is None:
        _refuse("This article has no approving reviewer.")


def _check_unpublish(article, user):
    if not can_publish(user):
        _refuse("Only editors can unpublish articles.")
    if article.status != Status.PUBLISHED:
        _refuse("Only a published or scheduled article can be unpublished.")


def _check_archive(article, user):
    if not can_publish(user):
        _refuse("Only editors can archive articles.")
    if article.status == Status.ARCHIVED:
        _refuse("This article is already archived.")


# Transitions ---------------------------------------------------------------------------


def _locked(article):
    """Re-read the article under a row lock, so two transitions cannot interleave."""
    article.refresh_from_db(from_queryset=Article.objects.select_for_update())
    return article


def _move(article, user, *, to, action, comment="", fields=()):
    from_status = article.status
    article.status = to
    article._history_user = user if user.is_authenticated else None  # the revision's author
    # A transition changes what an open edit form was based on: such a form must not save
    # over it unseen (e.g. an edit of an approved article landing after it was published).
    article.version += 1
    article.save(update_fields=["status", "updated_at", "version", *fields])
    event = ArticleEvent.objects.create(
        article=article, user=user, action=action, from_status=from_status, to_status=to, comment=comment
    )
    # robust: a mail server that is down is logged; the change stands and the user gets no 500.
    transaction.on_commit(lambda: notifications.transition_happened(event), robust=True)
    return event


def submit(article, user):
    with transaction.atomic():
        _check_submit(_locked(article), user)
        return _move(article, user, to=Status.IN_REVIEW, action=Action.SUBMITTED)


def approve(article, user, comment=""):
    with transaction.atomic():
        _check_review(_locked(article), user)
        reviewer = getattr(user, "author_profile", None)
        if reviewer is None:
            _refuse("You need an Author profile to approve: readers are told who reviewed each article.")
        if reviewer.pk == article.author_id or reviewer in article.byline_authors():
            _refuse("Nobody reviews their own article: another reviewer must do it.")
        article.reviewer = reviewer
        article.approved_at = timezone.now()
        return _move(
            article,
            user,
            to=Status.APPROVED,
            action=Action.APPROVED,
            comment=comment,
            fields=["reviewer", "approved_at"],
        )


def request_changes(article, user, comment):
    if not (comment or "").strip():
        raise TransitionNotAllowed("Say what needs to change: a comment is required to send an article back.")
    with transaction.atomic():
        _check_review(_locked(article), user)
        return _move(
            article,
            user,
            to=Status.CHANGES_REQUESTED,
            action=Action.CHANGES_REQUESTED,
            comment=comment.strip(),
        )


def publish(article, user, at=None):
    """Publish now, or at `at`: readers see it from that moment (the queryset decides)."""
    now = timezone.now()
    if at is not None and timezone.is_naive(at):
        raise TransitionNotAllowed("The publication time needs a time zone.")
    with transaction.atomic():
        _check_publish(_locked(article), user)
        article.published_at = at if at is not None and at > now else now
        scheduled = article.published_at > now
        return _move(
            article,
            user,
            to=Status.PUBLISHED,
            action=Action.SCHEDULED if scheduled else Action.PUBLISHED,
            comment=f"For {article.published_at:%Y-%m-%d %H:%M %Z}" if scheduled else "",
            fields=["published_at"],
        )


def unpublish(article, user, comment=""):
    """Take an article off the site. It keeps its approval, so it can be published again."""
    with transaction.atomic():
        _check_unpublish(_locked(article), user)
        return _move(article, user, to=Status.APPROVED, action=Action.UNPUBLISHED, comment=comment)


def archive(article, user):
    with transaction.atomic():
        _check_archive(_locked(article), user)
        return _move(article, user, to=Status.ARCHIVED, action=Action.ARCHIVED)


# The table of transitions --------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """One row of TRANSITIONS: a workflow step, and what the admin's desk needs to offer it.

    `function(article, user, **inputs)` makes the step; `check(article, user)` raises
    TransitionNotAllowed when the step is not open to this user now. The inputs are
    `comment` when the row names a comment field (`comment` is its label) and `at` when
    it names a time field. `success` is told afterwards; `{when}` in it is the local
    publication time.

    How the desk presents it (articles/desk.py, change_form.html), nothing the rules read:
    `style` is the button's look: "primary" (the step forward), "secondary" (a step
    back or aside) or "danger" (taking something away). `confirm`, on the steps that are
    hard to undo, says what the step will do: the desk asks "are you sure?" with it (a
    dialog, or a page without JavaScript) and refuses the step unconfirmed. `next` names
    the queues (articles/queues.py) where the person's next task is: after the step they
    land on the first of them they have; with none, back on the article.
    """

    name: str
    label: str
    function: Callable
    check: Callable
    success: str
    comment: str = ""
    comment_required: bool = False
    comment_lines: int = 2  # 1: a one-line field
    time: str = ""
    confirm: str = ""
    style: str = "primary"
    next: tuple = ()

    @property
    def takes_comment(self):
        return bool(self.comment)

    @property
    def takes_time(self):
        return bool(self.time)

    def success_message(self, article):
        when = timezone.localtime(article.published_at) if article.published_at else None
        return self.success.format(when=when)


TRANSITIONS = {
    transition.name: transition
    for transition in [
        Transition(
            name="submit",
            label="Submit for review",
            function=submit,
            check=_check_submit,
            success="Submitted for review. The reviewers have been told.",
            next=("drafts",),
        ),
        Transition(
            name="approve",
            label="Approve",
            function=approve,
            check=_check_review,
            success="Approved. An editor can now publish it.",
            comment="Comment (optional)",
            # An editor's next task is publishing it; a reviewer's, the next review.
            next=("ready", "review"),
        ),
        Transition(
            name="request_changes",
            label="Request changes",
            function=request_changes,
            check=_check_review,
            success="Sent back to the author with your comment.",
            comment="Comment for the author",
            comment_required=True,
            comment_lines=3,
            style="secondary",
            next=("review",),
        ),
        Transition(
            name="publish",
            label="Publish now",
            function=publish,
            check=_check_publish,
            success="Published: readers can see it now.",
            next=("ready",),
        ),
        Transition(
            name="schedule",
            label="Schedule…",
            function=publish,
            check=_check_publish,
            success="Scheduled: readers will see it from {when:%Y-%m-%d %H:%M}.",
            time="Publish at",
            style="secondary",
            next=("scheduled",),
        ),
        Transition(
            name="unpublish",
            label="Unpublish",
            function=unpublish,
            check=_check_unpublish,
            success="Unpublished: readers no longer see it.",
            comment="Reason (optional)",
            comment_lines=1,
            style="danger",
            confirm="Readers will no longer see it: its page, its place in listings, feeds and search go "
            "until an editor publishes it again.",
        ),
        Transition(
            name="archive",
            label="Archive",
            function=archive,
            check=_check_archive,
            success="Archived.",
            style="danger",
            # Nothing leads out of "archived": ask before this one-way step.
            confirm="Archiving is for good: an archived article cannot be edited or published again.",
            next=("ready",),
        ),
    ]
}


def transition_named(name):
    transition = TRANSITIONS.get(name)
    if transition is None:
        _refuse(f"There is no workflow step called “{name}”.")
    return transition


def available_transitions(article, user):
    """The transitions this user may make on this article now, for the admin's buttons."""
    allowed = []
    for transition in TRANSITIONS.values():
        try:
            transition.check(article, user)
        except TransitionNotAllowed:
            continue
        allowed.append(transition)
    return allowed


def run_transition(name, article, user, *, comment="", at=None):
    """Make the transition called `name`, giving it the inputs its row takes."""
    transition = transition_named(name)
    inputs = {}
    if transition.takes_comment:
        inputs["comment"] = comment
    if transition.takes_time:
        if at is None:
            _refuse("Give the date and time, for example 2026-12-01 09:00.")
        inputs["at"] = at
    return transition.function(article, user, **inputs)


# Content edits -------------------------------------------------------------------------


def check_can_edit(article, user):
    if not can_edit(user, article):
        if article.status == Status.ARCHIVED:
            _refuse("An archived article cannot be edited.")
        if is_author_of(user, article) and article.status not in EDITABLE_BY_AUTHOR:
            _refuse(
                f"This article is {article.get_status_display().lower()}: you can edit it again "
                "when it is a draft or sent back to you."
            )
        _refuse("You cannot edit this article.")


def check_version(article, expected_version):
    """Refuse to save over a change this edit has not seen (optimistic locking).

    Raises EditConflict unless `expected_version`, the version the edit started from, is
    the stored one. The article's row stays locked until the transaction ends, so two
    saves cannot both pass. An article that is no longer stored has nothing to conflict with.
    """
    stored = (
        Article.objects.select_for_update().filter(pk=article.pk).values_list("version", flat=True).first()
    )
    if stored is not None and expected_version != stored:
        raise EditConflict(expected=expected_version, stored=stored)


def save_edit(article, user, *, changed_fields, expected_version=None, restored_from=None):
    """Save an edit of an article's content, applying the workflow's rules.

    - Nobody overwrites an edit they have not seen: if `expected_version` is not the
      stored version, `EditConflict` is raised and nothing is saved.
    - Changing the title, standfirst, body or take of an approved article voids the
      approval and returns it to review.
    - A published article corrected by an editor is live at once, and the correction is
      recorded on the timeline.
    """
    creating = article.pk is None
    article._history_user = user
    with transaction.atomic():
        if creating:
            article.status = Status.DRAFT
            article.version = 1
            article.save()
            ArticleEvent.objects.create(
                article=article, user=user, action=Action.CREATED, to_status=Status.DRAFT
            )
            return article
        if expected_version is not None:
            check_version(article, expected_version)
        stored = Article.objects.select_for_update().get(pk=article.pk)
        check_can_edit(stored, user)
        # The workflow's fields are never taken from a form.
        article.status, article.reviewer_id = stored.status, stored.reviewer_id
        article.published_at, article.approved_at = stored.published_at, stored.approved_at
        article.version = stored.version + 1
        content_changed = any(name in Article.CONTENT_FIELDS for name in changed_fields)
        if article.author_id == stored.reviewer_id:
            _refuse(f"{stored.reviewer} reviewed this article, so cannot be its author.")
        # Scheduled but not yet live: still awaiting publication, like an approved article.
        awaiting = stored.status == Status.APPROVED or stored.is_scheduled

        event = None
        if restored_from is not None:
            event = ArticleEvent(action=Action.RESTORED, comment=f"Restored the revision of {restored_from}.")
        if content_changed and awaiting:
            article.reviewer_id = None
            article.approved_at = None
            article.status = Status.IN_REVIEW
            if stored.status == Status.PUBLISHED:
                article.published_at = None  # the schedule goes with the approval
            event = ArticleEvent(
                action=Action.APPROVAL_VOIDED,
                comment=(event.comment + " " if event else "") + "Content changed after approval.",
            )
        elif content_changed and stored.status == Status.PUBLISHED and event is None:
            event = ArticleEvent(
                action=Action.CORRECTED,
                comment="Changed: "
                + ", ".join(name for name in changed_fields if name in Article.CONTENT_FIELDS),
            )
        article.save()
        if event is not None:
            event.article, event.user = article, user
            event.from_status, event.to_status = stored.status, article.status
            event.save()
            if event.action == Action.APPROVAL_VOIDED:
                transaction.on_commit(lambda: notifications.transition_happened(event), robust=True)
    return article
