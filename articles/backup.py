"""Backups: the whole site in one archive, restorable into an empty database of either engine.

`manage.py backup FILE` writes a zip archive; `manage.py restore FILE` loads it. The archive:

- `manifest.json`: what it is (`FORMAT`, `VERSION`), when and from which engine it was made,
  the migrations the database had (a restore needs the same), the rows of every model and
  every media file with its size and SHA-256, so that a restore can check it got them all;
- `data.jsonl`: every row of every model (`backed_up_models`: all installed apps, the
  articles app's every model and revision included, users, groups and their permissions,
  the admin's log), one JSON object a line in Django's serialization, times to the
  microsecond. Primary keys are kept; content types and permissions, which `migrate` makes
  on every database with its own ids, are named by natural key, and so are groups
  (migration 0001 makes the newsroom groups: a restore fills those, found by name);
- `media/<name>`: every file in the media storage (covers, photos, renditions, body
  images), as stored.

A backup reads in one transaction (REPEATABLE READ on PostgreSQL), so the rows agree with
each other however busy the site. A restore refuses a database that holds anything, and
media files that differ from the archive's, before changing anything; then writes the
media (first, so the renditions signal finds its files) and loads the rows in one
transaction with simple-history switched off (a raw load sets m2m fields, on which
simple-history would write a revision nobody made), checks the counts, resets
PostgreSQL's sequences (loaddata does) and starts a new page-cache edition.
"""

import datetime
import hashlib
import json
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.test.utils import override_settings
from django.utils import timezone

from . import pagecache
from .images.storage import put, stored_names

FORMAT = "autotrendy-backup"
VERSION = 1
MANIFEST, DATA, MEDIA = "manifest.json", "data.jsonl", "media/"

# Made by `migrate` on every database, with ids of its own: referred to by natural key.
# Sessions are logins, not content.
NOT_BACKED_UP = {"contenttypes.contenttype", "auth.permission", "sessions.session"}
BY_NATURAL_KEY = (ContentType, Permission, Group)
# Rows a freshly migrated database may hold, which a restore replaces: the newsroom
# groups (migration 0001; matched by name) and the page cache's edition token.
MAY_ALREADY_EXIST = {"auth.group", "articles.pageedition"}

CHUNK = 2000


class RestoreRefused(Exception):
    """The archive cannot be restored here; nothing was changed. The message says why."""


def backed_up_models():
    """Every concrete model of every installed app but NOT_BACKED_UP, in an order where
    what others name by natural key comes first (users before the admin's log)."""
    app_list = [
        (config, [model for model in config.get_models() if _is_backed_up(model)])
        for config in apps.get_app_configs()
    ]
    return serializers.sort_dependencies([(config, models) for config, models in app_list if models])


def _is_backed_up(model):
    meta = model._meta
    return meta.managed and not meta.proxy and meta.label_lower not in NOT_BACKED_UP


def _through_models(model):
    """The tables of `model`'s own many-to-many fields (they are saved with its rows)."""
    return [
        field.remote_field.through
        for field in model._meta.local_many_to_many
        if field.remote_field.through._meta.auto_created
    ]


def tables(models=None):
    """The backed-up models and their many-to-many tables."""
    return [table for model in models or backed_up_models() for table in (model, *_through_models(model))]


def row_counts(models=None):
    """{model label: rows} for the backed-up models and their many-to-many tables."""
    return {model._meta.label_lower: model._base_manager.count() for model in tables(models)}


