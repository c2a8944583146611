"""Renditions of covers and author photos, made once, when a new file is stored.

The one trigger for `articles.images.renditions.update_renditions`. It runs after every
save of an Article or Author, but compares names only (the renditions record the file
they were made from), so a save that keeps the same file reads and writes no image.

`loaddata` saves raw: a fixture carries the renditions, but their files may not exist
(MEDIA_ROOT is not in the repository). On raw saves the files are checked too, and
missing renditions are made from the stored image.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .images import renditions
from .models import Article, Author


@receiver(post_save, sender=Article, dispatch_uid="articles.cover_renditions")
def make_cover_renditions(sender, instance, raw, **kwargs):
    renditions.update_renditions(instance, "cover", check_files=raw)


@receiver(post_save, sender=Author, dispatch_uid="articles.photo_renditions")
def make_photo_renditions(sender, instance, raw, **kwargs):
    renditions.update_renditions(instance, "photo", check_files=raw)
