"""What an article looks like away from the site: in link previews (OpenGraph, Twitter
cards), to search engines (schema.org JSON-LD) and in feeds and the sitemap.

URLs are absolute on settings.SITE_ORIGIN, the site's canonical origin, whatever host
the request came through.
"""

import html
import json
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .images.storage import file_url
from .models import Article
from .templatetags.site_urls import static_url

# Drawn for the site (1200 × 630, the size link previews ask for) and used when an
# article has no cover.
DEFAULT_IMAGE = ("img/og-default.png", 1200, 630)
LOGO = ("img/logo.png", 512, 512)

# JSON inside <script> must not contain "</script>" or "<!--": escaping <, > and & as
# JSON \u escapes keeps the data identical and the HTML parser out of it (as
# django.utils.html.json_script does, which only writes type="application/json").
_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def absolute_url(url):
    """A path (from reverse(), a storage or static URL) made absolute on the site's origin.

    A URL that is already absolute (media on a CDN, say) is returned unchanged. A plain
    path (what reverse() and the storages give: no dot segments to resolve) is simply put
    after the origin: an article page makes about twenty of these.
    """
    if url.startswith("/") and not url.startswith("//") and "/." not in url:
        return settings.SITE_ORIGIN + url
    return urljoin(settings.SITE_ORIGIN + "/", url)


def iso_datetime(value):
    """ISO 8601 in the site's time zone, to the second; None stays None."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def last_modified(article):
    """When readers last saw the article change (`ArticleQuerySet.with_last_modified()`).

    Reader pages, feeds and the sitemap load articles with that annotation; an article
    loaded without it (a draft preview) costs one query.
    """
    try:
        return article.last_modified
    except AttributeError:
        return Article.objects.with_last_modified().values_list("last_modified", flat=True).get(pk=article.pk)


@dataclass(frozen=True)
class PreviewImage:
    url: str
    width: int | None
    height: int | None
    alt: str


def preview_image(article):
    """The image shown with a link to the article: its cover, else the site's default."""
    if article.cover:
        return PreviewImage(
            url=absolute_url(file_url(article.cover.storage, article.cover.name)),
            width=article.cover_width,
            height=article.cover_height,
            alt=article.cover_alt,
        )
    path, width, height = DEFAULT_IMAGE
    return PreviewImage(
        url=absolute_url(static_url(path)), width=width, height=height, alt=settings.SITE_NAME
    )


def person(author):
    return {"@type": "Person", "name": author.name, "url": absolute_url(author.get_absolute_url())}


def publisher():
    path, width, height = LOGO
    return {
        "@type": "Organization",
        "name": settings.SITE_NAME,
        "url": absolute_url("/"),
        "logo": {
            "@type": "ImageObject",
            "url": absolute_url(static_url(path)),
            "width": width,
            "height": height,
        },
    }


@dataclass(frozen=True)
class Facts:
    """What link previews and the JSON-LD both say of an article, worked out once."""

    url: str
    image: PreviewImage
    authors: list
    topics: list
    modified: str


def facts_of(article):
    return Facts(
        url=absolute_url(article.get_absolute_url()),
        image=preview_image(article),
        authors=article.byline_authors(),
        topics=[topic.name for topic in article.topic_list],
        modified=iso_datetime(last_modified(article)),
    )


def news_article(article, facts):
    """The article as a schema.org NewsArticle, ready for json.dumps; `facts` is its `facts_of()`.

    The reviewer is on the web page (`mainEntityOfPage.reviewedBy`): schema.org defines
    `reviewedBy` and `lastReviewed` for WebPage, not for Article.
    """
    url = facts.url
    authors = [person(author) for author in facts.authors]
    page = {"@type": "WebPage", "@id": url, "url": url}
    if article.reviewer_id:
        page["reviewedBy"] = person(article.reviewer)
        if article.approved_at:
            page["lastReviewed"] = iso_datetime(article.approved_at)
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": page,
        "url": url,
        "headline": article.title,
        "description": article.standfirst,
        "image": image_object(article, facts.image),
        "datePublished": iso_datetime(article.published_at),
        "dateModified": facts.modified,
        # One Person, or every author in byline order.
        "author": authors if len(authors) > 1 else authors[0],
        "publisher": publisher(),
        "wordCount": article.word_count,
    }
    if facts.topics:
        data["articleSection"] = facts.topics[0]
        data["keywords"] = facts.topics
    # A draft seen through a preview link has no publication date yet.
    return {key: value for key, value in data.items() if value is not None}


