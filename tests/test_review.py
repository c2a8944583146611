"""The review screen: the article as readers will see it, what changed since the last review,
comments on passages, and a decision that cannot approve words the reviewer has not seen."""

import html
import re

import pytest

from articles import diffs, passages, review, workflow
from articles.models import Article, ArticleEvent, ReviewComment
from tests.factories import ArticleFactory

Status = Article.Status
pytestmark = pytest.mark.django_db

BODY = (
    "## The promise\n\n"
    "A **solid** electrolyte replaces the liquid one.\n\n"
    "Range goes up by a third, says the maker.\n\n"
    "Charging takes twelve minutes.\n\n"
    "The first cars arrive in 2028."
)


def login(client, user):
    if user is not None:
        client.force_login(user)
    return client


def review_url(article, suffix=""):
    return f"/admin/articles/article/{article.pk}/review/{suffix}"


def text_of(page):
    """The page's text as a reader hears it: tags removed, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def in_review(newsroom, **fields):
    """An article by the newsroom's author, submitted for review through the workflow."""
    article = ArticleFactory(author=newsroom["author"].author_profile, body=BODY, **fields)
    workflow.submit(article, newsroom["author"])
    return article


def edit(article, user, **changes):
    for name, value in changes.items():
        setattr(article, name, value)
    workflow.save_edit(article, user, changed_fields=list(changes))
    article.refresh_from_db()
    return article


def hidden(page, name):
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def sent_back_and_resubmitted(newsroom, article, **changes):
    """The reviewer sends it back, the author changes it and submits it again."""
    workflow.request_changes(article, newsroom["reviewer"], "Give the source of the range figure.")
    edit(article, newsroom["author"], **changes)
    workflow.submit(article, newsroom["author"])
    return article


# The word-level diff ------------------------------------------------------------------


def test_a_changed_word_is_marked_whole_and_the_text_around_it_is_left_alone():
    changes = diffs.word_diff("Range goes up by a third.", "Range goes up by a half.")
    assert changes == [
        ("equal", "Range goes up by a "),
        ("delete", "third"),
        ("insert", "half"),
        ("equal", "."),
    ]


def test_a_rewritten_phrase_reads_as_one_deletion_and_one_insertion():
    changes = diffs.word_diff("the quick brown fox jumps", "a slow red fox jumps")
    assert changes == [("delete", "the quick brown"), ("insert", "a slow red"), ("equal", " fox jumps")]


def test_the_diff_marks_insertions_and_deletions_for_eyes_and_screen_readers():
    diff = diffs.diff_field("body", "Body", "Range goes up.", "Range goes up by a third.")
    page = "".join(part.html for part in diff.parts)
    assert (
        '<ins class="diff__ins diff__ins--words"><span class="visually-hidden">[Added: </span> by a third'
        in page
    )
    assert (
        '<del class="diff__del diff__del--words"><span class="visually-hidden">[Removed: </span>.' not in page
    )
    assert text_of(page) == "Range goes up [Added: by a third ] ."
    assert (diff.added, diff.removed, diff.places) == (3, 0, 1)


def test_unchanged_paragraphs_are_folded_away_and_changed_ones_shown():
    new = BODY.replace("twelve minutes", "ten minutes")
    diff = diffs.diff_field("body", "Body", BODY, new)
    assert [(part.changed, part.folded) for part in diff.parts] == [(False, 3), (True, 0), (False, 0)]
    assert "Charging takes" in diff.parts[1].html and "ten" in diff.parts[1].html
    assert diff.parts[0].html.startswith("## The promise")  # folded, not lost


def test_the_diff_escapes_what_the_text_holds():
    diff = diffs.diff_field("body", "Body", "Safe.", "Safe. <script>alert(1)</script>")
    page = "".join(part.html for part in diff.parts)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_paragraph_split_is_visible():
    diff = diffs.diff_field("body", "Body", "One. Two.", "One.\n\nTwo.")
    page = "".join(part.html for part in diff.parts)
    assert "diff__ins--break" in page and "diff__del--space" in page


def test_the_summary_says_what_changed_in_words():
    summary = diffs.diff_fields(
        {"title": "Solid-state batteries", "body": BODY},
        {"title": "Solid-state batteries arrive", "body": BODY.replace("a third", "half")},
        review.FIELDS,
    )
    assert str(summary) == "Title and Body: 2 words added, 2 removed, in 2 places."
    assert (
        str(diffs.diff_fields({"title": "Same"}, {"title": "Same"}, review.FIELDS))
        == "No change to the words."
    )


