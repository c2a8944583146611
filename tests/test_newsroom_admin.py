"""The admin as the newsroom's desk: buttons, per-role pages, previews, history, conflicts."""

import html
import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from articles import preview, workflow
from articles.models import Article, ArticleEvent, SlugRedirect
from tests.factories import ArticleFactory, AuthorFactory

Status = Article.Status
pytestmark = pytest.mark.django_db


def login(client, user):
    if user is not None:
        client.force_login(user)
    return client


def draft_of(user, **kwargs):
    return ArticleFactory(author=user.author_profile, **kwargs)


def set_status(article, status, **fields):
    if status in {Status.APPROVED, Status.PUBLISHED}:
        fields.setdefault("approved_hash", workflow.content_hash(article))  # as workflow.approve
    Article.objects.filter(pk=article.pk).update(status=status, **fields)
    article.refresh_from_db()
    return article


def admin_url(article, suffix="change/"):
    return f"/admin/articles/article/{article.pk}/{suffix}"


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# Who may open which admin page, for the author's own draft.
PAGES = ["changelist", "add", "change", "history", "preview"]
EXPECTED = {
    # role: pages answered 200; every other page is refused (302 to login, 403 or 404)
    "anonymous": set(),
    "author": {"changelist", "add", "change", "history", "preview"},
    "other_author": {"changelist", "add"},
    "reviewer": {"changelist"},
    "editor": {"changelist", "add", "change", "history", "preview"},
    "superuser": {"changelist", "add", "change", "history", "preview"},
}


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize("page", PAGES)
def test_admin_page_matrix_for_a_draft(client, newsroom, role, page):
    article = draft_of(newsroom["author"])
    url = {
        "changelist": "/admin/articles/article/",
        "add": "/admin/articles/article/add/",
        "change": admin_url(article),
        "history": admin_url(article, "history/"),
        "preview": admin_url(article, "preview/"),
    }[page]
    response = login(client, newsroom.get(role)).get(url)
    if page in EXPECTED[role]:
        assert response.status_code == 200, (role, page)
    else:
        assert response.status_code in {302, 403, 404}, (role, page, response.status_code)
        if role == "anonymous":
            assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_another_authors_draft_is_not_listed_and_not_openable(client, newsroom):
    draft = draft_of(newsroom["author"], title="Secret scoop on batteries")
    login(client, newsroom["other_author"])
    assert "Secret scoop" not in client.get("/admin/articles/article/").content.decode()
    assert client.get(admin_url(draft)).status_code == 403
    assert client.get(admin_url(draft, "preview/")).status_code == 403


def test_reviewer_sees_articles_awaiting_review_and_can_open_them(client, newsroom):
    waiting = set_status(draft_of(newsroom["author"], title="Waiting for review"), Status.IN_REVIEW)
    draft_of(newsroom["author"], title="Still a draft")
    login(client, newsroom["reviewer"])
    listing = client.get("/admin/articles/article/?for=my-review").content.decode()
    assert "Waiting for review" in listing and "Still a draft" not in listing
    page = client.get(admin_url(waiting)).content.decode()
    assert "Approve" in page and "Request changes" in page and "Publish now" not in page


@pytest.mark.parametrize(
    ("role", "status", "buttons", "absent"),
    [
        ("author", Status.DRAFT, ["Submit for review"], ["Approve", "Publish now", "Archive"]),
        ("reviewer", Status.IN_REVIEW, ["Approve", "Request changes"], ["Submit for review", "Publish now"]),
        ("editor", Status.APPROVED, ["Publish now", "Schedule…", "Archive"], ["Approve", "Unpublish"]),
        ("editor", Status.PUBLISHED, ["Unpublish", "Archive"], ["Publish now", "Approve"]),
    ],
)
def test_change_page_shows_exactly_the_buttons_this_user_may_use(
    client, newsroom, role, status, buttons, absent
):
    extra = {"reviewer": AuthorFactory()} if status in {Status.APPROVED, Status.PUBLISHED} else {}
    if status == Status.PUBLISHED:
        extra["published_at"] = timezone.now()
    article = set_status(draft_of(newsroom["author"]), status, **extra)
    page = login(client, newsroom[role]).get(admin_url(article)).content.decode()
    labels = [
        label.removesuffix("…") if label != "Schedule…" else label for label in desk_steps(page).values()
    ]
    for label in buttons:
        assert label in labels
    for label in absent:
        assert label not in labels


