import functools
import json
import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.validators import slug_re
from django.db import connection, models, transaction
from django.db.models import Exists, ExpressionWrapper, F, OuterRef, Q, StringAgg, Subquery, TextField, Value
from django.db.models.functions import Cast, Coalesce, Greatest, JSONObject
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from markdownx.models import MarkdownxField
from simple_history.models import HistoricalRecords

from .compiled import column_converters, convert_row
from .links import article_link_slugs, record_links
from .rendering import render_markdown, render_markdown_with_headings, table_of_contents

WORDS_PER_MINUTE = 200
# Around an article: how many "Read more" and "Linked from" entries it shows, and from how
# many of the newest articles of each of its topics "Read more" chooses (see `surroundings`).
READ_MORE = 3
READ_MORE_CANDIDATES = 30
LINKED_FROM_SHOWN = 10
# The newest first, the id breaking ties: the order every reader listing uses, and the one the
# (status, published_at, id) index gives by walking it backwards.
NEWEST_FIRST = ("-published_at", "-id")


# Django's slug pattern, compiled here: django.core.validators compiles it lazily, behind a
# proxy that costs more than the match itself (about 1.5 µs a call, a feed item makes two).
_SLUG = re.compile(slug_re.pattern, slug_re.flags)


def slug_url(name, slug):
    """`reverse(name, kwargs={"slug": slug})`, for the pages addressed by a slug.

    A listing links every card's article, author and topic, and every page its topics:
    dozens of reverse() calls, each resolving the pattern again. The URL around the slug is
    resolved once per URL name (and script prefix and URLconf, which may differ between
    requests) and the slug put into it, which is what reverse() would do for a well-formed
    slug (nothing to quote). Anything else goes through reverse() itself.
    """
    return slug_urls(name)(slug)


def slug_urls(name):
    """`slug_url` for many slugs of one URL name within a request (a feed's twenty articles,
    their authors; a sitemap page's thousands): the script prefix and the URLconf, which may
    differ between requests but not within one, read once (about 3 µs each time, the
    URLconf's an asgiref Local)."""
    before, after = _around_slug(name, get_script_prefix(), get_urlconf())

    def url(slug):
        if not _SLUG.fullmatch(slug):
            return reverse(name, kwargs={"slug": slug})
        return f"{before}{slug}{after}"

    return url


@functools.lru_cache(maxsize=64)
def _around_slug(name, script_prefix, urlconf):
    return tuple(reverse(name, urlconf=urlconf, kwargs={"slug": "SLUG"}).rsplit("SLUG", 1))


def fixed_url(name):
    """`reverse(name)` for a page without arguments (the home page, search, the feeds): every
    page links them from its header and footer, so each is resolved once per URL name (and
    script prefix and URLconf), as `slug_url` does."""
    return _fixed_url(name, get_script_prefix(), get_urlconf())


@functools.lru_cache(maxsize=64)
def _fixed_url(name, script_prefix, urlconf):
    return reverse(name, urlconf=urlconf)


class NamedPage(models.Model):
    """Something with a name and a reader page of its own, addressed by its slug."""

    url_name = None  # the URL pattern of its page

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_url(self.url_name, self.slug)


class AuthorQuerySet(models.QuerySet):
    def with_published_articles(self):
        """Authors with at least one article readers can see.

        Per author, the first entry of the (author, status, published_at, id) index answers,
        however many articles there are. A scalar subquery with LIMIT 1 rather than EXISTS:
        PostgreSQL may turn an EXISTS into a join that hashes every published article of the
        site; a scalar subquery it runs per author and stops at the first match, as SQLite does.
        """
        first = Article.objects.published().filter(author=OuterRef("pk")).order_by().values("pk")[:1]
        # Or co-wrote one: the author's few co-author rows, each article looked up by its key.
        published = Article.objects.published().filter(pk=OuterRef("article_id")).order_by().values("pk")[:1]
        coauthored = (
            ArticleCoauthor.objects.filter(author=OuterRef("pk"))
            .alias(published=Subquery(published))
            .filter(published__isnull=False)
            .order_by()
            .values("pk")[:1]
        )
        return self.alias(first_published=Subquery(first), first_coauthored=Subquery(coauthored)).filter(
            Q(first_published__isnull=False) | Q(first_coauthored__isnull=False)
        )


class Author(NamedPage):
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
    url_name = "articles:author-detail"


