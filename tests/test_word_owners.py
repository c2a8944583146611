"""Words, not bylines: nobody approves words they wrote or changed (issue 9.1).

The approver must differ from the byline's authors, from whoever created the article, and
from everyone who changed its words since they were last approved. One rule
(`workflow.word_owners`), whichever way the article got there: the admin, a restored
revision, a seeded article.
"""

import re

import pytest
from django.core.management import call_command

from articles import revisions, workflow
from articles.models import Article, ArticleEvent
from tests.admin_pages import admin_url, messages_of
from tests.factories import AuthorFactory

Status = Article.Status
pytestmark = pytest.mark.django_db

ADD_URL = "/admin/articles/article/add/"


def written_by(author_user, creator, **fields):
    """A draft under `author_user`'s byline, created by `creator` (through the workflow)."""
    article = Article(
        title=fields.pop("title", "Solid-state batteries arrive"),
        slug=fields.pop("slug", "solid-state-batteries-arrive"),
        standfirst="Carmakers promise more range.",
        body="Range goes up.",
        author=author_user.author_profile,
        **fields,
    )
    return workflow.save_edit(article, creator, changed_fields=[])


def test_an_editor_who_writes_under_someone_elses_byline_cannot_approve_it_in_the_admin(
    client, newsroom, article_form_data
):
    editor, author = newsroom["editor"], newsroom["author"]
    client.force_login(editor)
    data = article_form_data(client, author=author.author_profile)
    response = client.post(ADD_URL, data, follow=True)
    assert response.status_code == 200
    article = Article.objects.get(slug=data["slug"])
    assert article.created_by == editor and article.author == author.author_profile

    client.post(admin_url(article, "workflow/submit/"), follow=True)
    # The Approve button is not offered to the editor...
    page = client.get(admin_url(article)).content.decode()
    assert 'value="approve"' not in page
    # ...and posting it anyway is refused, saying why.
    response = client.post(admin_url(article, "workflow/approve/"), follow=True)
    refusal = (
        "You cannot approve these words: you created it. Nobody approves words they wrote or changed: "
        "another reviewer must approve them."
    )
    assert messages_of(response) == [refusal]
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW and article.reviewer is None

    # A reviewer who neither wrote nor changed them approves them.
    client.force_login(newsroom["reviewer"])
    client.post(admin_url(article, "workflow/approve/"), follow=True)
    article.refresh_from_db()
    assert article.status == Status.APPROVED and article.reviewer == newsroom["reviewer"].author_profile


def test_an_editor_who_changes_the_words_in_review_cannot_then_approve_them(client, newsroom):
    editor = newsroom["editor"]
    article = written_by(newsroom["author"], newsroom["author"])
    workflow.submit(article, newsroom["author"])
    client.force_login(editor)
    page = client.get(admin_url(article)).content.decode()
    assert 'value="approve"' in page  # before the edit, the editor could approve

    form = {
        "title": article.title,
        "slug": article.slug,
        "standfirst": article.standfirst,
        "body": "Range goes up by a third, the editor says.",
        "take": "",
        "cover_alt": "",
        "author": str(article.author_id),
        "expected_version": str(Article.objects.get(pk=article.pk).version),
    }
    response = client.post(admin_url(article), form, follow=True)
    assert response.status_code == 200
    assert Article.objects.get(pk=article.pk).body == "Range goes up by a third, the editor says."

    response = client.post(admin_url(article, "workflow/approve/"), follow=True)
    (message,) = messages_of(response)
    assert message.startswith(
        "You cannot approve these words: you changed its words since they were last approved ("
    )
    assert message.endswith("another reviewer must approve them.")
    assert Article.objects.get(pk=article.pk).status == Status.IN_REVIEW


def test_changing_only_topics_or_cover_text_does_not_make_words_yours(newsroom):
    article = written_by(newsroom["author"], newsroom["author"])
    workflow.submit(article, newsroom["author"])
    article.cover_alt = "A grey hatchback"
    workflow.save_edit(article, newsroom["editor"], changed_fields=["cover_alt"])
    assert newsroom["editor"].pk not in workflow.word_owners(article)
    workflow.approve(article, newsroom["editor"])
    assert Article.objects.get(pk=article.pk).status == Status.APPROVED


def test_the_word_owners_are_the_byline_the_creator_and_who_changed_the_words(newsroom):
    author, editor, superuser = newsroom["author"], newsroom["editor"], newsroom["superuser"]
    article = written_by(author, superuser)
    article.body = "Range goes up by a third."
    workflow.save_edit(article, editor, changed_fields=["body"])
    reasons = workflow.word_owner_reasons(article)
    assert set(reasons) == {author.pk, superuser.pk, editor.pk} == workflow.word_owners(article)
    assert reasons[author.pk] == "you are in its byline"
    assert reasons[superuser.pk] == "you created it"
    assert reasons[editor.pk].startswith("you changed its words since they were last approved")
    assert newsroom["reviewer"].pk not in reasons


def test_changes_before_the_last_approval_are_forgiven_after_it(newsroom):
    """An editor who changed the words before a reviewer approved them may review a later
    change by somebody else; whoever made the later change may not."""
    author, editor, reviewer, superuser = (newsroom[r] for r in ("author", "editor", "reviewer", "superuser"))
    article = written_by(author, author)
    workflow.submit(article, author)
    article.body = "The editor's version."
    workflow.save_edit(article, editor, changed_fields=["body"])
    workflow.approve(article, reviewer)
    assert workflow.word_owners(article) == {author.pk}  # the byline and the creator stay owners

    article.refresh_from_db()
    article.title = "A new title after approval"
    workflow.save_edit(article, superuser, changed_fields=["title"])  # voids the approval
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    assert workflow.word_owners(article) == {author.pk, superuser.pk}
    with pytest.raises(workflow.TransitionNotAllowed, match="you changed its words"):
        workflow.approve(article, superuser)
    workflow.approve(article, editor)
    article.refresh_from_db()
    assert article.reviewer == editor.author_profile


