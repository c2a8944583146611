"""Assigning a reviewer to an article, with an optional due date.

An editor names who should review an article (or the correction on its way to a live
article) and by when; the reviewer finds it under "Assigned to you" on the admin's first
page and gets an email, and an article still unapproved after its due date is listed as
overdue for the editors (articles/queues.py). An assignment is a note about the review,
not a workflow step: any reviewer may still review the article, and its status does not
change. It is recorded on the article's timeline.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from . import notifications, workflow
from .models import Article, ArticleEvent, Correction

Status = Article.Status
# Before approval, there is a review to assign: a draft may be given its reviewer ahead.
ASSIGNABLE = {Status.DRAFT, Status.IN_REVIEW, Status.CHANGES_REQUESTED}


def can_assign(user):
    """Editors assign reviews."""
    return workflow.can_publish(user)


def has_review_ahead(article):
    """Whether the article (or the correction on its way) still needs a review."""
    unapproved = [Correction.Status.DRAFT, Correction.Status.IN_REVIEW, Correction.Status.CHANGES_REQUESTED]
    return article.status in ASSIGNABLE or article.corrections.filter(status__in=unapproved).exists()


def candidate_reviewers(article=None):
    """Active staff who may review (reviewers, editors, superusers), by name; without the
    article's byline author and creator when an article is given."""
    User = get_user_model()
    reviewers = (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__codename="review_article")
            | Q(user_permissions__codename="review_article")
        )
        .distinct()
        .select_related("author_profile")
        .order_by("first_name", "last_name", "username")
    )
    if article is not None:
        reviewers = reviewers.exclude(pk__in=_own_words(article))
    return reviewers


def _own_words(article):
    owners = getattr(workflow, "word_owners", None)
    if owners is not None:
        return owners(article)
    return article.byline_user_ids() | ({article.created_by_id} - {None})


def reviewer_name(user):
    profile = getattr(user, "author_profile", None)
    return profile.name if profile else user.get_full_name() or user.get_username()


def assign_reviewer(article, by, *, reviewer, due=None):
    """Make `reviewer` (a User, or None to take the assignment back) the article's assigned
    reviewer, due by the date `due` (optional). Raises workflow.TransitionNotAllowed with
    the reason when `by` may not, or `reviewer` cannot review this article."""
    if not can_assign(by):
        raise workflow.TransitionNotAllowed("Only editors assign reviewers.")
    if reviewer is None and due is not None:
        raise workflow.TransitionNotAllowed("Choose the reviewer who is due to review it.")
    with transaction.atomic():
        article = Article.objects.select_for_update().select_related("author").get(pk=article.pk)
        if due is not None and due < timezone.localdate() and due != article.review_due:
            raise workflow.TransitionNotAllowed("That day has passed: give today or a later day.")
        if reviewer is not None:
            if not has_review_ahead(article):
                raise workflow.TransitionNotAllowed(
                    f"This article is {article.get_status_display().lower()}: there is no review to assign."
                )
            if not candidate_reviewers(article).filter(pk=reviewer.pk).exists():
                raise workflow.TransitionNotAllowed(
                    f"{reviewer_name(reviewer)} cannot review this article: "
                    "a reviewer must be a reviewer or editor who did not write it."
                )
        if (article.assigned_reviewer_id, article.review_due) == (getattr(reviewer, "pk", None), due):
            return None
        # Not a save(): an assignment is not a revision of the article's words, nor a change
        # readers see (updated_at stays: it is the reader pages' Last-Modified).
        Article.objects.filter(pk=article.pk).update(assigned_reviewer=reviewer, review_due=due)
        if reviewer is None:
            comment = "No reviewer assigned any more."
        else:
            comment = f"Assigned to {reviewer_name(reviewer)}"
            comment += f", due {date_format(due, 'j M Y')}." if due else "."
        event = ArticleEvent.objects.create(
            article=article,
            user=by,
            action=ArticleEvent.Action.REVIEW_ASSIGNED,
            from_status=article.status,
            to_status=article.status,
            comment=comment,
        )
        if reviewer is not None and reviewer.pk != by.pk:
            transaction.on_commit(
                lambda: notifications.review_assigned(article, reviewer=reviewer, assigned_by=by, due=due),
                robust=True,
            )
    return event