# The screen ---------------------------------------------------------------------------


def test_the_reviewer_sees_the_article_as_readers_will_and_what_changed_since_their_review(client, newsroom):
    article = in_review(newsroom, title="Solid-state batteries")
    sent_back_and_resubmitted(
        newsroom, article, body=BODY.replace("says the maker", "says Nissan (November 2021)")
    )

    response = login(client, newsroom["reviewer"]).get(review_url(article))
    page = response.content.decode()
    assert response.status_code == 200
    assert "/static/css/site.css" in page and "/static/css/review.css" in page  # the readers' typography
    assert '<h1 class="article__title">Solid-state batteries</h1>' in page
    assert "<strong>solid</strong>" in page  # rendered, not Markdown
    assert "Compared with what you last reviewed (sent back" in text_of(page)
    assert "Body: 3 words added, 2 removed, in 1 place." in text_of(page)
    changes = page.split('id="changes"')[1]
    assert "[Removed: the maker. ]" in text_of(changes) and "[Added: Nissan (November 2021). ]" in text_of(
        changes
    )
    assert changes.count("2 unchanged paragraphs") == 2  # the rest is folded away
    assert response["Cache-Control"].startswith("max-age=0") and "noindex" in response["X-Robots-Tag"]


def test_another_reviewers_last_review_is_the_baseline_for_a_reviewer_who_never_saw_it(client, newsroom):
    from articles.roles import REVIEWERS
    from tests.factories import newsroom_member

    article = in_review(newsroom)
    sent_back_and_resubmitted(newsroom, article, body=BODY + "\n\nA new closing line.")
    second = newsroom_member(REVIEWERS, byline="Second Reviewer")
    page = login(client, second).get(review_url(article)).content.decode()
    assert f"Compared with what {newsroom['reviewer'].author_profile.name} last reviewed" in text_of(page)
    assert "[Added: A new closing line. ]" in text_of(page)


def test_when_nothing_was_ever_reviewed_the_screen_says_so_and_shows_all_the_text_as_new(client, newsroom):
    article = in_review(newsroom)
    page = login(client, newsroom["reviewer"]).get(review_url(article)).content.decode()
    assert "Compared with nothing: nobody has reviewed this article yet, so all of it is new." in text_of(
        page
    )
    changes = page.split('id="changes"')[1]
    assert "Charging takes twelve minutes." in text_of(changes)
    assert "<del" not in changes.split("</p>", 2)[2]  # no word struck out: there is nothing before


def test_the_reviewer_can_compare_with_an_earlier_review_or_any_revision(client, newsroom):
    article = in_review(newsroom)
    first_review = article.history.order_by("-history_date", "-history_id").first()
    sent_back_and_resubmitted(newsroom, article, title="A second title")
    page = login(client, newsroom["reviewer"]).get(review_url(article), {"against": first_review.history_id})
    page = page.content.decode()
    assert f"Compared with the revision of {first_review.history_date:%Y-%m-%d}" in text_of(page)
    assert "[Removed: Article number" in text_of(page) and "[Added: A second title ]" in text_of(page)


@pytest.mark.parametrize("against", ["abc", "²", "-1", "99999999", "1.5", ""])
def test_a_bad_baseline_in_the_address_falls_back_to_the_last_review(client, newsroom, against):
    article = in_review(newsroom)
    response = login(client, newsroom["reviewer"]).get(review_url(article), {"against": against})
    assert response.status_code == 200
    assert "Compared with nothing: nobody has reviewed" in text_of(response.content.decode())


# Approve and Request changes ------------------------------------------------------------


def test_approve_from_the_screen_goes_through_the_workflow(client, newsroom):
    article = in_review(newsroom)
    page = login(client, newsroom["reviewer"]).get(review_url(article)).content.decode()
    response = client.post(
        review_url(article, "decide/"),
        {"action": "approve", "content_hash": hidden(page, "content_hash")},
        follow=True,
    )
    article.refresh_from_db()
    assert article.status == Status.APPROVED and article.reviewer == newsroom["reviewer"].author_profile
    assert messages_of(response) == ["Approved. An editor can now publish it."]
    assert response.redirect_chain[-1][0] == "/admin/articles/article/?queue=review"


