"""Live articles keep their approved words (issue 9.2).

An edit of a published article's words, or a restored revision, becomes its correction:
readers keep the approved words until a second person approves the correction and an
editor publishes it, byte for byte as approved. Then the page says "Updated <date>" and
shows the correction's note in its corrections log.
"""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles import revisions, workflow
from articles.models import Article, ArticleEvent, Correction, PageEdition
from tests.admin_pages import admin_url, messages_of
from tests.factories import ArticleFactory

Status = Article.Status
pytestmark = pytest.mark.django_db
LIVE_NOTICE = "Readers see the published version; your changes go to review as a correction."


def live_article(newsroom, **fields):
    """Written by the author, approved by the reviewer, published by the editor."""
    article = ArticleFactory(author=newsroom["author"].author_profile, **fields)
    workflow.submit(article, newsroom["author"])
    workflow.approve(article, newsroom["reviewer"])
    workflow.publish(article, newsroom["editor"])
    article.refresh_from_db()
    return article


def correct(article, user, **words):
    edited = Article.objects.get(pk=article.pk)
    for name, value in words.items():
        setattr(edited, name, value)
    workflow.save_edit(edited, user, changed_fields=list(words))
    return workflow.open_correction(article)


def superuser_writing_as(article, newsroom):
    """The article's byline moved to the superuser, who may review anything but their own."""
    Article.objects.filter(pk=article.pk).update(author=newsroom["superuser"].author_profile)
    article.refresh_from_db()
    return newsroom["superuser"]


def form_of(article, **changes):
    """The change form's POST data for `article` as the form shows it, with `changes`."""
    shown = workflow.open_correction(article) or article
    data = {
        "title": shown.title,
        "slug": article.slug,
        "standfirst": shown.standfirst,
        "body": shown.body,
        "take": shown.take,
        "cover_alt": article.cover_alt,
        "author": str(article.author_id),
        "expected_version": str(Article.objects.get(pk=article.pk).version),
        "correction_note": getattr(shown, "note", ""),
    }
    data.update(changes)
    return data


def test_an_editors_change_of_a_live_article_waits_in_a_correction_and_readers_keep_the_approved_words(
    client, newsroom
):
    article = live_article(newsroom, body="The plant builds 100 cars a day.")
    reader_page = client.get(article.get_absolute_url()).content.decode()
    edition = PageEdition.objects.get().token

    client.force_login(newsroom["editor"])
    form = client.get(admin_url(article)).content.decode()
    assert LIVE_NOTICE in form
    response = client.post(
        admin_url(article),
        form_of(
            article, body="The plant builds 120 cars a day.", correction_note="We misreported the output."
        ),
        follow=True,
    )
    assert response.status_code == 200
    assert any("readers see the published version until the correction" in m for m in messages_of(response))

    stored = Article.objects.get(pk=article.pk)
    assert stored.body == "The plant builds 100 cars a day." and stored.status == Status.PUBLISHED
    correction = workflow.open_correction(article)
    assert (correction.body, correction.note, correction.status) == (
        "The plant builds 120 cars a day.",
        "We misreported the output.",
        Correction.Status.DRAFT,
    )
    assert list(correction.changed_by.all()) == [newsroom["editor"]]
    # Nothing readers see changed: same page, same page-cache edition.
    client.logout()
    assert client.get(article.get_absolute_url()).content.decode() == reader_page
    assert PageEdition.objects.get().token == edition

    # The form shows and edits the correction's words, and says so.
    client.force_login(newsroom["editor"])
    form = client.get(admin_url(article)).content.decode()
    assert "The plant builds 120 cars a day." in form
    assert "These are the words of its correction (draft), not the published ones." in form
    client.post(admin_url(article), form_of(article, title="Output up by a fifth"), follow=True)
    correction.refresh_from_db()
    assert (correction.title, correction.body) == ("Output up by a fifth", "The plant builds 120 cars a day.")
    assert Correction.objects.filter(article=article).count() == 1  # one correction on its way


