"""An article's revisions, as django-simple-history records them: pick, compare, restore.

Every save of an article leaves a historical record (`article.history`) with the fields
of `Article.REVISION_FIELDS`, the topics included. Restoring one goes through
`workflow.save_edit`, so the workflow's rules apply to it like to any edit.
"""

from django.db import transaction
from django.utils import timezone

from . import diffs, workflow
from .models import Article, ArticleEvent

# The review decisions: each was taken on one revision, the one History marks as reviewed.
REVIEW_ACTIONS = (ArticleEvent.Action.APPROVED, ArticleEvent.Action.CHANGES_REQUESTED)
# What must differ for two revisions to be worth comparing: everything but the topics.
COMPARED_FIELDS = tuple(name for name in Article.REVISION_FIELDS if name != "topics")


def pick(revisions, *, history_id=None, version=None):
    """The revision with this history id, else the last one saved at this version, else None.

    Both come from the address bar: anything but a whole number picks nothing.
    """
    if _whole_number(history_id):
        return revisions.filter(history_id=history_id).first()
    if _whole_number(version):
        return revisions.filter(version=version).order_by("-history_date").first()
    return None


def _whole_number(value):
    # Not str.isdigit(): it accepts "²", which int() refuses.
    return bool(value) and str(value).isascii() and str(value).isdecimal()


def compare(older, newer):
    """What changed from one revision to another, field by field in the model's order.

    Returns [diffs.FieldDiff], word by word, one per field of `Article.REVISION_FIELDS` that
    differs (simple-history's `diff_against` finds them); the topics as one name a line.
    """
    delta = newer.diff_against(older, included_fields=Article.REVISION_FIELDS, foreign_keys_are_objs=True)
    order = [field.name for field in Article._meta.get_fields()]
    changes = []
    for change in sorted(delta.changes, key=lambda change: order.index(change.field)):
        field = Article._meta.get_field(change.field)
        if field.many_to_many:
            # Rows of the history's through table: name the articles' other side (the topic).
            other_side = field.m2m_reverse_field_name()
            before = "\n".join(sorted(str(row[other_side]) for row in change.old))
            after = "\n".join(sorted(str(row[other_side]) for row in change.new))
        else:
            before, after = str(change.old or ""), str(change.new or "")
        changes.append(diffs.diff_field(field.name, str(field.verbose_name).capitalize(), before, after))
    return changes


def reviews(article, *, limit=50):
    """[(event, revision)], newest first: each review decision (approve, request changes) and
    the revision it was taken on, the last one saved at or before the decision."""
    found = []
    for event in article.events.filter(action__in=REVIEW_ACTIONS).select_related("user__author_profile")[
        :limit
    ]:
        revision = (
            article.history.filter(history_date__lte=event.created_at)
            .select_related("history_user")
            .order_by("-history_date", "-history_id")
            .first()
        )
        if revision is not None:
            found.append((event, revision))
    return found


def last_reviewed(article, user=None):
    """(event, revision) of the latest review decision, by `user` if given; else (None, None)."""
    for event, revision in reviews(article):
        if user is None or event.user_id == user.pk:
            return event, revision
    return None, None


def same_content(one, other, fields=COMPARED_FIELDS):
    return all(getattr(one, name) == getattr(other, name) for name in fields)


def default_comparison(revisions, reviewed_ids):
    """The two revisions History compares unless told otherwise: (older, newer) or (None, None).

    `revisions` newest first. The newest, against the last reviewed revision if the content
    changed since; otherwise against the last revision whose content differs (not the one
    before, which may differ only in its status).
    """
    revisions = list(revisions)
    if len(revisions) < 2:
        return None, None
    newest = revisions[0]
    for revision in revisions[1:]:
        if revision.history_id in reviewed_ids and not same_content(revision, newest):
            return revision, newest
    for revision in revisions[1:]:
        if not same_content(revision, newest):
            return revision, newest
    return revisions[1], newest


def restore(article, user, historical, *, confirmed=False):
    """Make an earlier revision's content current again, as a new revision.

    The slug comes back only if no other article has taken it since. Onto a live article,
    only the words come back, and into its correction, for review (readers keep the published
    version): that needs `confirmed` (`workflow.ConfirmationNeeded` otherwise).
    """
    live = article.is_live
    fields = Article.CONTENT_FIELDS if live else Article.REVISION_FIELDS
    changed = []
    for name in fields:
        if Article._meta.get_field(name).many_to_many:
            continue
        old_value = getattr(historical, name)
        if name == "slug" and Article.objects.filter(slug=old_value).exclude(pk=article.pk).exists():
            continue  # another article has that address now; keep the current one
        if getattr(article, name) != old_value:
            setattr(article, name, old_value)
            changed.append(name)
    article._change_reason = f"Restored revision {historical.history_id}"
    when = timezone.localtime(historical.history_date)
    with transaction.atomic():
        workflow.save_edit(
            article, user, changed_fields=changed, restored_from=f"{when:%Y-%m-%d %H:%M}", confirmed=confirmed
        )
        for name in fields:
            field = Article._meta.get_field(name)
            if field.many_to_many:
                target_id = f"{field.m2m_reverse_field_name()}_id"
                old_ids = {getattr(row, target_id) for row in getattr(historical, name).all()}
                if old_ids != set(getattr(article, name).values_list("pk", flat=True)):
                    getattr(article, name).set(old_ids)
    return article
