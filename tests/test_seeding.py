"""Seeding many articles: `manage.py seed_articles --count N [--seed S]`.

An operator seeds a database for a benchmark or a demo and gets articles that look and
behave like the newsroom's own: published, rendered, searchable, linked, with one
revision and a workflow timeline each, the same for the same seed.

Runs on whichever database the suite uses; marked `postgres` so that `make test` also
runs it on PostgreSQL (its bulk path is COPY there, with parallel writers).
"""

import io
import os
import random
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection

from articles import seeding
from articles.links import linked_article_slugs
from articles.models import Article, ArticleEvent, Author, PageEdition, SlugRedirect, Topic
from articles.search import search_articles
from tests.factories import ArticleFactory, TopicFactory
from tests.processes import run_python

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def seed(count, seed=7, **options):
    """Run the command as an operator would, with the clock stopped; returns its output."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command(
            "seed_articles", count=str(count), seed=str(seed), stdout=stdout, stderr=stderr, **options
        )
    return stdout.getvalue(), stderr.getvalue()


def snapshot():
    """What readers and editors can see of every article, without database ids."""
    return [
        (
            article.title,
            article.slug,
            article.standfirst,
            article.body,
            article.take,
            article.body_html,
            article.word_count,
            article.published_at,
            article.approved_at,
            article.created_at,
            article.author.name,
            article.reviewer.name,
            sorted(topic.name for topic in article.topics.all()),
            sorted(target.slug for target in article.outbound_links.all()),
        )
        for article in Article.objects.order_by("published_at", "id").select_related("author", "reviewer")
    ]


def mentions_batteries(article):
    text = f"{article.title} {article.standfirst} {article.body} {article.take}"
    return re.search("batter", text, re.IGNORECASE) is not None


# ---------------------------------------------------------------------------
# What gets made


def test_seeds_the_number_of_published_articles_asked_for():
    output, progress = seed(40)

    assert Article.objects.count() == 40
    assert Article.objects.published().count() == 40
    assert "Seeded 40 published articles" in output
    assert "seed 7" in output
    # The progress bar, on stderr.
    assert "40/40" in progress and "100%" in progress


def test_articles_vary_in_length_topic_author_and_date():
    seed(120)
    articles = list(Article.objects.all())

    words = sorted(article.word_count for article in articles)
    assert words[0] < 200, "short news items"
    assert words[-1] > 600, "long features"
    with_contents = [article for article in articles if article.toc_html]
    assert 0 < len(with_contents) < len(articles), "some, not all, have a table of contents"
    assert all(article.toc_html.count("<li") >= 3 for article in with_contents)
    assert Article.topics.through.objects.values("topic").distinct().count() >= 8
    assert len({article.author_id for article in articles}) >= 20
    years = {article.published_at.year for article in articles}
    assert len(years) >= 4, "publication dates spread over years"
    assert max(article.published_at for article in articles) < NOW
    assert len({article.title for article in articles}) > 100
    assert any(article.take_html for article in articles)
    assert any(not article.take for article in articles)


def test_authors_reviewers_and_topics_are_created_once_and_reused():
    batteries = TopicFactory(name="Batteries", slug="batteries")
    seed(30)
    seed(30, seed=8)

    assert Topic.objects.filter(name="Batteries").count() == 1
    assert Topic.objects.get(slug="batteries") == batteries
    assert Topic.objects.count() == len(seeding.TOPICS)
    assert Author.objects.count() == len(seeding.AUTHOR_NAMES)
    reviewers = set(Author.objects.filter(name__in=seeding.AUTHOR_NAMES[: seeding.REVIEWERS]))
    assert {article.reviewer for article in Article.objects.select_related("reviewer")} <= reviewers


def test_the_same_seed_gives_the_same_articles_and_another_seed_others():
    seed(50, seed=11)
    first = snapshot()
    delete_all_articles()
    seed(50, seed=11)
    assert snapshot() == first

    delete_all_articles()
    seed(50, seed=12)
    other = snapshot()
    assert [row[1] for row in other] != [row[1] for row in first]


def delete_all_articles():
    Article.history.model.objects.all().delete()
    Article.objects.all().delete()


def test_running_again_adds_more_without_slug_collisions():
    # An article already has the slug the seed would give its first article.
    seed(5, seed=3)
    taken = Article.objects.order_by("id").first().slug
    delete_all_articles()
    existing = ArticleFactory(slug=taken, published=True)
    SlugRedirect.objects.create(old_slug=f"{taken}-2", article=existing)

    seed(30, seed=3)
    seed(30, seed=3)

    slugs = list(Article.objects.values_list("slug", flat=True))
    assert len(slugs) == 61
    assert len(set(slugs)) == 61
    assert Article.objects.get(slug=taken) == existing
    # The old slug still leads to the article that had it.
    assert f"{taken}-2" not in slugs
    assert SlugRedirect.objects.get(old_slug=f"{taken}-2").article == existing


# ---------------------------------------------------------------------------
# The invariants a save keeps


def test_stored_html_is_exactly_what_rendering_gives():
    seed(80)

    for article in Article.objects.all():
        again = Article(body=article.body, take=article.take)
        again.render()
        assert (article.body_html, article.toc_html, article.take_html, article.word_count) == (
            again.body_html,
            again.toc_html,
            again.take_html,
            again.word_count,
        ), article.slug


def test_about_a_third_mention_batteries():
    planner = seeding.Planner(
        seed=7, count=3000, now=NOW, newsroom=seeding.ensure_newsroom(), taken_slugs=set()
    )
    plans = [planner.plan(number, number + 1) for number in range(3000)]
    share = sum(mentions_batteries(plan) for plan in plans) / len(plans)
    assert 0.3 < share < 0.37


@pytest.mark.parametrize("subject", ["Kia EV6", "Mercedes-Benz C-Class", "Volkswagen ID.Buzz", "Polestar 2"])
def test_a_filled_template_renders_as_its_filled_html(subject):
    library = seeding.TemplateLibrary(seed=5)
    slugs = ["a", "solid-state-batteries-2", "x9-y8-z7"]
    rng = random.Random(subject)
    for length in ("news", "standard", "feature"):
        for number in rng.sample(range(seeding.TEMPLATES_PER_GROUP), 6):
            template = library.body(battery=bool(number % 2), length=length, number=number)
            make = subject.split()[0]
            markdown, html, word_count = template.fill(
                subject=subject, make=make, slugs=slugs[: template.links]
            )
            rendered = Article(body=markdown, take="")
            rendered.render()
            assert (rendered.body_html, rendered.toc_html, rendered.word_count) == (
                html,
                template.toc_html,
                word_count,
            )


def test_a_template_refuses_values_rendering_would_change():
    template = seeding.TemplateLibrary(seed=5).body(battery=False, length="news", number=1)
    with pytest.raises(ValueError, match="Not a name"):
        template.fill(subject="Fiat 500 -- *new*", make="Fiat", slugs=[""] * template.links)
    if template.links:
        with pytest.raises(ValueError, match="Not a slug"):
            template.fill(subject="Fiat 500", make="Fiat", slugs=["Bad_Slug"] * template.links)


def test_search_finds_exactly_the_articles_that_mention_batteries():
    seed(90)

    found = {article.pk for article in search_articles("battery")}
    meant = {article.pk for article in Article.objects.all() if mentions_batteries(article)}
    assert found == meant
    assert 10 < len(found) < 80
    # A word from one article's title finds it.
    article = Article.objects.order_by("?").first()
    assert article in set(search_articles(article.title))


def test_links_go_to_earlier_articles_and_are_recorded_as_linked_from():
    seed(80)

    linking = 0
    for article in Article.objects.prefetch_related("outbound_links"):
        slugs = set(linked_article_slugs(article.body_html) + linked_article_slugs(article.take_html))
        targets = set(article.outbound_links.all())
        assert {target.slug for target in targets} == slugs
        for target in targets:
            assert target.published_at <= article.published_at
            assert article in set(target.linked_from.all())
            if not mentions_batteries(article):
                assert not mentions_batteries(target), "a slug with 'battery' would be searchable"
        linking += bool(targets)
    assert linking > 20


def test_each_article_has_one_revision_with_its_topics():
    seed(40)

    for article in Article.objects.prefetch_related("topics"):
        revisions = list(article.history.all())
        assert len(revisions) == 1
        revision = revisions[0]
        assert revision.history_type == "+"
        assert revision.history_date == article.published_at
        for name in ("title", "slug", "standfirst", "body", "take", "status", "author_id", "reviewer_id"):
            assert getattr(revision, name) == getattr(article, name), name
        assert revision.version == article.version == 4
        assert {row.topic_id for row in revision.topics.all()} == {topic.pk for topic in article.topics.all()}
        assert article.topics.exists()


def test_constraints_hold_and_the_timeline_is_the_workflows():
    seed(40)

    for article in Article.objects.select_related("author", "reviewer"):
        article.full_clean()  # the model's check constraints and field rules
        assert article.status == Article.Status.PUBLISHED
        assert article.reviewer is not None and article.reviewer != article.author
        assert article.created_at < article.approved_at < article.published_at == article.updated_at
        assert (article.cover, article.cover_alt, article.cover_renditions) == ("", "", {})
        events = list(article.events.order_by("created_at"))
        assert [(event.action, event.from_status, event.to_status) for event in events] == [
            ("created", "", "draft"),
            ("submitted", "draft", "in_review"),
            ("approved", "in_review", "approved"),
            ("published", "approved", "published"),
        ]
        assert events[2].created_at == article.approved_at
        assert events[3].created_at == article.published_at


def test_a_reader_can_open_a_seeded_article_and_its_linked_from_list(client):
    seed(60)
    target = Article.objects.filter(linked_from__isnull=False).distinct().first()

    response = client.get(target.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert target.body_html in page
    linking = target.linked_from.first()
    assert linking.get_absolute_url() in page


def test_readers_get_the_seeded_articles_at_once_not_a_cached_page(client):
    seed(5)  # the authors and topics now exist: the next run saves nothing through the ORM
    assert client.get("/sitemap-articles.xml").headers["X-Page-Cache"] == "miss"
    assert client.get("/sitemap-articles.xml").headers["X-Page-Cache"] == "hit"
    edition = PageEdition.objects.get().token

    seed(5, seed=8)

    assert PageEdition.objects.get().token != edition
    response = client.get("/sitemap-articles.xml")
    assert response.headers["X-Page-Cache"] == "miss"
    newest = Article.objects.order_by("-id").first()
    assert newest.get_absolute_url() in response.content.decode()


# ---------------------------------------------------------------------------
# PostgreSQL: several writers side by side


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers: PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_parallel_writers_commit_in_order_and_keep_every_link():
    with time_machine.travel(NOW, tick=False):
        ids = seeding.seed_articles(150, seed=4, batch_size=9, writers=2)

    assert ids == sorted(ids) and len(ids) == 150
    assert Article.objects.published().count() == 150
    assert Article.history.model.objects.count() == 150
    assert ArticleEvent.objects.count() == 600
    with_links = Article.objects.filter(outbound_links__isnull=False).distinct().count()
    assert with_links > 30


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers: PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_a_failing_batch_stops_the_run_and_leaves_only_whole_batches(monkeypatch):
    plan = seeding.Planner.plan

    def plan_with_a_missing_author(self, number, article_id):
        planned = plan(self, number, article_id)
        if number == 7:  # in the second batch
            planned.author_id = 10**9
        return planned

    monkeypatch.setattr(seeding.Planner, "plan", plan_with_a_missing_author)
    with time_machine.travel(NOW, tick=False), pytest.raises(IntegrityError):
        seeding.seed_articles(40, seed=4, batch_size=5, writers=2)

    assert Article.objects.count() == 5
    assert Article.history.model.objects.count() == 5
    assert ArticleEvent.objects.count() == 20


# ---------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("0", "--count must be at least 1, not 0."),
        ("-5", "--count must be at least 1, not -5."),
        ("many", "--count must be a whole number, not 'many'."),
        ("2.5", "--count must be a whole number, not '2.5'."),
    ],
)
def test_a_bad_count_is_refused_with_a_clear_message(count, message):
    with pytest.raises(CommandError) as refused:
        call_command("seed_articles", count=count, stderr=io.StringIO())
    assert str(refused.value) == message
    assert not Article.objects.exists()


def test_a_bad_seed_is_refused_with_a_clear_message():
    with pytest.raises(CommandError) as refused:
        call_command("seed_articles", count="3", seed="x", stderr=io.StringIO())
    assert str(refused.value) == "--seed must be a whole number, not 'x'."


def test_the_command_line_shows_the_message_not_a_traceback():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = run_python(["manage.py", "seed_articles", "--count", "none"], env=env)
    assert result.returncode == 1
    assert "CommandError: --count must be a whole number, not 'none'." in result.stderr
    assert "Traceback" not in result.stderr