def test_approve_is_refused_when_the_words_changed_since_the_screen_was_opened(client, newsroom):
    article = in_review(newsroom)
    page = login(client, newsroom["reviewer"]).get(review_url(article)).content.decode()
    seen = hidden(page, "content_hash")
    edit(article, newsroom["editor"], body=BODY.replace("twelve", "eleven"))  # meanwhile, at another desk

    response = client.post(
        review_url(article, "decide/"),
        {"action": "approve", "content_hash": seen},
        follow=True,
    )
    assert Article.objects.get(pk=article.pk).status == Status.IN_REVIEW
    link = f"{review_url(article)}?seen={seen}#changes"
    assert messages_of(response) == [f'Changed since you opened it: <a href="{link}">see what changed</a>.']
    assert response.redirect_chain == [(link, 302)]
    changes = response.content.decode().split('id="changes"')[1]
    assert "Compared with what you saw when you opened it" in text_of(changes)
    assert "[Removed: twelve ]" in text_of(changes) and "[Added: eleven ]" in text_of(changes)

    # Having seen the change, the reviewer approves the words now on the screen.
    page = response.content.decode()
    client.post(
        review_url(article, "decide/"),
        {"action": "approve", "content_hash": hidden(page, "content_hash")},
    )
    assert Article.objects.get(pk=article.pk).status == Status.APPROVED


def test_request_changes_without_a_comment_sends_the_open_passage_comments(client, newsroom):
    article = in_review(newsroom)
    login(client, newsroom["reviewer"]).post(
        review_url(article, "comments/"), {"quote": "twelve minutes", "body": "Which charger?"}
    )
    page = client.get(review_url(article)).content.decode()
    client.post(
        review_url(article, "decide/"),
        {"action": "request_changes", "comment": "", "content_hash": hidden(page, "content_hash")},
    )
    article.refresh_from_db()
    assert article.status == Status.CHANGES_REQUESTED
    assert article.events.get(action=ArticleEvent.Action.CHANGES_REQUESTED).comment == (
        "On “twelve minutes”: Which charger?"
    )


def test_request_changes_with_nothing_to_say_is_refused_by_the_workflow(client, newsroom):
    article = in_review(newsroom)
    page = login(client, newsroom["reviewer"]).get(review_url(article)).content.decode()
    response = client.post(
        review_url(article, "decide/"),
        {"action": "request_changes", "comment": " ", "content_hash": hidden(page, "content_hash")},
        follow=True,
    )
    assert messages_of(response) == [
        "Say what needs to change: a comment is required to send an article back."
    ]
    assert Article.objects.get(pk=article.pk).status == Status.IN_REVIEW


def test_the_author_cannot_approve_their_own_article_from_the_screen(client, newsroom):
    article = in_review(newsroom)
    page = login(client, newsroom["author"]).get(review_url(article)).content.decode()
    assert 'value="approve"' not in page  # no buttons for the author
    response = client.post(
        review_url(article, "decide/"),
        {"action": "approve", "content_hash": workflow.content_hash(article)},
        follow=True,
    )
    assert messages_of(response) == ["Only reviewers and editors can review articles."]
    assert Article.objects.get(pk=article.pk).status == Status.IN_REVIEW


CHOOSE = "Choose Approve or Request changes on the review screen."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, CHOOSE),
        ({"action": "publish", "content_hash": "x"}, CHOOSE),
        ({"action": "approve"}, CHOOSE),
        ({"action": "approve", "content_hash": "x" * 500}, CHOOSE),
        ({"action": "approve", "content_hash": "<b>"}, "Changed since you opened it"),
    ],
)
def test_a_malformed_decision_is_a_message_not_a_500(client, newsroom, data, message):
    article = in_review(newsroom)
    response = login(client, newsroom["reviewer"]).post(review_url(article, "decide/"), data, follow=True)
    assert response.status_code == 200
    assert [text[: len(message)] for text in messages_of(response)] == [message]
    assert "<b>" not in response.content.decode()
    assert Article.objects.get(pk=article.pk).status == Status.IN_REVIEW


# Comments on passages -------------------------------------------------------------------


def comment_on(client, article, quote, body="Check this.", **context):
    return client.post(review_url(article, "comments/"), {"quote": quote, "body": body, **context})


