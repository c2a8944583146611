from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.core.management.color import no_style
from django.db import connection, transaction

from articles.images import renditions
from articles.models import Article, Author

# fixtures/media/ holds the launch fixture's files under the names they have in storage.
LAUNCH_MEDIA = Path(settings.BASE_DIR) / "fixtures" / "media"
LAUNCH_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "launch.json"

# The image fields whose renditions a second run brings back when their files were lost.
IMAGE_FIELDS = {Article: "cover", Author: "photo"}


class Command(BaseCommand):
    help = (
        "Load the launch content where it is missing: copy its images (fixtures/media/) into the "
        "media storage where they are missing, then add each author, topic and article of "
        "fixtures/launch.json that the site does not have yet. What is there already (an "
        "article an editor changed, say) is never replaced, so running it again changes nothing."
    )

    def handle(self, *args, verbosity=1, **options):
        copied = self._copy_missing_media()
        # The files first: each added article is saved raw, and articles.signals then makes the
        # renditions the fixture names from the cover in storage.
        added, kept = self._add_missing_objects()
        if verbosity:
            if added:
                self.stdout.write(f"Loaded {added} launch object(s) (authors, topics, articles).")
            if kept:
                self.stdout.write(f"Kept {kept} launch object(s) already on the site, as they are.")
            if copied:
                self.stdout.write(f"Copied {copied} launch image(s) into the media storage.")

    def _copy_missing_media(self):
        copied = 0
        for path in sorted(LAUNCH_MEDIA.rglob("*")):
            name = path.relative_to(LAUNCH_MEDIA).as_posix()
            if path.is_file() and not default_storage.exists(name):
                with path.open("rb") as source:
                    default_storage.save(name, File(source))
                copied += 1
        return copied

    @transaction.atomic
    def _add_missing_objects(self):
        """Save the fixture's objects the database lacks; leave the others untouched.

        An object counts as present when its primary key or its slug is taken: an editor may
        have renamed an article (new slug, same row) or written one under a launch slug.
        Loading saves raw, as `loaddata` does: no revision, no workflow event, no new version.
        """
        with LAUNCH_FIXTURE.open("rb") as fixture:
            objects = list(serializers.deserialize("json", fixture, handle_forward_references=True))
        missing, kept = [], 0
        for deserialized in objects:
            obj = deserialized.object
            model = type(obj)
            present = model._default_manager.filter(pk=obj.pk)
            if hasattr(obj, "slug"):
                present = present | model._default_manager.filter(slug=obj.slug)
            existing = present.first()
            if existing is None:
                missing.append(deserialized)
                continue
            kept += 1
            if model in IMAGE_FIELDS:
                # Not an edit: only lost rendition files are made again (a queryset update).
                renditions.update_renditions(existing, IMAGE_FIELDS[model], check_files=True)
        added = {(type(d.object), d.object.pk) for d in missing}
        for deserialized in missing:
            # Links to launch objects the site no longer has under their launch ids are left out.
            for name, pks in (deserialized.m2m_data or {}).items():
                target = type(deserialized.object)._meta.get_field(name).related_model
                on_site = set(target._default_manager.filter(pk__in=pks).values_list("pk", flat=True))
                deserialized.m2m_data[name] = [pk for pk in pks if pk in on_site or (target, pk) in added]
            deserialized.save()
        for deserialized in missing:
            if deserialized.deferred_fields:
                deserialized.save_deferred_fields()
        if missing:
            # The fixture's rows keep their ids: move PostgreSQL's id sequences past them, as
            # loaddata does, or the next Topic/Author/Article saved would collide with them.
            models = {type(deserialized.object) for deserialized in missing}
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(sql)
        return len(missing), kept
