import difflib
from datetime import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from markdownx.admin import MarkdownxModelAdmin

from . import preview, workflow
from .forms import ArticleAdminForm, AuthorAdminForm
from .models import Article, ArticleEvent, Author, SlugRedirect, Topic

Status = Article.Status


class MineFilter(admin.SimpleListFilter):
    """ "Mine" for authors, "Awaiting my review" for reviewers."""

    title = "shortcuts"
    parameter_name = "for"

    def lookups(self, request, model_admin):
        choices = [("mine", "Mine")]
        if workflow.can_review(request.user):
            choices.append(("my-review", "Awaiting my review"))
        return choices

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(author__user=request.user)
        if self.value() == "my-review":
            return queryset.in_review().exclude(author__user=request.user)
        return queryset


@admin.register(Article)
class ArticleAdmin(MarkdownxModelAdmin):
    form = ArticleAdminForm
    list_display = ["title", "author", "status_badge", "published_at", "topic_list"]
    list_filter = [MineFilter, "status", "author", "topics"]
    list_select_related = ["author"]
    date_hierarchy = "published_at"
    search_fields = ["title", "body"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["author", "topics", "related"]
    readonly_fields = ["status_badge", "reviewer", "published_at", "approved_at", "created_at", "updated_at"]
    change_form_template = "admin/articles/article/change_form.html"
    object_history_template = "admin/articles/article/object_history.html"

    def get_fieldsets(self, request, obj=None):
        byline = ["author", "topics", "related"]
        if "author" in self.get_readonly_fields(request, obj) and obj is None:
            byline = ["topics", "related"]
        return [
            (None, {"fields": ["title", "slug", "standfirst", "body", "take", "expected_version"]}),
            ("Cover", {"fields": ["cover", "cover_alt"]}),
            ("Byline and links", {"fields": byline}),
            (
                "Workflow",
                {
                    "fields": [
                        "status_badge",
                        "reviewer",
                        "approved_at",
                        "published_at",
                        "created_at",
                        "updated_at",
                    ],
                    "description": "Changed only with the workflow buttons above.",
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # Authors write under their own byline, never somebody else's.
        if not workflow.can_edit_any(request.user):
            fields.append("author")
        return fields

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if profile := getattr(request.user, "author_profile", None):
            initial.setdefault("author", profile.pk)
        return initial

    # Who sees and edits what: the rules live in workflow.py.

    def get_queryset(self, request):
        queryset = super().get_queryset(request).prefetch_related("topics")
        return workflow.visible_articles(request.user, queryset)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and _whole_number(object_id) and Article.objects.filter(pk=object_id).exists():
            # It exists, but is not this user's to see: say so rather than "not found".
            raise PermissionDenied("You cannot open this article.")
        return obj

    def has_add_permission(self, request):
        # An author without a byline (an Author profile) has nobody to write as.
        allowed = super().has_add_permission(request)
        return allowed and (workflow.can_edit_any(request.user) or hasattr(request.user, "author_profile"))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "related":
            # Only articles this user may see: a draft's id must not reveal its title.
            kwargs["queryset"] = workflow.visible_articles(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or workflow.can_view(request.user, obj))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or workflow.can_edit(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        # Nothing is lost: editors archive; only a superuser can delete (and the
        # revisions stay in the history even then).
        return request.user.is_superuser

    def view_on_site(self, article):
        # An article readers cannot see yet opens as a preview instead of a 404.
        if article.is_live:
            return article.get_absolute_url()
        return reverse("admin:articles_article_preview", args=[article.pk])

    def save_model(self, request, obj, form, change):
        if not change and "author" not in form.cleaned_data:
            obj.author = request.user.author_profile
        workflow.save_edit(
            obj,
            request.user,
            changed_fields=form.changed_data,
            expected_version=form.cleaned_data.get("expected_version"),
        )

    # Lists

    @admin.display(description="Status", ordering="status")
    def status_badge(self, article):
        label = article.get_status_display()
        state = article.status
        if article.is_scheduled:
            label, state = (
                f"Scheduled for {timezone.localtime(article.published_at):%Y-%m-%d %H:%M}",
                "scheduled",
            )
        return format_html('<span class="status-badge status-badge--{}">{}</span>', state, label)

    @admin.display(description="Topics")
    def topic_list(self, article):
        return ", ".join(topic.name for topic in article.topics.all())

    # The newsroom desk: workflow buttons, preview, timeline, history

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/workflow/<slug:action>/",
                wrap(self.transition_view),
                name=f"{prefix}_transition",
            ),
            path("<path:object_id>/preview/", wrap(self.preview_view), name=f"{prefix}_preview"),
            path("<path:object_id>/history/compare/", wrap(self.compare_view), name=f"{prefix}_compare"),
            path(
                "<path:object_id>/history/<int:history_id>/restore/",
                wrap(self.restore_view),
                name=f"{prefix}_restore",
            ),
            *super().get_urls(),
        ]

    def _article_for(self, request, object_id, *, edit=False):
        article = self.get_object(request, object_id)
        if article is None:
            raise PermissionDenied("No such article.")
        allowed = (
            self.has_change_permission(request, article)
            if edit
            else self.has_view_permission(request, article)
        )
        if not allowed:
            raise PermissionDenied("You cannot open this article.")
        return article

    def change_view(self, request, object_id, form_url="", extra_context=None):
        article = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if article is not None and self.has_view_permission(request, article):
            extra_context.update(
                transitions=workflow.available_transitions(article, request.user),
                events=article.events.select_related("user")[:50],
                preview_url=reverse("admin:articles_article_preview", args=[article.pk]),
                share_url=preview.share_url(article) if article.status != Status.PUBLISHED else "",
                share_days=preview.MAX_AGE_DAYS,
                unpublished_links=article.unpublished_links(visible=workflow.visible_articles(request.user)),
                now_local=timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request, object_id, action):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        article = self._article_for(request, object_id)
        try:
            message = self._run_transition(request, article, action)
        except workflow.TransitionNotAllowed as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        else:
            self.message_user(request, message, messages.SUCCESS)
        if workflow.can_view(request.user, article):
            return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))
        # E.g. a reviewer who sent an article back: it is the author's again.
        return HttpResponseRedirect(reverse("admin:articles_article_changelist"))

    def _run_transition(self, request, article, action):
        user, comment = request.user, request.POST.get("comment", "")
        if action == "submit":
            workflow.submit(article, user)
            return "Submitted for review. The reviewers have been told."
        if action == "approve":
            workflow.approve(article, user, comment=comment)
            return "Approved. An editor can now publish it."
        if action == "request_changes":
            workflow.request_changes(article, user, comment)
            return "Sent back to the author with your comment."
        if action == "publish":
            workflow.publish(article, user)
            return "Published: readers can see it now."
        if action == "schedule":
            at = _parse_local_datetime(request.POST.get("at", ""))
            workflow.publish(article, user, at=at)
            return f"Scheduled: readers will see it from {timezone.localtime(article.published_at):%Y-%m-%d %H:%M}."
        if action == "unpublish":
            workflow.unpublish(article, user, reason=comment)
            return "Unpublished: readers no longer see it."
        if action == "archive":
            workflow.archive(article, user)
            return "Archived."
        raise workflow.TransitionNotAllowed(f"Unknown action “{action}”.")

    def preview_view(self, request, object_id):
        return preview.render_preview(request, self._article_for(request, object_id), shared=False)

    def history_view(self, request, object_id, extra_context=None):
        article = self._article_for(request, object_id)
        revisions = article.history.select_related("history_user").order_by("-history_date", "-history_id")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": article,
            "title": f"History: {article}",
            "revisions": revisions,
            "can_restore": self.has_change_permission(request, article),
        }
        return TemplateResponse(request, self.object_history_template, context)

    def compare_view(self, request, object_id):
        article = self._article_for(request, object_id)
        revisions = article.history.all()
        older = _pick_revision(revisions, request.GET.get("from"), request.GET.get("from_version"))
        newer = (
            _pick_revision(revisions, request.GET.get("to"), request.GET.get("to_version"))
            or revisions.first()
        )
        if older is None or newer is None:
            self.message_user(request, "Choose two revisions to compare.", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:articles_article_history", args=[article.pk]))
        if older.history_date > newer.history_date:
            older, newer = newer, older
        diffs = []
        for name in ("title", "slug", "standfirst", "body", "take", "cover_alt"):
            before, after = str(getattr(older, name) or ""), str(getattr(newer, name) or "")
            if before != after:
                table = difflib.HtmlDiff(wrapcolumn=70).make_table(
                    before.splitlines(), after.splitlines(), "Before", "After", context=True, numlines=2
                )
                diffs.append({"field": Article._meta.get_field(name).verbose_name, "table": table})
        topics_before, topics_after = _topic_names(older), _topic_names(newer)
        if topics_before != topics_after:
            table = difflib.HtmlDiff().make_table(topics_before, topics_after, "Before", "After")
            diffs.append({"field": "topics", "table": table})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": article,
            "title": f"Compare revisions: {article}",
            "older": older,
            "newer": newer,
            "diffs": diffs,
        }
        return TemplateResponse(request, "admin/articles/article/compare.html", context)

    def restore_view(self, request, object_id, history_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        article = self._article_for(request, object_id, edit=True)
        historical = get_object_or_404(article.history.all(), history_id=history_id)
        try:
            workflow.restore_revision(article, request.user, historical)
        except workflow.TransitionNotAllowed as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        else:
            self.message_user(
                request, "Revision restored. The restore is itself a new revision.", messages.SUCCESS
            )
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))


