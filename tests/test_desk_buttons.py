"""The desk's buttons do what people expect: a step saves the form's edits first, the steps
that are hard to undo ask first and look it, each step lands people on their next task, and
the timeline speaks words."""

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from articles import workflow
from articles.models import Article, ArticleEvent
from tests.admin_pages import messages_of
from tests.factories import ArticleFactory, AuthorFactory

Status = Article.Status
pytestmark = pytest.mark.django_db


def change_url(article):
    return f"/admin/articles/article/{article.pk}/change/"


def change_form_data(client, article, **changes):
    """The article's change form as the browser would send it back, with `changes`; only the
    article's own fields (not the desk's step fields)."""
    page = client.get(change_url(article)).content.decode()
    form = page[page.index('id="article_form"') :]
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'form="article_form"' not in tag and 'type="submit"' not in tag:
            data[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\n?(.*?)</textarea>', form, re.DOTALL):
        if not name.endswith("-comment"):
            data[name] = html.unescape(value)
    match = re.search(r'<select[^>]*name="author"[^>]*>.*?<option value="(\d+)" selected', form, re.DOTALL)
    if match:
        data["author"] = match.group(1)
    for name in ("csrfmiddlewaretoken", "confirmed", "_save", "_continue", "_addanother"):
        data.pop(name, None)
    data.update(changes)
    return {key: value for key, value in data.items() if not key.startswith("initial-")}


def draft_of(user, **kwargs):
    return ArticleFactory(author=user.author_profile, created_by=user, **kwargs)


def in_state(article, status, **fields):
    if status in {Status.APPROVED, Status.PUBLISHED}:
        fields.setdefault("reviewer", AuthorFactory())
        fields.setdefault("approved_hash", workflow.content_hash(article))  # as workflow.approve
    if status == Status.PUBLISHED:
        fields.setdefault("published_at", timezone.now() - timedelta(hours=1))
    Article.objects.filter(pk=article.pk).update(status=status, **fields)
    article.refresh_from_db()
    return article


# Submit (and every step) saves the form's edits first ----------------------------------------


def test_submit_saves_the_edits_first_then_lands_on_the_authors_drafts(client, newsroom):
    author = newsroom["author"]
    article = draft_of(author, title="Range anxiety", body="First draft.")
    client.force_login(author)
    data = change_form_data(client, article, body="Second draft, with the figures.", _workflow="submit")
    response = client.post(change_url(article), data)

    assert response.status_code == 302
    assert response["Location"] == "/admin/articles/article/?queue=drafts"
    article.refresh_from_db()
    assert (article.body, article.status) == ("Second draft, with the figures.", Status.IN_REVIEW)
    followed = client.get(response["Location"])
    told = messages_of(followed)
    assert told[0] == "Submitted for review." and told[1].startswith("Told ")


def test_a_step_on_an_unchanged_form_makes_no_empty_revision(client, newsroom):
    author = newsroom["author"]
    article = draft_of(author)
    revisions = article.history.count()
    client.force_login(author)
    client.post(change_url(article), change_form_data(client, article, _workflow="submit"))
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    assert article.history.count() == revisions + 1  # the step's own revision, nothing else


def test_a_step_with_a_form_error_saves_nothing_does_nothing_and_keeps_the_text(client, newsroom):
    author = newsroom["author"]
    article = draft_of(author, title="Kept title", body="Stored body.")
    client.force_login(author)
    data = change_form_data(client, article, title="", body="My unsaved new body", _workflow="submit")
    response = client.post(change_url(article), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "My unsaved new body" in page
    assert "Your changes could not be saved (see below), so nothing else was done" in html.unescape(page)
    article.refresh_from_db()
    assert (article.title, article.body, article.status) == ("Kept title", "Stored body.", Status.DRAFT)


def test_an_editors_request_for_changes_keeps_their_edits_and_comment(client, newsroom):
    editor = newsroom["editor"]
    article = in_state(draft_of(newsroom["author"], standfirst="Old standfirst"), Status.IN_REVIEW)
    client.force_login(editor)
    data = change_form_data(
        client,
        article,
        standfirst="A sharper standfirst",
        _workflow="request_changes",
        **{"request_changes-comment": "Tighten the second half."},
    )
    response = client.post(change_url(article), data)
    assert response["Location"] == "/admin/articles/article/?queue=review"
    article.refresh_from_db()
    assert (article.standfirst, article.status) == ("A sharper standfirst", Status.CHANGES_REQUESTED)
    assert (
        article.events.get(action=ArticleEvent.Action.CHANGES_REQUESTED).comment == "Tighten the second half."
    )


def test_a_refused_step_after_a_save_keeps_the_save_and_says_why(client, newsroom):
    editor = newsroom["editor"]
    article = in_state(draft_of(newsroom["author"]), Status.IN_REVIEW)
    client.force_login(editor)
    data = change_form_data(client, article, take="An added take.", _workflow="request_changes")
    response = client.post(change_url(article), data, follow=True)
    assert response.redirect_chain[-1][0] == change_url(article)
    assert "Say what needs to change: a comment is required to send an article back." in messages_of(response)
    article.refresh_from_db()
    assert (article.take, article.status) == ("An added take.", Status.IN_REVIEW)


def test_the_buttons_of_a_person_who_may_edit_belong_to_the_article_form(client, newsroom):
    author = newsroom["author"]
    article = draft_of(author)
    client.force_login(author)
    page = client.get(change_url(article)).content.decode()
    assert re.search(
        r'<button type="submit" form="article_form" class="[^"]*" name="_workflow" value="submit">Submit for review</button>',
        page,
    )
    assert "Your changes in the form below are saved first, then the step is made." in page
    # A reviewer cannot edit: their buttons are forms of their own, posted to the step.
    in_state(article, Status.IN_REVIEW)
    client.force_login(newsroom["reviewer"])
    page = client.get(change_url(article)).content.decode()
    assert f'action="/admin/articles/article/{article.pk}/workflow/approve/"' in page
    assert 'name="_workflow"' not in page


def test_the_unsaved_changes_guard_is_a_static_script(client, newsroom):
    client.force_login(newsroom["author"])
    page = client.get(change_url(draft_of(newsroom["author"]))).content.decode()
    assert re.search(r'<script src="[^"]*js/newsroom-desk\.js" defer></script>', page)
    desk = page[page.index('<section class="newsroom-desk"') : page.index("</section>")]
    assert "<script" not in desk and "style=" not in desk and " onclick" not in desk


# Steps that are hard to undo ask first, and look it ------------------------------------------


def step_button_classes(page):
    """{step: its button's classes} on a change page."""
    found = {}
    for classes, name in re.findall(
        r'class="(button newsroom-button[^"]*)" name="(?:_workflow|action)" value="([\w-]+)"', page
    ):
        found[name] = classes
    for classes, name in re.findall(
        r'<a class="([^"]*)" href="[^"]*" data-opens-dialog="confirm-([\w-]+)"', page
    ):
        found[name] = classes
    return found


def test_approve_and_request_changes_look_different(client, newsroom):
    article = in_state(draft_of(newsroom["author"]), Status.IN_REVIEW)
    client.force_login(newsroom["reviewer"])
    classes = step_button_classes(client.get(change_url(article)).content.decode())
    assert "newsroom-button--primary" in classes["approve"]
    assert "newsroom-button--secondary" in classes["request_changes"]


def test_unpublish_and_archive_look_dangerous_and_open_a_confirmation(client, newsroom):
    article = in_state(draft_of(newsroom["author"]), Status.PUBLISHED)
    client.force_login(newsroom["editor"])
    page = client.get(change_url(article)).content.decode()
    classes = step_button_classes(page)
    for name in ("unpublish", "archive"):
        assert "newsroom-button--danger" in classes[name]
        dialog = re.search(rf'<dialog id="confirm-{name}"[^>]*>(.*?)</dialog>', page, re.DOTALL).group(1)
        assert f'action="/admin/articles/article/{article.pk}/workflow/{name}/"' in dialog
        assert 'name="confirmed" value="yes"' in dialog
        assert 'formmethod="dialog"' in dialog  # Cancel closes it, no script needed
    assert workflow.TRANSITIONS["publish"].style == "primary"


@pytest.mark.parametrize("name", ["unpublish", "archive"])
def test_a_dangerous_step_without_confirmation_is_refused_and_changes_nothing(client, newsroom, name):
    article = in_state(draft_of(newsroom["author"]), Status.PUBLISHED)
    events = article.events.count()
    client.force_login(newsroom["editor"])
    response = client.post(
        f"/admin/articles/article/{article.pk}/workflow/{name}/", {"comment": "x"}, follow=True
    )
    label = workflow.TRANSITIONS[name].label
    assert messages_of(response) == [
        f"“{label}” needs your confirmation, and nothing was changed: click {label} again and confirm."
    ]
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED and article.events.count() == events
    # Nor through the article's form.
    data = change_form_data(client, article, _workflow=name)
    client.post(change_url(article), data)
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED and article.events.count() == events


def test_the_confirmation_page_works_without_javascript(client, newsroom):
    article = in_state(draft_of(newsroom["author"], title="Taken down"), Status.PUBLISHED)
    client.force_login(newsroom["editor"])
    page = client.get(f"/admin/articles/article/{article.pk}/workflow/unpublish/confirm/").content.decode()
    assert "Unpublish “Taken down”?" in html.unescape(page)
    assert "Readers will no longer see it" in page
    assert re.search(r'<input type="hidden" name="confirmed" value="yes">', page)
    assert f'href="{change_url(article)}">Cancel</a>' in page
    response = client.post(
        f"/admin/articles/article/{article.pk}/workflow/unpublish/",
        {"confirmed": "yes", "comment": "Legal asked us to"},
        follow=True,
    )
    assert messages_of(response) == [
        "Unpublished: readers no longer see it.",
        f"Told {newsroom['author'].username} by email.",  # the byline (the reviewer has no account)
    ]
    article.refresh_from_db()
    assert article.status == Status.APPROVED
    assert article.events.get(action=ArticleEvent.Action.UNPUBLISHED).comment == "Legal asked us to"


def test_a_confirmation_page_of_a_step_not_open_goes_back_with_the_reason(client, newsroom):
    article = draft_of(newsroom["author"])
    client.force_login(newsroom["editor"])
    response = client.get(f"/admin/articles/article/{article.pk}/workflow/unpublish/confirm/", follow=True)
    assert response.redirect_chain == [(change_url(article), 302)]
    assert messages_of(response) == ["Only a published or scheduled article can be unpublished."]


# After each step, people land on their next task ---------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "step", "data", "landing"),
    [
        ("author", Status.DRAFT, "submit", {}, "?queue=drafts"),
        ("reviewer", Status.IN_REVIEW, "request_changes", {"comment": "Sources?"}, "?queue=review"),
        ("reviewer", Status.IN_REVIEW, "approve", {}, "?queue=review"),
        ("editor", Status.IN_REVIEW, "approve", {}, "?queue=ready"),
        ("editor", Status.APPROVED, "publish", {}, "?queue=ready"),
        ("editor", Status.PUBLISHED, "archive", {"confirmed": "yes"}, "?queue=ready"),
        ("editor", Status.PUBLISHED, "unpublish", {"confirmed": "yes"}, "change"),
    ],
)
def test_each_step_lands_on_the_next_task(client, newsroom, role, status, step, data, landing):
    article = in_state(draft_of(newsroom["author"]), status)
    client.force_login(newsroom[role])
    response = client.post(f"/admin/articles/article/{article.pk}/workflow/{step}/", data)
    assert response.status_code == 302
    expected = change_url(article) if landing == "change" else f"/admin/articles/article/{landing}"
    assert response["Location"] == expected
    assert client.get(response["Location"]).status_code == 200


def test_scheduling_lands_on_the_scheduled_queue(client, newsroom):
    article = in_state(draft_of(newsroom["author"]), Status.APPROVED)
    client.force_login(newsroom["editor"])
    when = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        change_url(article), change_form_data(client, article, _workflow="schedule", **{"schedule-at": when})
    )
    assert response["Location"] == "/admin/articles/article/?queue=scheduled"
    article.refresh_from_db()
    assert article.is_scheduled


