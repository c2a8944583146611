"""Emails about the workflow, sent through Django's mail API after the change commits."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse

from .models import ArticleEvent

Action = ArticleEvent.Action


def _admin_link(article):
    return settings.SITE_ORIGIN + reverse("admin:articles_article_change", args=[article.pk])


def transition_happened(event):
    article = event.article
    if event.action in {Action.SUBMITTED, Action.APPROVAL_VOIDED}:
        recipients = [user.email for user in reviewers_to_notify(article)]
        subject = f"For review: {article.title}"
        if event.action == Action.APPROVAL_VOIDED:
            body = f"“{article.title}” was changed after approval and needs a new review.\n\n{_admin_link(article)}\n"
        else:
            body = f"{article.author} submitted “{article.title}” for review.\n\nReview it: {_admin_link(article)}\n"
    elif event.action in {Action.APPROVED, Action.CHANGES_REQUESTED, Action.PUBLISHED, Action.SCHEDULED}:
        # Every author under the byline: the lead and the co-authors.
        recipients = list(
            get_user_model()
            .objects.filter(pk__in=article.byline_user_ids(), is_active=True)
            .exclude(email="")
            .order_by("pk")
            .values_list("email", flat=True)
        )
        who = event.user.get_full_name() or event.user.get_username() if event.user else "Someone"
        subject = {
            Action.APPROVED: f"Approved: {article.title}",
            Action.CHANGES_REQUESTED: f"Changes requested: {article.title}",
            Action.PUBLISHED: f"Published: {article.title}",
            Action.SCHEDULED: f"Scheduled: {article.title}",
        }[event.action]
        body = f"{who}: {event.get_action_display().lower()} — “{article.title}”.\n"
        if event.comment:
            body += f"\n{event.comment}\n"
        if event.action in {Action.PUBLISHED, Action.SCHEDULED}:
            body += f"\nOn the site: {settings.SITE_ORIGIN}{article.get_absolute_url()}\n"
        body += f"\nIn the newsroom: {_admin_link(article)}\n"
    else:
        return
    if recipients:
        send_mail(subject, body, None, recipients)


def reviewers_to_notify(article):
    """Everyone who may review it, except its own authors (lead and co-authors)."""
    User = get_user_model()
    return (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(Q(groups__permissions__codename="review_article") | Q(is_superuser=True))
        .exclude(email="")
        .exclude(pk__in=article.byline_user_ids())
        .distinct()
    )


def review_assigned(article, *, reviewer, assigned_by, due=None):
    """Tell a reviewer an editor assigned them an article to review (articles.assignments)."""
    if not reviewer.email:
        return
    who = assigned_by.get_full_name() or assigned_by.get_username()
    body = f"{who} asked you to review “{article.title}”"
    body += f" by {due:%A %d %B %Y}.\n" if due else ".\n"
    body += f"\nReview it: {_admin_link(article)}\n"
    send_mail(f"Please review: {article.title}", body, None, [reviewer.email])
