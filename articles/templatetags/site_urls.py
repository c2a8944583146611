"""`{% site_url "articles:search" %}`: the URL of a page without arguments, resolved once
(`articles.models.fixed_url`): the header and footer on every page link several.

`{% static_url "css/site.css" %}`: a static file's URL (Django's `{% static %}`), worked out
once per file (`static_url`): every page links the stylesheet and the icon, and the hashed
name comes from the manifest with a few URL parses each time (about 30 µs a file).
"""

import functools

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static

from ..models import fixed_url

register = template.Library()


@register.simple_tag
def site_url(name):
    return fixed_url(name)


@register.simple_tag(name="static_url")
@functools.lru_cache(maxsize=256)
def static_url(path):
    """`static(path)`, remembered: the storage and its manifest are fixed while the process
    runs (a new collectstatic is served by a restart); a settings change in the tests clears it."""
    return static(path)


@receiver(setting_changed, dispatch_uid="articles.site_urls.static_url")
def _forget_static_urls(setting, **kwargs):
    if setting in {"STATIC_URL", "STATIC_ROOT", "STORAGES", "STATICFILES_DIRS"}:
        static_url.cache_clear()
