from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.urls import path, reverse
from django.utils.formats import date_format
from markdownx.admin import MarkdownxModelAdmin

from . import assignments, desk, notifications, queues, review, workflow
from .admin_saves import DatabaseFailureMixin
from .forms import ArticleAdminForm, AuthorAdminForm
from .models import Article, ArticleCoauthor, ArticleEvent, Author, SlugRedirect, Topic
from .profile import MyProfileView


def live_words_notice(article):
    """What the change form of a live article says above the words it edits."""
    notice = "Readers see the published version; your changes go to review as a correction."
    correction = workflow.open_correction(article)
    if correction is not None:
        notice += (
            f" These are the words of its correction ({correction.get_status_display().lower()}), "
            "not the published ones."
        )
    return notice


class MineFilter(admin.SimpleListFilter):
    """ "Mine" for authors, "Awaiting my review" for reviewers."""

    title = "shortcuts"
    parameter_name = "for"

    def lookups(self, request, model_admin):
        choices = [("mine", "Mine")]
        if workflow.can_review(request.user):
            choices.append(("my-review", "Awaiting my review"))
        return choices

    @staticmethod
    def _written_by(user):
        # As lead author or as a co-author.
        return Article.objects.filter(
            Q(author__user=user)
            | Q(pk__in=ArticleCoauthor.objects.filter(author__user=user).values("article_id"))
        ).values("pk")

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(pk__in=self._written_by(request.user))
        if self.value() == "my-review":
            return queryset.in_review().exclude(pk__in=self._written_by(request.user))
        return queryset