def test_the_whole_story_through_the_admin_buttons(client, newsroom):
    author, reviewer, editor = newsroom["author"], newsroom["reviewer"], newsroom["editor"]
    article = draft_of(author, title="Hydrogen or batteries?")

    login(client, author).post(admin_url(article, "workflow/submit/"))
    assert Article.objects.get(pk=article.pk).status == Status.IN_REVIEW

    login(client, reviewer)
    response = client.post(admin_url(article, "workflow/request_changes/"), {"comment": ""}, follow=True)
    assert "comment is required" in response.content.decode()
    client.post(admin_url(article, "workflow/request_changes/"), {"comment": "Add the 2030 figures."})
    assert Article.objects.get(pk=article.pk).status == Status.CHANGES_REQUESTED

    login(client, author).post(admin_url(article, "workflow/submit/"))
    login(client, reviewer).post(admin_url(article, "workflow/approve/"))
    article.refresh_from_db()
    assert article.status == Status.APPROVED and article.reviewer == reviewer.author_profile

    login(client, editor).post(admin_url(article, "workflow/publish/"))
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Hydrogen or batteries?" in page
    assert f"Reviewed by {reviewer.author_profile.name}" in re.sub(r"<[^>]+>", "", page)

    timeline = client.get(admin_url(article)).content.decode()
    assert "Add the 2030 figures." in timeline
    assert timeline.count('class="timeline__item"') == 5


def test_refused_transition_by_url_is_a_message_not_a_change(client, newsroom):
    article = set_status(draft_of(newsroom["author"]), Status.IN_REVIEW)
    response = login(client, newsroom["author"]).post(admin_url(article, "workflow/approve/"), follow=True)
    assert response.status_code == 200
    assert messages_of(response) == ["Only reviewers and editors can review articles."]
    assert Article.objects.get(pk=article.pk).status == Status.IN_REVIEW
    assert client.get(admin_url(article, "workflow/approve/")).status_code == 405


def test_scheduling_from_the_admin(client, newsroom):
    article = set_status(draft_of(newsroom["author"]), Status.APPROVED, reviewer=AuthorFactory())
    when = timezone.localtime() + timedelta(days=1)
    login(client, newsroom["editor"]).post(
        admin_url(article, "workflow/schedule/"), {"at": when.strftime("%Y-%m-%dT%H:%M")}
    )
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert abs((article.published_at - when).total_seconds()) < 60
    assert not Article.objects.published().filter(pk=article.pk).exists()
    assert "Scheduled for" in client.get("/admin/articles/article/").content.decode()
    response = client.post(admin_url(article, "workflow/schedule/"), {"at": "next tuesday"}, follow=True)
    assert response.status_code == 200
    assert messages_of(response) == ["Give the publication date and time, for example 2026-12-01 09:00."]


def _form_data(page, **changes):
    """The change form's current values, as a browser would send them back."""
    data = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page):
        data[name] = value
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\n?(.*?)</textarea>', page, re.DOTALL):
        data[name] = value
    for name in ("author",):
        match = re.search(
            rf'<select[^>]*name="{name}"[^>]*>.*?<option value="(\d+)" selected', page, re.DOTALL
        )
        if match:
            data[name] = match.group(1)
    data.pop("csrfmiddlewaretoken", None)
    data.pop("_addanother", None)
    data.pop("_continue", None)
    data.update(changes)
    return {key: value for key, value in data.items() if not key.startswith("initial-")}