class TopicQuerySet(models.QuerySet):
    def with_published_articles(self):
        """Topics with at least one article readers can see.

        Per topic, a walk along the topic's entries of the (topic, article) index that stops at
        the first article that is published (a primary-key lookup each): a few entries, not a
        join over every published article. Scalar subqueries with LIMIT 1 at both levels, for
        the reason given in `AuthorQuerySet.with_published_articles`; and not a join of the
        topics table with the articles, which SQLite would answer by walking every published
        article for a topic that has none.
        """
        published = Article.objects.published().filter(pk=OuterRef("article_id")).order_by().values("pk")[:1]
        first = (
            Article.topics.through.objects.filter(topic=OuterRef("pk"))
            .alias(published=Subquery(published))
            .filter(published__isnull=False)
            .order_by()
            .values("pk")[:1]
        )
        return self.alias(first_published=Subquery(first)).filter(first_published__isnull=False)


class Topic(NamedPage):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    objects = TopicQuerySet.as_manager()
    url_name = "articles:topic-detail"


def coauthor_rows(coauthor_json):
    """The co-authors in an article's `coauthor_json` (`ArticleQuerySet.with_coauthors`), in
    byline order: dicts of their id, name, slug and position."""
    if not coauthor_json:
        return []
    return sorted(json.loads(f"[{coauthor_json}]"), key=lambda row: (row["position"], row["id"]))


def topics_among(topic_ids, browsable):
    """An article's topics, from its `topic_ids` (`ArticleQuerySet.with_topic_ids`), taken
    from `browsable`, a list that holds them all, in its order: no query.

    By `id`, not `pk` (a property: a feed looks through every browsable topic for each of
    its twenty articles)."""
    ids = {int(pk) for pk in (topic_ids or "").split(",") if pk}
    return [topic for topic in browsable if topic.id in ids]


