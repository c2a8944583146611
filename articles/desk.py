"""The newsroom desk in the article admin: workflow buttons, preview, history, compare, restore.

`ArticleAdmin` wires it in: `urls()` in its `get_urls`, `change_form_context()` in its
change view, `HistoryView` as its history page. The rules live elsewhere: who may do
what in workflow.py, the revisions in revisions.py; these views turn them into pages,
messages and redirects. Each view opens the article through the ModelAdmin, so it
applies the admin's own permissions.
"""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views import View

from . import notifications, preview, revisions, workflow
from .views import ArticlePreviewView


def urls(model_admin):
    """The desk's admin URLs, before the ModelAdmin's own (whose catch-all would take them)."""
    prefix = f"{model_admin.opts.app_label}_{model_admin.opts.model_name}"

    def view(view_class):
        return model_admin.admin_site.admin_view(view_class.as_view(model_admin=model_admin))

    return [
        path("<path:object_id>/workflow/<slug:action>/", view(TransitionView), name=f"{prefix}_transition"),
        path(
            "<int:pk>/preview/",
            model_admin.admin_site.admin_view(ArticlePreviewView.as_view()),
            name=f"{prefix}_preview",
        ),
        path("<path:object_id>/history/compare/", view(CompareView), name=f"{prefix}_compare"),
        path(
            "<path:object_id>/history/<int:history_id>/restore/", view(RestoreView), name=f"{prefix}_restore"
        ),
    ]


def status_badge(article):
    """The article's state as a coloured badge; a scheduled article says for when."""
    label, state = article.get_status_display(), article.status
    if article.is_scheduled:
        label = f"Scheduled for {timezone.localtime(article.published_at):%Y-%m-%d %H:%M}"
        state = "scheduled"
    return format_html('<span class="status-badge status-badge--{}">{}</span>', state, label)


def change_form_context(request, article):
    """What the change form shows above the fields: the desk (templates/admin/…/change_form.html)."""
    return {
        "status_badge": status_badge(article),
        "transitions": workflow.available_transitions(article, request.user),
        "events": article.events.select_related("user")[:50],
        "preview_url": reverse("admin:articles_article_preview", args=[article.pk]),
        # Until readers can see it (a draft, a scheduled article), it can be shared.
        "share_url": "" if article.is_live else preview.share_url(article),
        "share_days": preview.MAX_AGE_DAYS,
        "unpublished_links": article.unpublished_links(visible=workflow.visible_articles(request.user)),
        "now_local": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }


def parse_local_datetime(value):
    """A time from a datetime-local field, in the site's time zone unless it names one."""
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise workflow.TransitionNotAllowed(
            "Give the publication date and time, for example 2026-12-01 09:00."
        ) from None
    if naive.tzinfo is not None:
        return naive
    return timezone.make_aware(naive)


class DeskView(View):
    """A page or action of the desk about one article, under the ModelAdmin `model_admin`."""

    model_admin = None

    def get_article(self, object_id, *, edit=False):
        """The article, if this user may open it (or, with `edit`, change it); else a 403."""
        article = self.model_admin.get_object(self.request, object_id)
        if article is None:
            raise PermissionDenied("No such article.")
        if edit:
            allowed = self.model_admin.has_change_permission(self.request, article)
        else:
            allowed = self.model_admin.has_view_permission(self.request, article)
        if not allowed:
            raise PermissionDenied("You cannot open this article.")
        return article

    def render(self, template, article, title, **context):
        admin_site = self.model_admin.admin_site
        context = {
            **admin_site.each_context(self.request),
            "opts": self.model_admin.opts,
            "original": article,
            "title": f"{title}: {article}",
            **context,
        }
        return TemplateResponse(self.request, template, context)

    def tell(self, message, level):
        self.model_admin.message_user(self.request, message, level)

    def to_change_form(self, article):
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))


class TransitionView(DeskView):
    """POST: make the workflow step `action` (a row of workflow.TRANSITIONS), with the
    inputs the row takes from the form; then back to the article, with a message."""

    http_method_names = ["post"]

    def post(self, request, object_id, action):
        article = self.get_article(object_id)
        try:
            transition = workflow.transition_named(action)
            if transition.confirm and not request.POST.get("confirmed"):
                raise workflow.TransitionNotAllowed(f"Tick “{transition.confirm}” to confirm.")
            event = workflow.run_transition(
                transition.name,
                article,
                request.user,
                comment=request.POST.get("comment", ""),
                at=parse_local_datetime(request.POST.get("at", "")) if transition.takes_time else None,
                seen_hash=request.POST.get("seen_hash") or None,
            )
        except workflow.TransitionNotAllowed as refusal:
            self.tell(str(refusal), messages.ERROR)
        else:
            self.tell(transition.success_message(article), messages.SUCCESS)
            # Who was told by email, and who could not be (no address).
            for level, notice in notifications.notices(event):
                self.tell(notice, level)
        if workflow.can_view(request.user, article):
            return self.to_change_form(article)
        # E.g. a reviewer who sent an article back: it is the author's again.
        return HttpResponseRedirect(reverse("admin:articles_article_changelist"))


class HistoryView(DeskView):
    """The article's revisions, newest first, to compare or restore.

    Template: admin/articles/article/object_history.html. Context: `original` (the
    article), `revisions`, `can_restore`.
    """

    def get(self, request, object_id):
        article = self.get_article(object_id)
        return self.render(
            self.model_admin.object_history_template,
            article,
            "History",
            revisions=article.history.select_related("history_user").order_by("-history_date", "-history_id"),
            can_restore=self.model_admin.has_change_permission(request, article),
        )


class CompareView(DeskView):
    """What changed between two revisions: `?from=&to=` (history ids) or `?from_version=&to_version=`.

    Template: admin/articles/article/compare.html. Context: `original`, `older`, `newer`,
    `diffs` (revisions.compare). `to` defaults to the latest revision; without `from`,
    back to the history page with a message.
    """

    def get(self, request, object_id):
        article = self.get_article(object_id)
        history = article.history.all()
        older = revisions.pick(
            history, history_id=request.GET.get("from"), version=request.GET.get("from_version")
        )
        newer = (
            revisions.pick(history, history_id=request.GET.get("to"), version=request.GET.get("to_version"))
            or history.first()
        )
        if older is None or newer is None:
            self.tell("Choose two revisions to compare.", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:articles_article_history", args=[article.pk]))
        if older.history_date > newer.history_date:
            older, newer = newer, older
        return self.render(
            "admin/articles/article/compare.html",
            article,
            "Compare revisions",
            older=older,
            newer=newer,
            diffs=revisions.compare(older, newer),
        )


class RestoreView(DeskView):
    """POST: make revision `history_id` the article's content again; back to the article."""

    http_method_names = ["post"]

    def post(self, request, object_id, history_id):
        article = self.get_article(object_id, edit=True)
        historical = get_object_or_404(article.history.all(), history_id=history_id)
        live = article.is_live
        try:
            revisions.restore(
                article, request.user, historical, confirmed=bool(request.POST.get("confirmed"))
            )
        except workflow.TransitionNotAllowed as refusal:
            self.tell(str(refusal), messages.ERROR)
        else:
            if live:
                self.tell(
                    "The revision's words are now the article's correction, for review: readers see the "
                    "published version until the correction is approved and published.",
                    messages.SUCCESS,
                )
            else:
                self.tell("Revision restored. The restore is itself a new revision.", messages.SUCCESS)
        return self.to_change_form(article)
