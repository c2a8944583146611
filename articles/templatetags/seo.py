"""Template glue for link previews and structured data (articles.structured_data)."""

from django import template

from ..structured_data import (
    absolute_url,
    iso_datetime,
    json_ld_script,
    last_modified,
    news_article,
    preview_image,
)

register = template.Library()


@register.simple_tag
def article_preview(article):
    """`{% article_preview article as preview %}`: what includes/article_meta.html prints."""
    return {
        "url": absolute_url(article.get_absolute_url()),
        "image": preview_image(article),
        "published_time": iso_datetime(article.published_at),
        "modified_time": iso_datetime(last_modified(article)),
        "author_url": absolute_url(article.author.get_absolute_url()),
        "author_urls": [absolute_url(author.get_absolute_url()) for author in article.byline_authors()],
        "topics": [topic.name for topic in article.topics.all()],
        "json_ld": json_ld_script(news_article(article)),
    }