def test_a_correction_goes_through_review_and_an_editor_publishes_it_as_approved(client, newsroom):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        article = live_article(newsroom, body="The plant builds 100 cars a day.")
    editor, reviewer = newsroom["editor"], newsroom["reviewer"]
    correction = correct(article, editor, body="The plant builds 120 cars a day.")

    client.force_login(editor)
    page = client.get(admin_url(article)).content.decode()
    assert 'value="submit_correction"' in page and 'value="publish_correction"' not in page
    client.post(admin_url(article, "workflow/submit_correction/"), follow=True)
    correction.refresh_from_db()
    assert correction.status == Correction.Status.IN_REVIEW

    # Whoever made the correction, and the byline's author, may not approve it.
    response = client.post(admin_url(article, "workflow/approve_correction/"), follow=True)
    assert messages_of(response) == [
        (
            "You cannot approve these words: you started this correction. Nobody approves words they wrote "
            "or changed: another reviewer must approve them."
        )
    ]
    with pytest.raises(workflow.TransitionNotAllowed, match="own article"):
        workflow.approve_correction(article, superuser_writing_as(article, newsroom))
    Article.objects.filter(pk=article.pk).update(author=newsroom["author"].author_profile)
    article.refresh_from_db()

    client.force_login(reviewer)
    response = client.post(admin_url(article, "workflow/approve_correction/"), follow=True)
    assert messages_of(response)[0] == "Correction approved. An editor can now publish it."
    correction.refresh_from_db()
    assert correction.status == Correction.Status.APPROVED
    assert correction.approved_hash == workflow.content_hash(correction)
    assert "100 cars a day" in client.get(article.get_absolute_url()).content.decode()

    client.force_login(editor)
    when = start + timedelta(days=2)
    with time_machine.travel(when, tick=False):
        response = client.post(
            admin_url(article, "workflow/publish_correction/"),
            {"comment": "An earlier version gave the daily output as 100 cars."},
            follow=True,
        )
    assert messages_of(response)[0] == "Correction published: readers see the new words now."
    article.refresh_from_db()
    correction.refresh_from_db()
    assert article.body == "The plant builds 120 cars a day."
    assert "120 cars a day" in article.body_html  # rendered, as any save
    assert article.corrected_at == when and article.status == Status.PUBLISHED
    assert article.reviewer == reviewer.author_profile and article.approved_hash == correction.approved_hash
    # What readers got is byte for byte what was approved, and the database keeps both.
    assert correction.published_hash == correction.approved_hash == workflow.content_hash(article)
    assert (correction.status, correction.published_by, correction.published_at) == (
        Correction.Status.PUBLISHED,
        editor,
        when,
    )
    latest = article.history.latest("history_date")
    assert latest.body == "The plant builds 120 cars a day." and latest.history_user == editor
    assert latest.approved_hash == correction.approved_hash

    client.logout()
    page = client.get(article.get_absolute_url()).content.decode()
    assert "120 cars a day" in page and "100 cars a day" not in page
    updated = re.search(
        r'<p class="article__updated">Updated <time datetime="([^"]+)">([^<]+)</time></p>', page
    )
    assert updated and updated.group(2) == f"{timezone.localtime(when):%B %d, %Y}"
    log = page.split('id="corrections-heading"')[1].split("</section>")[0]
    assert "An earlier version gave the daily output as 100 cars." in log
    data = json.loads(
        re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page, re.DOTALL).group(1)
    )
    assert data["dateModified"] == timezone.localtime(when).isoformat(timespec="seconds")
    assert data["datePublished"] == timezone.localtime(start).isoformat(timespec="seconds")
    assert data["mainEntityOfPage"]["reviewedBy"]["name"] == reviewer.author_profile.name

    # The search index follows the published words.
    assert article.title in client.get("/search/?q=120").content.decode()
    timeline = list(article.events.order_by("created_at", "id").values_list("action", flat=True))
    assert timeline[-4:] == [
        ArticleEvent.Action.CORRECTION_STARTED,
        ArticleEvent.Action.CORRECTION_SUBMITTED,
        ArticleEvent.Action.CORRECTION_APPROVED,
        ArticleEvent.Action.CORRECTION_PUBLISHED,
    ]


def test_the_corrections_log_keeps_every_note_and_a_new_correction_starts_from_the_live_words(
    newsroom, client
):
    article = live_article(newsroom)
    editor, reviewer = newsroom["editor"], newsroom["reviewer"]
    for number, note in enumerate(["First fix.", "", "Third fix."], start=1):
        correct(article, editor, standfirst=f"Standfirst, corrected {number} times.")
        workflow.submit_correction(article, editor)
        workflow.approve_correction(article, reviewer)
        workflow.publish_correction(article, editor, comment=note)
    assert workflow.open_correction(article) is None
    assert [c.note for c in article.corrections_log()] == ["Third fix.", "First fix."]  # newest first
    page = client.get(article.get_absolute_url()).content.decode()
    assert page.index("Third fix.") < page.index("First fix.")
    assert "Standfirst, corrected 3 times." in page
    # The next correction starts from what readers see now.
    correction = correct(article, editor, take="A take.")
    assert correction.standfirst == "Standfirst, corrected 3 times."


