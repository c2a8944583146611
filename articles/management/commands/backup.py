from django.core.management.base import BaseCommand
from django.template.defaultfilters import filesizeformat

from articles import backup


class Command(BaseCommand):
    help = (
        "Write the whole site to one archive (zip): every row of every model (articles and their "
        "revisions, topics, authors, users, groups and permissions, the admin's log) and every "
        "uploaded media file. `manage.py restore FILE` loads it into an empty database of either "
        "engine. See README, “Backups”."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Where to write the archive, e.g. autotrendy-2026-12-02.zip.")

    def handle(self, *args, file, **options):
        manifest = backup.write_backup(file)
        self.stdout.write(self.style.SUCCESS(f"Backed up to {file}: {summary(manifest)}."))


def summary(manifest):
    """'2 articles with 5 revisions, 3 users, 120 rows in all, and 12 media files (1.2 MB)'."""
    rows = manifest["rows"]
    revisions = sum(count for label, count in rows.items() if label.startswith("articles.historical"))
    media = manifest["media"]
    size = filesizeformat(sum(entry["size"] for entry in media.values()))
    return (
        f"{rows.get('articles.article', 0)} articles with {revisions} revisions, "
        f"{rows.get('auth.user', 0)} users, {sum(rows.values())} rows in all, "
        f"and {len(media)} media files ({size})"
    )
