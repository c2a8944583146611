from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        # Connects the receivers that make image renditions (articles.signals).
        from . import signals  # noqa: F401
