"""Full-text search: a stored, weighted search vector on PostgreSQL, FTS5 on SQLite.

Neither is declared on the Article model, so this migration changes no model state and
`makemigrations` stays quiet. A GeneratedField(SearchVector) would be the declarative
way, but SQLite can neither create nor query it, and every SELECT would carry the column.
`articles.search.postgresql` and `articles.search.sqlite` query them by name.

PostgreSQL: `search_vector` is a generated column, so the database keeps it current on
every write, whoever writes. PostgreSQL refuses to change the type of a column that a
generated column reads ("cannot alter type of a column used by a generated column"): a
later AlterField on title, standfirst, body or take (a new max_length, say) must drop
`search_vector` first and add it back afterwards with the SQL below.

SQLite: an FTS5 table with its own copy of the text (not an external-content table,
which corrupts itself if it ever gets out of step), kept current by triggers. Django's
SQLite backend rebuilds a table to alter it, which drops its triggers;
`articles.search.sqlite` notices and puts them back. Keep that module's copy of this SQL
in step. Search needs FTS5 (every SQLite build we use has it: see `articles.search`);
without it this migration stops with "no such module: fts5".
"""

from django.db import migrations

POSTGRESQL_FORWARDS = [
    """
    ALTER TABLE articles_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(standfirst, '')), 'B')
        || setweight(to_tsvector('english', coalesce(body, '')), 'C')
        || setweight(to_tsvector('english', coalesce(take, '')), 'C')
    ) STORED
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
    f"INSERT INTO articles_article_fts(rowid, {FTS_COLUMNS}) SELECT id, {FTS_COLUMNS} FROM articles_article",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS articles_article_fts_insert",
    "DROP TRIGGER IF EXISTS articles_article_fts_update",
    "DROP TRIGGER IF EXISTS articles_article_fts_delete",
    "DROP TABLE IF EXISTS articles_article_fts",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in POSTGRESQL_FORWARDS:
            schema_editor.execute(sql)
    elif vendor == "sqlite":
        for sql in SQLITE_FORWARDS:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL_BACKWARDS, "sqlite": SQLITE_BACKWARDS}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0004_discovery_fields"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
