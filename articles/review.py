"""The review screen: an article as readers will see it, beside what changed since it was last
reviewed, with comments on passages and the reviewer's decision.

`ArticleAdmin` wires it in: `urls()` in its `get_urls`, `change_form_context()` in its change
view (the "Review" link). Pages and actions, all under the article's admin URL:

- `<id>/review/` (ReviewView): the screen. `?against=<history id>` compares with that
  revision instead of the last reviewed one.
- `<id>/review/decide/` (DecisionView, POST): Approve or Request changes, through
  `articles.workflow`; Approve is refused when the words changed since the screen was opened.
- `<id>/review/comments/` (CommentView, POST): a comment on a quoted passage.
- `<id>/review/comments/<comment id>/resolve/` (ResolveView, POST): resolved, or open again.

Who: reviewers and editors open the screen, comment and decide (the workflow says whether
they may decide on this article); the article's author opens it to read the comments and
resolve them; nobody else. An id that does not exist is a 404.

The words compared and commented on are the content fields (`Article.CONTENT_FIELDS`), as
Markdown, word by word (articles/diffs.py); passages are found again after edits by
articles/passages.py.
"""

import copy
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.views import View

from . import diffs, passages, queues, revisions, workflow
from .desk import admin_path
from .forms import ReviewCommentForm, ReviewDecisionForm
from .models import Article, ReviewComment

FIELDS = [(name, passages.FIELD_LABELS[name]) for name in Article.CONTENT_FIELDS]
# The workflow steps the screen offers (those the workflow opens to this user now).
APPROVING, SENDING_BACK = ReviewDecisionForm.APPROVING, ReviewDecisionForm.SENDING_BACK
DECISIONS = (*APPROVING, *SENDING_BACK)


def urls(model_admin):
    """The review screen's admin URLs, before the ModelAdmin's own (whose catch-all would take them)."""
    return [
        admin_path(model_admin, "<path:object_id>/review/", ReviewView, "review"),
        admin_path(model_admin, "<path:object_id>/review/decide/", DecisionView, "review_decide"),
        admin_path(model_admin, "<path:object_id>/review/comments/", CommentView, "review_comment"),
        admin_path(
            model_admin,
            "<path:object_id>/review/comments/<int:comment_id>/resolve/",
            ResolveView,
            "review_resolve",
        ),
    ]


# Who may do what here. The workflow's own rules decide the rest (whether this person may
# approve this article now): these only say who gets to see the screen at all.


def can_open(user, article):
    return workflow.can_view(user, article) and (
        workflow.can_review(user) or workflow.can_edit_any(user) or workflow.is_author_of(user, article)
    )


def can_comment(user, article):
    return workflow.can_view(user, article) and (workflow.can_review(user) or workflow.can_edit_any(user))


def can_resolve(user, comment):
    return (
        workflow.is_author_of(user, comment.article)
        or workflow.can_edit_any(user)
        or (comment.author_id is not None and comment.author_id == user.pk)
    )


def change_form_context(request, article):
    """What the change form needs for its "Review" link: the URL and the open comments."""
    if not can_open(request.user, article):
        return {}
    return {
        "review_url": reverse("admin:articles_article_review", args=[article.pk]),
        "open_comments": article.review_comments.open().count(),
    }


@dataclass
class Baseline:
    """What the screen compares the words with: `words` ({field: text}), or nothing at all (None)."""

    label: str
    words: dict | None = None

    @classmethod
    def of_revision(cls, label, revision):
        return cls(label, workflow.content_words(revision))


@dataclass
class UnderReview:
    """The words the screen is about: the article's own, or those of its open correction (a
    live article's proposed new words), and the article as readers would see them (`shown`)."""

    article: Article
    correction: object = None
    shown: Article = None

    @classmethod
    def of(cls, article):
        correction = workflow.open_correction(article)
        if correction is None:
            return cls(article, None, article)
        # The article as readers will see it once the correction is published: its own page,
        # with the correction's words, rendered as a save would (never saved).
        shown = copy.copy(article)
        for name in Article.CONTENT_FIELDS:
            setattr(shown, name, getattr(correction, name))
        shown.render()
        return cls(article, correction, shown)

    @property
    def words(self):
        return workflow.content_words(self.correction or self.article)

    @property
    def content_hash(self):
        return workflow.content_hash(self.correction or self.article)

    def revisions(self):
        """The revisions of these words, newest first."""
        return (self.correction or self.article).history.order_by("-history_date", "-history_id")


def _who(user):
    """A person as the newsroom knows them: their byline, else their name, else their username."""
    if user is None:
        return "someone"
    byline = getattr(user, "author_profile", None)
    return (byline.name if byline else "") or user.get_full_name() or user.get_username()


@dataclass
class Shown:
    """A comment as the screen shows it: where its passage is now (None: gone), who wrote and
    resolved it, and whether this user may resolve it."""

    comment: ReviewComment
    anchor: passages.Anchor | None
    author_name: str
    resolver_name: str
    may_resolve: bool


def _decision(event):
    return "approved" if event.action == event.Action.APPROVED else "sent back"


