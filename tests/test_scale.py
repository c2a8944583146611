"""Reader pages at any size: the same articles in the same order as the straightforward
queries they replaced, and a number of queries that does not grow with the articles.

The site here is varied on purpose: seeded articles (`articles.seeding`, realistic topics,
authors, dates and links) plus drafts, archived and scheduled articles, equal publication
times, editors' picks (some unpublished), an article without topics, a topic and an author
with only unpublished articles, and an article linked from more articles than its page shows.
Each new query is compared with a reference written here the plain way: the query the
site used before, with the id breaking ties where it left the order to the database.

Marked `postgres` so that `make test` runs it on PostgreSQL as well as SQLite.
"""

import math
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from articles import models, pagecache, seeding
from articles.models import LINKED_FROM_SHOWN, READ_MORE, Article, Author, Topic
from articles.views import PAGE_SIZE
from tests.factories import ArticleFactory, AuthorFactory, TopicFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

NEWEST_FIRST = ("-published_at", "-id")
ARTICLE_PATH = re.compile(r'href="(/articles/[^"/]+/)"')


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    # Every request here is answered by the views themselves.
    settings.PAGE_CACHE_ENABLED = False


def build_site(count=150, seed=5):
    """A varied site; returns what the tests need to find in it."""
    seeded = seeding.seed_articles(count, seed=seed, writers=1)
    articles = list(Article.objects.filter(pk__in=seeded).order_by("id"))
    now = timezone.now()
    # Some that readers may not see.
    Article.objects.filter(pk__in=[a.pk for a in articles[5:12]]).update(status=Article.Status.DRAFT)
    Article.objects.filter(pk__in=[a.pk for a in articles[12:16]]).update(status=Article.Status.ARCHIVED)
    Article.objects.filter(pk__in=[a.pk for a in articles[16:20]]).update(
        published_at=now + timedelta(days=2)
    )
    # Equal publication times, where only the id can order them.
    moment = articles[40].published_at
    Article.objects.filter(pk__in=[a.pk for a in articles[41:45]]).update(published_at=moment)
    # Editors' picks: four, one of them a draft; one; none.
    picky, modest = articles[60], articles[61]
    picky.related.add(articles[30], articles[70], articles[7], articles[90], articles[100])
    modest.related.add(articles[50])
    # Linked from more articles than the page lists.
    popular = articles[25]
    Article.outbound_links.through.objects.bulk_create(
        [
            Article.outbound_links.through(from_article_id=source.pk, to_article_id=popular.pk)
            for source in articles[26 : 27 + LINKED_FROM_SHOWN + 4]
        ],
        ignore_conflicts=True,
    )
    # No topics at all; a topic and an author with unpublished articles only; an empty topic.
    articles[80].topics.clear()
    hidden_topic = TopicFactory(name="Only drafts")
    hidden_author = AuthorFactory(name="Drafts Only")
    ArticleFactory(draft=True, author=hidden_author, topics=[hidden_topic])
    ArticleFactory(future=True, author=hidden_author, topics=[hidden_topic])
    TopicFactory(name="Nothing yet")
    return {"picky": picky, "modest": modest, "popular": popular, "untagged": articles[80]}


@pytest.fixture
def site():
    return build_site()


def published():
    return Article.objects.published()


def page_paths(response):
    """The article links of a listing page, in the order the page shows them."""
    main = response.content.decode().split('<main id="main"', 1)[1]
    paths = ARTICLE_PATH.findall(main)
    return list(dict.fromkeys(paths))  # a card links its title once; keep the first


# ---------------------------------------------------------------------------
# References: the queries the pages used to make


def old_read_more(article, limit=READ_MORE):
    chosen = list(article.related.published().order_by(*NEWEST_FIRST)[:limit])
    if len(chosen) < limit:
        topic_ids = list(article.topics.values_list("pk", flat=True))
        if topic_ids:
            chosen += list(
                published()
                .filter(topics__in=topic_ids)
                .exclude(pk__in=[article.pk, *(a.pk for a in chosen)])
                .annotate(shared_topics=Count("topics"))
                .order_by("-shared_topics", *NEWEST_FIRST)[: limit - len(chosen)]
            )
    return chosen


