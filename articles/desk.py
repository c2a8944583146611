"""The newsroom desk in the article admin: workflow buttons, preview, history, compare, restore.

`ArticleAdmin` wires it in: `urls()` in its `get_urls`, `change_form_context()` in its
change view, `HistoryView` as its history page. The rules live elsewhere: who may do
what in workflow.py, the revisions in revisions.py; these views turn them into pages,
messages and redirects. Each view opens the article through the ModelAdmin, so it
applies the admin's own permissions.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views import View

from . import assignments, diffs, notifications, preview, queues, revisions, workflow
from .views import ArticlePreviewView


def admin_path(model_admin, route, view_class, name):
    """A URL of the ModelAdmin's own pages: `view_class`, given the ModelAdmin, behind the
    admin site's login check, named as the admin names its URLs ("<app>_<model>_<name>")."""
    view = model_admin.admin_site.admin_view(view_class.as_view(model_admin=model_admin))
    return path(route, view, name=f"{model_admin.opts.app_label}_{model_admin.opts.model_name}_{name}")


def urls(model_admin):
    """The desk's admin URLs, before the ModelAdmin's own (whose catch-all would take them)."""
    return [
        admin_path(model_admin, "<path:object_id>/workflow/<slug:action>/", TransitionView, "transition"),
        admin_path(
            model_admin,
            "<path:object_id>/workflow/<slug:action>/confirm/",
            ConfirmTransitionView,
            "transition_confirm",
        ),
        admin_path(model_admin, "<path:object_id>/assign/", AssignView, "assign"),
        path(
            "<int:pk>/preview/",
            model_admin.admin_site.admin_view(ArticlePreviewView.as_view()),
            name=f"{model_admin.opts.app_label}_{model_admin.opts.model_name}_preview",
        ),
        admin_path(model_admin, "<path:object_id>/history/compare/", CompareView, "compare"),
        admin_path(model_admin, "<path:object_id>/history/<int:history_id>/restore/", RestoreView, "restore"),
    ]


def status_badge(article):
    """The article's state as a coloured badge; a scheduled article says for when."""
    label, state = article.get_status_display(), article.status
    if article.is_scheduled:
        label = f"Scheduled for {timezone.localtime(article.published_at):%Y-%m-%d %H:%M}"
        state = "scheduled"
    return format_html('<span class="status-badge status-badge--{}">{}</span>', state, label)


@dataclass
class DeskButton:
    """A workflow step offered on the desk: its row of workflow.TRANSITIONS, and what the
    person typed into its fields if the form comes back to them (a refused save)."""

    transition: workflow.Transition
    comment: str = ""
    at: str = ""


def change_form_context(request, article, *, can_edit=False):
    """What the change form shows above the fields: the desk (templates/admin/…/change_form.html).

    With `can_edit` (the person may change the article), the workflow buttons submit the
    article's own form: the edits are saved first, then the step is made
    (`ArticleAdmin.response_change` calls `run_from_request`). Steps that ask for a
    confirmation do not save: they open a dialog (or a page) of their own.
    """
    typed = request.POST if request.method == "POST" else {}
    transitions = workflow.available_transitions(article, request.user)
    return {
        "status_badge": status_badge(article),
        "transitions": transitions,
        "buttons": [
            DeskButton(
                transition,
                comment=typed.get(f"{transition.name}-comment", ""),
                at=typed.get(f"{transition.name}-at", ""),
            )
            for transition in transitions
        ],
        "desk_saves_edits": can_edit,
        # Steps that go with the form (the others ask first, on their own).
        "saving_steps": any(not transition.confirm for transition in transitions),
        "assignment": assignment_context(request, article, typed),
        "events": article.events.select_related("user", "user__author_profile")[:50],
        "preview_url": reverse("admin:articles_article_preview", args=[article.pk]),
        # Until readers can see it (a draft, a scheduled article), it can be shared.
        "share_url": "" if article.is_live else preview.share_url(article),
        "share_days": preview.MAX_AGE_DAYS,
        "unpublished_links": article.unpublished_links(visible=workflow.visible_articles(request.user)),
        "now_local": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }


