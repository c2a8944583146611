"""The articles app as released up to 0009_reader_indexes, in one migration.

Made by `squashmigrations articles 0009` and finished by hand: the code of the data and SQL
migrations (0003 newsroom groups, 0005 and 0008 search, 0009's index on the topics table)
is copied in, and those operations run after the models, so the optimizer could fold every
later field and index into its CreateModel. A database at 0009 counts this one as applied
(`replaces`); one that is part-way through 0001-0009 must first be migrated to 0009 with
the previous release (see README, "Upgrading").
"""

import django.db.models.deletion
import django.utils.timezone
import markdownx.models
import simple_history.models
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

# The one place that gives each role its permissions (articles/roles.py holds only the
# names). Frozen as written: a later change belongs in a new migration, and
# tests/test_roles.py says what each role can do.
GROUP_PERMISSIONS = {
    "Authors": [
        "articles.add_article",
        "articles.change_article",
        "articles.view_article",
        "articles.submit_article",
        "articles.view_author",
        "articles.view_topic",
        "articles.view_historicalarticle",
    ],
    "Reviewers": [
        "articles.view_article",
        "articles.review_article",
        "articles.view_author",
        "articles.view_topic",
        "articles.view_historicalarticle",
    ],
    "Editors": [
        "articles.add_article",
        "articles.change_article",
        "articles.delete_article",
        "articles.view_article",
        "articles.submit_article",
        "articles.review_article",
        "articles.publish_article",
        "articles.edit_any_article",
        "articles.add_author",
        "articles.change_author",
        "articles.view_author",
        "articles.add_topic",
        "articles.change_topic",
        "articles.delete_topic",
        "articles.view_topic",
        "articles.view_historicalarticle",
    ],
}


def create_newsroom_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, permission_names in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.set(
            Permission.objects.get(content_type__app_label=name.split(".")[0], codename=name.split(".")[1])
            for name in permission_names
        )


# Full-text search: a stored, weighted search vector on PostgreSQL, FTS5 on SQLite.
#
# Neither is declared on the Article model, so these statements change no model state and
# `makemigrations` stays quiet. A GeneratedField(SearchVector) would be the declarative way,
# but SQLite can neither create nor query it, and every SELECT would carry the column.
# `articles.search.postgresql` and `articles.search.sqlite` query them by name.
#
# PostgreSQL: `search_vector` is a generated column, so the database keeps it current on every
# write, whoever writes. PostgreSQL refuses to change the type of a column that a generated
# column reads ("cannot alter type of a column used by a generated column"): a later AlterField
# on title, standfirst, body or take (a new max_length, say) must drop `search_vector` first
# and add it back afterwards with the SQL below.
#
# Its storage is MAIN (kept in the article's row; 0008_search_scale): a search tests and ranks
# the newest candidates' vectors, and with the default EXTENDED the toaster moves most vectors
# out of the row (which also holds the body and its HTML), so each test reads them back from
# TOAST: 11,300 buffers and 15 to 55 ms to rank 1,000 "battery" candidates among 100,000
# articles, against 1,300 buffers and 3 ms in the row. A storage setting applies to rows as
# they are written: a later rebuild sets it in the same ALTER TABLE that adds the column.
#
# SQLite: an FTS5 table with its own copy of the text (not an external-content table, which
# corrupts itself if it ever gets out of step), kept current by triggers. Django's SQLite
# backend rebuilds a table to alter it, which drops its triggers; `articles.search.sqlite`
# notices and puts them back. Keep that module's copy of this SQL in step. Search needs FTS5
# (every SQLite build we use has it: see `articles.search`); without it this migration stops
# with "no such module: fts5".
SEARCH_VECTOR = """
    setweight(to_tsvector('english', coalesce(title, '')), 'A')
    || setweight(to_tsvector('english', coalesce(standfirst, '')), 'B')
    || setweight(to_tsvector('english', coalesce(body, '')), 'C')
    || setweight(to_tsvector('english', coalesce(take, '')), 'C')
"""
POSTGRESQL_FORWARDS = [
    f"""
    ALTER TABLE articles_article
        ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({SEARCH_VECTOR}) STORED,
        ALTER COLUMN search_vector SET STORAGE MAIN
    """,
    "CREATE INDEX article_search_vector_idx ON articles_article USING gin (search_vector)",
]
POSTGRESQL_BACKWARDS = [
    "DROP INDEX IF EXISTS article_search_vector_idx",
    "ALTER TABLE articles_article DROP COLUMN IF EXISTS search_vector",
]

