"""Articles, authors and topics: what the database and the models guarantee."""

import json
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils import timezone

from articles.models import (
    WORDS_PER_MINUTE,
    Article,
    Author,
    Topic,
    coauthor_rows,
    slug_url,
    slug_urls,
    topics_among,
)
from tests.factories import ArticleFactory, AuthorFactory, TopicFactory

pytestmark = pytest.mark.django_db

Status = Article.Status


def test_published_lists_only_published_articles_whose_time_has_come():
    live = ArticleFactory(published=True)
    just_now = ArticleFactory(status=Status.PUBLISHED, published_at=timezone.now() - timedelta(seconds=1))
    ArticleFactory(future=True)
    ArticleFactory(draft=True)
    for status in (Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.APPROVED, Status.ARCHIVED):
        ArticleFactory(status=status, published_at=timezone.now() - timedelta(days=1))

    assert set(Article.objects.published()) == {live, just_now}


def test_a_scheduled_article_appears_when_its_time_comes():
    article = ArticleFactory(future=True)
    assert article not in Article.objects.published()

    Article.objects.filter(pk=article.pk).update(published_at=timezone.now() - timedelta(seconds=1))

    assert article in Article.objects.published()


def test_published_articles_come_newest_first():
    older = ArticleFactory(published=True, published_at=timezone.now() - timedelta(days=2))
    newer = ArticleFactory(published=True, published_at=timezone.now() - timedelta(hours=2))

    assert list(Article.objects.published()) == [newer, older]


def test_related_articles_are_symmetric():
    first, second = ArticleFactory(), ArticleFactory()

    first.related.add(second)

    assert list(second.related.all()) == [first]
    assert list(first.related.all()) == [second]


def test_slugs_are_unique():
    ArticleFactory(slug="battery-news")

    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(slug="battery-news")


def test_a_published_article_must_have_a_publication_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(status=Status.PUBLISHED, published_at=None)