def image_object(article, image):
    """The preview image as a schema.org ImageObject; a cover with its caption, credit
    (`creditText`, and `copyrightNotice` in the holder's name) and licence."""
    data = {
        "@type": "ImageObject",
        "url": image.url,
        **({"width": image.width, "height": image.height} if image.width and image.height else {}),
        "caption": image.alt,
    }
    if article.cover:
        if article.cover_caption:
            data["caption"] = article.cover_caption
        if article.cover_credit:
            data["creditText"] = article.cover_credit
            data["copyrightNotice"] = f"© {article.cover_credit}"
        if article.cover_licence:
            data["license"] = article.cover_licence
    return data


def json_ld_script(data):
    """`data` as a <script type="application/ld+json"> element, safe inside HTML.

    On one line: indented, json.dumps leaves its C encoder for the Python one (twice the
    time, on every article page)."""
    text = json.dumps(data, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


def phrase(parts):
    """ "A", "A and B", "A, B and C": a byline's parts as one phrase."""
    return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


def names(authors):
    """The byline's names as one phrase."""
    return phrase([author.name for author in authors])


def _card(prefix, article, image):
    """What a link preview shows (title, description, image and its alt text), in the
    vocabulary of `prefix`: OpenGraph ("og") or Twitter/X cards ("twitter")."""
    return [
        (f"{prefix}:title", article.title),
        (f"{prefix}:description", article.standfirst),
        (f"{prefix}:image", image.url),
        (f"{prefix}:image:alt", image.alt),
    ]


def link_preview_head(article):
    """The page head's link previews (OpenGraph, which Facebook and LinkedIn read; Twitter/X
    cards) and the schema.org JSON-LD, as HTML: data, written out once per article page
    here rather than tag by tag by the template engine (a fifth of the page's rendering)."""
    facts = facts_of(article)
    image = facts.image
    opengraph = [
        ("og:type", "article"),
        ("og:site_name", settings.SITE_NAME),
        ("og:locale", "en_US"),
        ("og:url", facts.url),
        *_card("og", article, image),
    ]
    if image.width and image.height:
        opengraph += [("og:image:width", image.width), ("og:image:height", image.height)]
    if article.published_at:
        opengraph.append(("article:published_time", iso_datetime(article.published_at)))
    opengraph.append(("article:modified_time", facts.modified))
    opengraph += [("article:author", absolute_url(author.get_absolute_url())) for author in facts.authors]
    opengraph += [("article:section", topic) for topic in facts.topics[:1]]
    opengraph += [("article:tag", topic) for topic in facts.topics]
    twitter = [
        ("twitter:card", "summary_large_image"),
        *_card("twitter", article, image),
        ("twitter:label1", "Written by"),
        ("twitter:data1", names(facts.authors)),
        ("twitter:label2", "Reading time"),
        ("twitter:data2", f"{article.reading_time} min read"),
    ]
    return mark_safe(
        "\n".join(
            [
                _meta_tags("property", opengraph),
                _meta_tags("name", twitter),
                json_ld_script(news_article(article, facts)),
            ]
        )
    )


def _meta_tags(attribute, pairs):
    """<meta> elements, every value escaped (as Django's `escape`, which is `html.escape`,
    without its lazy-string wrapping: it doubled the cost of these tags)."""
    return "\n".join(
        f'<meta {attribute}="{html.escape(name)}" content="{html.escape(str(value))}">'
        for name, value in pairs
    )