def bounded_read_more(article, candidates_per_topic, limit=READ_MORE):
    """The documented choice: picks, then among the newest `candidates_per_topic` of each of
    the article's topics, the most shared topics, newest first."""
    chosen = list(article.related.published().order_by(*NEWEST_FIRST)[:limit])
    if len(chosen) < limit:
        mine = set(article.topics.values_list("pk", flat=True))
        pool = set()
        for topic_id in mine:
            pool |= set(published().filter(topics=topic_id).order_by(*NEWEST_FIRST)[:candidates_per_topic])
        pool -= {article, *chosen}

        def rank(candidate):
            shared = len(mine & set(candidate.topics.values_list("pk", flat=True)))
            return (shared, candidate.published_at, candidate.pk)

        chosen += sorted(pool, key=rank, reverse=True)[: limit - len(chosen)]
    return chosen


def old_previous(article):
    return published().filter(published_at__lt=article.published_at).order_by(*NEWEST_FIRST).first()


def old_next(article):
    return published().filter(published_at__gt=article.published_at).order_by("published_at", "id").first()


def ids(articles):
    return [article.pk for article in articles]


# ---------------------------------------------------------------------------
# Around an article


def test_read_more_is_exactly_the_old_choice_when_every_topic_is_within_the_candidates(site, monkeypatch):
    monkeypatch.setattr(models, "READ_MORE_CANDIDATES", 10_000)
    for article in published():
        assert ids(article.surroundings().read_more) == ids(old_read_more(article)), article.slug
    picky = site["picky"].surroundings().read_more
    assert [a.pk for a in picky] == ids(site["picky"].related.published().order_by(*NEWEST_FIRST)[:READ_MORE])


def test_read_more_chooses_among_the_newest_of_each_topic_on_a_large_site(site, monkeypatch):
    monkeypatch.setattr(models, "READ_MORE_CANDIDATES", 4)
    differs = 0
    for article in published():
        new = ids(article.surroundings().read_more)
        assert new == ids(bounded_read_more(article, 4)), article.slug
        differs += new != ids(old_read_more(article))
    assert differs, "the bound should matter somewhere on this site"


def test_read_more_follows_a_publish_a_topic_change_and_an_archive_at_once(client):
    batteries = TopicFactory(name="Batteries")
    reader = ArticleFactory(published=True, topics=[batteries])

    def read_more():
        return [
            article.title for article in client.get(reader.get_absolute_url()).context["related_articles"]
        ]

    assert read_more() == []
    newcomer = ArticleFactory(published=True, topics=[batteries], title="Solid-state cells arrive")
    assert read_more() == ["Solid-state cells arrive"]
    newcomer.topics.remove(batteries)
    assert read_more() == []
    newcomer.topics.add(batteries)
    assert read_more() == ["Solid-state cells arrive"]
    newcomer.status = Article.Status.ARCHIVED
    newcomer.save()
    assert read_more() == []


def test_previous_and_next_are_the_neighbours_in_publication_order(site):
    for article in published():
        around = article.surroundings()
        assert around.previous == old_previous(article), article.slug
        assert around.next == old_next(article), article.slug


def test_linked_from_shows_the_newest_and_counts_the_rest(site):
    for article in published():
        around = article.surroundings()
        everyone = list(article.linked_from.published().order_by(*NEWEST_FIRST))
        assert ids(around.linked_from) == ids(everyone[:LINKED_FROM_SHOWN]), article.slug
        assert around.linked_from_more == max(0, len(everyone) - LINKED_FROM_SHOWN)
    assert site["popular"].surroundings().linked_from_more > 0


def test_the_article_page_says_how_many_more_articles_link_to_it(client, site):
    popular = site["popular"]
    more = site["popular"].surroundings().linked_from_more
    page = client.get(popular.get_absolute_url()).content.decode()
    assert f"And {more} older article{'s' if more > 1 else ''}." in page
    section = page.split('id="linked-from-heading"', 1)[1].split("</aside>", 1)[0]
    assert len(ARTICLE_PATH.findall(section)) == LINKED_FROM_SHOWN