def test_a_refused_step_lands_back_on_the_article(client, newsroom):
    article = in_state(draft_of(newsroom["author"]), Status.IN_REVIEW)
    client.force_login(newsroom["author"])
    response = client.post(f"/admin/articles/article/{article.pk}/workflow/approve/")
    assert response["Location"] == change_url(article)


# The timeline speaks words -------------------------------------------------------------------


def test_the_timeline_says_what_happened_in_words(client, newsroom):
    author, reviewer, editor = newsroom["author"], newsroom["reviewer"], newsroom["editor"]
    reviewer.author_profile.name = "Asaf Kedem"
    reviewer.author_profile.save()
    article = draft_of(author)
    workflow.submit(article, author)
    workflow.request_changes(article, reviewer, "Check the range figure.")
    workflow.submit(article, author)
    workflow.approve(article, reviewer)
    client.force_login(editor)
    page = client.get(change_url(article)).content.decode()
    timeline = page[
        page.index('<ol class="timeline">') : page.index("</ol>", page.index('<ol class="timeline">'))
    ]
    items = [
        re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", item))).strip()
        for item in re.findall(r'<li class="timeline__item">(.*?)</li>', timeline, re.DOTALL)
    ]
    # Newest first, each with its time.
    assert [re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d ", "", item) for item in items] == [
        "Approved by Asaf Kedem In review → Approved",
        f"Submitted for review by {author.author_profile.name} Changes requested → In review",
        "Changes requested by Asaf Kedem In review → Changes requested Check the range figure.",
        f"Submitted for review by {author.author_profile.name} Draft → In review",
    ]
    assert "in_review" not in timeline and "changes_requested" not in timeline