def test_an_uncorrected_article_has_no_updated_line_and_no_log(client, newsroom):
    article = live_article(newsroom)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "article__updated" not in page and "corrections-heading" not in page
    assert article.corrections_log() == []


def test_publish_refuses_words_that_are_not_the_approved_ones(newsroom):
    article = live_article(newsroom)
    editor = newsroom["editor"]
    correct(article, editor, body="Approved words.")
    workflow.submit_correction(article, editor)
    workflow.approve_correction(article, newsroom["reviewer"])
    # Changed behind the workflow's back, after the approval.
    Correction.objects.filter(article=article).update(body="Words nobody approved.")
    with pytest.raises(workflow.TransitionNotAllowed, match="not the ones the reviewer approved"):
        workflow.publish_correction(article, editor)
    article.refresh_from_db()
    assert "Words nobody approved." not in article.body and article.corrected_at is None

    # The same pin holds for a new article.
    fresh = ArticleFactory(author=newsroom["author"].author_profile)
    workflow.submit(fresh, newsroom["author"])
    workflow.approve(fresh, newsroom["reviewer"])
    Article.objects.filter(pk=fresh.pk).update(title="Title nobody approved")
    fresh.refresh_from_db()
    with pytest.raises(workflow.TransitionNotAllowed, match="not the ones the reviewer approved"):
        workflow.publish(fresh, editor)
    assert not Article.objects.published().filter(pk=fresh.pk).exists()