class _ExactEncoder(DjangoJSONEncoder):
    """Django's encoder keeps milliseconds of a time; a backup keeps the microseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _refers_by_natural_key(model):
    fields = [*model._meta.local_many_to_many, *(f for f in model._meta.local_fields if f.is_relation)]
    return any(issubclass(field.related_model, BY_NATURAL_KEY) for field in fields if field.related_model)


def _serialized_rows(model):
    """The rows of `model` as Django's Python serialization, a chunk at a time."""
    natural_fks = _refers_by_natural_key(model)
    queryset = model._base_manager.order_by("pk")
    many = [field.name for field in model._meta.local_many_to_many]
    natural_targets = [
        field.name
        for field in model._meta.local_fields
        if field.is_relation and field.related_model and issubclass(field.related_model, BY_NATURAL_KEY)
    ]
    if many:
        queryset = queryset.prefetch_related(*many)
    if natural_targets:
        queryset = queryset.select_related(*natural_targets)
    chunk = []
    for obj in queryset.iterator(chunk_size=CHUNK):
        chunk.append(obj)
        if len(chunk) == CHUNK:
            yield from _serialize(chunk, natural_fks, model)
            chunk = []
    yield from _serialize(chunk, natural_fks, model)


def _serialize(objects, natural_fks, model):
    return serializers.serialize(
        "python",
        objects,
        use_natural_foreign_keys=natural_fks,
        use_natural_primary_keys=issubclass(model, Group),
    )


def _applied_migrations(using):
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connections[using]).applied_migrations())


def media_files(storage):
    """The name of every file in the media storage (disk or bucket), folder by folder."""
    try:
        yield from stored_names(storage)
    except FileNotFoundError:  # nothing was ever uploaded
        return


def write_backup(path, *, storage=None, using=DEFAULT_DB_ALIAS):
    """Write the archive to `path` (whole or not at all); return its manifest."""
    storage = storage or default_storage
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    models = backed_up_models()
    connection = connections[using]
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            # One snapshot for every table (PostgreSQL: only as a transaction's first statement).
            snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
            with transaction.atomic(using=using):
                if snapshot:
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                counts = row_counts(models)
                with archive.open(DATA, "w", force_zip64=True) as data:
                    for model in models:
                        for row in _serialized_rows(model):
                            data.write(
                                json.dumps(row, cls=_ExactEncoder, ensure_ascii=False).encode() + b"\n"
                            )
                migrations = _applied_migrations(using)
            media = {}
            for name in media_files(storage):
                member = zipfile.ZipInfo(MEDIA + name, date_time=timezone.now().timetuple()[:6])
                member.compress_type = zipfile.ZIP_STORED  # images are compressed already
                digest, size = hashlib.sha256(), 0
                with (
                    storage.open(name, "rb") as source,
                    archive.open(member, "w", force_zip64=True) as target,
                ):
                    while block := source.read(1 << 20):
                        digest.update(block)
                        size += len(block)
                        target.write(block)
                media[name] = {"size": size, "sha256": digest.hexdigest()}
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": timezone.now().isoformat(),
                "database": connection.vendor,
                "migrations": migrations,
                "rows": counts,
                "media": media,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def read_manifest(archive):
    """The manifest of an open archive, or RestoreRefused saying what is wrong with it."""
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise RestoreRefused(f"This is not an Auto Trendy backup: it has no {MANIFEST}.") from None
    except ValueError as error:
        raise RestoreRefused(f"The backup's {MANIFEST} is damaged: {error}.") from None
    if manifest.get("format") != FORMAT:
        raise RestoreRefused("This is not an Auto Trendy backup.")
    if manifest.get("version") != VERSION:
        raise RestoreRefused(
            f"This backup is in format version {manifest.get('version')}; this version of the site "
            f"reads version {VERSION}."
        )
    return manifest


def _check_migrations(manifest, using):
    here, there = set(_applied_migrations(using)), set(manifest["migrations"])
    if not here:
        raise RestoreRefused("The database has no tables yet: run `manage.py migrate` first, then restore.")
    if here == there:
        return
    missing, extra = sorted(there - here), sorted(here - there)
    if missing and not extra:
        raise RestoreRefused(
            f"The backup was made at migrations this database lacks ({_few(missing)}): run "
            "`manage.py migrate` first (with the version of the site that made the backup, or newer)."
        )
    raise RestoreRefused(
        f"The backup was made by another version of the site: this database has migrations the "
        f"backup does not ({_few(extra)}). Restore with the version that made the backup "
        "(into a database migrated by it), then upgrade and migrate."
    )