def test_restoring_onto_a_live_article_asks_first(client, newsroom):
    editor = newsroom["editor"]
    article = draft_of(editor, title="First words")
    article.title = "Second words"
    workflow.save_edit(article, editor, changed_fields=["title"])
    oldest = article.history.order_by("history_date", "history_id").first()
    client.force_login(editor)
    restore_url = f"/admin/articles/article/{article.pk}/history/{oldest.history_id}/restore/"

    # A draft restores with a plain button.
    page = client.get(f"/admin/articles/article/{article.pk}/history/").content.decode()
    assert f'form="restore-{oldest.history_id}">Restore this revision</button>' in page
    assert "<dialog" not in page

    in_state(article, Status.PUBLISHED)
    page = client.get(f"/admin/articles/article/{article.pk}/history/").content.decode()
    link = re.search(
        rf'<a class="([^"]*)" href="{restore_url}" data-opens-dialog="confirm-restore-{oldest.history_id}">',
        page,
    )
    assert link and "newsroom-button--danger" in link.group(1)
    dialog = re.search(
        rf'<dialog id="confirm-restore-{oldest.history_id}"[^>]*>(.*?)</dialog>', page, re.DOTALL
    ).group(1)
    assert f'action="{restore_url}"' in dialog and 'name="confirmed" value="yes"' in dialog
    assert re.search(r'<script src="[^"]*js/newsroom-desk\.js" defer></script>', page)
    # Without JavaScript, the link is the confirmation page.
    confirm_page = html.unescape(client.get(restore_url).content.decode())
    assert "onto “Second words”?" in confirm_page and "This article is live." in confirm_page
    assert 'name="confirmed" value="yes"' in confirm_page