# ---------------------------------------------------------------------------
# Listings


def assert_listing(client, path, reference):
    """Every page of the listing at `path` shows `reference`'s articles, in its order."""
    expected = [article.get_absolute_url() for article in reference]
    pages = max(1, math.ceil(len(expected) / PAGE_SIZE))
    for number in range(1, pages + 1):
        response = client.get(path, {"page": number})
        assert response.status_code == 200, (path, number)
        assert response.context["paginator"].count == len(expected)
        shown = [article.get_absolute_url() for article in response.context["article_list"]]
        assert shown == expected[(number - 1) * PAGE_SIZE : number * PAGE_SIZE], (path, number)
        assert page_paths(response)[: len(shown)] == shown or path == "/"
    assert client.get(path, {"page": pages + 1}).status_code == 404


@pytest.fixture(params=[500, 7, 13], ids=lambda stride: f"marks every {stride}")
def mark_stride(request, monkeypatch):
    """Deep pages are read from remembered marks (listings.MARK_STRIDE): with the real
    stride, this site's pages are all before the first mark; with small ones, pages start on,
    after and across marks."""
    from articles import listings

    monkeypatch.setattr(listings, "MARK_STRIDE", request.param)
    return request.param


def test_home_pages_list_the_published_articles_newest_first(client, site, mark_stride):
    assert_listing(client, "/", published().order_by(*NEWEST_FIRST))


def test_deep_pages_keep_the_order_among_articles_published_at_the_same_moment(client, site, mark_stride):
    moment = timezone.now() - timedelta(days=3)
    tied = list(published().order_by(*NEWEST_FIRST).values_list("pk", flat=True)[5:60])
    Article.objects.filter(pk__in=tied).update(published_at=moment)
    pagecache.advance()  # what a bulk change of publication times would do

    assert_listing(client, "/", published().order_by(*NEWEST_FIRST))


def test_topic_author_and_month_pages_list_their_published_articles(client, site, mark_stride):
    for topic in Topic.objects.all():
        articles = published().filter(topics=topic).order_by(*NEWEST_FIRST)
        if articles:
            assert_listing(client, topic.get_absolute_url(), articles)
        else:
            assert client.get(topic.get_absolute_url()).context["paginator"].count == 0
    for author in Author.objects.all():
        assert_listing(
            client, author.get_absolute_url(), published().filter(author=author).order_by(*NEWEST_FIRST)
        )
    months = published().annotate(month=TruncMonth("published_at")).values_list("month", flat=True).distinct()
    for month in sorted(set(months))[:6]:
        local = timezone.localtime(month)
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
        in_month = published().filter(published_at__gte=start, published_at__lt=end).order_by(*NEWEST_FIRST)
        assert_listing(client, f"/archive/{start:%Y}/{start:%m}/", in_month)


def test_listing_cards_carry_each_articles_first_topic_by_name(client, site):
    # Cards take their kicker from the topics' ids and the browsable topics (listings.cards),
    # not from a prefetch: the same topic as the plain query, for every card of every page.
    for path in ("/", "/?page=2", *(author.get_absolute_url() for author in Author.objects.all())):
        response = client.get(path)
        if response.status_code != 200:
            continue
        for article in response.context["article_list"]:
            assert article.first_topic == article.topics.order_by("name").first(), (path, article.slug)


def test_cards_come_in_the_order_asked_leaving_out_unknown_ids(site):
    from django.test.utils import CaptureQueriesContext

    from articles.listings import CARD_SLOTS, cards

    ids = list(published().order_by("?").values_list("pk", flat=True)[: CARD_SLOTS * 2 + 3])
    asked = [*ids[:5], 999_999, *ids[5:]]
    with CaptureQueriesContext(connection) as queries:
        shown = cards(asked)

    # One query per CARD_SLOTS ids (besides the site's edition and its browsable topics).
    card_queries = [query for query in queries if "coauthor" in query["sql"]]
    assert len(card_queries) == 3, [query["sql"][:80] for query in queries]

    assert [article.pk for article in shown] == ids
    reference = {article.pk: article for article in published().filter(pk__in=ids).with_coauthors()}
    for article in shown:
        assert article.byline_authors() == reference[article.pk].byline_authors()
        assert article.title == reference[article.pk].title


