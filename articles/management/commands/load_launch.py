from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand

# fixtures/media/ holds the launch fixture's files under the names they have in storage.
LAUNCH_MEDIA = Path(settings.BASE_DIR) / "fixtures" / "media"


class Command(BaseCommand):
    help = (
        "Load the launch content: copy its images (fixtures/media/) into the media storage where "
        "they are missing, then load fixtures/launch.json, which makes any missing renditions. "
        "Running it again changes nothing that is in place."
    )

    def handle(self, *args, verbosity=1, **options):
        copied = 0
        for path in sorted(LAUNCH_MEDIA.rglob("*")):
            name = path.relative_to(LAUNCH_MEDIA).as_posix()
            if path.is_file() and not default_storage.exists(name):
                with path.open("rb") as source:
                    default_storage.save(name, File(source))
                copied += 1
        # The files first: loading saves each article raw, and articles.signals then makes the
        # renditions the fixture names from the cover in storage.
        call_command("loaddata", "launch", verbosity=verbosity)
        if verbosity:
            self.stdout.write(f"Copied {copied} launch image(s) into the media storage.")
