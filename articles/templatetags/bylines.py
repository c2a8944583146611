"""`{% byline article %}`: who wrote an article, linked, in byline order.

"A", "A and B", "A, B and C". On every card of a listing and at the top of an article; as
an included template with a loop it cost a listing card a quarter of its time.
"""

from django import template
from django.utils.safestring import mark_safe

from ..markup import format_html
from ..structured_data import phrase

register = template.Library()


@register.simple_tag
def byline(article, link_class=""):
    """The article's authors (`Article.byline_authors()`) as links, `link_class` on each."""
    attributes = format_html(' class="{}"', link_class) if link_class else ""
    links = [
        format_html('<a{} href="{}">{}</a>', attributes, author.get_absolute_url(), author.name)
        for author in article.byline_authors()
    ]
    return mark_safe(phrase(links))  # each link escaped by format_html
