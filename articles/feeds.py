"""RSS 2.0 and Atom feeds: the whole site, one topic, one author.

Published articles only (`Article.objects.published()`), newest first. Each item has the
standfirst as its summary and the full article (the body and the take, as stored and
sanitized at save time) as its content: `<content:encoded>` in RSS, `<content
type="html">` in Atom.

Plain text stays plain text in every reader. RSS has no way to say "this is text": its
`<title>` and `<description>` are read as HTML by feed readers (and by feedparser when
they look like HTML), so the titles, standfirsts, topic descriptions and author bios are
HTML-escaped once before the XML writer escapes them again: a standfirst reading
`<img src=x onerror=...>` or `Fast & <cheap>` arrives as those characters, never as an
element. Atom can say it: titles and subtitles are `type="text"` by default, and the
summary is written as `type="text"` too (Django writes it as HTML).

Every URL in a feed is absolute on settings.SITE_ORIGIN, not on the host of the request,
so that a feed fetched through another name (an internal host, a proxy) still points
readers at the canonical site; django.contrib.sites is not used.
"""

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import rfc3339_date
from django.utils.html import escape
from django.utils.translation import get_language

from .feedxml import QuickAtom1Feed, QuickRss201rev2Feed
from .listings import browsable_topics
from .models import NEWEST_FIRST, Article, Author, Topic, coauthor_rows, slug_urls, topics_among
from .structured_data import absolute_url

FEED_SIZE = 20
# What an item shows of an article: the content is the rendered HTML (the Markdown, the table
# of contents, the cover and the newsroom's columns are not read).
ITEM_FIELDS = ("id", "title", "slug", "standfirst", "body_html", "take_html", "created_at", "published_at")

# Root-relative URLs in stored HTML ("/media/…", "/articles/…") and in-page fragments
# ("#fn:1"): feed readers show the content away from the site, where neither resolves.
# Each pattern starts at the `="` of an attribute and looks behind it for the attribute's
# name: the regular expression engine finds a literal start at C speed, where a pattern
# starting with `\b(href|src)` is tried at every character (ten times slower on a body).
# They match what `\b(href|src)="/(?!/)`, `\bhref="#` and `\bsrcset="([^"]*)"` match.
_ROOT_RELATIVE = re.compile(r'="(?:(?<=\bhref=")|(?<=\bsrc="))/(?!/)')
_FRAGMENT = re.compile(r'="(?<=\bhref=")#')
# Body images' srcset: a list of "URL width" candidates, each made absolute alike.
_SRCSET = re.compile(r'="(?<=\bsrcset=")([^"]*)"')


def article_content_html(body_html, take_html, url):
    """An article's full HTML for a feed reader: its body, then its take under a heading.

    The body and take were sanitized when the article was saved; only their links are
    made absolute here, on settings.SITE_ORIGIN as it is now (in-page links on `url`, the
    article's absolute URL).
    """
    html = body_html
    if take_html:
        heading = escape(f"{settings.SITE_NAME}’s take")
        html += f"\n<h2>{heading}</h2>\n{take_html}"
    html = _ROOT_RELATIVE.sub(f'="{settings.SITE_ORIGIN}/', html)
    html = _SRCSET.sub(lambda match: f'="{_absolute_srcset(match[1])}"', html)
    return _FRAGMENT.sub(f'="{url}#', html)


def _absolute_srcset(srcset):
    return ", ".join(
        f"{settings.SITE_ORIGIN}{candidate}"
        if candidate.startswith("/") and not candidate.startswith("//")
        else candidate
        for candidate in (part.strip() for part in srcset.split(","))
    )


# The elements RSS readers take as HTML; the feeds fill them with plain text.
_RSS_HTML_FIELDS = ("title", "description")


def _as_html(values):
    return {key: escape(values[key]) for key in _RSS_HTML_FIELDS if values.get(key) is not None}