def assignment_context(request, article, typed=None):
    """Who is assigned to review the article and by when; for editors, the form to change it."""
    typed = typed or {}
    editable = assignments.can_assign(request.user) and assignments.has_review_ahead(article)
    due = article.review_due
    return {
        "reviewer": article.assigned_reviewer,
        "reviewer_name": assignments.reviewer_name(article.assigned_reviewer)
        if article.assigned_reviewer
        else "",
        "due": due,
        "overdue": due is not None and due < timezone.localdate() and assignments.has_review_ahead(article),
        "editable": editable,
        "candidates": list(assignments.candidate_reviewers(article)) if editable else [],
        "chosen": typed.get("assign-reviewer", str(article.assigned_reviewer_id or "")),
        "chosen_due": typed.get("assign-due", due.isoformat() if due else ""),
        "today": timezone.localdate().isoformat(),
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


def _typed(data, transition, field):
    """A step's input from a POST: `<row>-comment` from the change form (several steps share
    it), else plain `comment` from the step's own form."""
    return data.get(f"{transition.name}-{field}", data.get(field, ""))


def run_from_request(model_admin, request, article, name, data=None):
    """Make the workflow step `name` (a row of workflow.TRANSITIONS) with the inputs in the
    POST `data`; tell the person what happened; answer with a redirect to where their next
    task is (the row's `next` queues), or back to the article if the step was refused.

    A step that asks for a confirmation (`confirm`) is refused without `confirmed`.
    """
    data = request.POST if data is None else data
    user = request.user
    try:
        transition = workflow.transition_named(name)
        if transition.confirm and not data.get("confirmed"):
            raise workflow.TransitionNotAllowed(
                f"“{transition.label}” needs your confirmation, and nothing was changed: "
                f"click {transition.label} again and confirm."
            )
        event = workflow.run_transition(
            transition.name,
            article,
            user,
            comment=_typed(data, transition, "comment"),
            at=parse_local_datetime(_typed(data, transition, "at")) if transition.takes_time else None,
            seen_hash=data.get("seen_hash") or None,
        )
    except workflow.TransitionNotAllowed as refusal:
        model_admin.message_user(request, str(refusal), messages.ERROR)
        return _back_to(article, user)
    model_admin.message_user(request, transition.success_message(article), messages.SUCCESS)
    # Who was told by email, and who could not be (no address).
    for level, notice in notifications.notices(event):
        model_admin.message_user(request, notice, level)
    landing = queues.landing_url(transition.next, user)
    return HttpResponseRedirect(landing) if landing else _back_to(article, user)


def _back_to(article, user):
    if workflow.can_view(user, article):
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))
    # E.g. a reviewer who sent an article back: it is the author's again.
    return HttpResponseRedirect(reverse("admin:articles_article_changelist"))


def assign_from_request(model_admin, request, article, data=None):
    """Assign the reviewer and due date chosen in the POST `data` (`assign-reviewer`, a user
    id or empty for nobody; `assign-due`, a date or empty); back to the article, with a message."""
    data = request.POST if data is None else data
    try:
        reviewer_id, due = data.get("assign-reviewer", "").strip(), data.get("assign-due", "").strip()
        reviewer = None
        if reviewer_id:
            reviewer = (
                assignments.candidate_reviewers()
                .filter(pk=reviewer_id if reviewer_id.isdigit() else 0)
                .first()
            )
            if reviewer is None:
                raise workflow.TransitionNotAllowed("Choose a reviewer from the list.")
        try:
            due = date.fromisoformat(due) if due else None
        except ValueError:
            raise workflow.TransitionNotAllowed(
                "Give the due date as a day, for example 2026-12-04."
            ) from None
        event = assignments.assign_reviewer(article, request.user, reviewer=reviewer, due=due)
    except workflow.TransitionNotAllowed as refusal:
        model_admin.message_user(request, str(refusal), messages.ERROR)
    else:
        if event is not None:
            told = (
                " They have been told by email."
                if reviewer and reviewer.email and reviewer != request.user
                else ""
            )
            model_admin.message_user(request, event.comment + told, messages.SUCCESS)
            if reviewer is not None and not reviewer.email:
                model_admin.message_user(
                    request,
                    f"{assignments.reviewer_name(reviewer)} has no email address: nobody told them, "
                    "tell them yourself.",
                    messages.WARNING,
                )
    return _back_to(article, request.user)