def test_the_date_constraint_also_holds_for_queryset_updates():
    article = ArticleFactory(published=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(published_at=None)


def test_a_draft_may_have_no_publication_date():
    draft = ArticleFactory(draft=True)

    assert Article.objects.get(pk=draft.pk).published_at is None


def test_a_cover_needs_alt_text():
    article = ArticleFactory.build(cover_alt="", author=AuthorFactory())
    article.cover.save("cover.jpg", ContentFile(b"fake"), save=False)

    with pytest.raises(IntegrityError), transaction.atomic():
        article.save()


def test_a_cover_with_alt_text_is_fine():
    article = ArticleFactory.build(cover_alt="A red car", author=AuthorFactory())
    article.cover.save("cover.jpg", ContentFile(b"fake"), save=False)

    article.save()

    assert Article.objects.get(pk=article.pk).cover_alt == "A red car"


def test_the_reviewer_cannot_be_the_author():
    author = AuthorFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(author=author, reviewer=author)


def test_another_person_may_review():
    reviewer = AuthorFactory()
    article = ArticleFactory(reviewer=reviewer)

    assert Article.objects.get(pk=article.pk).reviewer == reviewer


def test_an_unknown_status_is_refused_by_the_database():
    article = ArticleFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(status="deleted")


@pytest.mark.parametrize(
    "words, minutes",
    [(0, 1), (1, 1), (WORDS_PER_MINUTE, 1), (WORDS_PER_MINUTE + 1, 2), (WORDS_PER_MINUTE * 5, 5)],
)
def test_reading_time_is_whole_minutes_and_at_least_one(words, minutes):
    article = ArticleFactory(body=" ".join(["word"] * words) or "<!-- nothing to read -->")

    assert article.word_count == words
    assert article.reading_time == minutes


def test_word_count_ignores_markup():
    article = ArticleFactory(body="# Two words\n\n**three** [little](https://example.com) words")

    assert article.word_count == 5


def test_body_and_take_html_are_rendered_on_save():
    article = ArticleFactory(body="Some **bold** claim.", take="Our *view*.")

    stored = Article.objects.get(pk=article.pk)
    assert stored.body_html == "<p>Some <strong>bold</strong> claim.</p>"
    assert stored.take_html == "<p>Our <em>view</em>.</p>"


def test_an_empty_take_renders_to_nothing():
    assert ArticleFactory(take="   ").take_html == ""


@pytest.mark.parametrize(
    ("field", "value", "body_html", "word_count"),
    [
        pytest.param(
            "body", "New **text** here.", "<p>New <strong>text</strong> here.</p>", 3, id="the body"
        ),
        pytest.param("title", "Retitled", "<p>Text.</p>", 1, id="the title only"),
    ],
)
def test_a_save_of_some_fields_renders_the_html_again_only_when_the_body_is_among_them(
    field, value, body_html, word_count
):
    article = ArticleFactory(body="Text.")

    setattr(article, field, value)
    article.save(update_fields=[field])

    stored = Article.objects.get(pk=article.pk)
    assert getattr(stored, field) == value
    assert (stored.body_html, stored.word_count) == (body_html, word_count)


def test_topics_with_published_articles_leave_out_empty_topics():
    used, unused, draft_only = TopicFactory(), TopicFactory(), TopicFactory()
    ArticleFactory(published=True, topics=[used])
    ArticleFactory(published=True, topics=[used])
    ArticleFactory(draft=True, topics=[draft_only])

    assert list(Topic.objects.with_published_articles()) == [used]
    assert unused not in Topic.objects.with_published_articles()


def test_authors_with_published_articles_leave_out_authors_without_any():
    writer, newcomer, drafter = AuthorFactory(), AuthorFactory(), AuthorFactory()
    ArticleFactory(published=True, author=writer)
    ArticleFactory(published=True, author=writer)
    ArticleFactory(future=True, author=newcomer)
    ArticleFactory(draft=True, author=drafter)

    assert list(Author.objects.with_published_articles()) == [writer]


def last_modified_of(article):
    return Article.objects.with_last_modified().get(pk=article.pk).last_modified


def test_last_modified_is_the_last_edit():
    article = ArticleFactory(published=True)
    edited_at = timezone.now() - timedelta(minutes=10)
    Article.objects.filter(pk=article.pk).update(updated_at=edited_at)

    assert last_modified_of(article) == edited_at


def test_an_article_written_before_its_scheduled_time_is_modified_when_it_appears():
    published_at = timezone.now() - timedelta(minutes=5)
    article = ArticleFactory(published=True)
    Article.objects.filter(pk=article.pk).update(
        published_at=published_at, updated_at=published_at - timedelta(days=2)
    )

    assert last_modified_of(article) == published_at


def test_a_draft_was_last_modified_at_its_last_edit():
    draft = ArticleFactory(draft=True)

    assert last_modified_of(draft) == Article.objects.get(pk=draft.pk).updated_at


def test_every_public_model_has_a_url():
    article = ArticleFactory(slug="gigafactory")

    assert article.get_absolute_url() == "/articles/gigafactory/"
    assert article.author.get_absolute_url() == f"/authors/{article.author.slug}/"
    assert TopicFactory(slug="batteries").get_absolute_url() == "/topics/batteries/"


def test_is_live_matches_the_published_queryset():
    assert ArticleFactory(published=True).is_live
    assert not ArticleFactory(future=True).is_live
    assert not ArticleFactory(draft=True).is_live


@pytest.mark.parametrize(
    "name", ["articles:article-detail", "articles:author-detail", "articles:topic-detail"]
)
@pytest.mark.parametrize("script_prefix", ["/", "/news/"])
def test_slug_urls_are_what_reverse_gives(name, script_prefix):
    set_script_prefix(script_prefix)
    try:
        url = slug_urls(name)
        for slug in ("battery-news", "a", "Model_3-2026"):
            assert url(slug) == slug_url(name, slug) == reverse(name, kwargs={"slug": slug})
        with pytest.raises(NoReverseMatch):
            url("not a slug")
    finally:
        set_script_prefix("/")


def test_coauthor_rows_come_in_byline_order():
    # As with_coauthors() gives them: JSON objects joined by commas, in any order.
    rows = [
        {"id": 9, "name": "Katherine", "slug": "katherine", "position": 2},
        {"id": 3, "name": "Grace", "slug": "grace", "position": 1},
        {"id": 2, "name": "Ada", "slug": "ada", "position": 2},
    ]
    raw = ",".join(json.dumps(row) for row in rows)

    assert [row["name"] for row in coauthor_rows(raw)] == ["Grace", "Ada", "Katherine"]
    assert coauthor_rows(None) == coauthor_rows("") == []


def test_topics_among_keeps_the_order_of_the_browsable_topics():
    batteries, policy, trucks = (
        Topic(id=pk, name=name) for pk, name in [(7, "Batteries"), (2, "Policy"), (5, "Trucks")]
    )
    browsable = [batteries, policy, trucks]

    assert topics_among("5,7", browsable) == [batteries, trucks]
    assert topics_among("2", browsable) == [policy]
    assert topics_among(None, browsable) == []


def test_the_live_column_matches_the_published_queryset():
    articles = [
        ArticleFactory(published=True),
        ArticleFactory(future=True),
        ArticleFactory(draft=True),
        ArticleFactory(status=Article.Status.ARCHIVED, published_at=timezone.now() - timedelta(days=1)),
    ]
    live = dict(Article.objects.with_live().values_list("pk", "live"))
    assert live == {article.pk: article.is_live for article in articles}
    assert {pk for pk, is_live in live.items() if is_live} == set(
        Article.objects.published().values_list("pk", flat=True)
    )
