from collections import Counter

from django.core.management.base import BaseCommand

from articles.images import renditions
from articles.models import Article, Author


class Command(BaseCommand):
    help = (
        "Rebuild the renditions (smaller copies, in WebP and in the original format) of every "
        "article cover and author photo. Missing files are listed, and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--missing",
            action="store_true",
            help="Only make renditions that are missing or out of date, instead of rebuilding them all.",
        )

    def handle(self, *args, missing=False, **options):
        jobs = [
            ("covers", "cover", Article.objects.exclude(cover="").order_by("pk")),
            ("author photos", "photo", Author.objects.exclude(photo="").order_by("pk")),
        ]
        parts, missing_files = [], 0
        for label, field_name, queryset in jobs:
            counts = Counter()
            for obj in queryset.iterator():
                outcome = renditions.update_renditions(obj, field_name, force=not missing, check_files=True)
                counts[outcome] += 1
                if outcome == "missing":
                    name = getattr(obj, field_name).name
                    self.stderr.write(
                        self.style.WARNING(
                            f"Missing file: {name} ({obj._meta.verbose_name} {obj.pk}, “{obj}”) is not in "
                            "storage; upload it again."
                        )
                    )
            part = f"{label}: {counts['made']} made"
            if missing:
                part += f", {counts['current']} up to date"
            if counts["missing"]:
                part += f", {counts['missing']} files missing"
            parts.append(part)
            missing_files += counts["missing"]
        summary = "Renditions: " + "; ".join(parts) + "."
        self.stdout.write(self.style.WARNING(summary) if missing_files else self.style.SUCCESS(summary))