def test_archive_months_and_their_neighbours_are_the_months_with_published_articles(client, site):
    months = sorted(
        {
            timezone.localtime(at).date().replace(day=1)
            for at in published().values_list("published_at", flat=True)
        }
    )
    response = client.get("/archive/")
    assert [month.date() for month in response.context["date_list"]] == months[::-1]  # newest first
    for index, month in enumerate(months[:8]):
        context = client.get(f"/archive/{month:%Y}/{month:%m}/").context
        assert context["previous_month"] == (months[index - 1] if index else None)
        assert context["next_month"] == (months[index + 1] if index + 1 < len(months) else None)


def test_the_navigation_and_the_search_choices_name_topics_and_authors_with_published_articles(client, site):
    topics = Topic.objects.filter(
        pk__in=Article.topics.through.objects.filter(article__in=published()).values("topic")
    )
    authors = Author.objects.filter(pk__in=published().values("author"))
    assert list(Topic.objects.with_published_articles()) == list(topics)
    assert list(Author.objects.with_published_articles()) == list(authors)
    nav = client.get("/").content.decode().split('aria-label="Topics"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'href="(/topics/[^"]+/)"', nav) == [topic.get_absolute_url() for topic in topics]
    assert "Only drafts" not in nav and "Nothing yet" not in nav


# ---------------------------------------------------------------------------
# Feeds and the sitemap


def test_feeds_list_the_newest_published_articles(client, site):
    from articles.feeds import FEED_SIZE

    def guids(url):
        return re.findall(r":article:(\d+)<", client.get(url).content.decode())

    assert guids("/feed/rss/") == [str(pk) for pk in ids(published().order_by(*NEWEST_FIRST)[:FEED_SIZE])]
    for topic in Topic.objects.with_published_articles():
        expected = published().filter(topics=topic).order_by(*NEWEST_FIRST)[:FEED_SIZE]
        assert guids(f"/topics/{topic.slug}/feed/rss/") == [str(pk) for pk in ids(expected)]
    for author in Author.objects.with_published_articles():
        expected = published().filter(author=author).order_by(*NEWEST_FIRST)[:FEED_SIZE]
        assert guids(f"/authors/{author.slug}/feed/atom/") == [str(pk) for pk in ids(expected)]


def test_the_sitemap_lists_every_published_article_once(client, site, monkeypatch, settings):
    from articles import sitemaps

    highest = Article.objects.order_by("-pk").first().pk
    per_page = math.ceil(highest / 5)  # five pages, however high the ids run
    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", per_page)
    index = client.get("/sitemap.xml").content.decode()
    pages = [loc.removeprefix(settings.SITE_ORIGIN) for loc in re.findall(r"<loc>([^<]+)</loc>", index)]
    article_pages = [page for page in pages if page.startswith("/sitemap-articles.xml")]
    assert len(article_pages) == math.ceil(highest / per_page) > 1
    listed = []
    for page in article_pages:
        listed += re.findall(r"<loc>[^<]*(/articles/[^<]+/)</loc>", client.get(page).content.decode())
    assert sorted(listed) == sorted(article.get_absolute_url() for article in published())
    topics = client.get("/sitemap-topics.xml").content.decode()
    assert re.findall(r"<loc>[^<]*(/topics/[^<]+/)</loc>", topics) == [
        topic.get_absolute_url() for topic in Topic.objects.with_published_articles()
    ]