class QueueFilter(admin.SimpleListFilter):
    """The person's queues (articles/queues.py), in their own order: `?queue=<name>`."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [(queue.name, queue.title) for queue in queues.queues_for(request.user)]

    def queryset(self, request, queryset):
        queue = queues.queue_for(request.user, self.value())
        return queue.articles(queryset, request.user) if queue else queryset


class QueueChangeList(ChangeList):
    """The article list showing a queue: in the queue's own order (oldest waiting first,
    soonest due, next scheduled), unless the person sorts by a column."""

    def get_ordering(self, request, queryset):
        if self.params.get(ORDER_VAR) or not queryset.query.order_by:
            return super().get_ordering(request, queryset)
        return [*queryset.query.order_by, "-pk"]


class CoauthorFormSet(BaseInlineFormSet):
    """Co-authors after the lead author: nobody twice, not the lead, not the reviewer (the
    two-person rule: whoever wrote it may not approve it)."""

    def clean(self):
        super().clean()
        article = self.instance
        lead = article.author if article.author_id else None
        reviewer = article.reviewer if article.reviewer_id else None
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            author = data.get("author")
            if author is None or data.get("DELETE"):
                continue
            if author == lead:
                form.add_error("author", f"{author} is the lead author already.")
            elif author == reviewer:
                form.add_error("author", f"{author} reviewed this article, so cannot be one of its authors.")
            elif author in seen:
                form.add_error("author", f"{author} is listed twice.")
            seen.add(author)


class CoauthorInline(admin.TabularInline):
    """The byline after the lead author, in order: "Written by A, B and C"."""

    model = ArticleCoauthor
    formset = CoauthorFormSet
    fields = ["author", "position"]
    autocomplete_fields = ["author"]
    ordering = ["position", "id"]
    extra = 0
    verbose_name = "co-author"
    verbose_name_plural = "Co-authors (after the lead author, in the order of their position)"


@admin.register(Article)
class ArticleAdmin(DatabaseFailureMixin, MarkdownxModelAdmin):
    form = ArticleAdminForm
    inlines = [CoauthorInline]
    list_display = ["title", "author", "status_badge", "published_at", "review_assignment", "topic_list"]
    list_filter = [QueueFilter, MineFilter, "status", "author", "topics"]
    list_select_related = ["author", "assigned_reviewer__author_profile"]
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
        words = {"fields": ["title", "slug", "standfirst", "body", "take", "expected_version"]}
        if obj is not None and obj.is_live:
            words["fields"].append("correction_note")
            words["description"] = live_words_notice(obj)
        return [
            (None, words),
            ("Cover", {"fields": ["cover", "cover_alt", "cover_caption", "cover_credit", "cover_licence"]}),
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
        if obj is None and from_field is None:
            try:
                exists = Article.objects.filter(pk=Article._meta.pk.to_python(object_id)).exists()
            except ValidationError:
                exists = False  # not an id at all ("abc", "²")
            if exists:
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

    def get_changelist(self, request, **kwargs):
        if queues.queue_for(request.user, request.GET.get(QueueFilter.parameter_name)):
            return QueueChangeList
        return super().get_changelist(request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change and not form.changed_data and _desk_step(request):
            # A workflow button of an unchanged form: no revision that changes nothing.
            return
        if not change and "author" not in form.cleaned_data:
            obj.author = request.user.author_profile
        live = change and obj.is_live
        workflow.save_edit(
            obj,
            request.user,
            changed_fields=form.changed_data,
            expected_version=form.cleaned_data.get("expected_version"),
            correction_note=form.cleaned_data.get("correction_note") if live else None,
        )
        event = obj.workflow_event
        if event is not None and event.correction_id is not None:
            self.message_user(
                request,
                "Your changes to the words are in the article's correction: readers see the published "
                "version until the correction is reviewed, approved and published.",
                messages.INFO,
            )
        for level, notice in notifications.notices(event):
            self.message_user(request, notice, level)

    # Lists

    @admin.display(description="Status", ordering="status")
    def status_badge(self, article):
        return desk.status_badge(article)

    @admin.display(description="Review")
    def review_assignment(self, article):
        if article.assigned_reviewer_id is None:
            return ""
        text = assignments.reviewer_name(article.assigned_reviewer)
        if article.review_due:
            text += f", due {date_format(article.review_due, 'j M')}"
        return text

    @admin.display(description="Topics")
    def topic_list(self, article):
        return ", ".join(topic.name for topic in article.topics.all())

    # The newsroom desk (desk.py): workflow buttons, preview, timeline, history

    def get_urls(self):
        return [*desk.urls(self), *review.urls(self), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        article = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if article is not None and self.has_view_permission(request, article):
            can_edit = self.has_change_permission(request, article)
            extra_context.update(desk.change_form_context(request, article, can_edit=can_edit))
            extra_context.update(review.change_form_context(request, article))
        return super().change_view(request, object_id, form_url, extra_context)

    def response_change(self, request, obj):
        # The desk's buttons submit this form (desk.change_form_context): the edits are
        # saved by now; then the step.
        step = _desk_step(request)
        if step == "assign":
            return desk.assign_from_request(self, request, obj)
        if step:
            return desk.run_from_request(self, request, obj, step)
        return super().response_change(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context.get("adminform") and context["adminform"].form
        if request.method == "POST" and _desk_step(request) and form is not None and form.errors:
            self.message_user(
                request,
                "Your changes could not be saved (see below), so nothing else was done: "
                "correct them and click the button again.",
                messages.WARNING,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        return desk.HistoryView.as_view(model_admin=self)(request, object_id=object_id)


def _desk_step(request):
    """The desk's button that submitted the change form: a workflow step's name, "assign",
    or "" for the admin's own Save buttons."""
    if request.method != "POST":
        return ""
    if "_assign" in request.POST:
        return "assign"
    return request.POST.get("_workflow", "")


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
class AuthorAdmin(DatabaseFailureMixin, admin.ModelAdmin):
    form = AuthorAdminForm
    list_display = ["name", "slug", "user"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["user"]

    def get_urls(self):
        # "My profile": the logged-in user's own byline, whatever their role (articles.profile).
        mine = path("mine/", self.admin_site.admin_view(MyProfileView.as_view()), name="articles_author_mine")
        return [mine, *super().get_urls()]


@admin.register(Topic)
class TopicAdmin(DatabaseFailureMixin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