def test_a_reviewer_comments_on_a_passage_and_the_author_sees_it_beside_the_text(client, newsroom):
    article = in_review(newsroom)
    response = comment_on(
        login(client, newsroom["reviewer"]), article, "Range goes up\n by a third", "Source?"
    )
    comment = ReviewComment.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == review_url(article) + f"#comment-{comment.pk}"
    )
    assert (comment.quote, comment.body, comment.author) == (
        "Range goes up by a third",
        "Source?",
        newsroom["reviewer"],
    )
    assert comment.suffix.startswith(", says the maker.")

    page = login(client, newsroom["author"]).get(review_url(article)).content.decode()
    item = page.split(f'id="comment-{comment.pk}"')[1].split("</li>")[0]
    assert "Range goes up by a third" in item and "Source?" in item and "In the body." in text_of(item)
    assert "Mark resolved" in item
    assert 'id="comment-form"' not in page  # the author resolves, the reviewers comment


def test_a_passage_that_is_not_in_the_article_is_refused_and_nothing_typed_is_lost(client, newsroom):
    article = in_review(newsroom)
    response = comment_on(
        login(client, newsroom["reviewer"]), article, "range goes down", "My long careful comment"
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "That passage is not in the article." in page
    assert "range goes down" in page and "My long careful comment" in page
    assert not ReviewComment.objects.exists()


@pytest.mark.parametrize("quote", ["", "   ", "x" * 1001])
def test_an_empty_or_huge_passage_is_a_form_error(client, newsroom, quote):
    article = in_review(newsroom)
    response = comment_on(login(client, newsroom["reviewer"]), article, quote)
    assert response.status_code == 400 and not ReviewComment.objects.exists()
    assert 'class="comment-form__error"' in response.content.decode()


def test_the_context_says_which_occurrence_was_meant():
    texts = [("body", "The car is fast. The car is quiet. The car is cheap.")]
    second = passages.locate("The car", texts, prefix="is fast.", suffix=" is quiet")
    third = passages.locate("The car", texts, prefix="is quiet.", suffix=" is cheap")
    assert (second.start, third.start) == (17, 35)
    assert passages.locate("The car", texts).start == 0


def test_a_passage_quoted_from_the_rendered_article_or_its_markdown_is_found(client, newsroom):
    article = in_review(newsroom)
    login(client, newsroom["reviewer"])
    assert comment_on(client, article, "A solid electrolyte").status_code == 302  # as readers see it
    assert comment_on(client, article, "A **solid** electrolyte").status_code == 302  # the Markdown
    assert comment_on(client, article, "The promise").status_code == 302  # a heading


def test_comments_survive_edits_that_keep_their_passage_and_say_when_it_is_gone(client, newsroom):
    article = in_review(newsroom)
    login(client, newsroom["reviewer"])
    comment_on(client, article, "twelve minutes", "Which charger?")
    comment_on(client, article, "arrive in 2028", "Confirmed?")
    edit(
        article,
        newsroom["editor"],
        body="An opening paragraph, new.\n\n" + BODY.replace("arrive in 2028", "arrive in 2029"),
    )

    page = client.get(review_url(article)).content.decode()
    kept, gone = ReviewComment.objects.order_by("id")
    kept_item = page.split(f'id="comment-{kept.pk}"')[1].split("</li>")[0]
    gone_item = page.split(f'id="comment-{gone.pk}"')[1].split("</li>")[0]
    assert "In the body." in text_of(kept_item) and "no longer in the text" not in kept_item
    assert "Passage no longer in the text." in text_of(gone_item)


def test_the_author_resolves_a_comment_and_can_open_it_again(client, newsroom):
    article = in_review(newsroom)
    comment_on(login(client, newsroom["reviewer"]), article, "twelve minutes")
    comment = ReviewComment.objects.get()

    login(client, newsroom["author"])
    response = client.post(review_url(article, f"comments/{comment.pk}/resolve/"), follow=True)
    comment.refresh_from_db()
    assert comment.resolved_by == newsroom["author"] and comment.is_resolved
    assert messages_of(response)[-1] == "Comment resolved."
    assert "Resolved by" in text_of(response.content.decode())
    assert "0 open comments" in text_of(response.content.decode())

    client.post(review_url(article, f"comments/{comment.pk}/resolve/"), {"reopen": "yes"})
    comment.refresh_from_db()
    assert not comment.is_resolved and comment.resolved_by is None


def test_the_change_form_links_to_the_review_with_the_open_comments(client, newsroom):
    article = in_review(newsroom)
    comment_on(login(client, newsroom["reviewer"]), article, "twelve minutes")
    comment_on(client, article, "2028")
    page = (
        login(client, newsroom["author"])
        .get(f"/admin/articles/article/{article.pk}/change/")
        .content.decode()
    )
    assert f'<a href="{review_url(article)}" class="review-link">Review (2 open comments)</a>' in page


# Who may do what --------------------------------------------------------------------------

# role: (opens the screen, may comment, may resolve another's comment)
WHO = {
    "anonymous": (False, False, False),
    "author": (True, False, True),
    "other_author": (False, False, False),
    "reviewer": (True, True, False),
    "editor": (True, True, True),
    "superuser": (True, True, True),
}


@pytest.mark.parametrize("role", list(WHO))
def test_who_may_open_comment_and_resolve(client, newsroom, role):
    from articles.roles import REVIEWERS
    from tests.factories import newsroom_member

    opens, comments, resolves = WHO[role]
    article = in_review(newsroom)
    other_reviewer = newsroom_member(REVIEWERS)
    comment_on(login(client, other_reviewer), article, "twelve minutes")
    comment = ReviewComment.objects.get()
    client.logout()

    login(client, newsroom[role])
    response = client.get(review_url(article))
    if role == "anonymous":
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    else:
        assert response.status_code == (200 if opens else 403)
    response = comment_on(client, article, "2028")
    assert ReviewComment.objects.filter(quote="2028").exists() == comments, response.status_code
    client.post(review_url(article, f"comments/{comment.pk}/resolve/"))
    comment.refresh_from_db()
    assert comment.is_resolved == resolves


def test_a_reviewer_cannot_open_the_review_of_a_draft(client, newsroom):
    draft = ArticleFactory(author=newsroom["author"].author_profile)
    assert login(client, newsroom["reviewer"]).get(review_url(draft)).status_code == 403
    assert comment_on(client, draft, "Body").status_code == 403


@pytest.mark.parametrize("suffix", ["", "comments/", "decide/", "comments/1/resolve/"])
def test_an_article_that_does_not_exist_is_a_404(client, newsroom, suffix):
    login(client, newsroom["editor"])
    for object_id in ("99999999", "abc", "²"):
        url = f"/admin/articles/article/{object_id}/review/{suffix}"
        response = client.post(url) if suffix else client.get(url)
        assert response.status_code == 404, url


def test_a_comment_that_does_not_exist_or_belongs_to_another_article_is_a_404(client, newsroom):
    article, other = in_review(newsroom), in_review(newsroom)
    comment_on(login(client, newsroom["editor"]), other, "twelve minutes")
    comment = ReviewComment.objects.get()
    assert client.post(review_url(article, f"comments/{comment.pk}/resolve/")).status_code == 404
    assert client.post(review_url(article, "comments/99999/resolve/")).status_code == 404


def test_the_screen_answers_only_what_it_should(client, newsroom):
    article = in_review(newsroom)
    login(client, newsroom["reviewer"])
    assert client.get(review_url(article, "decide/")).status_code == 405
    assert client.get(review_url(article, "comments/")).status_code == 405


# History ------------------------------------------------------------------------------------


def test_history_marks_the_reviewed_revisions_and_compares_the_last_review_with_now(client, newsroom):
    article = in_review(newsroom)
    sent_back_and_resubmitted(newsroom, article, body=BODY.replace("twelve", "eleven"))
    edit(article, newsroom["editor"], standfirst="A standfirst changed later.")
    reviewed = article.history.filter(status=Status.CHANGES_REQUESTED).earliest("history_date")  # sent back
    newest = article.history.order_by("-history_date", "-history_id").first()

    page = (
        login(client, newsroom["editor"])
        .get(f"/admin/articles/article/{article.pk}/history/")
        .content.decode()
    )
    assert page.count('class="review-mark') == 1 + 2  # the reviewed revision, and the two in the help text
    assert re.search(rf'name="from" value="{reviewed.history_id}"[^>]*checked', page)
    assert re.search(rf'name="to" value="{newest.history_id}"[^>]*checked', page)
    reviewed_row = page.split(f'value="{reviewed.history_id}"')[2].split("</tr>")[0]
    assert f"Reviewed: changes requested by {newsroom['reviewer'].get_username()}" in reviewed_row


def test_history_without_a_review_compares_the_last_change_of_the_words_not_a_change_of_status(
    client, newsroom
):
    article = ArticleFactory(author=newsroom["author"].author_profile, body=BODY)
    first = article.history.get()
    edit(article, newsroom["author"], body=BODY + "\n\nMore.")
    changed = article.history.order_by("-history_date", "-history_id").first()
    workflow.submit(article, newsroom["author"])  # a revision that differs only in its status
    page = (
        login(client, newsroom["author"])
        .get(f"/admin/articles/article/{article.pk}/history/")
        .content.decode()
    )
    # Newest first: submitted (status only), the edit, the first revision. The edit has the same
    # words as the newest, so Compare starts from the first revision, whose words differ.
    assert re.search(rf'name="from" value="{first.history_id}"[^>]*checked', page)
    assert not re.search(rf'name="from" value="{changed.history_id}"[^>]*checked', page)


def test_compare_wraps_words_instead_of_a_wide_table(client, newsroom):
    article = ArticleFactory(author=newsroom["editor"].author_profile, body=BODY)
    first = article.history.get()
    edit(article, newsroom["editor"], body=BODY.replace("twelve", "eleven") + " " + "x" * 300)
    latest = article.history.order_by("-history_date", "-history_id").first()
    page = (
        login(client, newsroom["editor"])
        .get(
            f"/admin/articles/article/{article.pk}/history/compare/",
            {"from": first.history_id, "to": latest.history_id},
        )
        .content.decode()
    )
    assert "<table" not in page.split('id="content-main"')[1]
    assert "/static/css/diff.css" in page
    assert "[Removed: twelve ]" in text_of(page) and "[Added: eleven ]" in text_of(page)
    assert "Body: 2 words added, 1 removed, in 2 places." in text_of(page)


# A correction of a live article ---------------------------------------------------------------


def test_a_correction_of_a_live_article_is_compared_with_the_live_words(client, newsroom):
    from articles.models import Correction

    article = ArticleFactory(author=newsroom["author"].author_profile, published=True, body=BODY)
    Correction.objects.create(
        article=article,
        title=article.title,
        standfirst=article.standfirst,
        body=BODY.replace("twelve minutes", "eighteen minutes"),
        take="",
        status=Correction.Status.IN_REVIEW,
        created_by=newsroom["editor"],
    )
    login(client, newsroom["reviewer"])
    page = client.get(review_url(article)).content.decode()
    assert "A correction of the live article (in review)" in text_of(page)
    assert "Compared with the live version: what readers see now." in text_of(page)
    assert "[Removed: twelve ] [Added: eighteen ]" in text_of(page.split('id="changes"')[1])
    assert "Charging takes eighteen minutes." in text_of(
        page.split('id="review-article"')[1].split("</article>")[0]
    )
    assert "Readers cannot see this article yet" not in page  # they can: the live words

    # Comments are on the corrected words.
    assert comment_on(client, article, "eighteen minutes").status_code == 302
    assert comment_on(client, article, "twelve minutes").status_code == 400
    assert Article.objects.get(pk=article.pk).body == BODY  # readers' words untouched


def test_a_correction_is_approved_from_the_screen_only_as_seen(client, newsroom):
    article = ArticleFactory(author=newsroom["author"].author_profile, published=True, body=BODY)
    edit(article, newsroom["editor"], body=BODY.replace("twelve minutes", "eighteen minutes"))
    workflow.submit_correction(article, newsroom["editor"])
    page = login(client, newsroom["reviewer"]).get(review_url(article)).content.decode()
    assert 'value="approve_correction"' in page and 'value="request_correction_changes"' in page
    seen = hidden(page, "content_hash")

    correction = workflow.open_correction(article)
    correction.body = correction.body.replace("eighteen", "nineteen")  # meanwhile, at another desk
    correction.save()
    response = client.post(
        review_url(article, "decide/"), {"action": "approve_correction", "content_hash": seen}, follow=True
    )
    assert messages_of(response)[0].startswith("Changed since you opened it")
    assert "[Removed: eighteen ] [Added: nineteen ]" in text_of(
        response.content.decode().split('id="changes"')[1]
    )

    page = response.content.decode()
    client.post(
        review_url(article, "decide/"),
        {"action": "approve_correction", "content_hash": hidden(page, "content_hash")},
    )
    correction.refresh_from_db()
    assert correction.status == correction.Status.APPROVED
    assert (
        Article.objects.get(pk=article.pk).body == BODY
    )  # readers keep the live words until it is published
