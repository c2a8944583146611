"""Mail and notices (issue 9.7): every step mails the people it concerns, and whoever made
the step is told who that was, and who could not be told for want of an email address."""

import pytest
from django.contrib import messages
from django.core.management import call_command

from articles import notifications, workflow
from articles.models import Article
from tests.factories import ArticleFactory

Status = Article.Status
pytestmark = pytest.mark.django_db

NAMES = {
    "author": ("Dana", "Reyes"),
    "other_author": ("Noa", "Levi"),
    "reviewer": ("Asaf", "Kedem"),
    "editor": ("Mira", "Cohen"),
    "superuser": ("Sam", "Admin"),
}


@pytest.fixture
def people(newsroom):
    """The newsroom with names, each with an address at example.com."""
    for role, (first, last) in NAMES.items():
        user = newsroom[role]
        user.first_name, user.last_name, user.email = first, last, f"{first.lower()}@example.com"
        user.save()
    return newsroom


def run_step(step, capture):
    """Make the step; returns (its event, the messages mailed when it committed)."""
    from django.core import mail

    mail.outbox.clear()
    with capture(execute=True):
        event = step()
    return event, list(mail.outbox)


def addresses(*names):
    return sorted(f"{name.lower()}@example.com" for name in names)


def test_every_step_of_an_article_mails_the_people_it_concerns(people, django_capture_on_commit_callbacks):
    author, reviewer, editor = people["author"], people["reviewer"], people["editor"]
    article = ArticleFactory(author=author.author_profile)
    capture = django_capture_on_commit_callbacks
    steps = [
        # (step, subject starts with, who gets it)
        (lambda: workflow.submit(article, author), "For review", ["Asaf", "Mira", "Sam"]),
        (
            lambda: workflow.request_changes(article, reviewer, "Cite the study."),
            "Changes requested",
            ["Dana"],
        ),
        (lambda: workflow.submit(article, author), "For review", ["Asaf", "Mira", "Sam"]),
        (lambda: workflow.approve(article, reviewer), "Approved", ["Dana", "Mira", "Sam"]),
        (lambda: workflow.publish(article, editor), "Published", ["Asaf", "Dana"]),
        (lambda: workflow.unpublish(article, editor, "Legal check"), "Unpublished", ["Asaf", "Dana"]),
        (lambda: workflow.archive(article, editor), "Archived", ["Asaf", "Dana"]),
    ]
    bodies = {}
    for step, subject, names in steps:
        event, sent = run_step(step, capture)
        assert len(sent) == 1, subject
        assert sent[0].subject == f"{subject}: {article.title}"
        assert sorted(sent[0].to) == addresses(*names), subject
        assert event.user.email not in sent[0].to  # never the person who made the step
        told = notifications.notices(event)
        assert told[0][0] == messages.INFO and told[0][1].startswith("Told ")
        bodies[subject] = sent[0].body
    assert "Legal check" in bodies["Unpublished"]  # the reason goes with it
    assert "Cite the study." in bodies["Changes requested"]
    assert f"/admin/articles/article/{article.pk}/change/" in bodies["Archived"]


def test_every_step_of_a_correction_mails_the_people_it_concerns(people, django_capture_on_commit_callbacks):
    author, reviewer, editor, superuser = (people[r] for r in ("author", "reviewer", "editor", "superuser"))
    article = ArticleFactory(author=author.author_profile)
    workflow.submit(article, author)
    workflow.approve(article, reviewer)
    workflow.publish(article, editor)
    article.refresh_from_db()
    article.body = "Corrected figures."
    workflow.save_edit(article, editor, changed_fields=["body"])
    capture = django_capture_on_commit_callbacks
    steps = [
        # The editor made the correction: only the other reviewers are asked.
        (lambda: workflow.submit_correction(article, editor), "Correction for review", ["Asaf", "Sam"]),
        (
            lambda: workflow.request_correction_changes(article, reviewer, "Source?"),
            "Changes requested to the correction",
            ["Mira"],
        ),
        (lambda: workflow.submit_correction(article, editor), "Correction for review", ["Asaf", "Sam"]),
        (lambda: workflow.approve_correction(article, superuser), "Correction approved", ["Mira"]),
        (
            lambda: workflow.publish_correction(article, editor, "We had the figures wrong."),
            "Correction published",
            ["Dana", "Sam"],
        ),
    ]
    for step, subject, names in steps:
        _event, sent = run_step(step, capture)
        assert len(sent) == 1, subject
        assert sent[0].subject == f"{subject}: {article.title}"
        assert sorted(sent[0].to) == addresses(*names), subject
    assert "We had the figures wrong." in sent[0].body
    assert article.get_absolute_url() in sent[0].body


