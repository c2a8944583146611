"""The editorial workflow: the one place that knows who may move an article where.

    draft ──submit──▶ in_review ──approve──▶ approved ──publish──▶ published
      ▲                  │                     │  ▲                  │
      └─ changes_requested ◀─request_changes───┘  └────unpublish─────┘
    any state except archived ──archive──▶ archived

A live article keeps its approved words: an edit (or a restored revision) of its title,
standfirst, body or take goes into its open `Correction`, which has a review of its own

    draft ──submit_correction──▶ in_review ──approve_correction──▶ approved ──publish_correction──▶ published
      (changes_requested ◀─request_correction_changes─┘)     any open one ──discard_correction──▶ discarded

and reaches readers only when an editor publishes it, exactly as approved.

Words, not bylines: nobody approves words they wrote or changed (`word_owners`).

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
from .models import Article, ArticleCoauthor, ArticleEvent, Correction

Status = Article.Status
Action = ArticleEvent.Action
CorrectionStatus = Correction.Status

EDITABLE_BY_AUTHOR = {Status.DRAFT, Status.CHANGES_REQUESTED}


class TransitionNotAllowed(Exception):
    """The state or the user's role does not allow this change; the message says why."""


class ContentChanged(TransitionNotAllowed):
    """The words changed since the reviewer opened them: approving would approve unseen words."""


class ConfirmationNeeded(TransitionNotAllowed):
    """The step changes what readers get: it needs an explicit confirmation."""


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


def byline_user_ids(article):
    """The ids of the users in the article's byline: its author and co-authors with an account."""
    # Co-authors (issue 11) extend the byline through Article.byline_user_ids().
    return (
        article.byline_user_ids()
        if hasattr(article, "byline_user_ids")
        else {article.author.user_id} - {None}
    )


def _is_approval(record, older):
    """Whether this revision is the moment its words were approved.

    Its `approved_hash` is its own words' hash (an approval, or a correction published as
    approved); revisions saved before hashes were stored: the step from in review to approved.
    """
    if record["approved_hash"]:
        return record["approved_hash"] == content_hash(record)
    return record["status"] == Status.APPROVED and older is not None and older["status"] == Status.IN_REVIEW


def content_changers(article):
    """{user id: when} of everyone whose save changed the article's content since its words
    were last approved (or since it was created), from its revisions, newest first."""
    fields = ("history_user_id", "history_date", "status", "approved_hash", *Article.CONTENT_FIELDS)
    records = article.history.order_by("-history_date", "-history_id").values(*fields)
    changers, newer = {}, None
    for record in records.iterator(chunk_size=20):
        if newer is not None:
            if _is_approval(newer, record):
                return changers
            if content_words(newer) != content_words(record) and newer["history_user_id"]:
                changers.setdefault(newer["history_user_id"], newer["history_date"])
        newer = record
    if newer is not None and not _is_approval(newer, None) and newer["history_user_id"]:
        changers.setdefault(newer["history_user_id"], newer["history_date"])  # who wrote the first words
    return changers


def word_owner_reasons(article, correction=None):
    """{user id: why} of everyone who may not approve the words on their way to readers.

    The words on their way: a live article's open correction if it has one, else the
    article's own. Their owners: the byline's authors, whoever created the article, everyone
    who changed its content since the last approval (its revisions), and for a correction
    whoever started or changed it. The one rule for every approval (`_check_approve`,
    `_check_approve_correction`): admin, management commands and restored revisions alike.
    """
    reasons = {}

    def own(user_id, why):
        if user_id is not None:
            reasons.setdefault(user_id, why)

    for user_id in sorted(byline_user_ids(article)):
        own(user_id, "you are in its byline")
    own(article.created_by_id, "you created it")
    for user_id, when in content_changers(article).items():
        own(
            user_id,
            f"you changed its words since they were last approved ({timezone.localtime(when):%Y-%m-%d %H:%M})",
        )
    if correction is None and article.is_live:
        correction = open_correction(article)
    if correction is not None:
        own(correction.created_by_id, "you started this correction")
        for user_id in correction.changed_by.values_list("pk", flat=True):
            own(user_id, "you changed the words of this correction")
    return reasons


def word_owners(article):
    """The ids of the users who may not approve the article's words (`word_owner_reasons`)."""
    return set(word_owner_reasons(article))


def _check_not_word_owner(article, user, correction=None):
    why = word_owner_reasons(article, correction).get(user.pk)
    if why:
        _refuse(
            f"You cannot approve these words: {why}. Nobody approves words they wrote or changed: "
            "another reviewer must approve them."
        )