def test_concurrent_edit_the_second_save_is_refused_and_keeps_its_text(client, django_user_model, newsroom):
    from django.test import Client

    article = draft_of(newsroom["editor"], title="Original title", body="Original body")
    first, second = Client(), Client()
    first.force_login(newsroom["editor"])
    second.force_login(newsroom["superuser"])
    first_page = first.get(admin_url(article)).content.decode()
    second_page = second.get(admin_url(article)).content.decode()

    saved = first.post(admin_url(article), _form_data(first_page, title="First editor's title"))
    assert saved.status_code == 302, saved.content.decode()[:2000]

    refused = second.post(admin_url(article), _form_data(second_page, body="My careful rewrite of the body"))
    page = refused.content.decode()
    assert refused.status_code == 200
    assert "Somebody else saved this article" in page
    assert "My careful rewrite of the body" in page  # nothing typed is lost
    assert "/history/compare/" in page
    assert Article.objects.get(pk=article.pk).title == "First editor's title"
    assert Article.objects.get(pk=article.pk).body == "Original body"

    # Having seen the conflict, saving again replaces the other version on purpose.
    again = second.post(admin_url(article), _form_data(page, body="My careful rewrite of the body"))
    assert again.status_code == 302
    assert Article.objects.get(pk=article.pk).body == "My careful rewrite of the body"


def test_history_diff_and_restore(client, newsroom):
    editor = newsroom["editor"]
    login(client, editor)
    article = draft_of(editor, title="First title", body="The first body.")
    page = client.get(admin_url(article)).content.decode()
    client.post(admin_url(article), _form_data(page, title="Second title", body="The second body."))
    article.refresh_from_db()
    assert article.title == "Second title"

    history = client.get(admin_url(article, "history/")).content.decode()
    revisions = list(article.history.order_by("history_date"))
    assert len(revisions) >= 2
    assert "Restore this revision" in history

    diff = client.get(
        admin_url(article, "history/compare/"),
        {"from": revisions[0].history_id, "to": revisions[-1].history_id},
    )
    text = diff.content.decode()
    assert diff.status_code == 200 and "First" in text and "Second" in text and "diff_" in text

    count = article.history.count()
    client.post(admin_url(article, f"history/{revisions[0].history_id}/restore/"))
    article.refresh_from_db()
    assert (article.title, article.body) == ("First title", "The first body.")
    assert article.history.count() == count + 1  # the restore is itself a revision
    assert article.events.filter(action=ArticleEvent.Action.RESTORED).exists()


def test_slug_change_of_a_published_article_keeps_the_old_url_as_a_301(client, newsroom):
    article = set_status(
        draft_of(newsroom["author"], slug="old-slug"),
        Status.PUBLISHED,
        reviewer=AuthorFactory(),
        published_at=timezone.now() - timedelta(hours=1),
    )
    article.slug = "new-slug"
    workflow.save_edit(article, newsroom["editor"], changed_fields=["slug"])
    assert SlugRedirect.objects.filter(old_slug="old-slug", article=article).exists()
    response = client.get("/articles/old-slug/")
    assert response.status_code == 301 and response["Location"] == "/articles/new-slug/"
    assert client.get("/articles/new-slug/").status_code == 200
    # A draft's slug changes leave nothing behind.
    draft = draft_of(newsroom["author"], slug="draft-slug")
    draft.slug = "draft-slug-2"
    draft.save()
    assert client.get("/articles/draft-slug/").status_code == 404


