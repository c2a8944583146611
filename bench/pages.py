"""The reader pages the benchmark requests, and where they are in a given database.

`discover()` runs inside Django. Where a page depends on the data (which topic, which
month), it takes the busiest one, the worst case a reader can reach: the topic, author and
month with the most published articles.
"""

import math
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

LAUNCH_ARTICLE_SLUG = "renault-nissan-mitsubishi-alliance-from-start-to-future"
DEEP_PAGE = 500
COMMON_WORD = "battery"  # in about a third of the seeded articles
RARE_WORD = "Renault"  # in the launch articles only

# (key, label); the order of the tables.
PAGES = [
    ("article", "article (launch)"),
    ("home", "home"),
    ("home-500", f"home ?page={DEEP_PAGE}"),
    ("topic", "topic"),
    ("author", "author"),
    ("archive-month", "archive month"),
    ("search-common", f"search “{COMMON_WORD}”"),
    ("search-rare", f"search “{RARE_WORD}”"),
    ("rss", "RSS feed"),
    ("atom", "Atom feed"),
    ("sitemap", "sitemap.xml (index)"),
    ("sitemap-page", "sitemap page"),
]
LABELS = dict(PAGES)
KEYS = [key for key, _ in PAGES]
# A page's cost is compared with this page at the launch size (page 500 against page 1).
BASELINE = {"home-500": "home"}


def parse_keys(text):
    keys = [key.strip() for key in text.split(",") if key.strip()] if text else KEYS
    unknown = [key for key in keys if key not in LABELS]
    if unknown:
        raise SystemExit(f"unknown page(s) {', '.join(unknown)}; known: {', '.join(KEYS)}")
    return keys


def _path(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def discover(client, keys):
    """{key: (url or None, note)} for the pages in `keys`."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth
    from django.urls import reverse

    from articles import views
    from articles.models import Article, Author, Topic

    published = Article.objects.published()
    found = {}

    def want(key):
        return key in keys or (key == "home" and "home-500" in keys)

    if want("article"):
        article = published.filter(slug=LAUNCH_ARTICLE_SLUG).first()
        found["article"] = (article.get_absolute_url(), "") if article else (None, "launch article missing")
    if want("home") or want("home-500"):
        found["home"] = (reverse("articles:article-list"), "")
    if want("home-500"):
        per_page = getattr(views, "PAGE_SIZE", 10)
        last = max(1, math.ceil(published.count() / per_page))
        page = min(DEEP_PAGE, last)
        note = "" if page == DEEP_PAGE else f"last page ({last}): fewer than {DEEP_PAGE}"
        url = f"{reverse('articles:article-list')}?page={page}"
        if client.get(url).status_code != 200:
            url, note = f"{reverse('articles:article-list')}?page=last", "?page=last (computed page failed)"
        found["home-500"] = (url, note)
    if want("topic"):
        row = published.exclude(topics=None).values("topics").annotate(n=Count("id")).order_by("-n").first()
        topic = row and Topic.objects.get(pk=row["topics"])
        found["topic"] = (topic.get_absolute_url(), f"{row['n']} articles") if topic else (None, "no topic")
    if want("author"):
        row = published.values("author").annotate(n=Count("id")).order_by("-n").first()
        author = row and Author.objects.get(pk=row["author"])
        found["author"] = (
            (author.get_absolute_url(), f"{row['n']} articles") if author else (None, "no author")
        )
    if want("archive-month"):
        row = (
            published.annotate(month=TruncMonth("published_at"))
            .values("month")
            .annotate(n=Count("id"))
            .order_by("-n", "-month")
            .first()
        )
        if row:
            url = reverse(
                "articles:archive-month", kwargs={"year": f"{row['month']:%Y}", "month": f"{row['month']:%m}"}
            )
            found["archive-month"] = (url, f"{row['n']} articles")
        else:
            found["archive-month"] = (None, "no published article")
    search = reverse("articles:search")
    if want("search-common"):
        found["search-common"] = (f"{search}?q={COMMON_WORD}", "")
    if want("search-rare"):
        found["search-rare"] = (f"{search}?q={RARE_WORD}", "")
    if want("rss"):
        found["rss"] = (reverse("articles:feed-rss"), "")
    if want("atom"):
        found["atom"] = (reverse("articles:feed-atom"), "")
    if want("sitemap") or want("sitemap-page"):
        found["sitemap"] = ("/sitemap.xml", "")
        found["sitemap-page"] = _sitemap_page(client)
    return {key: found[key] for key in keys}


def _sitemap_page(client):
    """The first sitemap page listing articles, from the sitemap index."""
    response = client.get("/sitemap.xml")
    if response.status_code != 200:
        return None, f"/sitemap.xml answered {response.status_code}"
    root = ET.fromstring(b"".join(response) if response.streaming else response.content)
    if not root.tag.endswith("sitemapindex"):
        return None, "/sitemap.xml is one flat sitemap, not an index"
    locs = [element.text.strip() for element in root.iter() if element.tag.endswith("loc") and element.text]
    if not locs:
        return None, "empty sitemap index"
    chosen = next((loc for loc in locs if "article" in loc), locs[0])
    return _path(chosen), ""