def open_correction(article):
    """The article's correction on its way to readers, or None."""
    if article.pk is None:
        return None
    return Correction.objects.open().filter(article=article).first()


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


def _check_reviewer(article, user, *, what):
    """The user may review `what` (articles, corrections) of this article."""
    if not can_review(user):
        _refuse(f"Only reviewers and editors can review {what}.")
    if is_author_of(user, article):
        _refuse("Nobody reviews their own article: another reviewer must do it.")


def _check_review(article, user):
    if article.status != Status.IN_REVIEW:
        _refuse(
            f"Only an article in review can be reviewed; this one is {article.get_status_display().lower()}."
        )
    _check_reviewer(article, user, what="articles")


def _check_approve(article, user):
    _check_review(article, user)
    _check_not_word_owner(article, user)


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


def _check_words_as_approved(thing):
    if not thing.approved_hash or content_hash(thing) != thing.approved_hash:
        _refuse(
            "These words are not the ones the reviewer approved (their hash differs): "
            "they need a new approval before readers get them."
        )


def _check_seen(thing, seen_hash):
    if seen_hash is not None and seen_hash != content_hash(thing):
        raise ContentChanged("The words changed since you opened them: see what changed, then review again.")


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


# The checks of a live article's correction return it.


def _correction(article, *statuses):
    correction = open_correction(article)
    if correction is None:
        _refuse("This article has no correction on its way.")
    if statuses and correction.status not in statuses:
        _refuse(f"This correction is {correction.get_status_display().lower()}.")
    return correction


def _check_submit_correction(article, user):
    correction = _correction(article, CorrectionStatus.DRAFT, CorrectionStatus.CHANGES_REQUESTED)
    if not (can_edit_any(user) or correction.changed_by.filter(pk=user.pk).exists()):
        _refuse("Only whoever made the correction or an editor can submit it for review.")
    return correction


def _check_review_correction(article, user):
    correction = _correction(article, CorrectionStatus.IN_REVIEW)
    _check_reviewer(article, user, what="corrections")
    return correction


def _check_approve_correction(article, user):
    correction = _check_review_correction(article, user)
    _check_not_word_owner(article, user, correction)
    return correction


def _check_publish_correction(article, user):
    if not can_publish(user):
        _refuse("Only editors can publish corrections.")
    correction = _correction(article, CorrectionStatus.APPROVED)
    if not article.is_live:
        _refuse("A correction is published onto a live article: publish the article first, or discard it.")
    return correction


def _check_discard_correction(article, user):
    correction = _correction(article)
    if not can_edit_any(user):
        _refuse("Only editors can discard a correction.")
    return correction


# Transitions ---------------------------------------------------------------------------


def _locked(article):
    """Re-read the article under a row lock, so two transitions cannot interleave."""
    article.refresh_from_db(from_queryset=Article.objects.select_for_update())
    return article


def _locked_with_correction(article):
    """_locked, and the article's open correction, if any, re-read under a row lock too."""
    _locked(article)
    return Correction.objects.select_for_update().open().filter(article=article).first()


def _move(article, user, *, to, action, comment="", fields=(), correction=None):
    """Move the article, or its `correction` when given, to `to`; record the step on the
    article's timeline; tell people after commit."""
    moving = article if correction is None else correction
    from_status = moving.status
    moving.status = to
    moving._history_user = user if user.is_authenticated else None  # the revision's author
    # A transition changes what an open edit form was based on: such a form must not save
    # over it unseen (e.g. an edit of an approved article landing after it was published).
    moving.version += 1
    moving.save(update_fields=["status", "updated_at", "version", *fields])
    if correction is not None:
        # The article's edit form shows the correction's words: it was based on them too.
        article.version += 1
        Article.objects.filter(pk=article.pk).update(version=article.version)  # readers see no change
    event = ArticleEvent.objects.create(
        article=article,
        correction=correction,
        user=user,
        action=action,
        from_status=from_status,
        to_status=to if to in Status.values else "",
        comment=comment,
    )
    # robust: a mail server that is down is logged; the change stands and the user gets no 500.
    transaction.on_commit(lambda: notifications.transition_happened(event), robust=True)
    return event


def _reviewer_profile(article, user):
    reviewer = getattr(user, "author_profile", None)
    if reviewer is None:
        _refuse("You need an Author profile to approve: readers are told who reviewed each article.")
    if reviewer.pk == article.author_id or reviewer in article.byline_authors():
        _refuse("Nobody reviews their own article: another reviewer must do it.")
    return reviewer


# The review steps: the same for an article's own words and for a live article's correction.


