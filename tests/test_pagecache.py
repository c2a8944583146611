"""The page cache: readers get stored pages, and never a page older than the last change.

Every story here is told through the test client with the page cache on, as production
runs it: the first anonymous GET renders and stores, the next one is answered from the
cache, and any change readers can see (publish, unpublish, archive, correction, topic,
author, slug) starts a new edition in the same transaction.
"""

import os
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.http import http_date

from articles import pagecache, preview, workflow
from articles.models import Article, PageEdition
from tests.factories import ArticleFactory, AuthorFactory, TopicFactory

pytestmark = pytest.mark.django_db
Status = Article.Status


def approved_article(newsroom, **kwargs):
    article = ArticleFactory(author=newsroom["author"].author_profile, **kwargs)
    workflow.submit(article, newsroom["author"])
    workflow.approve(article, newsroom["reviewer"])
    return article


def share_path(article):
    return preview.share_url(article).removeprefix(settings.SITE_ORIGIN)


def status_of(response):
    return response.headers.get("X-Page-Cache")


@pytest.mark.parametrize(
    "url",
    ["/", "/?page=1", "/search/?q=cars", "/feed/rss/", "/feed/atom/", "/sitemap.xml", "/archive/"],
)
def test_a_second_reader_is_answered_from_the_cache_with_the_same_bytes(client, url):
    ArticleFactory(published=True)
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert (status_of(first), status_of(second)) == ("miss", "hit")
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["ETag"] == first["ETag"]


def test_article_topic_and_author_pages_are_cached(client):
    topic = TopicFactory()
    article = ArticleFactory(published=True)
    article.topics.add(topic)
    for url in (article.get_absolute_url(), topic.get_absolute_url(), article.author.get_absolute_url()):
        assert status_of(client.get(url)) == "miss"
        assert status_of(client.get(url)) == "hit"


def test_pages_tell_browsers_and_proxies_how_to_cache_them(client, settings):
    response = client.get("/")
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert cache_control == {
        "public",
        "max-age=0",
        f"s-maxage={settings.PAGE_CACHE_S_MAXAGE}",
        f"stale-while-revalidate={settings.PAGE_CACHE_STALE_WHILE_REVALIDATE}",
    }
    edition = PageEdition.objects.get()
    assert response["Last-Modified"] == http_date(edition.changed_at.timestamp())
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 34


