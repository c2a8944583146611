from django.core.management.base import BaseCommand
from django.db import transaction

from articles.models import Article


class Command(BaseCommand):
    help = "Re-render the stored HTML of every article (run after the Markdown renderer changes)."

    def handle(self, *args, **options):
        changed = 0
        total = 0
        with transaction.atomic():
            for article in Article.objects.select_for_update().only("id", "body", "take", "body_html", "take_html", "word_count"):
                total += 1
                before = (article.body_html, article.take_html, article.word_count)
                article.render()
                if (article.body_html, article.take_html, article.word_count) != before:
                    # update() rather than save(): re-rendering is not an edit, so it
                    # must not touch updated_at or make a revision.
                    Article.objects.filter(pk=article.pk).update(
                        body_html=article.body_html, take_html=article.take_html, word_count=article.word_count
                    )
                    changed += 1
        self.stdout.write(self.style.SUCCESS(f"Re-rendered {total} articles; {changed} changed."))