class RssFeedWithContent(QuickRss201rev2Feed):
    """RSS 2.0 with the full article in `<content:encoded>` (the RSS content module) and
    its update time in `<atom:updated>` (RSS itself has no element for it; Django
    already declares the Atom namespace for the feed's self link).

    Titles and descriptions, of the channel and of each item, are plain text escaped as
    HTML (see the module's docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.feed.update(_as_html(self.feed))

    def add_item(self, *args, **kwargs):
        super().add_item(*args, **kwargs)
        self.items[-1].update(_as_html(self.items[-1]))

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
            # Co-authors are further <dc:creator> elements (Django declares it on the first only).
            "xmlns:dc": "http://purl.org/dc/elements/1.1/",
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item["updateddate"] is not None:
            handler.addQuickElement("atom:updated", rfc3339_date(item["updateddate"]))
        for name in item.get("coauthor_names", ()):
            handler.addQuickElement("dc:creator", name)
        if item.get("content_html"):
            handler.addQuickElement("content:encoded", item["content_html"])


class AtomFeedWithContent(QuickAtom1Feed):
    """Atom with the standfirst as `<summary type="text">` and the full article as
    `<content type="html">`."""

    def add_item_elements(self, handler, item):
        # Django would write the summary as type="html": it is written here as text.
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})
        # Atom has an <author> per author; the lead author's is written by Django.
        for name, link in zip(item.get("coauthor_names", ()), item.get("coauthor_links", ()), strict=True):
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.addQuickElement("uri", link)
            handler.endElement("author")
        if item.get("content_html"):
            handler.addQuickElement("content", item["content_html"], {"type": "html"})


class LatestArticlesFeed(Feed):
    """The newest published articles on the whole site (RSS 2.0)."""

    feed_type = RssFeedWithContent
    feed_url_name = "articles:feed-rss"

    def get_feed(self, obj, request):
        """The feed of `obj` (a topic, an author; None for the whole site): the channel, then
        an item per article, each from `item_fields`.

        In place of Django's `Feed.get_feed`, which asks for every field of every item through
        `_get_dynamic_attr`: an `inspect.unwrap` and a look at the method's code, about fifteen
        times an item, most of them for fields these feeds leave empty. The `item_*` methods
        are called directly instead. These feeds use none of Django's other hooks (templates,
        enclosures, comments, copyright, ttl, stylesheets), and their URLs are absolute already.
        """
        feed = self.feed_type(
            title=self.title(obj),
            subtitle=self.subtitle(obj),
            link=self.link(obj),
            description=self.description(obj),
            language=get_language(),
            feed_url=self.feed_url(obj),
            categories=self.categories(obj),
            feed_guid=self.feed_guid(obj),
        )
        for item in self.items(obj):
            feed.add_item(**self.item_fields(item))
        return feed

    def title(self, obj):
        return settings.SITE_NAME

    def description(self, obj):
        return settings.SITE_DESCRIPTION

    def subtitle(self, obj):
        # Atom's name for the description.
        return self.description(obj)

    def link(self, obj):
        return absolute_url(obj.get_absolute_url() if obj else reverse("articles:article-list"))

    def feed_url(self, obj):
        kwargs = {"slug": obj.slug} if obj else {}
        return absolute_url(reverse(self.feed_url_name, kwargs=kwargs))

    def feed_guid(self, obj):
        # Atom's feed <id>: the RSS and Atom feeds of one listing are one feed.
        return self.link(obj)

    def categories(self, obj):
        return None

    def get_articles(self, obj):
        return Article.objects.published()

    def items(self, obj):
        """The newest FEED_SIZE, found by walking the (status, published_at, id) index (for an
        author, its author-first twin): bounded work however many articles there are.

        One query, for the columns an item shows (ITEM_FIELDS), the lead author's name and
        slug, the co-authors, when the article last changed and its topics' ids; as rows, not
        model instances (an article and its author made as models for each row were a fifth of
        an item's cost). Each row then gets its `topic_names`, from the topics readers can
        browse (remembered per edition, and holding every published article's topics), by
        name; its `link`, its `author_link` and its `coauthors` (name, link), made with the
        URL patterns looked up once for the twenty.
        """
        rows = list(
            self.get_articles(obj)
            .with_coauthors()
            .with_last_modified()
            .with_topic_ids()
            .order_by(*NEWEST_FIRST)
            .values(
                *ITEM_FIELDS,
                "coauthor_json",
                "last_modified",
                "topic_ids",
                author_name=F("author__name"),
                author_slug=F("author__slug"),
            )[:FEED_SIZE]
        )
        if rows:
            topics = browsable_topics()
            article_url, author_url = slug_urls(Article.url_name), slug_urls(Author.url_name)
            for row in rows:
                row["topic_names"] = [topic.name for topic in topics_among(row["topic_ids"], topics)]
                row["link"] = absolute_url(article_url(row["slug"]))
                row["author_link"] = absolute_url(author_url(row["author_slug"]))
                row["coauthors"] = [
                    (author["name"], absolute_url(author_url(author["slug"])))
                    for author in coauthor_rows(row["coauthor_json"])
                ]
        return rows

    def item_title(self, item):
        return item["title"]

    def item_description(self, item):
        return item["standfirst"]

    def item_link(self, item):
        return item["link"]

    def item_guid(self, item):
        # Stable across slug changes (old slugs redirect), so a renamed article is not
        # shown to subscribers as a new one.
        host = settings.SITE_ORIGIN.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        return f"tag:{host},{item['created_at']:%Y-%m-%d}:article:{item['id']}"

    def item_guid_is_permalink(self, item):
        return False

    def item_author_name(self, item):
        return item["author_name"]

    def item_author_link(self, item):
        return item["author_link"]

    def item_pubdate(self, item):
        return item["published_at"]

    def item_updateddate(self, item):
        return item["last_modified"]

    def item_categories(self, item):
        return item["topic_names"]

    def item_fields(self, item):
        """What the feed generator's `add_item` takes for one article (a row of `items`)."""
        link = self.item_link(item)
        return {
            "title": self.item_title(item),
            "link": link,
            "description": self.item_description(item),
            "unique_id": self.item_guid(item),
            "unique_id_is_permalink": self.item_guid_is_permalink(item),
            "pubdate": self.item_pubdate(item),
            "updateddate": self.item_updateddate(item),
            "author_name": self.item_author_name(item),
            "author_link": self.item_author_link(item),
            "categories": self.item_categories(item),
            "content_html": article_content_html(item["body_html"], item["take_html"], link),
            # Every author after the lead (item_author_name): another <dc:creator> or <author>.
            "coauthor_names": [name for name, _ in item["coauthors"]],
            "coauthor_links": [url for _, url in item["coauthors"]],
        }


class LatestArticlesAtomFeed(LatestArticlesFeed):
    feed_type = AtomFeedWithContent
    feed_url_name = "articles:feed-atom"


class OneThingFeed(LatestArticlesFeed):
    """The newest published articles of one `model` instance (a topic, an author), found by the
    URL's slug. Unknown slug: 404."""

    model = None

    def get_object(self, request, slug):
        return get_object_or_404(self.model, slug=slug)


class TopicFeed(OneThingFeed):
    """The newest published articles about one topic."""

    model = Topic
    feed_url_name = "articles:topic-feed-rss"

    def title(self, obj):
        return f"{settings.SITE_NAME}: {obj.name}"

    def description(self, obj):
        return obj.description or f"Articles about {obj.name} on {settings.SITE_NAME}."

    def categories(self, obj):
        return [obj.name]

    def get_articles(self, obj):
        return Article.objects.published().filter(topics=obj)


class TopicAtomFeed(TopicFeed):
    feed_type = AtomFeedWithContent
    feed_url_name = "articles:topic-feed-atom"


class AuthorFeed(OneThingFeed):
    """The newest published articles by one author."""

    model = Author
    feed_url_name = "articles:author-feed-rss"

    def title(self, obj):
        return f"{settings.SITE_NAME}: articles by {obj.name}"

    def description(self, obj):
        return obj.bio or f"Articles by {obj.name} on {settings.SITE_NAME}."

    def get_articles(self, obj):
        return Article.objects.published().by_author(obj)


class AuthorAtomFeed(AuthorFeed):
    feed_type = AtomFeedWithContent
    feed_url_name = "articles:author-feed-atom"
