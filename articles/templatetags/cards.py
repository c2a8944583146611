"""Article cards, the items of every reader listing, written in Python.

`{% article_grid article_list ... %}` writes a list of cards (home, topic, author, month,
the article's "Read more"); `{% article_card article ... %}` writes one (search's results,
in the search page's own list); `{% linked_from_items %}`, the article page's "Linked from".

A card is the unit a listing repeats: ten on a page, and its cost is what grows when a site
has ten articles a page to show rather than two. As an included template with its
conditionals a card cost about 880 Python function calls, its loading included (cProfile, the
home page at 10,002 articles against 2); written here, about 400.

Options (each a keyword of both tags):
- `heading_level`: 2 (the default), or 3 when the list sits under its own h2;
- `show_topic`: a kicker with the article's first topic (`Article.first_topic`, set by
  `articles.listings.cards`);
- `hide_author`: on an author's own page, the byline only where others wrote it too;
- `compact`: no cover, no byline ("Read more");
- `search_result`: text first, no cover, and the passage that matched (`article.snippet`,
  safe HTML from articles.search) under the standfirst;
- `lead` (`article_grid` only): the first card spans the row and its cover loads at once
  (the top of the home page); every other cover loads lazily.
"""

from django import template
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

from ..markup import escape, format_html
from .bylines import byline
from .dates import cached_date
from .images import responsive_image

register = template.Library()

_LEAD_SIZES = "(min-width: 80rem) 45rem, (min-width: 48rem) 60vw, 100vw"
_CARD_SIZES = "(min-width: 80rem) 24rem, (min-width: 64rem) 33vw, (min-width: 38rem) 50vw, 100vw"
_SEPARATOR = ' <span class="article-card__separator" aria-hidden="true">·</span> '


@register.simple_tag
def article_card(
    article,
    *,
    heading_level=2,
    show_topic=False,
    hide_author=False,
    compact=False,
    search_result=False,
    eager_cover=False,
):
    """One card as `<article>`; `eager_cover` loads its cover at once, with priority."""
    with_cover = bool(article.cover) and not compact and not search_result
    classes = "article-card"
    if with_cover:
        classes += " article-card--with-cover"
    if compact:
        classes += " article-card--compact"
    if search_result:
        classes += " search-result"
    parts = [f'<article class="{classes}">\n  <div class="article-card__body">\n']
    if show_topic:
        topic = article.first_topic
        if topic is not None:
            parts.append(
                format_html(
                    '    <p class="article-card__kicker"><a href="{}">{}</a></p>\n',
                    topic.get_absolute_url(),
                    topic.name,
                )
            )
    heading = "h3" if heading_level == 3 else "h2"
    parts.append(
        format_html(
            '    <{} class="article-card__title"><a class="article-card__link" href="{}">{}</a></{}>\n'
            '    <p class="article-card__standfirst">{}</p>\n',
            heading,
            article.get_absolute_url(),
            article.title,
            heading,
            article.standfirst,
        )
    )
    snippet = getattr(article, "snippet", None) if search_result else None
    if snippet:
        parts.append(f'    <p class="search-result__snippet">{escape(snippet)}</p>\n')
    parts.append('    <p class="article-card__meta">')
    if not compact and (not hide_author or len(article.byline_authors()) > 1):
        parts.append(byline(article, link_class="article-card__author"))
        parts.append(_SEPARATOR)
    published_at = template_localtime(article.published_at)
    parts.append(
        format_html(
            '<time datetime="{}">{}</time></p>\n  </div>\n',
            cached_date(published_at, "c"),
            cached_date(published_at, "F d, Y"),
        )
    )
    if with_cover:
        # After the text in the source, so a screen reader meets the title first; CSS puts
        # it on top.
        parts.append("  ")
        parts.append(
            responsive_image(
                article.cover,
                alt=article.cover_alt,
                css_class="article-card__image",
                sizes=_LEAD_SIZES if eager_cover else _CARD_SIZES,
                lazy=not eager_cover,
                priority=eager_cover,
            )
        )
        parts.append("\n")
    parts.append("</article>")
    return mark_safe("".join(parts))  # every value escaped above


@register.simple_tag
def article_grid(
    article_list,
    *,
    heading_level=2,
    show_topic=False,
    hide_author=False,
    compact=False,
    lead=False,
):
    """The cards of `article_list` as the site's grid, a `<ul>` of them."""
    classes = "article-grid"
    if lead:
        classes += " article-grid--lead"
    if compact:
        classes += " article-grid--compact"
    items = [
        '<li class="article-grid__item">'
        + article_card(
            article,
            heading_level=heading_level,
            show_topic=show_topic,
            hide_author=hide_author,
            compact=compact,
            eager_cover=lead and index == 0,
        )
        + "</li>\n"
        for index, article in enumerate(article_list)
    ]
    return mark_safe(f'<ul class="{classes}" role="list">\n{"".join(items)}</ul>')


@register.simple_tag
def linked_from_items(articles):
    """The `<li>`s of an article's "Linked from" list: each linking article's title, linked,
    and its date (up to ten a page, as cheap as the cards)."""
    return mark_safe(
        "\n".join(
            format_html(
                '<li><a href="{}">{}</a> <span class="linked-from__date">{}</span></li>',
                article.get_absolute_url(),
                article.title,
                cached_date(template_localtime(article.published_at), "F d, Y"),
            )
            for article in articles
        )
    )
