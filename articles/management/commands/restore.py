from django.core.management.base import BaseCommand, CommandError

from articles import backup

from .backup import summary


class Command(BaseCommand):
    help = (
        "Load an archive written by `manage.py backup` into an empty database that `manage.py "
        "migrate` has made (SQLite or PostgreSQL), with its media files. Refuses a database that "
        "holds anything, and changes nothing then."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The archive written by `manage.py backup`.")

    def handle(self, *args, file, **options):
        try:
            manifest = backup.restore_backup(file)
        except backup.RestoreRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {file} (made {manifest['created_at']} on {manifest['database']}): {summary(manifest)}."
            )
        )