FTS_COLUMNS = "title, standfirst, body, take"
SQLITE_FORWARDS = [
    f"CREATE VIRTUAL TABLE articles_article_fts USING fts5({FTS_COLUMNS}, tokenize='porter unicode61')",
    f"""
    CREATE TRIGGER articles_article_fts_insert AFTER INSERT ON articles_article BEGIN
        INSERT INTO articles_article_fts(rowid, {FTS_COLUMNS})
        VALUES (new.id, new.title, new.standfirst, new.body, new.take);
    END
    """,
    f"""
    CREATE TRIGGER articles_article_fts_update AFTER UPDATE OF id, {FTS_COLUMNS} ON articles_article BEGIN
        DELETE FROM articles_article_fts WHERE rowid = old.id;
        INSERT INTO articles_article_fts(rowid, {FTS_COLUMNS})
        VALUES (new.id, new.title, new.standfirst, new.body, new.take);
    END
    """,
    """
    CREATE TRIGGER articles_article_fts_delete AFTER DELETE ON articles_article BEGIN
        DELETE FROM articles_article_fts WHERE rowid = old.id;
    END
    """,
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS articles_article_fts_insert",
    "DROP TRIGGER IF EXISTS articles_article_fts_update",
    "DROP TRIGGER IF EXISTS articles_article_fts_delete",
    "DROP TABLE IF EXISTS articles_article_fts",
]


def create_search(apps, schema_editor):
    statements = {"postgresql": POSTGRESQL_FORWARDS, "sqlite": SQLITE_FORWARDS}
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def drop_search(apps, schema_editor):
    statements = {"postgresql": POSTGRESQL_BACKWARDS, "sqlite": SQLITE_BACKWARDS}
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


# "Has this topic any published article" (the navigation on every page) walks a topic's entries
# in order and stops at the first published one; Django's own index on topic_id alone makes
# PostgreSQL collect every entry of the topic first (20 ms at 100,000 articles instead of
# 0.6 ms). The table is Django's automatic many-to-many table, so the index is plain SQL.
TOPIC_ARTICLE_INDEX = "article_topics_topic_article_idx"


