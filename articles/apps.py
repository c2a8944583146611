from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        # Registers the check for a database part-way through the squashed migrations
        # (articles.checks) and connects the receivers that make image renditions
        # (articles.signals).
        from . import checks, signals  # noqa: F401