def _topic_names(revision):
    return sorted(row.topic.name for row in revision.topics.select_related("topic"))


def _whole_number(value):
    # Not str.isdigit(): it accepts "²", which int() refuses.
    return bool(value) and str(value).isascii() and str(value).isdecimal()


def _pick_revision(revisions, history_id, version):
    if _whole_number(history_id):
        return revisions.filter(history_id=history_id).first()
    if _whole_number(version):
        # The last save made at that version number.
        return revisions.filter(version=version).order_by("-history_date").first()
    return None


def _parse_local_datetime(value):
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise workflow.TransitionNotAllowed(
            "Give the publication date and time, for example 2026-12-01 09:00."
        ) from None
    if naive.tzinfo is not None:
        return naive
    return timezone.make_aware(naive)


@admin.register(ArticleEvent)
class ArticleEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "article", "action", "user", "from_status", "to_status"]
    list_filter = ["action"]
    search_fields = ["article__title", "comment"]
    list_select_related = ["article", "user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlugRedirect)
class SlugRedirectAdmin(admin.ModelAdmin):
    list_display = ["old_slug", "article", "created_at"]
    search_fields = ["old_slug", "article__title"]
    autocomplete_fields = ["article"]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    form = AuthorAdminForm
    list_display = ["name", "slug", "user"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["user"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
