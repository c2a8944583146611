"""What readers find around an article: read more, backlinks, previous/next, contents, archive."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import ArticleFactory, SuperuserFactory, TopicFactory

pytestmark = pytest.mark.django_db


def at(days_ago):
    return timezone.now() - timedelta(days=days_ago)


def text(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def read_more_titles(client, article):
    page = client.get(article.get_absolute_url()).content.decode()
    section = page.split('id="related-heading"', 1)[1] if 'id="related-heading"' in page else ""
    return re.findall(r'<a[^>]*href="/articles/[^"]+/"[^>]*>\s*([^<]+?)\s*</a>', section)


def test_read_more_lists_the_editors_picks_then_articles_sharing_most_topics(client):
    batteries, ev, policy = (
        TopicFactory(name="Batteries"),
        TopicFactory(name="EVs"),
        TopicFactory(name="Policy"),
    )
    article = ArticleFactory(published=True, title="Main piece", topics=[batteries, ev, policy])
    pick = ArticleFactory(published=True, title="Editor pick", published_at=at(300))
    article.related.add(pick)
    ArticleFactory(published=True, title="Shares one newer", topics=[policy], published_at=at(1))
    ArticleFactory(published=True, title="Shares two older", topics=[batteries, ev], published_at=at(50))
    ArticleFactory(published=True, title="Shares two newer", topics=[batteries, policy], published_at=at(10))
    ArticleFactory(published=True, title="Shares nothing", published_at=at(2))
    ArticleFactory(future=True, title="Shares all but future", topics=[batteries, ev, policy])
    ArticleFactory(title="Shares all but draft", topics=[batteries, ev, policy])

    assert [a.title for a in article.read_more()] == ["Editor pick", "Shares two newer", "Shares two older"]
    assert read_more_titles(client, article) == ["Editor pick", "Shares two newer", "Shares two older"]


def test_read_more_never_offers_an_unpublished_editor_pick(client):
    article = ArticleFactory(published=True)
    article.related.add(ArticleFactory(title="Draft pick"))
    assert "Draft pick" not in client.get(article.get_absolute_url()).content.decode()


def test_inline_links_become_backlinks_on_the_linked_article(client):
    target = ArticleFactory(published=True, slug="solid-state", title="Solid-state explained")
    source = ArticleFactory(
        published=True,
        title="Alliance plans",
        body="See [our explainer](/articles/solid-state/) and [again](https://example.com/x).",
    )
    draft_source = ArticleFactory(title="Unpublished mention", body="[x](/articles/solid-state/)")
    assert list(target.linked_from.all().order_by("title")) == [source, draft_source]
    page = text(client.get(target.get_absolute_url()))
    assert "Linked from Alliance plans" in page
    assert "Unpublished mention" not in page

    source.body = "No links any more."
    source.save()
    assert "Linked from" not in text(client.get(target.get_absolute_url()))


def test_links_to_unpublished_or_missing_articles_are_flagged_before_publishing(client):
    ArticleFactory(slug="coming-soon", title="Coming soon")
    live = ArticleFactory(published=True, slug="live-one")
    article = ArticleFactory(
        body="[a](/articles/coming-soon/) [b](/articles/live-one/) [c](/articles/no-such-thing/)"
    )
    assert [slug for slug, _ in article.unpublished_links()] == ["coming-soon", "no-such-thing"]

    client.force_login(SuperuserFactory())
    page = client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert "Check the links before publishing" in page
    assert "Coming soon" in page and "/articles/no-such-thing/" in page
    assert live.title not in page.split("Check the links", 1)[1].split("</div>", 1)[0]


def test_previous_and_next_article_follow_publication_order(client):
    older = ArticleFactory(published=True, title="Older one", published_at=at(20))
    middle = ArticleFactory(published=True, title="Middle one", published_at=at(10))
    newer = ArticleFactory(published=True, title="Newer one", published_at=at(1))
    ArticleFactory(future=True, title="Future one")
    page = text(client.get(middle.get_absolute_url()))
    assert "Previous article Older one" in page and "Next article Newer one" in page
    newest_page = text(client.get(newer.get_absolute_url()))
    assert "Next article" not in newest_page and "Future one" not in newest_page
    assert "Previous article" not in text(client.get(older.get_absolute_url()))


def test_table_of_contents_appears_from_three_headings(client):
    with_toc = ArticleFactory(
        published=True, body="## Origins\n\ntext\n\n## Today\n\ntext\n\n### Detail\n\ntext"
    )
    without = ArticleFactory(published=True, body="## Only\n\ntext\n\n## Two\n\ntext")
    page = client.get(with_toc.get_absolute_url()).content.decode()
    assert "In this article" in page
    for anchor in ("origins", "today", "detail"):
        assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page
    assert "In this article" not in client.get(without.get_absolute_url()).content.decode()


def test_headings_with_markup_are_escaped_in_the_table_of_contents():
    article = ArticleFactory(body="## A <script>x</script> & B\n\n## Two\n\n## Three")
    assert "<script" not in article.toc_html
    assert '<a href="#a-x-b">A x &amp; B</a>' in article.toc_html


def test_reading_time_is_shown(client):
    article = ArticleFactory(published=True, body=" ".join(["word"] * 950))
    assert "5 min read" in text(client.get(article.get_absolute_url()))


def test_monthly_archive_lists_that_months_published_articles(client):
    february = datetime(2022, 2, 8, 9, tzinfo=UTC)
    ArticleFactory(published=True, title="February piece", published_at=february)
    ArticleFactory(published=True, title="Early February piece", published_at=february - timedelta(days=7))
    ArticleFactory(published=True, title="March piece", published_at=february + timedelta(days=30))
    ArticleFactory(title="February draft", published_at=None)
    response = client.get("/archive/2022/02/")
    assert response.status_code == 200
    page = text(response)
    assert "February 2022" in page
    assert page.index("February piece") < page.index("Early February piece")
    assert "March piece" not in page and "February draft" not in page
    assert "March 2022" in page  # link to the next month

    index = text(client.get("/archive/"))
    assert "February 2022" in index and "March 2022" in index
    assert client.get("/archive/2022/05/").status_code == 404
    assert client.get("/archive/2022/13/").status_code == 404
    assert client.get("/archive/22/2/").status_code == 404


def test_future_articles_are_not_in_the_archive(client):
    ArticleFactory(future=True, title="Scheduled piece")
    month = timezone.localtime() + timedelta(days=3)
    # Its month has nothing published yet, so no page at all.
    assert client.get(f"/archive/{month:%Y}/{month:%m}/").status_code == 404
    assert "Scheduled piece" not in client.get("/archive/").content.decode()