def test_admin_preview_shows_the_draft_in_the_site_template(client, newsroom):
    draft = draft_of(newsroom["author"], title="A draft for preview", body="Draft **body** here.")
    response = login(client, newsroom["author"]).get(admin_url(draft, "preview/"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "A draft for preview" in page and "<strong>body</strong>" in page
    assert "no-cache" in response["Cache-Control"]
    assert client.get(draft.get_absolute_url()).status_code == 404  # still not public


def test_share_link_valid_expired_and_tampered(client, newsroom):
    draft = draft_of(newsroom["author"], title="Shared with an outside expert")
    link = preview.share_url(draft).removeprefix(settings.SITE_ORIGIN)
    client.logout()
    assert "Shared with an outside expert" in client.get(link).content.decode()

    tampered = link[:-3] + ("abc" if not link.endswith("abc/") else "xyz") + "/"
    response = client.get(link.rstrip("/")[:-2] + "zz/")
    assert response.status_code == 403 and "not valid" in response.content.decode()
    assert client.get(tampered).status_code == 403

    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = client.get(link)
    assert response.status_code == 410 and "expired" in response.content.decode()


def test_author_cannot_choose_another_byline(client, newsroom):
    login(client, newsroom["author"])
    page = client.get("/admin/articles/article/add/").content.decode()
    assert 'name="author"' not in page
    response = client.post(
        "/admin/articles/article/add/",
        {
            "title": "Mine",
            "slug": "mine",
            "standfirst": "S",
            "body": "B",
            "take": "",
            "cover_alt": "",
            "author": newsroom["other_author"].author_profile.pk,
            "expected_version": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    article = Article.objects.get(slug="mine")
    assert article.author == newsroom["author"].author_profile
    assert article.status == Status.DRAFT


# Found in review: each of these once leaked a draft or ended in a 500.


def test_an_author_cannot_link_another_authors_draft_as_related(client, newsroom):
    secret = draft_of(newsroom["other_author"], title="Secret merger scoop")
    mine = draft_of(newsroom["author"], title="My piece")
    login(client, newsroom["author"])
    page = client.get(admin_url(mine)).content.decode()
    response = client.post(admin_url(mine), _form_data(page, related=str(secret.pk)))
    assert response.status_code == 200  # the form refuses the choice
    assert "Secret merger scoop" not in response.content.decode()
    assert not mine.related.exists()


def test_link_warning_does_not_reveal_another_authors_draft(client, newsroom):
    draft_of(newsroom["other_author"], title="Secret merger scoop", slug="secret-merger")
    mine = draft_of(newsroom["author"], body="[guess](/articles/secret-merger/)")
    page = login(client, newsroom["author"]).get(admin_url(mine)).content.decode()
    assert "Check the links before publishing" in page
    assert "Secret merger scoop" not in page
    assert "/articles/secret-merger/" in page


def test_an_edit_opened_before_publication_cannot_go_live_unreviewed(client, newsroom):
    article = set_status(
        draft_of(newsroom["author"], body="Approved text"), Status.APPROVED, reviewer=AuthorFactory()
    )
    login(client, newsroom["editor"])
    stale_page = client.get(admin_url(article)).content.decode()
    workflow.publish(Article.objects.get(pk=article.pk), newsroom["superuser"])
    response = client.post(admin_url(article), _form_data(stale_page, body="Unreviewed text"))
    assert response.status_code == 200 and "Somebody else saved this article" in response.content.decode()
    assert Article.objects.get(pk=article.pk).body == "Approved text"


def test_editing_a_scheduled_article_voids_approval_and_schedule(newsroom):
    article = set_status(
        draft_of(newsroom["author"]),
        Status.PUBLISHED,
        reviewer=AuthorFactory(),
        published_at=timezone.now() + timedelta(days=2),
    )
    article.body = "Changed before it went out"
    workflow.save_edit(article, newsroom["editor"], changed_fields=["body"])
    article.refresh_from_db()
    assert (article.status, article.reviewer, article.published_at) == (Status.IN_REVIEW, None, None)


def test_share_link_of_an_archived_or_published_article(client, newsroom):
    draft = draft_of(newsroom["author"])
    link = preview.share_url(draft).removeprefix(settings.SITE_ORIGIN)
    set_status(
        draft, Status.PUBLISHED, reviewer=AuthorFactory(), published_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.get(link)
    assert response.status_code == 302 and response["Location"] == draft.get_absolute_url()
    set_status(draft, Status.ARCHIVED)
    assert client.get(link).status_code == 410


@pytest.mark.parametrize("odd_id", ["%C2%B2", "abc", "99999999", "1%00"])
def test_odd_object_ids_are_never_a_server_error(client, newsroom, odd_id):
    login(client, newsroom["editor"])
    for suffix in ("change/", "preview/", "history/", "history/compare/?from=%C2%B2&to_version=%C2%B2"):
        assert client.get(f"/admin/articles/article/{odd_id}/{suffix}").status_code in {200, 302, 403, 404}


def test_the_reviewer_cannot_become_the_author(client, newsroom):
    reviewer_byline = AuthorFactory(name="The Reviewer")
    article = set_status(draft_of(newsroom["author"]), Status.APPROVED, reviewer=reviewer_byline)
    login(client, newsroom["editor"])
    page = client.get(admin_url(article)).content.decode()
    response = client.post(admin_url(article), _form_data(page, author=str(reviewer_byline.pk)))
    assert response.status_code == 200
    assert "reviewed this article, so cannot be its author" in response.content.decode()


def test_restoring_a_slug_now_taken_by_another_article_keeps_the_current_slug(client, newsroom):
    article = draft_of(newsroom["editor"], slug="first-slug", title="First")
    article.slug, article.title = "second-slug", "Second"
    workflow.save_edit(article, newsroom["editor"], changed_fields=["slug", "title"])
    draft_of(newsroom["author"], slug="first-slug")
    oldest = article.history.order_by("history_date").first()
    login(client, newsroom["editor"]).post(admin_url(article, f"history/{oldest.history_id}/restore/"))
    article.refresh_from_db()
    assert (article.slug, article.title) == ("second-slug", "First")


def test_a_mail_server_failure_does_not_undo_or_break_a_transition(
    client, newsroom, monkeypatch, django_capture_on_commit_callbacks
):
    from smtplib import SMTPException

    from articles import notifications

    def broken(*args, **kwargs):
        raise SMTPException("connection refused")

    monkeypatch.setattr(notifications, "send_mail", broken)
    newsroom["reviewer"].email = "r@example.com"
    newsroom["reviewer"].save()
    article = draft_of(newsroom["author"])
    login(client, newsroom["author"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(admin_url(article, "workflow/submit/"))
    assert response.status_code == 302
    assert Article.objects.get(pk=article.pk).status == Status.IN_REVIEW


def test_topics_are_part_of_each_revision_and_come_back_on_restore(client, newsroom):
    from tests.factories import TopicFactory

    batteries, alliances = TopicFactory(name="Batteries"), TopicFactory(name="Alliances")
    article = draft_of(newsroom["editor"], title="Topic history", topics=[batteries])
    first = article.history.order_by("-history_date", "-history_id").first()
    article.topics.set([alliances])
    login(client, newsroom["editor"])
    latest = article.history.order_by("-history_date", "-history_id").first()
    diff = client.get(
        admin_url(article, "history/compare/"), {"from": first.history_id, "to": latest.history_id}
    )
    assert "Batteries" in diff.content.decode() and "Alliances" in diff.content.decode()

    client.post(admin_url(article, f"history/{first.history_id}/restore/"))
    assert list(article.topics.values_list("name", flat=True)) == ["Batteries"]


# The desk reads the table of transitions, revisions and states from one place each.


def desk_steps(page):
    """{step name: button label} of the workflow steps offered on a change page: buttons of
    the article's form, buttons of a step's own form, and links that open a confirmation."""
    steps = {}
    for name, label in re.findall(
        r'<button type="submit" form="article_form" class="[^"]*" name="_workflow" value="([^"]+)">([^<]+)</button>',
        page,
    ):
        steps[name] = label
    for name, label in re.findall(
        r'<button type="submit" class="[^"]*" name="action" value="([^"]+)">([^<]+)</button>', page
    ):
        steps[name] = label
    for label, name in re.findall(
        r'<a class="[^"]*" href="[^"]*/workflow/[\w-]+/confirm/" data-opens-dialog="confirm-([\w-]+)">([^<]+)</a>',
        page,
    ):
        steps[label] = name
    return steps


def desk_forms(page):
    """{step name: the HTML of its controls} for the workflow steps on a change page; a step
    that asks first gives its dialog's form."""
    chunks = dict(
        re.findall(
            r'<(?:div|form)[^>]*class="newsroom-desk__action newsroom-desk__action--([\w-]+)"[^>]*>(.*?)</(?:div|form)>',
            page,
            re.DOTALL,
        )
    )
    for name, dialog in re.findall(r'<dialog id="confirm-([\w-]+)"[^>]*>(.*?)</dialog>', page, re.DOTALL):
        chunks[name] = dialog
    return chunks


@pytest.mark.parametrize(
    ("role", "status"),
    [("reviewer", Status.IN_REVIEW), ("editor", Status.APPROVED), ("editor", Status.PUBLISHED)],
)
def test_each_button_has_the_fields_its_row_of_the_table_names(client, newsroom, role, status):
    extra = {"reviewer": AuthorFactory()} if status != Status.IN_REVIEW else {}
    if status == Status.PUBLISHED:
        extra["published_at"] = timezone.now()
    article = set_status(draft_of(newsroom["author"]), status, **extra)
    forms = desk_forms(login(client, newsroom[role]).get(admin_url(article)).content.decode())
    assert forms  # every state here has buttons for this role
    for name, form in forms.items():
        row = workflow.TRANSITIONS[name]
        assert row.label in form
        comment = re.search(
            r'<(textarea|input) id="(?:confirm-)?comment-[^"]*"[^>]*name="[^"]*comment"[^>]*>', form
        ) or re.search(r'<(textarea|input) id="confirm-[\w-]+-comment" name="comment"[^>]*>', form)
        if row.comment:
            assert re.search(
                rf'<label for="(?:confirm-{name}-comment|comment-{name})">{re.escape(row.comment)}</label>',
                form,
            )
            expected_tag = "input" if row.confirm or row.comment_lines == 1 else "textarea"
            assert comment.group(1) == expected_tag
            assert (" required" in comment.group(0)) == row.comment_required
        else:
            assert comment is None
        assert ('type="datetime-local"' in form) == bool(row.time)
        # A step that asks first is confirmed in its dialog; the others need nothing more.
        assert ('name="confirmed" value="yes"' in form) == bool(row.confirm)


def test_the_desk_labels_come_from_the_table(client, newsroom):
    article = set_status(draft_of(newsroom["author"]), Status.IN_REVIEW)
    forms = desk_forms(login(client, newsroom["reviewer"]).get(admin_url(article)).content.decode())
    assert '<label for="comment-request_changes">Comment for the author</label>' in forms["request_changes"]
    assert '<label for="comment-approve">Comment (optional)</label>' in forms["approve"]


def test_an_unknown_workflow_action_is_refused_with_a_message(client, newsroom):
    article = draft_of(newsroom["author"])
    response = login(client, newsroom["editor"]).post(admin_url(article, "workflow/promote/"), follow=True)
    assert response.redirect_chain == [(admin_url(article), 302)]
    assert messages_of(response) == ["There is no workflow step called “promote”."]
    article.refresh_from_db()
    assert article.status == Status.DRAFT and not article.events.exclude(action="created").exists()


def test_archiving_asks_for_a_confirmation_first(client, newsroom):
    article = set_status(
        draft_of(newsroom["author"]),
        Status.PUBLISHED,
        reviewer=AuthorFactory(),
        published_at=timezone.now() - timedelta(hours=1),
    )
    login(client, newsroom["editor"])
    response = client.post(admin_url(article, "workflow/archive/"), follow=True)
    assert messages_of(response) == [
        "“Archive” needs your confirmation, and nothing was changed: click Archive again and confirm."
    ]
    assert Article.objects.get(pk=article.pk).status == Status.PUBLISHED

    response = client.post(admin_url(article, "workflow/archive/"), {"confirmed": "yes"}, follow=True)
    assert messages_of(response) == ["Archived.", f"Told {newsroom['author'].username} by email."]
    assert Article.objects.get(pk=article.pk).status == Status.ARCHIVED


def test_each_step_tells_what_happened_and_who_was_told(client, newsroom):
    for role, (first, last) in {
        "author": ("Dana", "Reyes"),
        "reviewer": ("Asaf", "Kedem"),
        "editor": ("Mira", "Cohen"),
        "superuser": ("Sam", "Admin"),
    }.items():
        newsroom[role].first_name, newsroom[role].last_name = first, last
        newsroom[role].save()
    article = draft_of(newsroom["author"])
    response = login(client, newsroom["author"]).post(admin_url(article, "workflow/submit/"), follow=True)
    # Everyone who may approve it (reviewers, editors, superusers), by name.
    assert messages_of(response) == [
        "Submitted for review.",
        "Told Asaf Kedem, Mira Cohen and Sam Admin by email.",
    ]
    response = login(client, newsroom["reviewer"]).post(
        admin_url(article, "workflow/approve/"), {"comment": "Good."}, follow=True
    )
    assert messages_of(response) == [
        "Approved. An editor can now publish it.",
        "Told Dana Reyes, Mira Cohen and Sam Admin by email.",  # the byline, and who can publish
    ]
    login(client, newsroom["editor"])
    response = client.post(admin_url(article, "workflow/publish/"), follow=True)
    assert messages_of(response) == [
        "Published: readers can see it now.",
        "Told Asaf Kedem and Dana Reyes by email.",
    ]
    response = client.post(
        admin_url(article, "workflow/unpublish/"), {"comment": "Legal check", "confirmed": "yes"}, follow=True
    )
    assert messages_of(response) == [
        "Unpublished: readers no longer see it.",
        "Told Asaf Kedem and Dana Reyes by email.",
    ]
    assert article.events.get(action=ArticleEvent.Action.UNPUBLISHED).comment == "Legal check"


def test_compare_shows_the_fields_that_changed_and_only_those(client, newsroom):
    editor = newsroom["editor"]
    article = draft_of(editor, title="Same title", standfirst="Range goes up.", cover_alt="")
    first = article.history.latest("history_date")
    article.standfirst = "Range goes up by a third."
    workflow.save_edit(article, editor, changed_fields=["standfirst"])
    latest = article.history.latest("history_date")

    response = login(client, editor).get(
        admin_url(article, "history/compare/"), {"from": first.history_id, "to": latest.history_id}
    )
    page = response.content.decode()
    assert re.findall(r"<h2>([^<]+)</h2>", page) == ["Standfirst"]  # only the field that changed
    diff = page.split("<h2>Standfirst</h2>")[1]

    def text(markup):  # the diff read without its screen-reader labels
        markup = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", markup)
        return html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()

    assert text(re.sub(r"<ins.*?</ins>", "", diff, flags=re.DOTALL)) == "Range goes up."  # before
    assert text(re.sub(r"<del.*?</del>", "", diff, flags=re.DOTALL)) == "Range goes up by a third."  # after


def test_compare_of_two_equal_revisions_says_so(client, newsroom):
    article = draft_of(newsroom["editor"])
    revision = article.history.latest("history_date")
    response = login(client, newsroom["editor"]).get(
        admin_url(article, "history/compare/"), {"from": revision.history_id, "to": revision.history_id}
    )
    assert "The content of these two revisions is the same." in response.content.decode()


def test_compare_without_revisions_to_compare_goes_back_to_the_history(client, newsroom):
    article = draft_of(newsroom["editor"])
    response = login(client, newsroom["editor"]).get(admin_url(article, "history/compare/"), follow=True)
    assert response.redirect_chain == [(admin_url(article, "history/"), 302)]
    assert messages_of(response) == ["Choose two revisions to compare."]


@pytest.mark.parametrize("suffix", ["history/", "history/compare/?from_version=1"])
def test_history_pages_use_the_admins_breadcrumbs(client, newsroom, suffix):
    article = draft_of(newsroom["editor"], title="Crumbs")
    page = login(client, newsroom["editor"]).get(admin_url(article, suffix)).content.decode()
    trail = re.search(r'<ol class="breadcrumbs">(.*?)</ol>', page, re.DOTALL)
    assert trail, "no Django 6.1 breadcrumbs"
    items = [
        re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li[^>]*>(.*?)</li>", trail.group(1))
    ]
    expected = ["Home", "Articles", "Articles", "Crumbs", "History"]
    assert items == (expected if suffix == "history/" else [*expected, "Compare"])
    assert 'class="breadcrumbs"' not in page.replace('<ol class="breadcrumbs">', "")


def test_a_scheduled_article_has_a_share_link_until_it_is_live(client, newsroom):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        article = set_status(
            draft_of(newsroom["author"], title="Embargoed piece"),
            Status.PUBLISHED,
            reviewer=AuthorFactory(),
            published_at=start + timedelta(days=1),
        )
        login(client, newsroom["editor"])
        page = client.get(admin_url(article)).content.decode()
        assert "Scheduled for" in page
        link = re.search(r'<input id="share-link" type="text" readonly value="([^"]+)"', page).group(1)
        client.logout()
        shared = client.get(link.removeprefix(settings.SITE_ORIGIN))
        assert shared.status_code == 200 and "Embargoed piece" in shared.content.decode()
    with time_machine.travel(start + timedelta(days=1, seconds=1), tick=False):
        login(client, newsroom["editor"])
        assert 'id="share-link"' not in client.get(admin_url(article)).content.decode()


def test_the_preview_is_kept_from_caches_and_search_engines(client, newsroom):
    draft = draft_of(newsroom["author"])
    response = login(client, newsroom["author"]).get(admin_url(draft, "preview/"))
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response.context["is_preview"] and not response.context["shared_preview"]