class ArticleQuerySet(models.QuerySet):
    def published(self, now=None):
        """What readers may see: published, and the publication time has come.

        The single definition for every reader page, feed, sitemap and search. A future
        `published_at` is a schedule: the article appears at that moment, with no job.
        `now` is the present unless given (a compiled query leaves it open: articles.compiled).
        """
        return self.filter(self._is_published(now))

    def with_live(self, now=None):
        """Annotate `live`: whether the article is among `published(now)`, as a column, for a
        query that reads hidden articles too and leaves them out as it goes."""
        return self.annotate(
            live=ExpressionWrapper(self._is_published(now), output_field=models.BooleanField())
        )

    @staticmethod
    def _is_published(now):
        return Q(status=Article.Status.PUBLISHED, published_at__lte=now or timezone.now())

    def with_last_modified(self):
        """Annotate `last_modified`: when readers last saw the article change.

        `updated_at`, except that an article scheduled in advance changes for readers when
        it appears: never before its publication time. The single definition for the
        article page, the feeds and the sitemap. (Coalesce: a draft has no publication
        time, and SQLite's GREATEST of a NULL is NULL.)
        """
        return self.annotate(last_modified=Greatest("updated_at", Coalesce("published_at", "updated_at")))

    def with_byline(self):
        return self.select_related("author", "reviewer").with_coauthors()

    def with_coauthors(self):
        """Annotate `coauthor_json`: the co-authors' ids, names, slugs and positions, read by
        `coauthor_rows()` (for `Article.byline_authors()` and the feeds).

        A correlated subquery in the article's own query rather than a prefetch: reader pages
        keep their number of queries (the article page its four). The rows come in any order
        (SQLite before 3.44 has no ORDER BY inside an aggregate); `byline_authors` sorts them.
        """
        rows = (
            ArticleCoauthor.objects.filter(article=OuterRef("pk"))
            .order_by()
            .values("article")
            .annotate(
                rows=StringAgg(
                    Cast(
                        JSONObject(
                            id="author_id", name="author__name", slug="author__slug", position="position"
                        ),
                        TextField(),
                    ),
                    Value(","),
                )
            )
            .values("rows")
        )
        return self.annotate(coauthor_json=Subquery(rows, output_field=TextField()))

    def by_author(self, author):
        """Articles `author` wrote: as the lead author or as a co-author."""
        coauthored = ArticleCoauthor.objects.filter(author=author).values("article_id")
        return self.filter(Q(author=author) | Q(pk__in=coauthored))

    def for_cards(self):
        """Articles as listing cards show them, in one query: byline, and the topics as
        `topic_ids` (listings take the topics from those readers can browse: see
        articles.listings.cards), without the columns no card shows (the Markdown and its
        rendered HTML: most of a row; the reviewer; the author's bio and photo)."""
        return (
            self.select_related("author")
            .defer(*LISTING_DEFERRED, *(f"author__{name}" for name in CARD_AUTHOR_DEFERRED))
            .with_coauthors()
            .with_topic_ids()
        )

    def for_listing(self):
        """Published articles as listings show them (`for_cards`)."""
        return self.published().for_cards()

    def with_topic_ids(self):
        """`topic_ids`: the ids of each article's topics, as "3,7,12" (one subquery, no join)."""
        ids = (
            Article.topics.through.objects.filter(article=OuterRef("pk"))
            .order_by()
            .values("article")
            .annotate(ids=StringAgg(Cast("topic_id", models.CharField()), Value(",")))
            .values("ids")
        )
        return self.annotate(topic_ids=Subquery(ids))

    def for_article_page(self, now=None):
        """Published articles as their own page shows them: everything, byline, and
        `last_modified` for the link previews and JSON-LD, in one query. The topics come as
        `topic_ids`: the page takes them from the topics readers can browse (a published
        article's topics are all among them), remembered per edition (`articles.listings`)."""
        return self.published(now).with_byline().with_last_modified().with_topic_ids()

    def in_review(self):
        return self.filter(status=Article.Status.IN_REVIEW)

    def scheduled(self):
        return self.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())

    # The newsroom's queues (articles/queues.py reads them): what waits for whom. An article
    # with a correction on its way waits where the correction waits.

    def _correction(self, *statuses, **filters):
        return Exists(Correction.objects.filter(article=OuterRef("pk"), status__in=statuses, **filters))

    def _byline_of(self, user):
        """The user writes under the article's byline: its lead author or a co-author."""
        return Q(author__user=user) | Exists(
            ArticleCoauthor.objects.filter(article=OuterRef("pk"), author__user=user)
        )

    def with_waiting_since(self):
        """Annotate `waiting_since`: when the article's last workflow step put it where it
        waits now (submitted, sent back, approved, ...); its last change if no step says."""
        last_step = (
            ArticleEvent.objects.filter(article=OuterRef("pk"), action__in=ArticleEvent.WAITING_STEPS)
            .order_by("-created_at", "-id")
            .values("created_at")[:1]
        )
        return self.annotate(waiting_since=Coalesce(Subquery(last_step), "updated_at"))

    def drafts_of(self, user):
        """The user's drafts, last changed first: their articles not yet submitted, and the
        corrections of live articles they started and have not submitted."""
        Status = Article.Status
        return self.filter(
            (Q(status=Status.DRAFT) & self._byline_of(user))
            | self._correction(CorrectionStatus.DRAFT, created_by=user)
        ).order_by("-updated_at", "-id")

    def sent_back_to(self, user):
        """What reviewers sent back to the user with changes requested, longest waiting first."""
        return (
            self.filter(
                (Q(status=Article.Status.CHANGES_REQUESTED) & self._byline_of(user))
                | self._correction(CorrectionStatus.CHANGES_REQUESTED, created_by=user)
            )
            .with_waiting_since()
            .order_by("waiting_since", "id")
        )

    def awaiting_review(self, user=None):
        """In review (the article or its correction), longest waiting first; with `user`,
        without what they wrote (their byline, articles they created, corrections they
        started or changed): nobody reviews their own words."""
        queryset = self.filter(
            Q(status=Article.Status.IN_REVIEW) | self._correction(CorrectionStatus.IN_REVIEW)
        )
        if user is not None:
            queryset = queryset.exclude(
                self._byline_of(user)
                | Q(created_by=user)
                | self._correction(*OPEN_CORRECTION_STATUSES, created_by=user)
                | self._correction(*OPEN_CORRECTION_STATUSES, changed_by=user)
            )
        return queryset.with_waiting_since().order_by("waiting_since", "id")

    def assigned_to(self, user):
        """In review and assigned to the user: soonest due first, then longest waiting."""
        return (
            self.awaiting_review()
            .filter(assigned_reviewer=user)
            .order_by(F("review_due").asc(nulls_last=True), "waiting_since", "id")
        )

    def ready_to_publish(self):
        """Approved, waiting for an editor to publish (the article or its correction),
        approved longest ago first."""
        return (
            self.filter(Q(status=Article.Status.APPROVED) | self._correction(CorrectionStatus.APPROVED))
            .with_waiting_since()
            .order_by("waiting_since", "id")
        )

    def scheduled_next(self):
        """Scheduled articles, the next to appear first."""
        return self.scheduled().order_by("published_at", "id")

    def overdue(self):
        """Not yet approved and past its review due date (`review_due` before today), the
        longest overdue first."""
        not_approved = (Article.Status.IN_REVIEW, Article.Status.CHANGES_REQUESTED)
        return (
            self.filter(
                Q(status__in=not_approved)
                | self._correction(CorrectionStatus.IN_REVIEW, CorrectionStatus.CHANGES_REQUESTED),
                review_due__lt=timezone.localdate(),
            )
            .with_waiting_since()
            .order_by("review_due", "waiting_since", "id")
        )


