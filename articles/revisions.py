"""An article's revisions, as django-simple-history records them: pick, compare, restore.

Every save of an article leaves a historical record (`article.history`) with the fields
of `Article.REVISION_FIELDS`, the topics included. Restoring one goes through
`workflow.save_edit`, so the workflow's rules apply to it like to any edit.
"""

import difflib

from django.db import transaction
from django.utils import timezone

from . import workflow
from .models import Article


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

    Returns [{"field": verbose name, "table": an HTML side-by-side diff}], one per field
    of `Article.REVISION_FIELDS` that differs (simple-history's `diff_against` finds them).
    """
    delta = newer.diff_against(older, included_fields=Article.REVISION_FIELDS, foreign_keys_are_objs=True)
    order = [field.name for field in Article._meta.get_fields()]
    diffs = []
    for change in sorted(delta.changes, key=lambda change: order.index(change.field)):
        field = Article._meta.get_field(change.field)
        if field.many_to_many:
            # Rows of the history's through table: name the articles' other side (the topic).
            other_side = field.m2m_reverse_field_name()
            before = sorted(str(row[other_side]) for row in change.old)
            after = sorted(str(row[other_side]) for row in change.new)
        else:
            before, after = str(change.old or "").splitlines(), str(change.new or "").splitlines()
        table = difflib.HtmlDiff(wrapcolumn=70).make_table(
            before, after, "Before", "After", context=True, numlines=2
        )
        diffs.append({"field": field.verbose_name, "table": table})
    return diffs


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
