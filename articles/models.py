import math

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from markdownx.models import MarkdownxField
from simple_history.models import HistoricalRecords

from .links import article_link_slugs, record_links
from .rendering import render_markdown, render_markdown_with_headings, table_of_contents

WORDS_PER_MINUTE = 200


class AuthorQuerySet(models.QuerySet):
    def with_published_articles(self):
        """Authors with at least one article readers can see."""
        return self.filter(pk__in=Article.objects.published().values("author"))


class Author(models.Model):
    """A byline. Staff get one through `user`; outside contributors need no account."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    bio = models.TextField("short bio", max_length=600, blank=True)
    photo = models.ImageField(
        upload_to="authors/", blank=True, width_field="photo_width", height_field="photo_height"
    )
    photo_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    photo_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Smaller copies made once on upload (articles.images): {"webp": {"480": "path"}, ...}
    photo_renditions = models.JSONField(default=dict, blank=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
    )

    objects = AuthorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:author-detail", kwargs={"slug": self.slug})


class TopicQuerySet(models.QuerySet):
    def with_published_articles(self):
        """Topics with at least one article readers can see."""
        tagged = Article.topics.through.objects.filter(article__in=Article.objects.published())
        return self.filter(pk__in=tagged.values("topic"))


class Topic(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:topic-detail", kwargs={"slug": self.slug})


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """What readers may see: published, and the publication time has come.

        The single definition for every reader page, feed, sitemap and search. A future
        `published_at` is a schedule: the article appears at that moment, with no job.
        """
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())

    def with_last_modified(self):
        """Annotate `last_modified`: when readers last saw the article change.

        `updated_at`, except that an article scheduled in advance changes for readers when
        it appears: never before its publication time. The single definition for the
        article page, the feeds and the sitemap. (Coalesce: a draft has no publication
        time, and SQLite's GREATEST of a NULL is NULL.)
        """
        return self.annotate(last_modified=Greatest("updated_at", Coalesce("published_at", "updated_at")))

    def with_byline(self):
        return self.select_related("author", "reviewer")

    def for_listing(self):
        """Published articles as reader pages show them: byline and topics in 3 queries."""
        return self.published().with_byline().with_last_modified().prefetch_related("topics")

    def in_review(self):
        return self.filter(status=Article.Status.IN_REVIEW)

    def scheduled(self):
        return self.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())


class ArticleStatus(models.TextChoices):
    # Only `articles.workflow` moves an article between these. Known as `Article.Status`;
    # defined out here so that `Article.Meta`'s constraints can name it too.
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class Article(models.Model):
    Status = ArticleStatus

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    standfirst = models.CharField(
        max_length=400, help_text="The short summary shown under the title and in listings."
    )
    body = MarkdownxField(help_text="Markdown. Drag an image into the editor to upload it.")
    take = MarkdownxField(
        blank=True,
        help_text="Optional Markdown: the editorial view shown under the site's “take” heading.",
    )
    body_html = models.TextField(editable=False, default="")
    toc_html = models.TextField("table of contents", editable=False, default="")
    take_html = models.TextField(editable=False, default="")
    word_count = models.PositiveIntegerField(editable=False, default=0)

    cover = models.ImageField(
        upload_to="covers/%Y/%m/", blank=True, width_field="cover_width", height_field="cover_height"
    )
    cover_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    cover_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Smaller copies made once on upload (articles.images): {"webp": {"480": "path"}, ...}
    cover_renditions = models.JSONField(default=dict, blank=True, editable=False)
    cover_alt = models.CharField(
        "cover alt text",
        max_length=250,
        blank=True,
        help_text="Describe the cover image for readers who cannot see it. Required with a cover.",
    )

    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="articles")
    reviewer = models.ForeignKey(
        Author,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviewed_articles",
        help_text="Who approved the article. Set by the review workflow.",
    )
    # Written only by `articles.workflow`.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_at = models.DateTimeField("publication date", null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking: every content edit increments it; a form carrying an older
    # number is refused instead of overwriting somebody else's edit.
    version = models.PositiveIntegerField(default=1, editable=False)

    topics = models.ManyToManyField(Topic, blank=True, related_name="articles")
    related = models.ManyToManyField("self", blank=True, symmetrical=True, verbose_name="related articles")
    # Articles this one links to in its body or take, found on save: the other side's
    # "Linked from" list.
    outbound_links = models.ManyToManyField(
        "self", blank=True, symmetrical=False, editable=False, related_name="linked_from"
    )

    objects = ArticleQuerySet.as_manager()
    # A revision of every save: who, when, every content field.
    history = HistoricalRecords(
        excluded_fields=["body_html", "take_html", "toc_html", "word_count", "cover_renditions"],
        m2m_fields=[topics],
    )

    # What a reviewer approves: changing one of these after approval sends it back to review.
    CONTENT_FIELDS = ("title", "standfirst", "body", "take")
    # What a revision brings back on restore and what comparing two revisions shows: the
    # content, plus the address, the cover and the topics (which need no new review).
    REVISION_FIELDS = (*CONTENT_FIELDS, "slug", "cover", "cover_alt", "topics")

    class Meta:
        permissions = [
            ("submit_article", "Can submit own articles for review"),
            ("review_article", "Can approve or send back articles of others"),
            ("publish_article", "Can publish, schedule, unpublish and archive articles"),
            ("edit_any_article", "Can edit any article in any state"),
        ]
        ordering = ["-published_at", "-id"]
        get_latest_by = "published_at"
        indexes = [
            # Serves the newest-first listing of published articles.
            models.Index(fields=["status", "-published_at"], name="article_status_pub_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ArticleStatus.PUBLISHED) | Q(published_at__isnull=False),
                name="article_published_has_date",
                violation_error_message="A published article needs a publication date.",
            ),
            models.CheckConstraint(
                condition=Q(cover="") | ~Q(cover_alt=""),
                name="article_cover_has_alt",
                violation_error_message="A cover image needs alt text.",
            ),
            models.CheckConstraint(
                condition=Q(reviewer__isnull=True) | ~Q(reviewer=F("author")),
                name="article_reviewer_not_author",
                violation_error_message="The reviewer cannot be the article's author.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ArticleStatus.values),
                name="article_status_valid",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # Render once here, so that reading never renders Markdown.
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            self.render()
        elif {"body", "take"} & set(update_fields):
            self.render()
            kwargs["update_fields"] = {*update_fields, "body_html", "take_html", "toc_html", "word_count"}
        with transaction.atomic():
            self._keep_old_slug_alive()
            super().save(*args, **kwargs)
            if update_fields is None or {"body", "take"} & set(update_fields):
                record_links(self)

    def get_absolute_url(self):
        return reverse("articles:article-detail", kwargs={"slug": self.slug})

    def _keep_old_slug_alive(self):
        """A published article's old URL keeps working: it answers 301 to the new one."""
        if self.pk is None:
            return
        old = Article.objects.filter(pk=self.pk).values("slug", "status").first()
        if old and old["slug"] != self.slug and old["status"] == self.Status.PUBLISHED:
            SlugRedirect.objects.update_or_create(old_slug=old["slug"], defaults={"article": self})
        if self.status == self.Status.PUBLISHED:
            # The slug is live again under this article; until then an old URL keeps working.
            SlugRedirect.objects.filter(old_slug=self.slug).delete()

    def render(self):
        self.body_html, headings = render_markdown_with_headings(self.body)
        self.take_html = render_markdown(self.take) if self.take.strip() else ""
        self.word_count = len(strip_tags(self.body_html).split())
        self.toc_html = table_of_contents(headings)

    def unpublished_links(self, visible=None):
        """Linked articles readers could not open: not published (yet), or no such article.

        Returns [(slug, article or None)]; an article outside `visible` (the articles the
        person asking may see) is given as None, so a warning never reveals a draft.
        """
        slugs = article_link_slugs(self)
        live = set(Article.objects.published().filter(slug__in=slugs).values_list("slug", flat=True))
        live |= set(
            SlugRedirect.objects.filter(
                old_slug__in=slugs, article__in=Article.objects.published()
            ).values_list("old_slug", flat=True)
        )
        visible = Article.objects.all() if visible is None else visible
        by_slug = {article.slug: article for article in visible.filter(slug__in=slugs)}
        return [(slug, by_slug.get(slug)) for slug in slugs if slug not in live]

    def read_more(self, limit=3):
        """The editors' related articles first, then those sharing the most topics, newest first."""
        chosen = list(self.related.published().with_byline().order_by("-published_at")[:limit])
        if len(chosen) < limit:
            topic_ids = list(self.topics.values_list("pk", flat=True))
            if topic_ids:
                chosen += list(
                    Article.objects.published()
                    .with_byline()
                    .filter(topics__in=topic_ids)
                    .exclude(pk__in=[self.pk, *(article.pk for article in chosen)])
                    .annotate(shared_topics=models.Count("topics"))
                    .order_by("-shared_topics", "-published_at")[: limit - len(chosen)]
                )
        return chosen

    def previous_published(self):
        return (
            Article.objects.published()
            .filter(published_at__lt=self.published_at)
            .order_by("-published_at")
            .first()
            if self.published_at
            else None
        )

    def next_published(self):
        return (
            Article.objects.published()
            .filter(published_at__gt=self.published_at)
            .order_by("published_at")
            .first()
            if self.published_at
            else None
        )

    @property
    def reading_time(self):
        """Whole minutes, at least one."""
        return max(1, math.ceil(self.word_count / WORDS_PER_MINUTE))

    @property
    def is_scheduled(self):
        """Published, but the publication time is still to come."""
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    @property
    def is_live(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )


class SlugRedirect(models.Model):
    """An old slug of a published article, answered with a 301 to its current URL."""

    old_slug = models.SlugField(max_length=220, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="slug_redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.old_slug} → {self.article.slug}"


class ArticleEvent(models.Model):
    """One workflow transition or notable edit, for the article's timeline."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        SUBMITTED = "submitted", "Submitted for review"
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVAL_VOIDED = "approval_voided", "Edited after approval: back to review"
        PUBLISHED = "published", "Published"
        SCHEDULED = "scheduled", "Scheduled"
        UNPUBLISHED = "unpublished", "Unpublished"
        ARCHIVED = "archived", "Archived"
        CORRECTED = "corrected", "Corrected while published"
        RESTORED = "restored", "Revision restored"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=30, choices=Action.choices)
    from_status = models.CharField(max_length=20, choices=Article.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Article.Status.choices, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()}: {self.article}"


class PageEdition(models.Model):
    """The edition of the site that readers see: one row, the page cache's key (articles.pagecache).

    Its token changes in the same transaction as anything readers can see, so a cached page
    never outlives the change that made it old. It also knows the next scheduled
    publication, when the edition moves on by itself.
    """

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()
    next_publication = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Edition {self.token} of {self.changed_at:%Y-%m-%d %H:%M:%S}"
