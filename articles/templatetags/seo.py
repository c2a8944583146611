"""Template glue for link previews and structured data (articles.structured_data)."""

from django import template

from ..structured_data import link_preview_head

register = template.Library()


@register.simple_tag
def link_previews(article):
    """`{% link_previews article %}`: the article page's OpenGraph and Twitter/X tags and its
    JSON-LD (`structured_data.link_preview_head`)."""
    return link_preview_head(article)