def test_the_database_keeps_a_published_correction_to_its_approved_hash(newsroom):
    article = live_article(newsroom)
    correction = correct(article, newsroom["editor"], body="New words.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Correction.objects.filter(pk=correction.pk).update(
            status=Correction.Status.PUBLISHED,
            published_at=timezone.now(),
            reviewer=newsroom["reviewer"].author_profile,
            approved_hash="a" * 64,
            published_hash="b" * 64,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Correction.objects.create(article=article, title="x", standfirst="x", body="x")  # a second open one


def test_changing_an_approved_correction_voids_its_approval_and_tells_the_reviewers(
    newsroom, django_capture_on_commit_callbacks, mailoutbox
):
    article = live_article(newsroom)
    editor, reviewer, superuser = newsroom["editor"], newsroom["reviewer"], newsroom["superuser"]
    correct(article, editor, body="First correction.")
    workflow.submit_correction(article, editor)
    workflow.approve_correction(article, reviewer)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        correction = correct(article, superuser, body="Second thoughts.")
    assert correction.status == Correction.Status.IN_REVIEW
    assert (correction.reviewer, correction.approved_hash) == (None, "")
    assert article.events.filter(action=ArticleEvent.Action.APPROVAL_VOIDED, correction=correction).exists()
    (message,) = mailoutbox
    assert message.subject == f"Correction for review: {article.title}"
    assert (
        reviewer.email in message.to and superuser.email not in message.to and editor.email not in message.to
    )
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.publish_correction(article, editor)
    workflow.approve_correction(article, reviewer)  # the reviewer changed nothing: may approve again
    workflow.publish_correction(article, editor)
    article.refresh_from_db()
    assert article.body == "Second thoughts."


def test_approving_words_that_changed_since_the_reviewer_opened_them_is_refused(newsroom):
    article = live_article(newsroom)
    editor, reviewer = newsroom["editor"], newsroom["reviewer"]
    correction = correct(article, editor, body="Version one.")
    workflow.submit_correction(article, editor)
    seen = workflow.content_hash(correction)
    correct(article, editor, body="Version two.")
    with pytest.raises(workflow.ContentChanged, match="changed since you opened them"):
        workflow.run_transition("approve_correction", article, reviewer, seen_hash=seen)
    workflow.run_transition(
        "approve_correction",
        article,
        reviewer,
        seen_hash=workflow.content_hash(workflow.open_correction(article)),
    )


def test_restoring_a_revision_onto_a_live_article_needs_a_confirmation_and_goes_to_review(client, newsroom):
    article = live_article(newsroom, body="Original words.")
    first = article.history.earliest("history_date")
    correct(article, newsroom["editor"], body="Corrected words.")
    workflow.submit_correction(article, newsroom["editor"])
    workflow.approve_correction(article, newsroom["reviewer"])
    workflow.publish_correction(article, newsroom["editor"])
    article.refresh_from_db()
    assert article.body == "Corrected words."

    superuser = newsroom["superuser"]
    with pytest.raises(workflow.ConfirmationNeeded):
        revisions.restore(article, superuser, first)
    assert workflow.open_correction(article) is None

    client.force_login(superuser)
    url = admin_url(article, f"history/{first.history_id}/restore/")
    response = client.post(url, follow=True)
    assert "confirm to go ahead" in messages_of(response)[0]
    assert workflow.open_correction(article) is None
    response = client.post(url, {"confirmed": "yes"}, follow=True)
    assert messages_of(response) == [
        (
            "The revision's words are now the article's correction, for review: readers see the published "
            "version until the correction is approved and published."
        )
    ]
    article.refresh_from_db()
    correction = workflow.open_correction(article)
    assert (article.body, correction.body) == ("Corrected words.", "Original words.")
    assert "Restored the words of the revision" in correction.events.get().comment
    client.logout()
    assert "Corrected words." in client.get(article.get_absolute_url()).content.decode()
    # Whoever restored them changed the words: somebody else approves.
    workflow.submit_correction(article, superuser)
    with pytest.raises(workflow.TransitionNotAllowed, match="you started this correction"):
        workflow.approve_correction(article, superuser)


def test_unpublish_stays_available_with_a_correction_on_its_way_and_archive_discards_it(client, newsroom):
    article = live_article(newsroom)
    editor = newsroom["editor"]
    correct(article, editor, body="A correction in progress.")
    names = [t.name for t in workflow.available_transitions(article, editor)]
    assert {"unpublish", "archive", "submit_correction", "discard_correction"} <= set(names)
    workflow.unpublish(article, editor, comment="Legal check")
    assert client.get(article.get_absolute_url()).status_code == 404
    article.refresh_from_db()
    workflow.submit_correction(article, editor)
    workflow.approve_correction(article, newsroom["reviewer"])
    with pytest.raises(workflow.TransitionNotAllowed, match="publish the article first"):
        workflow.publish_correction(article, editor)
    workflow.archive(article, editor)
    assert not Correction.objects.open().filter(article=article).exists()
    assert article.corrections.get().status == Correction.Status.DISCARDED


def test_discarding_a_correction_keeps_the_published_words(newsroom, client):
    article = live_article(newsroom)
    correct(article, newsroom["editor"], body="Second thoughts.")
    workflow.run_transition("discard_correction", article, newsroom["editor"], comment="Not needed")
    assert workflow.open_correction(article) is None
    assert "Second thoughts." not in client.get(article.get_absolute_url()).content.decode()
    assert article.events.filter(
        action=ArticleEvent.Action.CORRECTION_DISCARDED, comment="Not needed"
    ).exists()


def test_an_author_cannot_correct_a_live_article(newsroom):
    article = live_article(newsroom)
    with pytest.raises(workflow.TransitionNotAllowed):
        correct(article, newsroom["author"], body="The author's afterthought.")
    assert workflow.open_correction(article) is None


def test_a_scheduled_article_is_not_live_so_an_edit_voids_its_approval_as_before(newsroom):
    article = ArticleFactory(author=newsroom["author"].author_profile)
    workflow.submit(article, newsroom["author"])
    workflow.approve(article, newsroom["reviewer"])
    workflow.publish(article, newsroom["editor"], at=timezone.now() + timedelta(days=1))
    article.refresh_from_db()
    article.body = "Changed before it went out."
    workflow.save_edit(article, newsroom["editor"], changed_fields=["body"])
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW and workflow.open_correction(article) is None


def test_the_address_cover_text_and_topics_of_a_live_article_change_at_once_beside_a_correction(
    client, newsroom
):
    from tests.factories import TopicFactory

    article = live_article(newsroom)
    topic = TopicFactory(name="Charging")
    revisions_before = article.history.count()
    client.force_login(newsroom["editor"])
    response = client.post(
        admin_url(article),
        form_of(article, body="Corrected words.", topics=[str(topic.pk)], cover_alt="Unused"),
        follow=True,
    )
    assert response.status_code == 200
    article.refresh_from_db()
    assert list(article.topics.all()) == [topic]  # at once, with a revision
    assert article.history.count() > revisions_before
    assert article.history.latest("history_date").body == article.body  # the live words
    assert workflow.open_correction(article).body == "Corrected words."
    client.logout()
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Charging" in page and "Corrected words." not in page
