"""Search at scale: PostgreSQL keeps `search_vector` in the article's row (STORAGE MAIN).

A search ranks a bounded set of candidates, the newest matches (see `articles.search`),
found by walking the articles newest first and testing each row's vector with `@@`, then
ranked with `ts_rank`: both read the vector. With the default storage (EXTENDED), the
toaster moves the vector of most articles out of the row, because the row also holds the
body and its HTML, and each test then reads it back from the TOAST table: 11,300 buffers
and 15 to 55 ms to find and rank 1,000 "battery" candidates among 100,000 articles. Kept
in the row (MAIN: the body and HTML columns, still EXTENDED, go out first; a vector leaves
the row only if the row alone would exceed a page), the same search reads 1,300 buffers in
3 ms. The table grows from 155 to 208 MB; nothing else reads the column.

A storage setting applies to rows as they are written, so the column is dropped and added
back with the setting in the same statement: PostgreSQL applies the setting before it
computes the column for every row. On 100,000 articles this takes about a minute and
locks the table meanwhile. SQL below is the column's current definition: a later
AlterField on title, standfirst, body or take must drop it and add it back with it (see
migration 0005). SQLite: nothing to do (FTS5 ranks the newest candidates natively).
"""

from django.db import migrations

SEARCH_VECTOR = """
    setweight(to_tsvector('english', coalesce(title, '')), 'A')
    || setweight(to_tsvector('english', coalesce(standfirst, '')), 'B')
    || setweight(to_tsvector('english', coalesce(body, '')), 'C')
    || setweight(to_tsvector('english', coalesce(take, '')), 'C')
"""


def _rebuild(storage):
    return [
        "DROP INDEX IF EXISTS article_search_vector_idx",
        "ALTER TABLE articles_article DROP COLUMN IF EXISTS search_vector",
        f"""
        ALTER TABLE articles_article
            ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({SEARCH_VECTOR}) STORED,
            ALTER COLUMN search_vector SET STORAGE {storage}
        """,
        "CREATE INDEX article_search_vector_idx ON articles_article USING gin (search_vector)",
    ]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in _rebuild("MAIN"):
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in _rebuild("EXTENDED"):
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0007_page_edition"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