class TransitionView(DeskView):
    """POST: make the workflow step `action` (a row of workflow.TRANSITIONS), with the
    inputs the row takes from the form; then on to the person's next task, with a message.
    (From the change form of an article the person may edit, the buttons submit the
    article's form instead, so that the edits are saved first: see run_from_request.)"""

    http_method_names = ["post"]

    def post(self, request, object_id, action):
        article = self.get_article(object_id)
        return run_from_request(self.model_admin, request, article, action)


class ConfirmTransitionView(DeskView):
    """GET: the confirmation page of a step that asks for one (a row with `confirm`), for
    browsers without JavaScript (with it, the same form opens in a dialog on the article).

    Template: admin/articles/article/confirm_transition.html. Context: `original`,
    `transition`. A step that is not open to the person, or needs no confirmation, goes
    back to the article with the reason.
    """

    def get(self, request, object_id, action):
        article = self.get_article(object_id)
        try:
            transition = workflow.transition_named(action)
            transition.check(article, request.user)
        except workflow.TransitionNotAllowed as refusal:
            self.tell(str(refusal), messages.ERROR)
            return self.to_change_form(article)
        if not transition.confirm:
            return self.to_change_form(article)
        return self.render(
            "admin/articles/article/confirm_transition.html",
            article,
            transition.label,
            transition=transition,
        )


class AssignView(DeskView):
    """POST: assign a reviewer and due date (editors; see articles.assignments)."""

    http_method_names = ["post"]

    def post(self, request, object_id):
        article = self.get_article(object_id)
        return assign_from_request(self.model_admin, request, article)


class HistoryView(DeskView):
    """The article's revisions, newest first, to compare or restore.

    Template: admin/articles/article/object_history.html. Context: `original` (the
    article), `revisions` (each with `reviews`: the review decisions taken on it),
    `compare_from` and `compare_to` (history ids the Compare form starts with:
    revisions.default_comparison), `can_restore`.
    """

    def get(self, request, object_id):
        article = self.get_article(object_id)
        history = list(
            article.history.select_related("history_user").order_by("-history_date", "-history_id")
        )
        reviews_by_revision = {}
        for event, revision in revisions.reviews(article):
            reviews_by_revision.setdefault(revision.history_id, []).append(event)
        for revision in history:
            revision.reviews = reviews_by_revision.get(revision.history_id, [])
        older, newer = revisions.default_comparison(history, reviews_by_revision)
        return self.render(
            self.model_admin.object_history_template,
            article,
            "History",
            revisions=history,
            compare_from=older.history_id if older else None,
            compare_to=newer.history_id if newer else None,
            can_restore=self.model_admin.has_change_permission(request, article),
        )


class CompareView(DeskView):
    """What changed between two revisions: `?from=&to=` (history ids) or `?from_version=&to_version=`.

    Template: admin/articles/article/compare.html. Context: `original`, `older`, `newer`,
    `diffs` (revisions.compare: diffs.FieldDiff each), `summary`. `to` defaults to the latest revision; without `from`,
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
        changes = revisions.compare(older, newer)
        return self.render(
            "admin/articles/article/compare.html",
            article,
            "Compare revisions",
            older=older,
            newer=newer,
            diffs=changes,
            summary=diffs.Summary(changes),
        )


class RestoreView(DeskView):
    """POST: make revision `history_id` the article's content again; back to the article.

    GET: the confirmation page of a restore (the history page asks in a dialog when the
    article is live; this page is that dialog for browsers without JavaScript). Template:
    admin/articles/article/confirm_restore.html. Context: `original`, `revision`.
    """

    http_method_names = ["get", "post"]

    def get(self, request, object_id, history_id):
        article = self.get_article(object_id, edit=True)
        historical = get_object_or_404(article.history.all(), history_id=history_id)
        return self.render(
            "admin/articles/article/confirm_restore.html", article, "Restore", revision=historical
        )

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