def test_a_conditional_get_is_answered_with_304_and_no_body(client):
    first = client.get("/")
    by_etag = client.get("/", headers={"If-None-Match": first["ETag"]})
    by_date = client.get("/", headers={"If-Modified-Since": first["Last-Modified"]})
    assert by_etag.status_code == by_date.status_code == 304
    assert by_etag.content == b"" and by_etag["ETag"] == first["ETag"]
    assert client.get("/", headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_a_publish_is_on_the_next_page_served(client, newsroom):
    article = approved_article(newsroom, title="Sodium batteries reach the showroom")
    client.get("/")
    assert status_of(client.get("/")) == "hit"

    workflow.publish(article, newsroom["editor"])

    page = client.get("/")
    assert status_of(page) == "miss"
    assert "Sodium batteries reach the showroom" in page.content.decode()


def test_a_publish_changes_the_etag_so_a_revalidating_browser_gets_the_new_page(client, newsroom):
    article = approved_article(newsroom, title="Hydrogen trucks, counted")
    etag = client.get("/")["ETag"]
    workflow.publish(article, newsroom["editor"])
    response = client.get("/", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Hydrogen trucks, counted" in response.content.decode()


def test_unpublish_and_archive_take_the_cached_article_down_at_once(client, newsroom):
    article = approved_article(newsroom)
    workflow.publish(article, newsroom["editor"])
    url = article.get_absolute_url()
    client.get(url)
    assert status_of(client.get(url)) == "hit"

    workflow.unpublish(article, newsroom["editor"], comment="Legal check")
    assert client.get(url).status_code == 404

    workflow.publish(article, newsroom["editor"])
    assert client.get(url).status_code == 200
    workflow.archive(article, newsroom["editor"])
    assert client.get(url).status_code == 404


def test_a_correction_of_a_live_article_is_served_the_moment_it_is_published(client, newsroom):
    article = approved_article(newsroom, body="The plant builds 100 cars a day.")
    workflow.publish(article, newsroom["editor"])
    url = article.get_absolute_url()
    client.get(url)
    edition = PageEdition.objects.get().token
    article.refresh_from_db()
    article.body = "The plant builds 120 cars a day."
    workflow.save_edit(article, newsroom["editor"], changed_fields=["body"])
    # On its way through review: readers keep the stored page, and the edition stays.
    workflow.submit_correction(article, newsroom["editor"])
    workflow.approve_correction(article, newsroom["reviewer"])
    response = client.get(url)
    assert status_of(response) == "hit" and "100 cars a day" in response.content.decode()
    assert PageEdition.objects.get().token == edition

    workflow.publish_correction(article, newsroom["editor"], comment="We gave the wrong daily output.")
    response = client.get(url)
    assert status_of(response) == "miss"
    page = response.content.decode()
    assert "120 cars a day" in page and "100 cars a day" not in page
    assert "We gave the wrong daily output." in page


def test_topic_and_author_changes_are_served_at_once(client):
    topic = TopicFactory(name="Charging")
    article = ArticleFactory(published=True)
    article.topics.add(topic)
    url = article.get_absolute_url()
    client.get(url)

    topic.name = "Charging networks"
    topic.save()
    assert "Charging networks" in client.get(url).content.decode()

    author = article.author
    author.name = "Dana Reyes-Okafor"
    author.save()
    assert "Dana Reyes-Okafor" in client.get(url).content.decode()

    article.topics.remove(topic)
    assert "Charging networks" not in client.get(url).content.decode()


def test_a_new_slug_redirects_at_once_and_the_old_cached_page_is_gone(client):
    article = ArticleFactory(published=True, slug="old-address")
    client.get("/articles/old-address/")
    article.slug = "new-address"
    article.save()
    response = client.get("/articles/old-address/")
    assert response.status_code == 301 and response["Location"] == "/articles/new-address/"


def test_a_scheduled_article_appears_at_its_time_with_no_job_running(client, newsroom):
    start = timezone.now()
    article = approved_article(newsroom, title="The midnight launch")
    with time_machine.travel(start, tick=False):
        workflow.publish(article, newsroom["editor"], at=start + timedelta(hours=2))
        assert PageEdition.objects.get().next_publication == article.published_at
        assert "The midnight launch" not in client.get("/").content.decode()
        assert status_of(client.get("/")) == "hit"
    with time_machine.travel(start + timedelta(hours=2, seconds=1), tick=False):
        page = client.get("/")
        assert status_of(page) == "miss"
        assert "The midnight launch" in page.content.decode()
        assert PageEdition.objects.get().next_publication is None


def test_no_stored_page_outlives_the_next_scheduled_publication(client, newsroom, monkeypatch):
    article = approved_article(newsroom)
    page_timeouts = []
    real_set = cache.set

    def recording_set(key, value, timeout=None):
        if key.startswith("page:"):
            page_timeouts.append(timeout)
        return real_set(key, value, timeout)

    monkeypatch.setattr(cache, "set", recording_set)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        workflow.publish(article, newsroom["editor"], at=start + timedelta(minutes=5))
        client.get("/")
    assert page_timeouts == [300]


def test_staff_are_never_served_from_the_cache_nor_stored_in_it(client, newsroom):
    ArticleFactory(published=True, title="What staff see")
    client.force_login(newsroom["editor"])
    first, second = client.get("/"), client.get("/")
    assert status_of(first) is None and status_of(second) is None
    assert "private" in second["Cache-Control"] and "no-cache" in second["Cache-Control"]
    client.logout()
    assert status_of(client.get("/")) == "miss"


def test_previews_and_share_links_are_never_cached(client, newsroom):
    article = ArticleFactory(author=newsroom["author"].author_profile)
    share = client.get(share_path(article))
    again = client.get(share_path(article))
    assert share.status_code == again.status_code == 200
    assert status_of(share) is None and status_of(again) is None
    assert "no-cache" in again["Cache-Control"]


def test_the_admin_and_its_login_form_are_never_cached(client):
    assert status_of(client.get("/admin/login/")) is None
    assert status_of(client.get("/admin/login/")) is None


def test_a_response_that_sets_a_cookie_is_not_stored(client, rf, monkeypatch):
    from django.http import HttpResponse

    monkeypatch.setattr(pagecache, "_is_public_path", lambda path: path == "/cookie/")

    def view(request):
        response = HttpResponse("hello")
        response.set_cookie("flavour", "vanilla")
        response.public_page = True
        return response

    middleware = pagecache.PageCacheMiddleware(view)
    request = rf.get("/cookie/")
    assert middleware(request).has_header("X-Page-Cache") is False
    assert middleware(rf.get("/cookie/")).cookies["flavour"].value == "vanilla"


def edition_reads(queries):
    return [q["sql"] for q in queries if "articles_pageedition" in q["sql"]]


@pytest.mark.parametrize("url", ["/robots.txt", "/admin/login/", "/no-such-page/", "/static/css/site.css"])
def test_paths_that_are_never_stored_do_not_look_in_the_page_cache(client, url, monkeypatch):
    looked_up = []
    real_get = pagecache.cache.get
    monkeypatch.setattr(
        pagecache.cache, "get", lambda key, *args: looked_up.append(key) or real_get(key, *args)
    )

    response = client.get(url)

    assert status_of(response) is None
    assert [key for key in looked_up if key.startswith("page:")] == []


@pytest.mark.parametrize("url", ["/robots.txt", "/admin/login/"])
def test_paths_without_reader_content_do_not_read_the_edition(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert edition_reads(queries.captured_queries) == []


@pytest.mark.parametrize("url", ["/", "/?page=1", "/archive/"])
def test_a_reader_request_reads_the_edition_once(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ArticleFactory(status=Status.PUBLISHED, published_at=timezone.now() - timedelta(days=1))
    pagecache.current_edition()  # the first edition exists before the reader comes
    with CaptureQueriesContext(connection) as queries:
        assert status_of(client.get(url)) == "miss"
    assert len(edition_reads(queries.captured_queries)) == 1


@pytest.mark.parametrize("page_cache", [True, False])
def test_values_remembered_under_the_edition_are_read_from_the_shared_cache_once_per_process(
    client, settings, monkeypatch, page_cache
):
    settings.PAGE_CACHE_ENABLED = page_cache
    article = ArticleFactory(
        status=Status.PUBLISHED, published_at=timezone.now() - timedelta(days=1), topics=[TopicFactory()]
    )
    looked_up = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *args: looked_up.append(key) or real_get(key, *args))

    for source in ("newsletter", "social"):  # not stored pages: both are rendered
        response = client.get(f"{article.get_absolute_url()}?from={source}")
        assert status_of(response) == ("miss" if page_cache else None)

    # The browsable topics (the article's are among them), "Read more"'s candidates and the
    # navigation's links: each read from the shared cache once, by the first request.
    memo_reads = [key for key in looked_up if key.startswith("edition-memo:")]
    assert len(memo_reads) == len(set(memo_reads)) == 3


def test_a_process_keeps_a_remembered_value_only_for_its_edition(client):
    topic = TopicFactory(name="Batteries")
    article = ArticleFactory(
        status=Status.PUBLISHED, published_at=timezone.now() - timedelta(days=1), topics=[topic]
    )
    assert "Batteries" in client.get("/").content.decode()

    topic.name = "Cells and batteries"
    topic.save()  # a new edition, in this process and every other

    page = client.get("/").content.decode()
    assert "Cells and batteries" in page and ">Batteries<" not in page
    assert article.title in page


def test_not_found_pages_are_not_stored(client):
    assert client.get("/articles/no-such-article/").status_code == 404
    assert status_of(client.get("/articles/no-such-article/")) is None


def test_a_disallowed_host_is_refused_even_when_the_page_is_cached(client):
    client.get("/")
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_the_page_cache_can_be_turned_off(client, settings):
    settings.PAGE_CACHE_ENABLED = False
    assert status_of(client.get("/")) is None and status_of(client.get("/")) is None


def test_pages_are_kept_in_the_shared_cache_under_the_current_edition(client):
    client.get("/")
    edition = PageEdition.objects.get()
    stored = cache.get(pagecache.page_key(edition, "/"))
    assert stored is not None and stored["status"] == 200
    AuthorFactory()  # any change readers could see starts a new edition
    assert PageEdition.objects.get().token != edition.token


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (.ci/run sets it for the PostgreSQL pass)"
)
def test_with_redis_every_worker_shares_the_stored_pages(client, settings, newsroom):
    import redis

    prefix = f"autotrendy-test-{os.getpid()}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": prefix,
        }
    }
    server = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        article = approved_article(newsroom, title="Stored in Redis")
        assert status_of(client.get("/")) == "miss"
        assert status_of(client.get("/")) == "hit"
        assert server.keys(f"{prefix}:*page:*"), "the page is in Redis, where every worker finds it"
        workflow.publish(article, newsroom["editor"])
        assert "Stored in Redis" in client.get("/").content.decode()
    finally:
        for key in server.scan_iter(f"{prefix}:*"):
            server.delete(key)


def test_saving_a_draft_keeps_the_edition_and_publishing_or_unpublishing_moves_it():
    """Drafts are seen by nobody: the newsroom's saves do not empty the page cache."""
    article = ArticleFactory(draft=True, title="Work in progress")
    edition = pagecache.current_edition().token

    article.body = "A second paragraph, saved again and again."
    article.save()
    ArticleFactory(draft=True, author=article.author).delete()
    assert pagecache.current_edition().token == edition

    article.status, article.published_at = Article.Status.PUBLISHED, timezone.now()
    article.save()
    published = pagecache.current_edition().token
    assert published != edition

    article.status = Article.Status.DRAFT  # unpublished: readers saw it, so pages change
    article.save()
    assert pagecache.current_edition().token != published
    unpublished = pagecache.current_edition().token

    article.status, article.published_at = Article.Status.PUBLISHED, timezone.now() + timedelta(days=1)
    article.save()  # scheduled: the edition learns the time it must move on
    assert pagecache.current_edition().token != unpublished
    assert pagecache.current_edition().next_publication == article.published_at