# Article columns that listings leave out (a card shows none of them: see
# articles.templatetags.cards), and the author's: a card names the author and links to their
# page, nothing more.
LISTING_DEFERRED = (
    "body",
    "take",
    "body_html",
    "toc_html",
    "take_html",
    "cover_caption",
    "cover_credit",
    "cover_licence",
)
CARD_AUTHOR_DEFERRED = ("bio", "photo", "photo_width", "photo_height", "photo_renditions", "user")
# What the article page shows of the articles around it: "Read more" cards (compact: title,
# standfirst, date; the cover's columns because the card asks whether there is one, and an
# ImageField with dimension fields reads them when it is loaded), "Linked from", previous/next.
AROUND_FIELDS = ("title", "slug", "standfirst", "published_at", "cover", "cover_width", "cover_height")


@dataclass
class Surroundings:
    """What the article page shows around an article (`Article.surroundings()`)."""

    read_more: list
    linked_from: list
    linked_from_more: int  # published articles linking here beyond `linked_from`
    previous: "Article | None"
    next: "Article | None"


def _surroundings_sql(article, candidate_ids):
    """The SQL of `Article.surroundings()` and its parameters.

    Written as SQL, not composed with the ORM: building and compiling its seven parts took
    the ORM about 15 ms a page, three times what the database needs to run them. Plain SQL
    that PostgreSQL and SQLite both take (placeholders are converted for SQLite). Each part
    is a subquery with its own LIMIT under `id IN (...)`, because SQLite takes no LIMIT in a
    branch of a UNION; and a UNION ALL of the parts rather than one WHERE with an OR of them,
    which PostgreSQL answers by testing every article of the site against each part.
    """
    ops = connection.ops
    article_table = Article._meta.db_table
    published = "x.status = %s AND x.published_at <= %s"  # as ArticleQuerySet.published()
    published_params = [Article.Status.PUBLISHED, ops.adapt_datetimefield_value(timezone.now())]

    def ends(table, here, there, limit):
        # An article's few related or linking articles, driven by its rows in the many-to-many
        # table and each looked up by primary key: a join would leave SQLite free to walk every
        # published article newest first instead, looking each up among the rows.
        sql = (
            f"SELECT m.{there} FROM {table} m WHERE m.{here} = %s"
            f" AND EXISTS (SELECT 1 FROM {article_table} x WHERE x.id = m.{there} AND {published})"
            f" ORDER BY (SELECT x.published_at FROM {article_table} x WHERE x.id = m.{there}) DESC,"
            f" m.{there} DESC LIMIT {int(limit)}"
        )
        return sql, [article.pk, *published_params]

    links_table = Article.outbound_links.through._meta.db_table
    picks_sql, picks_params = ends(
        Article.related.through._meta.db_table, "from_article_id", "to_article_id", READ_MORE
    )
    parts = {
        "pick": (picks_sql, picks_params),
        "linked": ends(links_table, "to_article_id", "from_article_id", LINKED_FROM_SHOWN),
    }
    if candidate_ids:
        # "Read more"'s best candidates, ranked in Python (`Article.surroundings`): still
        # published, each looked up by its key.
        candidates = (
            f"SELECT x.id FROM {article_table} x"
            f" WHERE x.id IN ({', '.join(['%s'] * len(candidate_ids))}) AND {published}"
        )
        parts["candidate"] = (candidates, [*candidate_ids, *published_params])
    if article.published_at is not None:
        at = ops.adapt_datetimefield_value(article.published_at)
        # This article's date before "until now": SQLite bounds an index range by the first of
        # two upper bounds on a column, and would otherwise walk from today back.
        previous = (
            f"SELECT x.id FROM {article_table} x WHERE x.published_at < %s AND {published}"
            " ORDER BY x.published_at DESC, x.id DESC LIMIT 1"
        )
        following = (
            f"SELECT x.id FROM {article_table} x WHERE {published} AND x.published_at > %s"
            " ORDER BY x.published_at, x.id LIMIT 1"
        )
        parts["previous"] = (previous, [at, *published_params])
        parts["next"] = (following, [*published_params, at])

    linked_total = (
        f"(SELECT COUNT(*) FROM {links_table} m WHERE m.to_article_id = %s"
        f" AND EXISTS (SELECT 1 FROM {article_table} x WHERE x.id = m.from_article_id AND {published}))"
    )
    columns = ", ".join(f"a.{name}" for name in _around_names())
    branches, params = [], []
    for name, (part_sql, part_params) in parts.items():
        total = linked_total if name == "linked" else "0"
        branches.append(
            f"SELECT {columns}, '{name}' AS part, {total} AS linked_total"
            f" FROM {article_table} a WHERE a.id IN ({part_sql})"
        )
        params += [
            *([article.pk, *published_params] if name == "linked" else []),
            *part_params,
        ]
    return " UNION ALL ".join(branches), params


