"""Backups: `manage.py backup FILE` and `manage.py restore FILE`.

An operator backs up a site, on SQLite or PostgreSQL, and restores it into a new database
of either engine: the same rows (revisions included, none invented), the same pages for
readers, the same media bytes. A database that holds anything is refused, and left as it
was. Marked `postgres` so that `make test` also runs it with PostgreSQL as this database:
then the other database, in its own process, is SQLite.
"""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from articles import backup
from articles.models import Article
from tests import backup_site
from tests.factories import ArticleFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent


def on_sqlite_in_another_process(action, folder):
    """Run tests/backup_site.py's `action` on a new SQLite database in `folder`."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder}/site.sqlite3",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "tests.backup_site", action, str(folder)],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def as_json(snapshot):
    return json.loads(json.dumps(snapshot, default=str))


def assert_same_site(restored, original):
    assert restored["counts"] == original["counts"]
    for table, rows in original["rows"].items():
        assert restored["rows"][table] == rows, f"{table} differs"
    assert restored["rows"].keys() == original["rows"].keys()
    for url, page in original["pages"].items():
        assert restored["pages"][url] == page, f"{url} differs"
    assert restored["pages"].keys() == original["pages"].keys()
    assert restored["media"] == original["media"]


@pytest.fixture(scope="module")
def sqlite_backup(tmp_path_factory):
    """A site built on SQLite in another process: its snapshot and its backup."""
    folder = tmp_path_factory.mktemp("sqlite-site")
    output = on_sqlite_in_another_process("build", folder)
    assert "Backed up to" in output
    return folder


def test_a_site_backed_up_on_sqlite_is_restored_here_whole(sqlite_backup, client):
    original = json.loads((sqlite_backup / "snapshot.json").read_text())
    stdout = io_call("restore", sqlite_backup / "site.zip")
    assert "Restored" in stdout and "made" in stdout and "on sqlite" in stdout

    assert_same_site(as_json(backup_site.snapshot(client)), original)
    # What the test site holds, so that the comparison is not of two empty sites.
    counts = original["counts"]
    assert counts["articles.article"] == 4 and counts["articles.historicalarticle"] >= 16
    assert counts["articles.slugredirect"] == 1 and counts["articles.article_outbound_links"] == 1
    assert counts["admin.logentry"] == 1 and counts["auth.user_user_permissions"] == 1
    assert "uploads/diagram.png" in original["media"]
    assert {name.split("/")[0] for name in original["media"]} == {"authors", "covers", "uploads"}
    assert any(name.endswith("-480w.webp") for name in original["media"])
    assert original["pages"]["/search/?q=battery"] == [
        "/articles/battery-tariffs/",
        "/articles/solid-state-cells-arrive/",
    ]
    assert original["pages"]["/articles/tariffs-on-battery-imports/"][:2] == [
        301,
        "/articles/battery-tariffs/",
    ]


def test_a_site_backed_up_here_is_restored_on_sqlite_whole(client, tmp_path):
    backup_site.build_site()
    original = as_json(backup_site.snapshot(client))
    io_call("backup", tmp_path / "site.zip")
    on_sqlite_in_another_process("restore", tmp_path)
    assert_same_site(json.loads((tmp_path / "restored.json").read_text()), original)


def test_restoring_writes_no_revision(sqlite_backup):
    io_call("restore", sqlite_backup / "site.zip")
    manifest = json.loads(zipfile.ZipFile(sqlite_backup / "site.zip").read("manifest.json"))
    history = Article.history.model
    assert history.objects.count() == manifest["rows"]["articles.historicalarticle"]


def test_new_rows_after_a_restore_get_new_ids(sqlite_backup):
    """PostgreSQL's sequences are moved past the restored ids."""
    io_call("restore", sqlite_backup / "site.zip")
    highest = Article.objects.order_by("-pk").first().pk
    assert ArticleFactory().pk > highest


# ---------------------------------------------------------------------------
# Refusals: a clear message, and nothing changed


def test_a_database_with_content_is_refused_and_left_alone(sqlite_backup, stored_files):
    ArticleFactory(title="Already here")
    with pytest.raises(
        CommandError, match=r"The database is not empty: it holds .*\b1 article\b.*Nothing was changed"
    ):
        io_call("restore", sqlite_backup / "site.zip")
    assert list(Article.objects.values_list("title", flat=True)) == ["Already here"]
    assert stored_files() == []


def test_a_database_with_a_user_is_refused(sqlite_backup):
    UserFactory(username="admin")
    with pytest.raises(CommandError, match="it holds 1 user.*create no users before"):
        io_call("restore", sqlite_backup / "site.zip")


def test_restoring_twice_is_refused(sqlite_backup):
    io_call("restore", sqlite_backup / "site.zip")
    with pytest.raises(CommandError, match="not empty"):
        io_call("restore", sqlite_backup / "site.zip")


def test_a_different_media_file_under_a_backed_up_name_is_refused(sqlite_backup):
    default_storage.save("uploads/diagram.png", ContentFile(b"another picture"))
    with pytest.raises(
        CommandError, match=r"different files under the backup's names \(uploads/diagram.png\)"
    ):
        io_call("restore", sqlite_backup / "site.zip")
    assert not Article.objects.exists()
    assert default_storage.open("uploads/diagram.png").read() == b"another picture"


def test_a_file_that_is_no_backup_is_refused(tmp_path):
    (tmp_path / "notes.zip").write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="Cannot read the backup"):
        io_call("restore", tmp_path / "notes.zip")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as other:
        other.writestr("readme.txt", "hello")
    with pytest.raises(CommandError, match="not an Auto Trendy backup"):
        io_call("restore", tmp_path / "other.zip")


def test_a_backup_from_another_version_of_the_site_is_refused(sqlite_backup, tmp_path):
    with (
        zipfile.ZipFile(sqlite_backup / "site.zip") as source,
        zipfile.ZipFile(tmp_path / "old.zip", "w") as old,
    ):
        for member in source.infolist():
            data = source.read(member)
            if member.filename == backup.MANIFEST:
                manifest = json.loads(data)
                manifest["migrations"].append("articles.9999_from_the_future")
                data = json.dumps(manifest)
            old.writestr(member, data)
    with pytest.raises(CommandError, match="migrations this database lacks.*9999_from_the_future"):
        io_call("restore", tmp_path / "old.zip")
    assert not Article.objects.exists()


def io_call(command, path):
    import io

    stdout = io.StringIO()
    call_command(command, str(path), stdout=stdout)
    return stdout.getvalue()