class Migration(migrations.Migration):
    replaces = [
        ("articles", "0001_initial"),
        ("articles", "0002_workflow_history"),
        ("articles", "0003_newsroom_groups"),
        ("articles", "0004_discovery_fields"),
        ("articles", "0005_search"),
        ("articles", "0006_topics_history"),
        ("articles", "0007_page_edition"),
        ("articles", "0008_search_scale"),
        ("articles", "0009_reader_indexes"),
    ]

    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Topic",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=80, unique=True)),
                ("slug", models.SlugField(max_length=100, unique=True)),
                ("description", models.TextField(blank=True)),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="Author",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=120)),
                ("slug", models.SlugField(max_length=140, unique=True)),
                ("bio", models.TextField(blank=True, max_length=600, verbose_name="short bio")),
                (
                    "photo",
                    models.ImageField(
                        blank=True,
                        height_field="photo_height",
                        upload_to="authors/",
                        width_field="photo_width",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="author_profile",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("photo_height", models.PositiveIntegerField(blank=True, editable=False, null=True)),
                ("photo_renditions", models.JSONField(blank=True, default=dict, editable=False)),
                ("photo_width", models.PositiveIntegerField(blank=True, editable=False, null=True)),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="Article",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(max_length=200)),
                ("slug", models.SlugField(max_length=220, unique=True)),
                (
                    "standfirst",
                    models.CharField(
                        help_text="The short summary shown under the title and in listings.", max_length=400
                    ),
                ),
                (
                    "body",
                    markdownx.models.MarkdownxField(
                        help_text="Markdown. Drag an image into the editor to upload it."
                    ),
                ),
                (
                    "take",
                    markdownx.models.MarkdownxField(
                        blank=True,
                        help_text="Optional Markdown: the editorial view shown under the site's “take” heading.",
                    ),
                ),
                ("body_html", models.TextField(default="", editable=False)),
                ("take_html", models.TextField(default="", editable=False)),
                ("word_count", models.PositiveIntegerField(default=0, editable=False)),
                (
                    "cover",
                    models.ImageField(
                        blank=True,
                        height_field="cover_height",
                        upload_to="covers/%Y/%m/",
                        width_field="cover_width",
                    ),
                ),
                (
                    "cover_alt",
                    models.CharField(
                        blank=True,
                        help_text="Describe the cover image for readers who cannot see it. Required with a cover.",
                        max_length=250,
                        verbose_name="cover alt text",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("in_review", "In review"),
                            ("changes_requested", "Changes requested"),
                            ("approved", "Approved"),
                            ("published", "Published"),
                            ("archived", "Archived"),
                        ],
                        default="draft",
                        editable=False,
                        max_length=20,
                    ),
                ),
                (
                    "published_at",
                    models.DateTimeField(
                        blank=True, db_index=True, null=True, verbose_name="publication date"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "related",
                    models.ManyToManyField(
                        blank=True, to="articles.article", verbose_name="related articles"
                    ),
                ),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="articles",
                        to="articles.author",
                    ),
                ),
                (
                    "reviewer",
                    models.ForeignKey(
                        blank=True,
                        help_text="Who approved the article. Set by the review workflow.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reviewed_articles",
                        to="articles.author",
                    ),
                ),
                ("topics", models.ManyToManyField(blank=True, related_name="articles", to="articles.topic")),
                ("approved_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("version", models.PositiveIntegerField(default=1, editable=False)),
                ("cover_height", models.PositiveIntegerField(blank=True, editable=False, null=True)),
                ("cover_renditions", models.JSONField(blank=True, default=dict, editable=False)),
                ("cover_width", models.PositiveIntegerField(blank=True, editable=False, null=True)),
                (
                    "outbound_links",
                    models.ManyToManyField(
                        blank=True, editable=False, related_name="linked_from", to="articles.article"
                    ),
                ),
                ("toc_html", models.TextField(default="", editable=False, verbose_name="table of contents")),
            ],
            options={
                "ordering": ["-published_at", "-id"],
                "get_latest_by": "published_at",
                "indexes": [
                    models.Index(fields=["status", "published_at", "id"], name="article_status_pub_id_idx"),
                    models.Index(
                        fields=["author", "status", "published_at", "id"], name="article_author_pub_idx"
                    ),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "published"), _negated=True),
                            ("published_at__isnull", False),
                            _connector="OR",
                        ),
                        name="article_published_has_date",
                        violation_error_message="A published article needs a publication date.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("cover", ""), models.Q(("cover_alt", ""), _negated=True), _connector="OR"
                        ),
                        name="article_cover_has_alt",
                        violation_error_message="A cover image needs alt text.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("reviewer__isnull", True),
                            models.Q(("reviewer", models.F("author")), _negated=True),
                            _connector="OR",
                        ),
                        name="article_reviewer_not_author",
                        violation_error_message="The reviewer cannot be the article's author.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            (
                                "status__in",
                                [
                                    "draft",
                                    "in_review",
                                    "changes_requested",
                                    "approved",
                                    "published",
                                    "archived",
                                ],
                            )
                        ),
                        name="article_status_valid",
                    ),
                ],
                "permissions": [
                    ("submit_article", "Can submit own articles for review"),
                    ("review_article", "Can approve or send back articles of others"),
                    ("publish_article", "Can publish, schedule, unpublish and archive articles"),
                    ("edit_any_article", "Can edit any article in any state"),
                ],
            },
        ),
        migrations.CreateModel(
            name="ArticleEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("created", "Created"),
                            ("submitted", "Submitted for review"),
                            ("approved", "Approved"),
                            ("changes_requested", "Changes requested"),
                            ("approval_voided", "Edited after approval: back to review"),
                            ("published", "Published"),
                            ("scheduled", "Scheduled"),
                            ("unpublished", "Unpublished"),
                            ("archived", "Archived"),
                            ("corrected", "Corrected while published"),
                            ("restored", "Revision restored"),
                        ],
                        max_length=30,
                    ),
                ),
                (
                    "from_status",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("draft", "Draft"),
                            ("in_review", "In review"),
                            ("changes_requested", "Changes requested"),
                            ("approved", "Approved"),
                            ("published", "Published"),
                            ("archived", "Archived"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "to_status",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("draft", "Draft"),
                            ("in_review", "In review"),
                            ("changes_requested", "Changes requested"),
                            ("approved", "Approved"),
                            ("published", "Published"),
                            ("archived", "Archived"),
                        ],
                        max_length=20,
                    ),
                ),
                ("comment", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                (
                    "article",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="articles.article",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="SlugRedirect",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("old_slug", models.SlugField(max_length=220, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "article",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="slug_redirects",
                        to="articles.article",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="HistoricalArticle",
            fields=[
                (
                    "id",
                    models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID"),
                ),
                ("title", models.CharField(max_length=200)),
                ("slug", models.SlugField(max_length=220)),
                (
                    "standfirst",
                    models.CharField(
                        help_text="The short summary shown under the title and in listings.", max_length=400
                    ),
                ),
                (
                    "body",
                    markdownx.models.MarkdownxField(
                        help_text="Markdown. Drag an image into the editor to upload it."
                    ),
                ),
                (
                    "take",
                    markdownx.models.MarkdownxField(
                        blank=True,
                        help_text="Optional Markdown: the editorial view shown under the site's “take” heading.",
                    ),
                ),
                ("cover", models.TextField(blank=True, max_length=100)),
                (
                    "cover_alt",
                    models.CharField(
                        blank=True,
                        help_text="Describe the cover image for readers who cannot see it. Required with a cover.",
                        max_length=250,
                        verbose_name="cover alt text",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("in_review", "In review"),
                            ("changes_requested", "Changes requested"),
                            ("approved", "Approved"),
                            ("published", "Published"),
                            ("archived", "Archived"),
                        ],
                        default="draft",
                        editable=False,
                        max_length=20,
                    ),
                ),
                ("approved_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "published_at",
                    models.DateTimeField(
                        blank=True, db_index=True, null=True, verbose_name="publication date"
                    ),
                ),
                ("created_at", models.DateTimeField(blank=True, editable=False)),
                ("updated_at", models.DateTimeField(blank=True, editable=False)),
                ("version", models.PositiveIntegerField(default=1, editable=False)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "author",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="articles.author",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "reviewer",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        help_text="Who approved the article. Set by the review workflow.",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="articles.author",
                    ),
                ),
                ("cover_height", models.PositiveIntegerField(blank=True, editable=False, null=True)),
                ("cover_width", models.PositiveIntegerField(blank=True, editable=False, null=True)),
            ],
            options={
                "verbose_name": "historical article",
                "verbose_name_plural": "historical articles",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalArticle_topics",
            fields=[
                (
                    "id",
                    models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID"),
                ),
                ("m2m_history_id", models.AutoField(primary_key=True, serialize=False)),
                (
                    "article",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_tablespace="",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="articles.article",
                    ),
                ),
                (
                    "history",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        to="articles.historicalarticle",
                    ),
                ),
                (
                    "topic",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_tablespace="",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="articles.topic",
                    ),
                ),
            ],
            options={
                "verbose_name": "HistoricalArticle_topics",
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="PageEdition",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=32)),
                ("changed_at", models.DateTimeField()),
                ("next_publication", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.RunSQL(
            f"CREATE INDEX {TOPIC_ARTICLE_INDEX} ON articles_article_topics (topic_id, article_id)",
            f"DROP INDEX {TOPIC_ARTICLE_INDEX}",
        ),
        migrations.RunPython(create_search, drop_search),
        migrations.RunPython(create_newsroom_groups, migrations.RunPython.noop),
    ]
