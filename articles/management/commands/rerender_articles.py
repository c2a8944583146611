from django.core.management.base import BaseCommand
from django.db import transaction

from articles import pagecache
from articles.links import record_links
from articles.models import Article

RENDERED = ("body_html", "take_html", "toc_html", "word_count")


class Command(BaseCommand):
    help = "Re-render the stored HTML of every article (run after the Markdown renderer changes)."

    def handle(self, *args, **options):
        changed = 0
        total = 0
        with transaction.atomic():
            for article in Article.objects.select_for_update().only("id", "body", "take", *RENDERED):
                total += 1
                before = [getattr(article, name) for name in RENDERED]
                article.render()
                if [getattr(article, name) for name in RENDERED] != before:
                    # update() rather than save(): re-rendering is not an edit, so it
                    # must not touch updated_at or make a revision.
                    Article.objects.filter(pk=article.pk).update(
                        **{name: getattr(article, name) for name in RENDERED}
                    )
                    changed += 1
                record_links(article)
            if changed:
                pagecache.advance()  # update() sends no signal: the cached pages show the old HTML
        self.stdout.write(self.style.SUCCESS(f"Re-rendered {total} articles; {changed} changed."))
