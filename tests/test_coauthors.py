"""Co-authors: several authors per article, in order (issue 11, point 4)."""

import re

import pytest
from django.core.management import call_command
from django.db import connection

from articles import pagecache, workflow
from articles.models import Article, ArticleCoauthor, Author
from articles.roles import AUTHORS, REVIEWERS
from tests.conftest import ARTICLE_ADD_URL, coauthor_inline_data
from tests.factories import ArticleFactory, AuthorFactory, TopicFactory, newsroom_member
from tests.test_structured_data import json_ld, parse_page

pytestmark = pytest.mark.django_db


def written_by(article, *coauthors):
    for position, author in enumerate(coauthors, start=1):
        ArticleCoauthor.objects.create(article=article, author=author, position=position)
    return article


@pytest.fixture
def trio():
    return (
        AuthorFactory(name="Ada Lovelace", slug="ada"),
        AuthorFactory(name="Grace Hopper", slug="grace"),
        AuthorFactory(name="Katherine Johnson", slug="katherine"),
    )


def text_of(html):
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def byline(client, article):
    html = client.get(article.get_absolute_url()).content.decode()
    return text_of(re.search(r'<p class="article__byline">(.*?)</p>', html, re.DOTALL)[1])


def count_queries(client, url):
    executed = []

    def record(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    client.get(url)  # once-only work (SQLite's search index check, feature probes) out of the count
    with connection.execute_wrapper(record):
        response = client.get(url)
    assert response.status_code == 200
    return len(executed)


def test_the_byline_names_every_author_in_order(client, trio):
    ada, grace, katherine = trio
    alone = ArticleFactory(published=True, author=ada)
    two = written_by(ArticleFactory(published=True, author=ada), grace)
    three = ArticleFactory(published=True, author=katherine)
    # Positions, not the order the rows were added in, give the order.
    ArticleCoauthor.objects.create(article=three, author=ada, position=2)
    ArticleCoauthor.objects.create(article=three, author=grace, position=1)

    assert byline(client, alone).startswith("Written by Ada Lovelace –")
    assert byline(client, two).startswith("Written by Ada Lovelace and Grace Hopper –")
    assert byline(client, three).startswith("Written by Katherine Johnson, Grace Hopper and Ada Lovelace –")
    html = client.get(two.get_absolute_url()).content.decode()
    assert '<a href="/authors/grace/">Grace Hopper</a>' in html


def test_listing_cards_name_every_author(client, trio):
    ada, grace, _ = trio
    written_by(ArticleFactory(published=True, author=ada, title="Two hands"), grace)

    html = client.get("/").content.decode()
    meta = re.search(r'<p class="article-card__meta">(.*?)</p>', html, re.DOTALL)[1]

    assert "Ada Lovelace</a> and <a" in meta and "Grace Hopper</a>" in meta


def test_co_authors_cost_no_query_on_reader_pages(client, trio, settings):
    settings.PAGE_CACHE_ENABLED = False  # the views' own queries, every time
    ada, grace, katherine = trio
    topic = TopicFactory()
    alone = ArticleFactory(published=True, author=ada, topics=[topic], title="Zeppelin review")
    client.get(alone.get_absolute_url())  # what is remembered per edition, remembered
    before = {
        "article": count_queries(client, alone.get_absolute_url()),
        "home": count_queries(client, "/"),
        "feed": count_queries(client, "/feed/rss/"),
        "search": count_queries(client, "/search/?q=zeppelin"),
    }
    for _ in range(3):
        written_by(ArticleFactory(published=True, author=ada, topics=[topic]), grace, katherine)
    written_by(alone, grace, katherine)

    after = {
        "article": count_queries(client, alone.get_absolute_url()),
        "home": count_queries(client, "/"),
        "feed": count_queries(client, "/feed/rss/"),
        "search": count_queries(client, "/search/?q=zeppelin"),
    }
    assert after == before


def test_an_author_page_lists_the_articles_they_co_wrote(client, trio):
    ada, grace, _ = trio
    own = ArticleFactory(published=True, author=grace, title="Grace alone")
    shared = written_by(ArticleFactory(published=True, author=ada, title="Ada with Grace"), grace)
    ArticleFactory(published=True, author=ada, title="Ada alone")

    html = client.get(grace.get_absolute_url()).content.decode()

    assert own.title in html and shared.title in html
    assert "Ada alone" not in html
    # Their own articles need no byline there; a co-written one names everyone.
    metas = re.findall(r'<p class="article-card__meta">(.*?)</p>', html, re.DOTALL)
    assert sum("Ada Lovelace" in meta and "Grace Hopper" in meta for meta in metas) == 1
    assert sum("Grace Hopper" in meta for meta in metas) == 1
    assert grace in Author.objects.with_published_articles()


def test_an_author_who_only_co_wrote_is_listed_among_authors_with_articles(trio):
    ada, grace, katherine = trio
    written_by(ArticleFactory(published=True, author=ada), grace)
    written_by(ArticleFactory(author=ada), katherine)  # a draft: not yet

    assert set(Author.objects.with_published_articles()) == {ada, grace}


def test_search_narrowed_to_an_author_finds_what_they_co_wrote(client, trio):
    ada, grace, _ = trio
    written_by(
        ArticleFactory(published=True, author=ada, title="Hydrogen trucks", body="Hydrogen trucks."), grace
    )

    html = client.get("/search/", {"q": "hydrogen", "author": grace.slug}).content.decode()

    assert "Hydrogen trucks" in html and "1 article found" in html


def test_feeds_name_every_author(client, trio):
    ada, grace, _ = trio
    written_by(ArticleFactory(published=True, author=ada), grace)

    rss = client.get("/feed/rss/").content.decode()
    atom = client.get("/feed/atom/").content.decode()
    grace_feed = client.get(f"/authors/{grace.slug}/feed/rss/").content.decode()

    assert re.findall(r"<dc:creator[^>]*>([^<]*)</dc:creator>", rss) == ["Ada Lovelace", "Grace Hopper"]
    assert re.findall(r"<author><name>([^<]*)</name>", atom) == ["Ada Lovelace", "Grace Hopper"]
    assert "<item>" in grace_feed, "the co-author's own feed carries the article"


def test_json_ld_lists_every_author_and_a_single_author_stays_one_person(client, trio):
    ada, grace, _ = trio
    alone = ArticleFactory(published=True, author=ada)
    two = written_by(ArticleFactory(published=True, author=ada), grace)

    assert json_ld(parse_page(client, alone.get_absolute_url()))["author"]["name"] == "Ada Lovelace"
    authors = json_ld(parse_page(client, two.get_absolute_url()))["author"]
    assert [author["name"] for author in authors] == ["Ada Lovelace", "Grace Hopper"]
    assert all(author["@type"] == "Person" for author in authors)
    page = parse_page(client, two.get_absolute_url())
    assert len(page.meta["article:author"]) == 2
    assert page.meta["twitter:data1"] == ["Ada Lovelace and Grace Hopper"]


def test_adding_a_co_author_starts_a_new_edition_of_the_cached_pages(trio):
    ada, grace, katherine = trio
    article = ArticleFactory(published=True, author=ada)
    editions = [pagecache.current_edition().token]

    link = ArticleCoauthor.objects.create(article=article, author=grace, position=1)
    editions.append(pagecache.current_edition().token)
    article.coauthors.add(katherine, through_defaults={"position": 2})
    editions.append(pagecache.current_edition().token)
    link.delete()
    editions.append(pagecache.current_edition().token)

    assert len(set(editions)) == 4


def test_a_co_authors_rename_reaches_the_cached_byline(client, trio):
    ada, grace, _ = trio
    article = written_by(ArticleFactory(published=True, author=ada), grace)
    assert "Grace Hopper" in byline(client, article)

    grace.name = "Rear Admiral Grace Hopper"
    grace.save()

    assert "Rear Admiral Grace Hopper" in byline(client, article)


def test_an_editor_adds_co_authors_in_order_in_the_admin(editor_client, article_form_data, trio):
    ada, grace, katherine = trio
    data = article_form_data(editor_client, author=ada)
    data.update(coauthor_inline_data((katherine, 2), (grace, 1)))

    response = editor_client.post(ARTICLE_ADD_URL, data)

    assert response.status_code == 302, (
        response.context and response.context["inline_admin_formsets"][0].formset.errors
    )
    article = Article.objects.get(slug=data["slug"])
    assert article.byline_authors() == [ada, grace, katherine]


@pytest.mark.parametrize("who", ["lead", "twice"])
def test_the_admin_refuses_the_lead_or_a_repeat_as_co_author(editor_client, article_form_data, trio, who):
    ada, grace, _ = trio
    data = article_form_data(editor_client, author=ada)
    rows = [(ada, 1)] if who == "lead" else [(grace, 1), (grace, 2)]
    data.update(coauthor_inline_data(*rows))

    response = editor_client.post(ARTICLE_ADD_URL, data)

    assert response.status_code == 200
    errors = str(response.context["inline_admin_formsets"][0].formset.errors)
    assert ("lead author already" if who == "lead" else "duplicate") in errors
    assert not Article.objects.filter(slug=data["slug"]).exists()


def test_no_co_author_may_approve_the_article(newsroom):
    reviewer = newsroom["reviewer"]
    article = ArticleFactory(author=newsroom["author"].author_profile)
    written_by(article, reviewer.author_profile)
    Article.objects.filter(pk=article.pk).update(status=Article.Status.IN_REVIEW)
    article.refresh_from_db()

    assert workflow.is_author_of(reviewer, article)
    with pytest.raises(workflow.TransitionNotAllowed, match="own article"):
        workflow.approve(article, reviewer)
    another = newsroom_member(REVIEWERS)
    workflow.approve(article, another)
    assert article.reviewer == another.author_profile


def test_a_co_author_works_on_the_draft_like_the_lead_author(newsroom):
    colleague = newsroom_member(AUTHORS)
    article = written_by(ArticleFactory(author=newsroom["author"].author_profile), colleague.author_profile)

    assert workflow.can_view(colleague, article)
    assert workflow.can_edit(colleague, article)
    assert article in workflow.visible_articles(colleague)
    assert article not in workflow.visible_articles(newsroom["other_author"])


def test_the_launch_articles_keep_their_single_author():
    call_command("load_launch", verbosity=0)

    for article in Article.objects.all():
        assert article.byline_authors() == [article.author]
    assert not ArticleCoauthor.objects.exists()


def test_byline_authors_reads_the_same_with_or_without_the_annotation(trio):
    ada, grace, katherine = trio
    article = written_by(ArticleFactory(published=True, author=ada), katherine, grace)

    plain = Article.objects.get(pk=article.pk)
    annotated = Article.objects.with_byline().get(pk=article.pk)

    assert plain.byline_authors() == annotated.byline_authors() == [ada, katherine, grace]
    assert [a.name for a in annotated.byline_authors()] == [
        "Ada Lovelace",
        "Katherine Johnson",
        "Grace Hopper",
    ]
    assert [a.slug for a in annotated.byline_authors()] == ["ada", "katherine", "grace"]


def test_co_authors_hear_about_their_article_and_are_not_asked_to_review_it(
    newsroom, django_capture_on_commit_callbacks
):
    from django.core import mail

    reviewer_writing = newsroom["reviewer"]
    other_reviewer = newsroom_member(REVIEWERS)
    article = written_by(
        ArticleFactory(author=newsroom["author"].author_profile), reviewer_writing.author_profile
    )

    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(article, newsroom["author"])
    asked = {address for message in mail.outbox for address in message.to}
    assert other_reviewer.email in asked
    assert reviewer_writing.email not in asked, "a co-author is not asked to review their own article"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve(article, other_reviewer)
    (message,) = mail.outbox
    # The whole byline, and the editors who can now publish it.
    assert set(message.to) == {
        newsroom["author"].email,
        reviewer_writing.email,
        newsroom["editor"].email,
        newsroom["superuser"].email,
    }