def test_the_message_after_a_step_names_who_was_told_and_who_has_no_address(client, people):
    author, reviewer = people["author"], people["reviewer"]
    people["superuser"].email = ""
    people["superuser"].save()
    article = ArticleFactory(author=author.author_profile)
    client.force_login(author)
    response = client.post(f"/admin/articles/article/{article.pk}/workflow/submit/", follow=True)
    assert [(m.level, str(m)) for m in response.context["messages"]] == [
        (messages.SUCCESS, "Submitted for review."),
        (messages.INFO, "Told Asaf Kedem and Mira Cohen by email."),
        (
            messages.WARNING,
            "Sam Admin has no email address and could not be told: tell them yourself, or add their address.",
        ),
    ]
    page = response.content.decode()
    assert "Told Asaf Kedem and Mira Cohen by email." in page
    assert reviewer.email  # told


def test_when_nobody_concerned_has_an_address_the_step_says_so(client, people):
    for role in ("reviewer", "editor", "superuser"):
        people[role].email = ""
        people[role].save()
    article = ArticleFactory(author=people["author"].author_profile)
    event = workflow.submit(article, people["author"])
    assert notifications.notices(event) == [
        (
            messages.WARNING,
            (
                "Asaf Kedem, Mira Cohen and Sam Admin have no email address and could not be told: "
                "tell them yourself, or add their address."
            ),
        )
    ]


def test_a_step_nobody_else_is_concerned_by_says_nobody_was_told(people):
    people["author"].is_active = False  # the byline's author has left
    people["author"].save()
    article = ArticleFactory(author=people["author"].author_profile)
    Article.objects.filter(pk=article.pk).update(status=Status.IN_REVIEW)
    article.refresh_from_db()
    event = workflow.request_changes(article, people["reviewer"], "Needs sources.")
    assert notifications.notices(event) == [
        (messages.WARNING, "Nobody else was told: nobody in the newsroom is concerned by this step.")
    ]


def test_saving_an_approved_article_tells_the_editor_who_was_asked_to_review_again(client, people):
    article = ArticleFactory(author=people["author"].author_profile)
    workflow.submit(article, people["author"])
    workflow.approve(article, people["reviewer"])
    client.force_login(people["editor"])
    article.refresh_from_db()
    response = client.post(
        f"/admin/articles/article/{article.pk}/change/",
        {
            "title": "A new title after approval",
            "slug": article.slug,
            "standfirst": article.standfirst,
            "body": article.body,
            "take": "",
            "cover_alt": "",
            "author": str(article.author_id),
            "expected_version": str(article.version),
        },
        follow=True,
    )
    told = [str(m) for m in response.context["messages"]]
    # The editor changed the words: only the other reviewers are asked.
    assert "Told Asaf Kedem and Sam Admin by email." in told


def test_add_staff_warns_when_it_creates_a_user_without_an_email(capsys):
    call_command("add_staff", "omer", "--role", "reviewer", "--name", "Omer Tal")
    captured = capsys.readouterr()
    assert "omer has no email address" in captured.err
    assert "--email ADDRESS" in captured.err
    call_command("add_staff", "omer", "--role", "reviewer", "--email", "omer@example.com")
    assert "no email address" not in capsys.readouterr().err
    call_command("add_staff", "lea", "--role", "author", "--email", "lea@example.com")
    assert capsys.readouterr().err == ""
