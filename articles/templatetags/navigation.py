"""Ways through the site that list every topic (and author): the header's topic links,
`{% topic_links %}`, on every page, and search's narrowing choices, `{% narrowing_options %}`.

A site has a dozen topics or more and dozens of authors: as template loops these cost about
40 microseconds an entry on the benchmark's machine, more than the rest of the page around
them, and grew with the site. They change only with the topics and authors readers can
browse, so they are written once per edition of the site (and URL prefix:
`articles.editions.edition_memo`); a request only marks the current page's link or the
chosen option.
"""

from django import template
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..editions import edition_memo
from ..listings import browsable_authors, browsable_topics

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
    # One item a line, indented as the list around them in site_header.html.
    return mark_safe("\n      ".join(current if url == path else item for url, item, current in links))


_NARROWINGS = {"topic": browsable_topics, "author": browsable_authors}
_OPTION = '<option value="{}"{}>{}</option>'
_SELECTED = mark_safe(" selected")


def _options(name):
    """[(pk, option, option selected)], one per browsable topic or author, by name."""
    return [
        (
            choice.pk,
            format_html(_OPTION, choice.slug, "", choice.name),
            format_html(_OPTION, choice.slug, _SELECTED, choice.name),
        )
        for choice in _NARROWINGS[name]()
    ]


@register.simple_tag
def narrowing_options(name, selected):
    """The `<option>`s of search's "topic" or "author" select, `selected` (a Topic, an
    Author or None) marked."""
    options = edition_memo(f"narrowing-options:{name}", lambda: _options(name))
    chosen = selected.pk if selected is not None else None
    return mark_safe("".join(marked if pk == chosen else option for pk, option, marked in options))