@dataclass(frozen=True)
class _Words:
    """Words on their way to readers through review: an article's own until it goes live,
    then its open correction's. `lock(article)` takes the step's row locks."""

    what: str  # in messages: "an article", "a correction"
    status: type  # Article.Status or Correction.Status
    lock: Callable


_ARTICLE_WORDS = _Words(what="an article", status=Status, lock=_locked)
_CORRECTION_WORDS = _Words(what="a correction", status=CorrectionStatus, lock=_locked_with_correction)

# Each review step takes the words, its rule `check(article, user)` (which raises
# TransitionNotAllowed, or returns the correction the step moves; None: the article) and the
# ArticleEvent.Action it records.


def _submit_words(words, article, user, *, check, action):
    with transaction.atomic():
        words.lock(article)
        correction = check(article, user)
        return _move(article, user, to=words.status.IN_REVIEW, action=action, correction=correction)


def _approve_words(words, article, user, comment, seen_hash, *, check, action):
    with transaction.atomic():
        words.lock(article)
        correction = check(article, user)
        approved = article if correction is None else correction
        _check_seen(approved, seen_hash)
        approved.reviewer = _reviewer_profile(article, user)
        approved.approved_at = timezone.now()
        approved.approved_hash = content_hash(approved)
        return _move(
            article,
            user,
            to=words.status.APPROVED,
            action=action,
            comment=comment,
            fields=["reviewer", "approved_at", "approved_hash"],
            correction=correction,
        )


def _request_changes_to_words(words, article, user, comment, *, check, action):
    if not (comment or "").strip():
        raise TransitionNotAllowed(
            f"Say what needs to change: a comment is required to send {words.what} back."
        )
    with transaction.atomic():
        words.lock(article)
        correction = check(article, user)
        return _move(
            article,
            user,
            to=words.status.CHANGES_REQUESTED,
            action=action,
            comment=comment.strip(),
            correction=correction,
        )


# The article's steps ---------------------------------------------------------------------


def submit(article, user):
    return _submit_words(_ARTICLE_WORDS, article, user, check=_check_submit, action=Action.SUBMITTED)


def approve(article, user, comment="", seen_hash=None):
    """Approve the article's words. With `seen_hash` (the `content_hash` of the words the
    reviewer read), refused with ContentChanged if they changed since."""
    return _approve_words(
        _ARTICLE_WORDS, article, user, comment, seen_hash, check=_check_approve, action=Action.APPROVED
    )


def request_changes(article, user, comment):
    return _request_changes_to_words(
        _ARTICLE_WORDS, article, user, comment, check=_check_review, action=Action.CHANGES_REQUESTED
    )


def publish(article, user, at=None):
    """Publish now, or at `at`: readers see it from that moment (the queryset decides)."""
    now = timezone.now()
    if at is not None and timezone.is_naive(at):
        raise TransitionNotAllowed("The publication time needs a time zone.")
    with transaction.atomic():
        _check_publish(_locked(article), user)
        _check_words_as_approved(article)
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
    """Retire the article for good; a correction still on its way is discarded with it."""
    with transaction.atomic():
        correction = _locked_with_correction(article)
        _check_archive(article, user)
        if correction is not None:
            _move(
                article,
                user,
                to=CorrectionStatus.DISCARDED,
                action=Action.CORRECTION_DISCARDED,
                comment="Discarded with the article.",
                correction=correction,
            )
        return _move(article, user, to=Status.ARCHIVED, action=Action.ARCHIVED)


# Corrections of live articles ------------------------------------------------------------


def submit_correction(article, user):
    return _submit_words(
        _CORRECTION_WORDS, article, user, check=_check_submit_correction, action=Action.CORRECTION_SUBMITTED
    )


def approve_correction(article, user, comment="", seen_hash=None):
    """Approve a correction's words (`seen_hash`: as in `approve`)."""
    return _approve_words(
        _CORRECTION_WORDS,
        article,
        user,
        comment,
        seen_hash,
        check=_check_approve_correction,
        action=Action.CORRECTION_APPROVED,
    )


def request_correction_changes(article, user, comment):
    return _request_changes_to_words(
        _CORRECTION_WORDS,
        article,
        user,
        comment,
        check=_check_review_correction,
        action=Action.CORRECTION_CHANGES_REQUESTED,
    )