_AROUND_CONVERTERS = {}


@functools.cache
def _around_names():
    """The columns of `_surroundings_sql`'s articles ("id" and AROUND_FIELDS), in the model's
    field order: `Article.from_db` takes a subset of the fields in that order."""
    return tuple(
        field.attname for field in Article._meta.concrete_fields if field.attname in {"id", *AROUND_FIELDS}
    )


def _around_articles(sql, params):
    """The rows of `_surroundings_sql` as articles (the AROUND_FIELDS loaded, the rest
    deferred), each with its `part` and `linked_total`.

    What `Article.objects.raw()` gives, without working out again for every page how its
    columns map to the model's fields and how each is read back (dates on SQLite).
    """
    names = _around_names()
    converters = _AROUND_CONVERTERS.get(connection.vendor)
    if converters is None:
        converters = _AROUND_CONVERTERS[connection.vendor] = column_converters(Article, names, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    articles = []
    for row in found:
        values = convert_row(list(row[: len(names)]), converters, connection)
        article = Article.from_db(connection.alias, names, values)
        article.part, article.linked_total = row[len(names) :]
        articles.append(article)
    return articles


def _status_is_one_of(choices, *, name):
    """The database's check that a `status` column holds one of `choices` (a TextChoices)."""
    return models.CheckConstraint(condition=Q(status__in=choices.values), name=name)


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
    body = MarkdownxField(
        help_text=(
            "Markdown. Drag an image into the editor to upload it. An image alone on its line is shown "
            "as a photo with a caption: put the caption in quotes after the address and end it with the "
            'credit, e.g. ![Alt text](/media/uploads/x.jpg "The new Renault 5 at Le Mans — Photo: Renault '
            'Group"). A YouTube or Vimeo address alone on a line becomes a video that plays on a click; '
            "any other address alone on a line becomes a link."
        )
    )
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
    cover_caption = models.CharField(
        max_length=300,
        blank=True,
        help_text="Shown under the cover: what the picture shows, in a sentence.",
    )
    cover_credit = models.CharField(
        max_length=200,
        blank=True,
        help_text="Who took or supplied the photo, shown as “Photo: …”, e.g. Renault Group or Jane Doe/Reuters.",
    )
    cover_licence = models.URLField(
        max_length=300,
        blank=True,
        help_text="Optional: a link to the licence the photo is used under, e.g. a Creative Commons licence.",
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
    # The approval is pinned to the words approved: `workflow.content_hash` of CONTENT_FIELDS
    # when the reviewer approved them (or when an approved correction was published). Empty
    # while nothing is approved. Publishing refuses words whose hash differs.
    approved_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    published_at = models.DateTimeField("publication date", null=True, blank=True, db_index=True)
    # When a correction was last published onto the live article: readers see "Updated <date>".
    corrected_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who created the article (it owns its words: see `workflow.word_owners`).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking: every content edit increments it; a form carrying an older
    # number is refused instead of overwriting somebody else's edit.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Who should review it, and by when: set by editors on the desk (articles.assignments),
    # read by the queues. Not part of the revisions: they are not the article's words.
    assigned_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_assignments",
        editable=False,
    )
    review_due = models.DateField("review due by", null=True, blank=True, editable=False)

    # Authors after the lead `author`, in order (ArticleCoauthor.position): "Written by A and B".
    coauthors = models.ManyToManyField(
        Author, through="ArticleCoauthor", blank=True, related_name="coauthored_articles"
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="articles")
    related = models.ManyToManyField("self", blank=True, symmetrical=True, verbose_name="related articles")
    # Articles this one links to in its body or take, found on save: the other side's
    # "Linked from" list.
    outbound_links = models.ManyToManyField(
        "self", blank=True, symmetrical=False, editable=False, related_name="linked_from"
    )

    objects = ArticleQuerySet.as_manager()
    url_name = "articles:article-detail"  # the URL pattern of its page
    # A revision of every save: who, when, every content field.
    history = HistoricalRecords(
        excluded_fields=[
            "body_html",
            "take_html",
            "toc_html",
            "word_count",
            "cover_renditions",
            "assigned_reviewer",
            "review_due",
        ],
        m2m_fields=[topics],
    )

    # What a reviewer approves: changing one of these after approval sends it back to review.
    CONTENT_FIELDS = ("title", "standfirst", "body", "take")
    # What a revision brings back on restore and what comparing two revisions shows: the
    # content, plus the address, the cover and the topics (which need no new review).
    REVISION_FIELDS = (
        *CONTENT_FIELDS,
        "slug",
        "cover",
        "cover_alt",
        "cover_caption",
        "cover_credit",
        "cover_licence",
        "topics",
    )

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
            # Newest-first listings of published articles, walked backwards: a page's ids come
            # from the index alone, previous/next is one step, counts and months read no row.
            models.Index(fields=["status", "published_at", "id"], name="article_status_pub_id_idx"),
            # The same for one author's articles.
            models.Index(fields=["author", "status", "published_at", "id"], name="article_author_pub_idx"),
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
            _status_is_one_of(ArticleStatus, name="article_status_valid"),
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
        return slug_url(self.url_name, self.slug)

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

    def byline_authors(self):
        """Everyone who wrote the article, in byline order: the lead author, then the co-authors.

        From the `coauthor_json` annotation where the article was loaded with it (reader
        querysets: `with_byline()`, `for_cards()`), else with one query.
        """
        try:
            raw = self.coauthor_json
        except AttributeError:
            coauthors = list(
                Author.objects.filter(coauthored_links__article=self).order_by(
                    "coauthored_links__position", "coauthored_links__id"
                )
            )
        else:
            # A card asks twice (whether to show the byline, then the byline): parsed once.
            parsed = self.__dict__.get("_coauthors_parsed")
            if parsed is not None and parsed[0] is raw:
                coauthors = parsed[1]
            else:
                coauthors = [
                    Author(id=row["id"], name=row["name"], slug=row["slug"]) for row in coauthor_rows(raw)
                ]
                self._coauthors_parsed = (raw, coauthors)
        return [self.author, *coauthors]

    def byline_user_ids(self):
        """The user ids of the article's authors that have an account (for the two-person rule)."""
        ids = {self.author.user_id} | set(
            ArticleCoauthor.objects.filter(article=self).values_list("author__user_id", flat=True)
        )
        return ids - {None}

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

    def take_topics(self, browsable):
        """Set this article's `topic_list` from its `topic_ids` (`with_topic_ids`) and
        `browsable`, a list by name that holds them all: no query."""
        self.topic_list = topics_among(self.topic_ids, browsable)

    @cached_property
    def topic_list(self):
        """The article's topics by name, as a list: what its page and its link previews show.

        Set by `take_topics`, else from a prefetch where there was one, else one query; asked
        for several times a page, with one related manager (`article.topics` makes a new one,
        and a queryset, on every call).
        """
        return list(self.topics.all())

    def surroundings(self):
        """ "Read more", "Linked from" and previous/next of this article, in one query.

        - `read_more`: the editors' related articles (the newest `READ_MORE`), then articles
          sharing the most topics with this one, newest first among equals. The candidates
          are the newest `READ_MORE_CANDIDATES` published articles of each of this article's
          topics (`articles.listings.read_more_candidates`, remembered per edition): bounded
          work at any size.
          Where a topic has no more articles than that (every small site), the candidates
          are all articles sharing a topic and the result is exactly "most shared topics over
          all articles"; on a large site, an older article sharing more topics loses to the
          newer ones of its topics.
        - `linked_from`: the newest `LINKED_FROM_SHOWN` published articles linking here, and
          `linked_from_more`, how many more there are.
        - `previous` / `next`: the published article just before / after in publication order
          (strictly earlier / later; among equal dates the higher id is the nearer).

        The candidates are ranked here; each other part is a bounded subquery (its own LIMIT,
        through an index). One UNION ALL of them fetches the articles, each row tagged with
        its part (`_surroundings_sql`). Only published articles; a draft (in a preview) has
        no previous or next.
        """
        from .listings import read_more_candidates  # listings builds on the models

        mine = {topic.pk for topic in self.topic_list}
        newest = read_more_candidates()
        ranks = {}
        for topic_id in mine:
            for pk, published_at, topics in newest.get(topic_id, ()):
                if pk != self.pk:
                    ranks[pk] = (len(mine & topics), published_at, pk)
        # The best candidates, enough for "Read more" once the picks (at most READ_MORE)
        # are left out of them.
        candidate_ids = sorted(ranks, key=ranks.__getitem__, reverse=True)[: 2 * READ_MORE]
        sql, params = _surroundings_sql(self, candidate_ids)
        rows = sorted(_around_articles(sql, params), key=lambda row: (row.published_at, row.pk), reverse=True)
        by_part = {}
        for row in rows:  # newest first in each part
            by_part.setdefault(row.part, []).append(row)

        read_more = by_part.get("pick", [])[:READ_MORE]
        if len(read_more) < READ_MORE:
            # Fewer picks than READ_MORE: every published related article is among them.
            picks = {row.pk for row in read_more}
            ranked = sorted(
                (row for row in by_part.get("candidate", []) if row.pk not in picks),
                key=lambda row: ranks[row.pk],
                reverse=True,
            )
            read_more += ranked[: READ_MORE - len(read_more)]
        linked_from = by_part.get("linked", [])
        return Surroundings(
            read_more=read_more,
            linked_from=linked_from,
            linked_from_more=(linked_from[0].linked_total - len(linked_from)) if linked_from else 0,
            previous=next(iter(by_part.get("previous", [])), None),
            next=next(iter(by_part.get("next", [])), None),
        )

    def corrections_log(self):
        """The public corrections log: the published corrections with a note, newest first.

        No query for an article never corrected (`corrected_at` is set when one is published).
        """
        if self.corrected_at is None:
            return []
        return list(self.corrections.published().exclude(note=""))

    def read_more(self):
        """The "Read more" articles (see `surroundings`)."""
        return self.surroundings().read_more

    @cached_property
    def first_topic(self):
        """The article's first topic by name (a card's kicker), or None.

        From `topic_list` (the topics taken or prefetched with the article, else one query).
        Listings set it from `topic_ids` (articles.listings.cards): no query, no manager.
        """
        topics = self.topic_list
        return topics[0] if topics else None

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


class CorrectionStatus(models.TextChoices):
    # Only `articles.workflow` moves a correction between these.
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    DISCARDED = "discarded", "Discarded"


# A correction still on its way to readers; an article has at most one.
OPEN_CORRECTION_STATUSES = (
    CorrectionStatus.DRAFT,
    CorrectionStatus.IN_REVIEW,
    CorrectionStatus.CHANGES_REQUESTED,
    CorrectionStatus.APPROVED,
)


class CorrectionQuerySet(models.QuerySet):
    def open(self):
        """Corrections on their way: not yet published, not discarded."""
        return self.filter(status__in=OPEN_CORRECTION_STATUSES)

    def published(self):
        """The public corrections log: published corrections, newest first."""
        return self.filter(status=CorrectionStatus.PUBLISHED).order_by("-published_at", "-id")


class Correction(models.Model):
    """New words for a live article, on their way through review (`articles.workflow`).

    Readers keep seeing the Article's own fields (the approved words) until an editor
    publishes an approved correction: then its content is copied onto the article, byte for
    byte what the reviewer approved (`approved_hash`, checked again on publishing), and it
    stays as an entry of the article's public corrections log, with its `note`.
    """

    Status = CorrectionStatus

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    # A copy of Article.CONTENT_FIELDS: the words proposed.
    title = models.CharField(max_length=200)
    standfirst = models.CharField(max_length=400)
    body = models.TextField()
    take = models.TextField(blank=True)
    note = models.TextField(
        "correction note",
        blank=True,
        help_text="Optional, public: shown to readers in the article's corrections log.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    # Everyone who changed these words: none of them may approve them (workflow.word_owners).
    changed_by = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", editable=False
    )
    reviewer = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.PROTECT, related_name="reviewed_corrections"
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    # content_hash of the words copied onto the article: always the approved one.
    published_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking, as Article.version.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = CorrectionQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["article"],
                condition=Q(status__in=OPEN_CORRECTION_STATUSES),
                name="correction_one_open_per_article",
                violation_error_message="This article already has a correction on its way.",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[CorrectionStatus.APPROVED, CorrectionStatus.PUBLISHED])
                | (Q(reviewer__isnull=False) & ~Q(approved_hash="")),
                name="correction_approved_has_reviewer_and_hash",
                violation_error_message="An approved correction needs its reviewer and the approved words' hash.",
            ),
            models.CheckConstraint(
                condition=~Q(status=CorrectionStatus.PUBLISHED)
                | (Q(published_at__isnull=False) & Q(published_hash=F("approved_hash"))),
                name="correction_published_as_approved",
                violation_error_message="A correction is published exactly as approved.",
            ),
            _status_is_one_of(CorrectionStatus, name="correction_status_valid"),
        ]

    def __str__(self):
        return f"Correction of “{self.article}” ({self.get_status_display().lower()})"

    def content(self):
        """The proposed words: {field: value} for Article.CONTENT_FIELDS."""
        return {name: getattr(self, name) for name in Article.CONTENT_FIELDS}

    @property
    def is_open(self):
        return self.status in OPEN_CORRECTION_STATUSES