def sql_of(client, url):
    """The statements a request runs, in order."""
    executed = []

    def record(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        assert client.get(url).status_code == 200, url
    return executed


def test_the_sitemap_index_runs_the_same_queries_for_fifty_pages_as_for_one(client, monkeypatch):
    """The index grows by an entry per page of articles (twenty at 100,000 articles), its
    queries do not: the sections' last changes are remembered for the edition, and the number
    of pages comes from the highest id, read off the end of the primary key without a sort."""
    from articles import sitemaps

    ArticleFactory.create_batch(3, published=True)
    highest = ArticleFactory(pk=1_000_000, published=True).pk  # ids run high: many pages
    client.get("/sitemap.xml")  # remembers the edition's values
    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", highest)
    one_page = sql_of(client, "/sitemap.xml")
    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", highest // 50)
    fifty_pages = sql_of(client, "/sitemap.xml")

    assert client.get("/sitemap.xml").content.decode().count("/sitemap-articles.xml") == 50
    assert fifty_pages == one_page
    plan = Article.objects.order_by("-pk").values_list("pk", flat=True)[:1].explain()
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


# ---------------------------------------------------------------------------
# Queries: a fixed number, whatever the number of articles


def count_queries(client, url):
    return len(sql_of(client, url))


def reader_urls():
    """One of each reader page, in the database as it is now."""
    article = Article.objects.get(slug="the-one-we-follow")
    topic = Topic.objects.get(name="Followed topic")
    month = timezone.localtime(article.published_at)
    return {
        "article": article.get_absolute_url(),
        "home": "/",
        "home page 2": "/?page=2",
        "topic": topic.get_absolute_url(),
        "author": article.author.get_absolute_url(),
        "archive": "/archive/",
        "archive month": f"/archive/{month:%Y}/{month:%m}/",
        "rss": "/feed/rss/",
        "atom": "/feed/atom/",
        "topic feed": f"{topic.get_absolute_url()}feed/rss/",
        "author feed": f"{article.author.get_absolute_url()}feed/atom/",
        "sitemap index": "/sitemap.xml",
        "sitemap articles": "/sitemap-articles.xml",
        "sitemap topics": "/sitemap-topics.xml",
        "sitemap authors": "/sitemap-authors.xml",
    }


def queries_per_page(client):
    """{page: (queries of a first request, of a second one)}: the first computes what is
    remembered for the edition (counts, months, the sitemap's dates), the second reads it."""
    from django.core.cache import cache

    # What Django asks SQLite once per connection (whether it has JSON functions), asked
    # now, so that it is not counted against the first page that needs it.
    assert connection.features.supports_json_field
    cache.clear()
    first = {name: count_queries(client, url) for name, url in reader_urls().items()}
    second = {name: count_queries(client, url) for name, url in reader_urls().items()}
    return {name: (first[name], second[name]) for name in first}


def test_reader_pages_make_as_many_queries_at_any_size(client):
    topic = TopicFactory(name="Followed topic")
    author = AuthorFactory()
    older = ArticleFactory(
        published=True, author=author, topics=[topic], published_at=timezone.now() - timedelta(days=9)
    )
    article = ArticleFactory(published=True, slug="the-one-we-follow", author=author, topics=[topic])
    newer = ArticleFactory(published=True, topics=[topic], body=f"[see]({article.get_absolute_url()})")
    article.related.add(older)
    assert newer in article.linked_from.all()
    ArticleFactory.create_batch(PAGE_SIZE, published=True, published_at=timezone.now() - timedelta(days=30))
    small = queries_per_page(client)

    build_site(count=120, seed=9)
    Article.objects.filter(topics__isnull=True).first().topics.add(topic)
    taken_over = (
        Article.objects.exclude(pk=article.pk).exclude(reviewer=author).values_list("pk", flat=True)[:30]
    )
    Article.objects.filter(pk__in=list(taken_over)).update(author=author)
    for source in Article.objects.exclude(pk=article.pk)[:20]:
        Article.outbound_links.through.objects.get_or_create(from_article=source, to_article=article)
    large = queries_per_page(client)

    assert published().count() > 10 * PAGE_SIZE
    assert large == small
    # Three; and on the first request of an edition, two more that every article page then
    # reads: the topics and "Read more"'s candidates of every topic, remembered per edition.
    assert small["article"] == (5, 3)