def _check_empty(manifest):
    found = []
    for label in manifest["rows"]:
        model = _model(label)
        if model is None or label in MAY_ALREADY_EXIST or model._meta.auto_created:
            continue
        count = model._base_manager.count()
        if count:
            found.append(
                f"{count} {model._meta.verbose_name_plural if count != 1 else model._meta.verbose_name}"
            )
    if found:
        raise RestoreRefused(
            f"The database is not empty: it holds {_few(found)}. Restore only into a new database "
            "(create it, run `manage.py migrate`, then restore; create no users before: the "
            "backup brings them). Nothing was changed."
        )


def _check_models(manifest):
    unknown = [label for label in manifest["rows"] if _model(label) is None]
    if unknown:
        raise RestoreRefused(f"The backup holds tables this site does not have: {_few(unknown)}.")


def _check_media(archive, manifest, storage):
    """Names of the archive's files to write; refuses where a different file is stored."""
    names = {
        info.filename.removeprefix(MEDIA) for info in archive.infolist() if info.filename.startswith(MEDIA)
    }
    if names != set(manifest["media"]):
        raise RestoreRefused("The backup is incomplete: its media files are not those its manifest lists.")
    to_write, clashes = [], []
    for name in sorted(names):
        parts = PurePosixPath(name).parts
        if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
            raise RestoreRefused(f"The backup holds a media file with an unsafe name: {name!r}.")
        if not storage.exists(name):
            to_write.append(name)
        elif _digest(storage, name) != manifest["media"][name]["sha256"]:
            clashes.append(name)
    if clashes:
        raise RestoreRefused(
            f"The media storage already holds different files under the backup's names "
            f"({_few(clashes)}): restore into an empty media folder or bucket. Nothing was changed."
        )
    return to_write


def restore_backup(path, *, storage=None, using=DEFAULT_DB_ALIAS):
    """Load the archive at `path` into the (empty, migrated) database; return its manifest."""
    storage = storage or default_storage
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise RestoreRefused(f"Cannot read the backup {path}: {error}.") from None
    with archive:
        manifest = read_manifest(archive)
        _check_migrations(manifest, using)
        _check_models(manifest)
        _check_empty(manifest)
        to_write = _check_media(archive, manifest, storage)
        written = []
        try:
            for name in to_write:
                written.append(put(name, ContentFile(archive.read(MEDIA + name), name=name), storage))
            with tempfile.TemporaryDirectory(prefix="autotrendy-restore-") as folder:
                rows = Path(folder) / DATA
                with archive.open(DATA) as source, rows.open("wb") as target:
                    shutil.copyfileobj(source, target)
                _load(rows, manifest, using)
        except BaseException:
            for name in written:
                storage.delete(name)
            raise
    return manifest


def _load(rows, manifest, using):
    # simple-history's documented switch: a raw load writes no revision (m2m sets would).
    with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic(using=using):
        call_command("loaddata", str(rows), database=using, verbosity=0)
        loaded = {label: _model(label)._base_manager.using(using).count() for label in manifest["rows"]}
        # The newsroom groups and the edition may have been there before (see MAY_ALREADY_EXIST).
        wrong = [
            f"{label}: {loaded[label]} instead of {count}"
            for label, count in manifest["rows"].items()
            if loaded[label] < count or (loaded[label] > count and label not in MAY_ALREADY_EXIST)
        ]
        if wrong:
            raise RestoreRefused(
                f"The restore did not give the backup's rows ({_few(wrong)}); it was undone."
            )
        if using == DEFAULT_DB_ALIAS:
            pagecache.advance()


def _model(label):
    # Many-to-many tables are registered too (as auto-created models).
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _digest(storage, name):
    digest = hashlib.sha256()
    with storage.open(name, "rb") as stored:
        while block := stored.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _few(items, shown=5):
    items = list(items)
    text = ", ".join(str(item) for item in items[:shown])
    return text + (f" and {len(items) - shown} more" if len(items) > shown else "")