def publish_correction(article, user, comment=""):
    """Give readers the approved correction: its words, byte for byte as approved, become the
    article's (rendered, indexed, linked, a new revision and a new page-cache edition, as any
    save); the article says "Updated <date>", and the correction, with its public note
    (`comment`, when given, replaces the drafted one), joins the article's corrections log.
    The reviewer who approved the new words becomes the article's "Reviewed by"."""
    with transaction.atomic():
        _locked_with_correction(article)
        correction = _check_publish_correction(article, user)
        _check_words_as_approved(correction)
        now = timezone.now()
        for name in Article.CONTENT_FIELDS:
            setattr(article, name, getattr(correction, name))
        article.reviewer_id = correction.reviewer_id
        article.approved_at = correction.approved_at
        article.approved_hash = correction.approved_hash
        article.corrected_at = now
        _check_words_as_approved(article)
        article.version += 1
        article._history_user = user
        article._change_reason = f"Correction {correction.pk} published"
        article.save()
        if (comment or "").strip():
            correction.note = comment.strip()
        correction.published_at = now
        correction.published_by = user
        correction.published_hash = content_hash(article)
        return _move(
            article,
            user,
            to=CorrectionStatus.PUBLISHED,
            action=Action.CORRECTION_PUBLISHED,
            comment=correction.note,
            fields=["note", "published_at", "published_by", "published_hash"],
            correction=correction,
        )