def test_whoever_restores_a_revision_changed_the_words_and_cannot_approve_them(client, newsroom):
    author, editor = newsroom["author"], newsroom["editor"]
    article = written_by(author, author)
    first = article.history.earliest("history_date")
    article.body = "A second draft."
    workflow.save_edit(article, author, changed_fields=["body"])
    workflow.submit(article, author)

    client.force_login(editor)
    response = client.post(admin_url(article, f"history/{first.history_id}/restore/"), follow=True)
    assert messages_of(response) == ["Revision restored. The restore is itself a new revision."]
    article.refresh_from_db()
    assert article.body == "Range goes up." and article.status == Status.IN_REVIEW
    with pytest.raises(workflow.TransitionNotAllowed, match="you changed its words since"):
        workflow.approve(article, editor)
    workflow.approve(article, newsroom["reviewer"])


def test_restoring_words_nobody_changed_since_approval_changes_no_ownership(newsroom):
    """A restore that brings back what is already there changes no words."""
    author, editor = newsroom["author"], newsroom["editor"]
    article = written_by(author, author)
    workflow.submit(article, author)
    revisions.restore(article, editor, article.history.earliest("history_date"))
    assert editor.pk not in workflow.word_owners(article)


def test_the_rule_is_in_the_workflow_so_every_caller_meets_it(newsroom):
    """Not the admin's view: the workflow function itself refuses (a management command or
    a script calling it gets the same answer)."""
    editor = newsroom["editor"]
    article = written_by(newsroom["author"], editor)
    workflow.submit(article, editor)
    for step in (
        lambda: workflow.approve(article, editor),
        lambda: workflow.run_transition("approve", article, editor),
    ):
        with pytest.raises(workflow.TransitionNotAllowed, match="you created it"):
            step()
    assert not article.events.filter(action=ArticleEvent.Action.APPROVED).exists()
    assert "approve" not in [t.name for t in workflow.available_transitions(article, editor)]


def test_seeded_articles_are_approved_by_somebody_who_owns_none_of_their_words(newsroom):
    """seed_articles (the one command that writes approved articles) keeps the rule: its
    reviewers are never word owners, and its articles carry the approved words' hash."""
    call_command("seed_articles", "--count", "12", "--seed", "3")
    seeded = Article.objects.exclude(reviewer=None).select_related("reviewer", "author")
    assert seeded.count() >= 12
    for article in seeded:
        assert article.approved_hash == workflow.content_hash(article)
        assert article.created_by_id == article.author.user_id
        assert article.reviewer.user_id not in workflow.word_owners(article)


def test_no_management_command_approves_articles_behind_the_workflow():
    """Approving is the workflow's: no command writes an approval any other way."""
    from pathlib import Path

    commands = Path(workflow.__file__).parent / "management" / "commands"
    for command in commands.glob("*.py"):
        source = command.read_text()
        assert not re.search(r"status\s*=\s*.*APPROVED|\.approve\(|reviewer\s*=", source), command.name


def test_nobody_approves_their_byline_even_without_having_written_it(newsroom):
    byline_user = newsroom["reviewer"]  # a reviewer who also writes
    article = written_by(byline_user, newsroom["editor"])
    workflow.submit(article, newsroom["editor"])
    with pytest.raises(workflow.TransitionNotAllowed, match="own article"):
        workflow.approve(article, byline_user)
    assert byline_user.pk in workflow.word_owners(article)
    # An outside contributor's byline has no account: nobody to exclude for it.
    outsider = written_by(newsroom["author"], newsroom["author"], title="Outside view", slug="outside-view")
    Article.objects.filter(pk=outsider.pk).update(author=AuthorFactory(user=None))
    outsider.refresh_from_db()
    assert workflow.word_owners(outsider) == {newsroom["author"].pk}


def test_a_co_author_cannot_approve_the_words_they_share(newsroom):
    from articles.models import ArticleCoauthor

    coauthor = newsroom["reviewer"]  # a reviewer who co-wrote it
    article = written_by(newsroom["author"], newsroom["author"])
    ArticleCoauthor.objects.create(article=article, author=coauthor.author_profile)
    workflow.submit(article, newsroom["author"])
    assert workflow.word_owner_reasons(article)[coauthor.pk] == "you are in its byline"
    with pytest.raises(workflow.TransitionNotAllowed, match="own article"):
        workflow.approve(article, coauthor)
    workflow.approve(article, newsroom["editor"])


def test_the_migration_records_who_created_each_article_and_pins_approved_words(newsroom):
    """Migration 0010 backfills `created_by` from the creation revision (else the "created"
    event) and `approved_hash` for the approved and published articles."""
    import importlib

    from django.apps import apps

    from tests.factories import ArticleFactory

    backfill = importlib.import_module("articles.migrations.0010_review_desk").backfill
    editor, author = newsroom["editor"], newsroom["author"]
    made_in_admin = written_by(author, editor)  # a creation revision by the editor
    published = ArticleFactory(author=author.author_profile, published=True, reviewer=AuthorFactory())
    ArticleEvent.objects.create(article=published, user=author, action=ArticleEvent.Action.CREATED)
    Article.objects.update(created_by=None, approved_hash="")  # as before the migration

    backfill(apps, None)

    made_in_admin.refresh_from_db()
    published.refresh_from_db()
    assert (made_in_admin.created_by, made_in_admin.approved_hash) == (editor, "")
    assert published.created_by == author  # no user on its revision: from the event
    assert published.approved_hash == workflow.content_hash(published)