class ArticleCoauthor(models.Model):
    """A further author of an article, after its lead author (`Article.author`), in order."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="coauthor_links")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="coauthored_links")
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order in the byline, after the lead author."
    )

    class Meta:
        verbose_name = "co-author"
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="article_coauthor_once"),
        ]

    def __str__(self):
        return f"{self.author} on “{self.article}”"


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
        CORRECTION_STARTED = "correction_started", "Correction started"
        CORRECTION_SUBMITTED = "correction_submitted", "Correction submitted for review"
        CORRECTION_APPROVED = "correction_approved", "Correction approved"
        CORRECTION_CHANGES_REQUESTED = "correction_changes_requested", "Changes requested to the correction"
        CORRECTION_PUBLISHED = "correction_published", "Correction published"
        CORRECTION_DISCARDED = "correction_discarded", "Correction discarded"
        RESTORED = "restored", "Revision restored"
        REVIEW_ASSIGNED = "review_assigned", "Reviewer assigned"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=30, choices=Action.choices)
    from_status = models.CharField(max_length=20, choices=Article.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Article.Status.choices, blank=True)
    comment = models.TextField(blank=True)
    # The correction the event is about, for the correction steps.
    correction = models.ForeignKey(
        "Correction", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    # The steps after which an article waits somewhere new (a queue): the last of them says
    # since when it waits (ArticleQuerySet.with_waiting_since). Not edits, not assignments.
    WAITING_STEPS = (
        Action.CREATED,
        Action.SUBMITTED,
        Action.APPROVED,
        Action.CHANGES_REQUESTED,
        Action.APPROVAL_VOIDED,
        Action.UNPUBLISHED,
        Action.CORRECTION_STARTED,
        Action.CORRECTION_SUBMITTED,
        Action.CORRECTION_APPROVED,
        Action.CORRECTION_CHANGES_REQUESTED,
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()}: {self.article}"

    @property
    def actor_name(self):
        """Who made the step, as the newsroom knows them: their byline, else their name."""
        if self.user is None:
            return ""
        profile = getattr(self.user, "author_profile", None)
        return profile.name if profile else self.user.get_full_name() or self.user.get_username()

    @property
    def change_of_state(self):
        """ "In review → Changes requested", or "" when the step left the state as it was."""
        if self.from_status == self.to_status or not (self.from_status or self.to_status):
            return ""
        return f"{self.get_from_status_display() or '—'} → {self.get_to_status_display() or '—'}"


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


class BodyImage(models.Model):
    """An image uploaded into an article's body (the editor's drag and drop), with its renditions.

    The upload stores the file and this row together (articles.forms.MarkdownImageUploadForm);
    the renditions are made once, on that save (articles.signals), as for covers. The renderer
    (articles.rendering) finds the row by the file's name to write `srcset`, `sizes`, `width`
    and `height`. `manage.py make_renditions` registers the images that bodies name from
    before this model existed.
    """

    image = models.ImageField(
        upload_to="uploads/",
        max_length=255,
        unique=True,
        width_field="image_width",
        height_field="image_height",
    )
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Smaller copies made once on upload (articles.images): {"webp": {"480": "path"}, ...}
    image_renditions = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.image.name

    @classmethod
    def register(cls, name):
        """The row for the stored file `name`, made (with its size read from the file) if new."""
        existing = cls.objects.filter(image=name).first()
        if existing is not None:
            return existing
        body_image = cls(image=name)
        body_image._meta.get_field("image").update_dimension_fields(body_image, force=True)
        body_image.save()
        return body_image


class ReviewCommentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)

    def resolved(self):
        return self.filter(resolved_at__isnull=False)


class ReviewComment(models.Model):
    """A reviewer's comment on a passage of an article, quoted with a little context around it.

    The review screen (articles/review.py) finds the passage again in the current text
    (articles/passages.py), so a comment follows its passage through edits that keep it. The
    article's author marks it resolved.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="review_comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    quote = models.TextField("passage", max_length=1000)
    # The text just before and after the passage when it was quoted: which occurrence it was.
    prefix = models.CharField(max_length=100, blank=True)
    suffix = models.CharField(max_length=100, blank=True)
    body = models.TextField("comment", max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewCommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["article", "resolved_at"], name="reviewcomment_article_open_idx")]

    def __str__(self):
        return f"On “{self.quote[:40]}”: {self.body[:60]}"

    @property
    def is_resolved(self):
        return self.resolved_at is not None
