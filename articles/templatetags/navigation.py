"""`{% topic_links %}`: the header's topic navigation, a link per browsable topic.

Every reader page shows it, and a site has a dozen topics or more: as a template loop it
cost about 40 microseconds a topic on the benchmark's machine, more than the rest of the
header. The links change only with the topics readers can browse, so they are written once
per edition of the site (and URL prefix: `articles.listings.edition_memo`); a request only
marks the current page's link for screen readers.
"""

from django import template
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..listings import browsable_topics, edition_memo

register = template.Library()

_ITEM = '<li class="site-header__topic"><a class="site-header__topic-link" href="{}"{}>{}</a></li>'
_CURRENT = mark_safe(' aria-current="page"')


def _links():
    """[(url, item, item marked as the current page)], one per browsable topic, by name."""
    links = []
    for topic in browsable_topics():
        url = topic.get_absolute_url()
        links.append(
            (url, format_html(_ITEM, url, "", topic.name), format_html(_ITEM, url, _CURRENT, topic.name))
        )
    return links


@register.simple_tag(takes_context=True)
def topic_links(context):
    """`<li>` items, one per topic with a published article, by name."""
    request = context.get("request")
    path = request.path if request is not None else None
    links = edition_memo(f"topic-links:{get_script_prefix()}:{get_urlconf()}", _links)
    return mark_safe("\n".join(current if url == path else item for url, item, current in links))