# How far back `?seen=` looks for the revision with the words a reviewer saw.
SEEN_REVISIONS_SEARCHED = 200


def choose_baseline(subject, user, *, against=None, seen=None):
    """What to compare `subject`'s words with (a Baseline):

    - `seen` (a content hash): the words the reviewer saw when they opened the screen;
    - `against` (a history id of the article): that revision;
    - for a correction: the live words, what readers see now;
    - else the last revision this user reviewed, else the last one anyone reviewed, else nothing.
    """
    article = subject.article
    if seen:
        for revision in subject.revisions().select_related("history_user")[:SEEN_REVISIONS_SEARCHED]:
            if workflow.content_hash(revision) == seen:
                when = timezone.localtime(revision.history_date)
                return Baseline.of_revision(
                    f"what you saw when you opened it (saved {when:%Y-%m-%d %H:%M})", revision
                )
    if against is not None:
        revision = revisions.pick(article.history.select_related("history_user"), history_id=against)
        if revision is not None:
            when = timezone.localtime(revision.history_date)
            return Baseline.of_revision(
                f"the revision of {when:%Y-%m-%d %H:%M} by {_who(revision.history_user)} (version {revision.version})",
                revision,
            )
    if subject.correction is not None:
        return Baseline("the live version: what readers see now", workflow.content_words(article))
    event, revision = revisions.last_reviewed(article, user)
    if revision is not None:
        when = timezone.localtime(event.created_at)
        return Baseline.of_revision(
            f"what you last reviewed ({_decision(event)} {when:%Y-%m-%d %H:%M})", revision
        )
    event, revision = revisions.last_reviewed(article)
    if revision is not None:
        when = timezone.localtime(event.created_at)
        return Baseline.of_revision(
            f"what {_who(event.user)} last reviewed ({_decision(event)} {when:%Y-%m-%d %H:%M})", revision
        )
    return Baseline("nothing: nobody has reviewed this article yet, so all of it is new")


class ReviewMixin(View):
    """A page or action of the review screen about one article, under the ModelAdmin `model_admin`."""

    model_admin = None

    def get_article(self, object_id):
        """The article, if this user may open its review screen; a 404 if there is no such article."""
        # None when there is no such article; a 403 when it exists but is not this user's to see.
        article = self.model_admin.get_object(self.request, object_id)
        if article is None:
            raise Http404("No such article.")
        if not can_open(self.request.user, article):
            raise PermissionDenied("You cannot open this article's review.")
        return article

    def review_url(self, article, *, seen=None, anchor=""):
        url = reverse("admin:articles_article_review", args=[article.pk])
        if seen:
            url += "?" + urlencode({"seen": seen})
        return url + (f"#{anchor}" if anchor else "")

    def tell(self, message, level):
        self.model_admin.message_user(self.request, message, level)


def _whole_number(value):
    value = str(value)
    return int(value) if value.isascii() and value.isdecimal() else None


class ReviewView(ReviewMixin):
    """The review screen. Template: admin/articles/article/review.html (the site's base.html:
    the article in the readers' typography, with the reader's article partial).

    Context: `article` (what readers will see), `original` (the same article),
    `baseline` (Baseline), `summary` (diffs.Summary; `summary.fields` one FieldDiff per content
    field), `reviews` (the reviewed revisions to compare with instead: dicts of `revision`,
    `event`, `who`, `decision`),
    `correction` (the open correction whose words are under review, or None), `content_hash`
    (of the words on the screen: the decision form carries it back), `decisions` (the
    workflow steps open to this user here), `comments` ([Shown], open first), `comment_form`, `can_comment`, `is_author`.
    """

    template_name = "admin/articles/article/review.html"

    def get(self, request, object_id):
        return self.render(self.get_article(object_id))

    def render(self, article, comment_form=None, status=200):
        request = self.request
        subject = UnderReview.of(article)
        against = _whole_number(request.GET.get("against", ""))
        baseline = choose_baseline(
            subject, request.user, against=against, seen=request.GET.get("seen", "")[:64]
        )
        summary = diffs.diff_fields(baseline.words, subject.words, FIELDS)
        texts = passages.texts_of(subject.shown)
        comments = [
            Shown(
                comment,
                passages.locate(comment.quote, texts, prefix=comment.prefix, suffix=comment.suffix),
                _who(comment.author),
                _who(comment.resolved_by),
                can_resolve(request.user, comment),
            )
            for comment in article.review_comments.select_related(
                "author__author_profile", "resolved_by__author_profile"
            )
        ]
        comments.sort(key=lambda shown: shown.comment.is_resolved)  # the open ones first
        context = {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.model_admin.opts,
            "article": subject.shown,
            "original": article,
            "correction": subject.correction,
            # The reader's "Preview" banner, for an article readers cannot see yet.
            "show_preview_banner": not article.is_live,
            "take_heading": f"{settings.SITE_NAME}’s take",
            "baseline": baseline,
            "summary": summary,
            "reviews": [
                {"revision": revision, "event": event, "who": _who(event.user), "decision": _decision(event)}
                for event, revision in revisions.reviews(article, limit=20)
            ],
            "against": against,
            "content_hash": subject.content_hash,
            "decisions": [
                transition
                for transition in workflow.available_transitions(article, request.user)
                if transition.name in DECISIONS
            ],
            "comments": comments,
            "open_comments": sum(1 for shown in comments if not shown.comment.is_resolved),
            "comment_form": comment_form or ReviewCommentForm(),
            "can_comment": can_comment(request.user, article),
            "is_author": workflow.is_author_of(request.user, article),
            "approving": APPROVING,
        }
        response = TemplateResponse(request, self.template_name, context, status=status)
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response