def discard_correction(article, user, comment=""):
    """Drop the correction on its way: readers keep the published words."""
    with transaction.atomic():
        _locked_with_correction(article)
        correction = _check_discard_correction(article, user)
        return _move(
            article,
            user,
            to=CorrectionStatus.DISCARDED,
            action=Action.CORRECTION_DISCARDED,
            comment=(comment or "").strip(),
            correction=correction,
        )


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
            success="Submitted for review.",
            next=("drafts",),
        ),
        Transition(
            name="approve",
            label="Approve",
            function=approve,
            check=_check_approve,
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
        Transition(
            name="submit_correction",
            label="Submit correction for review",
            function=submit_correction,
            check=_check_submit_correction,
            success="Correction submitted for review. Readers see the published version until it is published.",
        ),
        Transition(
            name="approve_correction",
            label="Approve correction",
            function=approve_correction,
            check=_check_approve_correction,
            success="Correction approved. An editor can now publish it.",
            comment="Comment (optional)",
            next=("review",),
        ),
        Transition(
            name="request_correction_changes",
            label="Request changes to the correction",
            function=request_correction_changes,
            check=_check_review_correction,
            success="Correction sent back with your comment.",
            comment="Comment for whoever made the correction",
            comment_required=True,
            comment_lines=3,
            style="secondary",
            next=("review",),
        ),
        Transition(
            name="publish_correction",
            label="Publish correction",
            function=publish_correction,
            check=_check_publish_correction,
            success="Correction published: readers see the new words now.",
            comment="Correction note for readers (optional, public)",
        ),
        Transition(
            name="discard_correction",
            label="Discard correction",
            function=discard_correction,
            check=_check_discard_correction,
            success="Correction discarded: readers keep the published words.",
            comment="Reason (optional)",
            comment_lines=1,
            style="danger",
            confirm="The corrected words are dropped for good: readers keep the published version.",
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


def run_transition(name, article, user, *, comment="", at=None, seen_hash=None):
    """Make the transition called `name`, giving it the inputs its row takes (`seen_hash`: the
    words the reviewer saw, for the approvals)."""
    transition = transition_named(name)
    inputs = {}
    if transition.function in (approve, approve_correction):
        inputs["seen_hash"] = seen_hash
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


def save_edit(
    article,
    user,
    *,
    changed_fields,
    expected_version=None,
    restored_from=None,
    confirmed=False,
    correction_note=None,
):
    """Save an edit of an article's content, applying the workflow's rules.

    - Nobody overwrites an edit they have not seen: if `expected_version` is not the
      stored version, `EditConflict` is raised and nothing is saved.
    - Changing the title, standfirst, body or take of an approved (or scheduled) article
      voids the approval and returns it to review.
    - A live article keeps its approved words: new words go into its open correction
      (started if there is none; `correction_note` sets its public note), which readers get
      only once approved and published. Restoring a revision onto a live article does the
      same, and needs `confirmed`. Its other fields (address, cover, topics) change at once.

    `article.workflow_event` is the step recorded, if any (for the admin's notices).
    """
    creating = article.pk is None
    article._history_user = user
    article.workflow_event = None
    with transaction.atomic():
        if creating:
            article.status = Status.DRAFT
            article.version = 1
            article.created_by = user if user.is_authenticated else None
            article.save()
            article.workflow_event = ArticleEvent.objects.create(
                article=article, user=user, action=Action.CREATED, to_status=Status.DRAFT
            )
            return article
        if expected_version is not None:
            check_version(article, expected_version)
        stored = Article.objects.select_for_update().get(pk=article.pk)
        check_can_edit(stored, user)
        # The workflow's fields are never taken from a form.
        for name in ("status", "reviewer_id", "published_at", "approved_at", "approved_hash", "corrected_at"):
            setattr(article, name, getattr(stored, name))
        article.created_by_id = stored.created_by_id
        article.version = stored.version + 1
        if article.author_id == stored.reviewer_id:
            _refuse(f"{stored.reviewer} reviewed this article, so cannot be its author.")
        if stored.is_live:
            return _edit_live(
                article, stored, user, changed_fields, restored_from, confirmed, correction_note
            )

        content_changed = any(name in Article.CONTENT_FIELDS for name in changed_fields)
        # Scheduled but not yet live: still awaiting publication, like an approved article.
        awaiting = stored.status == Status.APPROVED or stored.is_scheduled

        event = None
        if restored_from is not None:
            event = ArticleEvent(action=Action.RESTORED, comment=f"Restored the revision of {restored_from}.")
        if content_changed and awaiting:
            article.reviewer_id = None
            article.approved_at = None
            article.approved_hash = ""
            article.status = Status.IN_REVIEW
            if stored.status == Status.PUBLISHED:
                article.published_at = None  # the schedule goes with the approval
            event = ArticleEvent(
                action=Action.APPROVAL_VOIDED,
                comment=(event.comment + " " if event else "") + "Content changed after approval.",
            )
        article.save()
        if event is not None:
            event.article, event.user = article, user
            event.from_status, event.to_status = stored.status, article.status
            event.save()
            article.workflow_event = event
            if event.action == Action.APPROVAL_VOIDED:
                transaction.on_commit(lambda: notifications.transition_happened(event), robust=True)
    return article


def _edit_live(article, stored, user, changed_fields, restored_from, confirmed, correction_note):
    """save_edit of a live article: the words into its correction, the rest at once."""
    if restored_from is not None and not confirmed:
        raise ConfirmationNeeded(
            "Restoring a revision of a live article puts its words up for review as a correction "
            "(readers keep the published version until it is published): confirm to go ahead."
        )
    words = content_words(article)
    for name, value in content_words(stored).items():  # readers keep the published words
        setattr(article, name, value)
    correction = Correction.objects.select_for_update().open().filter(article=stored).first()
    base = correction.content() if correction is not None else content_words(stored)
    event = None
    if words != base or (correction is not None and correction_note is not None):
        correction, event = _write_correction(
            stored, correction, user, words, base, restored_from=restored_from, note=correction_note
        )
    model_fields = {
        field.name for field in Article._meta.get_fields() if field.concrete or field.many_to_many
    }
    others = [name for name in changed_fields if name not in Article.CONTENT_FIELDS and name in model_fields]
    if others:
        article.save()
    else:  # nothing readers see changed: no new revision, no new edition
        Article.objects.filter(pk=article.pk).update(version=article.version)
    article.workflow_event = event
    return article


def _write_correction(article, correction, user, words, base, *, restored_from, note):
    starting = correction is None
    if starting:
        correction = Correction(article=article, created_by=user, **base)
    changed = [name for name in Article.CONTENT_FIELDS if words[name] != base[name]]
    for name in changed:
        setattr(correction, name, words[name])
    if note is not None:
        correction.note = note.strip()
    voided = bool(changed) and correction.status == CorrectionStatus.APPROVED
    from_status = correction.status
    if voided:
        correction.status = CorrectionStatus.IN_REVIEW
        correction.reviewer, correction.approved_at, correction.approved_hash = None, None, ""
    correction.version = 1 if starting else correction.version + 1
    correction._history_user = user
    correction.save()
    if changed:
        correction.changed_by.add(user)
    if not (starting or changed):
        return correction, None  # only the note changed
    what = "Changed: " + ", ".join(changed) + "." if changed else ""
    if restored_from is not None:
        what = f"Restored the words of the revision of {restored_from}. " + what
    if voided:
        action, what = Action.APPROVAL_VOIDED, what + " The correction's approval is void: back to review."
    elif starting:
        action = Action.CORRECTION_STARTED
    else:
        action = Action.CORRECTED
    event = ArticleEvent.objects.create(
        article=article,
        correction=correction,
        user=user,
        action=action,
        from_status="" if starting else from_status,
        to_status=correction.status,
        comment=what.strip(),
    )
    if voided:
        transaction.on_commit(lambda: notifications.transition_happened(event), robust=True)
    return correction, event
