"""`|cached_date`: Django's `date` filter, remembering what it answered.

A listing card shows its article's date twice (the `datetime` attribute and the words), and
formatting a date with Django's translation machinery costs about as much as the rest of the
card's text. The same articles' dates are formatted on every request of a page, so the
strings are kept: the result depends only on the moment in local time, its zone, the format
and the language, which together are the key.
"""

import datetime

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

register = template.Library()

_formatted = {}
_MAX_REMEMBERED = 4096


@register.filter(expects_localtime=True, is_safe=False)
def cached_date(value, arg=None):
    if not isinstance(value, datetime.datetime):
        return date_filter(value, arg)
    key = (value.replace(tzinfo=None), value.utcoffset(), value.tzname(), arg, translation.get_language())
    text = _formatted.get(key)
    if text is None:
        if len(_formatted) >= _MAX_REMEMBERED:
            _formatted.clear()
        text = _formatted[key] = date_filter(value, arg)
    return text


@register.simple_tag
def current_year():
    """This year in the site's time zone, as `{% now "Y" %}` gives it, without the date
    formatting machinery (on every page's footer)."""
    return str(timezone.localdate().year)
