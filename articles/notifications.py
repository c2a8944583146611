"""Emails about the workflow, sent through Django's mail API after the change commits.

Every step mails the people it concerns (`concerned`), never the person who made it:

| Step | Who is told |
| --- | --- |
| submitted, approval voided (article or correction), correction submitted | the reviewers who may approve these words |
| approved | the byline's authors, and the editors (it is ready to publish) |
| changes requested | the byline's authors and whoever created the article |
| published, scheduled, unpublished, archived | the byline's authors and the reviewer |
| correction approved | the editors, and whoever made the correction |
| correction sent back, discarded | whoever made the correction (and its reviewer) |
| correction published | the byline's authors, whoever made the correction, its reviewer |

`notices(event)` says the same to the person who made the step: who was told, and who
could not be because they have no email address.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils.text import get_text_list

from .models import ArticleEvent

Action = ArticleEvent.Action

FOR_REVIEW = {Action.SUBMITTED, Action.APPROVAL_VOIDED, Action.CORRECTION_SUBMITTED}
TO_BYLINE_AND_REVIEWER = {Action.PUBLISHED, Action.SCHEDULED, Action.UNPUBLISHED, Action.ARCHIVED}
# Steps that tell nobody: the article or correction is still the writer's own.
UNTOLD = {Action.CREATED, Action.CORRECTION_STARTED, Action.CORRECTED, Action.RESTORED}


def _admin_link(article):
    return settings.SITE_ORIGIN + reverse("admin:articles_article_change", args=[article.pk])


def _active_staff():
    return get_user_model().objects.filter(is_active=True, is_staff=True)


def _with_permission(codename):
    return (
        _active_staff()
        .filter(
            Q(groups__permissions__codename=codename)
            | Q(user_permissions__codename=codename)
            | Q(is_superuser=True)
        )
        .distinct()
    )


def _byline_users(article):
    from .workflow import byline_user_ids

    return list(get_user_model().objects.filter(pk__in=byline_user_ids(article)))


def _correction_makers(correction):
    makers = list(correction.changed_by.all())
    if correction.created_by is not None:
        makers.append(correction.created_by)
    return makers


def concerned(event):
    """The users this step concerns, in a stable order, without the person who made it."""
    from .workflow import word_owners

    article, correction = event.article, event.correction
    people = []
    if event.action in FOR_REVIEW:
        owners = word_owners(article)  # they may not approve: no point asking them
        people += [user for user in _with_permission("review_article") if user.pk not in owners]
    elif event.action == Action.APPROVED:
        people += _byline_users(article) + list(_with_permission("publish_article"))
    elif event.action == Action.CHANGES_REQUESTED:
        people += _byline_users(article) + ([article.created_by] if article.created_by else [])
    elif event.action in TO_BYLINE_AND_REVIEWER:
        people += _byline_users(article)
        if article.reviewer and article.reviewer.user:
            people.append(article.reviewer.user)
    elif correction is not None and event.action == Action.CORRECTION_APPROVED:
        people += list(_with_permission("publish_article")) + _correction_makers(correction)
    elif correction is not None and event.action in {
        Action.CORRECTION_CHANGES_REQUESTED,
        Action.CORRECTION_DISCARDED,
        Action.CORRECTION_PUBLISHED,
    }:
        if event.action == Action.CORRECTION_PUBLISHED:
            people += _byline_users(article)
        people += _correction_makers(correction)
        if correction.reviewer and correction.reviewer.user:
            people.append(correction.reviewer.user)
    unique = {}
    for user in people:
        if user.is_active and user.pk != event.user_id:
            unique.setdefault(user.pk, user)
    return sorted(unique.values(), key=lambda user: (display_name(user).lower(), user.pk))


def display_name(user):
    return user.get_full_name() or user.get_username()


def notices(event):
    """What the person who made the step is told about the emails: [(messages level, text)]."""
    if event is None or event.action in UNTOLD:
        return []
    people = concerned(event)
    told = [display_name(user) for user in people if user.email]
    unreachable = [display_name(user) for user in people if not user.email]
    result = []
    if told:
        result.append((messages.INFO, f"Told {get_text_list(told, 'and')} by email."))
    if unreachable:
        verb = "has" if len(unreachable) == 1 else "have"
        warning = f"{get_text_list(unreachable, 'and')} {verb} no email address and could not be told: tell them yourself, or add their address."
        result.append((messages.WARNING, warning))
    if not people:
        result.append(
            (messages.WARNING, "Nobody else was told: nobody in the newsroom is concerned by this step.")
        )
    return result


def _subject(event):
    article = event.article
    if event.action in FOR_REVIEW:
        prefix = "Correction for review" if event.correction_id else "For review"
        return f"{prefix}: {article.title}"
    return f"{event.get_action_display()}: {article.title}"


def _body(event):
    article = event.article
    who = display_name(event.user) if event.user else "Someone"
    if event.action == Action.APPROVAL_VOIDED:
        what = "The correction of " if event.correction_id else ""
        body = f"{what}“{article.title}” was changed after approval and needs a new review.\n"
    elif event.action == Action.SUBMITTED:
        body = f"{article.author} submitted “{article.title}” for review.\n"
    elif event.action == Action.CORRECTION_SUBMITTED:
        body = f"{who} submitted a correction of “{article.title}” for review (readers see the published version).\n"
    else:
        body = f"{who}: {event.get_action_display().lower()} — “{article.title}”.\n"
    if event.comment:
        body += f"\n{event.comment}\n"
    if event.action in {Action.PUBLISHED, Action.SCHEDULED, Action.CORRECTION_PUBLISHED}:
        body += f"\nOn the site: {settings.SITE_ORIGIN}{article.get_absolute_url()}\n"
    review = event.action in FOR_REVIEW
    body += f"\n{'Review it' if review else 'In the newsroom'}: {_admin_link(article)}\n"
    return body


def transition_happened(event):
    """Mail everyone the step concerns who has an email address (one message)."""
    if event.action in UNTOLD:
        return
    recipients = [user.email for user in concerned(event) if user.email]
    if recipients:
        send_mail(_subject(event), _body(event), None, recipients)


def reviewers_to_notify(article):
    """Everyone who may review it, except whoever owns its words (kept for callers)."""
    from .workflow import word_owners

    return _with_permission("review_article").exclude(email="").exclude(pk__in=word_owners(article))


def review_assigned(article, *, reviewer, assigned_by, due=None):
    """Tell a reviewer an editor assigned them an article to review (articles.assignments)."""
    if not reviewer.email:
        return
    who = assigned_by.get_full_name() or assigned_by.get_username()
    body = f"{who} asked you to review “{article.title}”"
    body += f" by {due:%A %d %B %Y}.\n" if due else ".\n"
    body += f"\nReview it: {_admin_link(article)}\n"
    send_mail(f"Please review: {article.title}", body, None, [reviewer.email])
