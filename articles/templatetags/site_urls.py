"""`{% site_url "articles:search" %}`: the URL of a page without arguments, resolved once
(`articles.models.fixed_url`): the header and footer on every page link several."""

from django import template

from ..models import fixed_url

register = template.Library()


@register.simple_tag
def site_url(name):
    return fixed_url(name)