class DecisionView(ReviewMixin):
    """POST: Approve or Request changes (of the article, or of its correction), through the
    workflow, which refuses an approval of words other than those the reviewer saw (the form's
    `content_hash`, as `seen_hash`): then back to the screen, comparing with what they saw."""

    http_method_names = ["post"]

    def post(self, request, object_id):
        article = self.get_article(object_id)
        form = ReviewDecisionForm(request.POST)
        if not form.is_valid():
            self.tell("Choose Approve or Request changes on the review screen.", messages.ERROR)
            return HttpResponseRedirect(self.review_url(article))
        action, seen = form.cleaned_data["action"], form.cleaned_data["content_hash"]
        comment = form.cleaned_data["comment"].strip()
        if action in SENDING_BACK and not comment:
            comment = self.comments_as_text(article)
        try:
            # The workflow refuses, under its row lock, words other than those the reviewer saw.
            extra = {"seen_hash": seen} if action in APPROVING else {}
            workflow.run_transition(action, article, request.user, comment=comment, **extra)
        except workflow.ContentChanged:
            changed = self.review_url(article, seen=seen, anchor="changes")
            self.tell(
                format_html('Changed since you opened it: <a href="{}">see what changed</a>.', changed),
                messages.ERROR,
            )
            return HttpResponseRedirect(changed)
        except workflow.TransitionNotAllowed as refusal:
            self.tell(str(refusal), messages.ERROR)
            return HttpResponseRedirect(self.review_url(article))
        transition = workflow.TRANSITIONS[action]
        self.tell(transition.success_message(article), messages.SUCCESS)
        # The reviewer's next task: the queue the step names (articles.queues), as the desk does.
        landing = queues.landing_url(transition.next, request.user)
        return HttpResponseRedirect(landing or reverse("admin:articles_article_changelist"))

    def comments_as_text(self, article):
        """Sending back without a comment: the reviewer's open passage comments are the message."""
        lines = [
            f"On “{comment.quote}”: {comment.body}"
            for comment in article.review_comments.open().filter(author=self.request.user)
        ]
        return "\n".join(lines)


class CommentView(ReviewMixin):
    """POST: a comment on a quoted passage; the screen again with the form's errors if the
    passage is not in the text (nothing typed is lost)."""

    http_method_names = ["post"]

    def post(self, request, object_id):
        article = self.get_article(object_id)
        if not can_comment(request.user, article):
            raise PermissionDenied("Only reviewers and editors comment on passages.")
        form = ReviewCommentForm(request.POST)
        anchor = None
        if form.is_valid():
            data = form.cleaned_data
            anchor = passages.locate(
                data["quote"],
                passages.texts_of(UnderReview.of(article).shown),
                prefix=data["before"],
                suffix=data["after"],
            )
            if anchor is None:
                form.add_error(
                    "quote",
                    "That passage is not in the article. Select it in the article, or paste it exactly as written.",
                )
        if not form.is_valid():
            return ReviewView(model_admin=self.model_admin, request=request).render(
                article, comment_form=form, status=400
            )
        comment = ReviewComment.objects.create(
            article=article,
            author=request.user,
            quote=data["quote"],
            prefix=passages.normalise(anchor.prefix)[-passages.CONTEXT :],
            suffix=passages.normalise(anchor.suffix)[: passages.CONTEXT],
            body=data["body"],
        )
        self.tell(f"Comment added on “{comment.quote[:60]}”.", messages.SUCCESS)
        return HttpResponseRedirect(self.review_url(article, anchor=f"comment-{comment.pk}"))


class ResolveView(ReviewMixin):
    """POST: mark a comment resolved (or, with `reopen`, open again)."""

    http_method_names = ["post"]

    def post(self, request, object_id, comment_id):
        article = self.get_article(object_id)
        comment = get_object_or_404(article.review_comments.all(), pk=comment_id)
        if not can_resolve(request.user, comment):
            raise PermissionDenied(
                "Only the article's author, the comment's writer or an editor can resolve it."
            )
        if request.POST.get("reopen"):
            comment.resolved_by, comment.resolved_at = None, None
            message = "Comment open again."
        else:
            comment.resolved_by, comment.resolved_at = request.user, timezone.now()
            message = "Comment resolved."
        comment.save(update_fields=["resolved_by", "resolved_at"])
        self.tell(message, messages.SUCCESS)
        return HttpResponseRedirect(self.review_url(article, anchor=f"comment-{comment.pk}"))
