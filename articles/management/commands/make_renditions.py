import re
from collections import Counter

from django.core.management.base import BaseCommand
from django.db import transaction

from articles import pagecache
from articles.images import renditions
from articles.images.storage import url_prefix
from articles.models import Article, Author, BodyImage

RENDERED = ("body_html", "take_html", "toc_html", "word_count")


class Command(BaseCommand):
    help = (
        "Rebuild the renditions (smaller copies, in WebP and in the original format) of every "
        "article cover, author photo and image in an article's body, and re-render the articles "
        "that show body images. Missing files are listed, and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--missing",
            action="store_true",
            help="Only make renditions that are missing or out of date, instead of rebuilding them all.",
        )

    def handle(self, *args, missing=False, **options):
        with_images = self.register_body_images()
        jobs = [
            ("covers", "cover", Article.objects.exclude(cover="").order_by("pk")),
            ("author photos", "photo", Author.objects.exclude(photo="").order_by("pk")),
            ("body images", "image", BodyImage.objects.exclude(image="").order_by("pk")),
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
        rerendered = self.rerender(with_images)
        summary = "Renditions: " + "; ".join(parts) + f"; {rerendered} articles re-rendered."
        self.stdout.write(self.style.WARNING(summary) if missing_files else self.style.SUCCESS(summary))

    def register_body_images(self):
        """Make a BodyImage for every stored upload an article's body shows (images uploaded
        before body images had renditions); return the ids of the articles showing any."""
        storage = BodyImage._meta.get_field("image").storage
        prefix = url_prefix(storage)  # "/media/", or the bucket's URL on object storage
        media = re.compile(re.escape(prefix) + r"""([^\s)"'<>?#]+)""")
        article_ids, known = [], set(BodyImage.objects.values_list("image", flat=True))
        for article in Article.objects.filter(body__contains=prefix).only("id", "body").iterator():
            names = set(media.findall(article.body))
            if names:
                article_ids.append(article.pk)
            for name in sorted(names - known):
                if storage.exists(name):
                    BodyImage.register(name)
                    known.add(name)
        return article_ids

    def rerender(self, article_ids):
        """Store the HTML of these articles again, now with their images' renditions.

        A queryset update, as `rerender_articles` does: not an edit (no revision, no
        updated_at); then one new edition for the page cache."""
        changed = 0
        with transaction.atomic():
            for article in Article.objects.filter(pk__in=article_ids).only("id", "body", "take", *RENDERED):
                before = [getattr(article, name) for name in RENDERED]
                article.render()
                if [getattr(article, name) for name in RENDERED] != before:
                    Article.objects.filter(pk=article.pk).update(
                        **{name: getattr(article, name) for name in RENDERED}
                    )
                    changed += 1
            if changed:
                pagecache.advance()
        return changed
