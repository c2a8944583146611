"""The newsroom's template tags: the queues on the admin's first page, and how long things wait."""

from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from .. import queues

register = template.Library()


@register.simple_tag(takes_context=True)
def newsroom_queues(context):
    """The person's queues with counts and first entries (articles.queues.summaries)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return queues.summaries(request.user)


@register.filter
def waited(moment):
    """How long ago `moment` was, in its largest unit: "3 days", "5 hours", "a moment"."""
    if not moment:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "a moment"
    return timesince(moment, depth=1)


@register.filter
def time_until(moment):
    """How long until `moment`, in its largest unit: "2 days", "40 minutes"."""
    if not moment:
        return ""
    return timeuntil(moment, depth=1)


@register.filter
def days_overdue(day):
    """How many days ago the date `day` was (0 for today or later)."""
    return max(0, (timezone.localdate() - day).days) if day else 0
