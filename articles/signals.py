"""What follows a save: image renditions, and a new edition for the page cache.

Renditions of covers, author photos and body images are made once, when a new file is stored.

The one trigger for `articles.images.renditions.update_renditions`. It runs after every
save of an Article or Author, but compares names only (the renditions record the file
they were made from), so a save that keeps the same file reads and writes no image.

`loaddata` saves raw: a fixture carries the renditions, but their files may not exist
(MEDIA_ROOT is not in the repository). On raw saves the files are checked too, and
missing renditions are made from the stored image.

Anything readers can see — an article (its status, words, slug, co-authors, topics, related
and linked articles), a topic, an author, an old slug's redirect — starts a new edition of the
site (`articles.pagecache.advance`), in the same transaction as the change, so no cached
page outlives it. Bulk writes that send no signals (`seed_articles`) call it themselves.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from . import pagecache
from .images import renditions
from .models import Article, ArticleCoauthor, Author, BodyImage, SlugRedirect, Topic


@receiver(post_save, sender=Article, dispatch_uid="articles.cover_renditions")
def make_cover_renditions(sender, instance, raw, **kwargs):
    renditions.update_renditions(instance, "cover", check_files=raw)


@receiver(post_save, sender=Author, dispatch_uid="articles.photo_renditions")
def make_photo_renditions(sender, instance, raw, **kwargs):
    renditions.update_renditions(instance, "photo", check_files=raw)


@receiver(post_save, sender=BodyImage, dispatch_uid="articles.body_image_renditions")
def make_body_image_renditions(sender, instance, raw, **kwargs):
    renditions.update_renditions(instance, "image", check_files=raw)


@receiver(pre_save, sender=Article, dispatch_uid="articles.edition.was_published")
def remember_whether_published(sender, instance, raw, **kwargs):
    instance._was_published = raw or (
        instance.pk is not None
        and Article.objects.filter(pk=instance.pk, status=Article.Status.PUBLISHED).exists()
    )


def unseen_by_readers(article):
    """A save or delete of an article that was not published and is not now: no page shows it.

    A newsroom saving drafts all day would otherwise empty the page cache with every save."""
    return article.status != Article.Status.PUBLISHED and not getattr(article, "_was_published", False)


def new_edition(sender, action=None, instance=None, **kwargs):
    # m2m_changed is sent before and after each change: after is the one that counts.
    if action is not None and not action.startswith("post_"):
        return
    if sender is Article and action is None and unseen_by_readers(instance):
        return
    pagecache.advance()


for _model in (Article, ArticleCoauthor, Topic, Author, SlugRedirect):
    post_save.connect(new_edition, sender=_model, dispatch_uid=f"articles.edition.save.{_model.__name__}")
    post_delete.connect(new_edition, sender=_model, dispatch_uid=f"articles.edition.delete.{_model.__name__}")
for _relation in (Article.topics, Article.related, Article.outbound_links, Article.coauthors):
    m2m_changed.connect(
        new_edition, sender=_relation.through, dispatch_uid=f"articles.edition.{_relation.field.name}"
    )
