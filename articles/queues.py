"""The newsroom's queues: what waits for each person, by role.

One table, `QUEUES`, read by the admin's first page (templates/admin/index.html, through
`{% newsroom_queues %}`), by the article list's "Queue" filter (`?queue=<name>`) and by the
workflow buttons, which land people on their next queue (`workflow.Transition.next`). Each
queue is a named filter of `ArticleQuerySet` (models.py), applied to the articles the
person may see (`workflow.visible_articles`). An article with a correction on its way waits
in the queues as its correction does.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.urls import reverse

from . import workflow
from .models import Article, Correction

SHOWN = 5  # entries shown on the first page; the rest are a click away


def can_write(user):
    return user.has_perm("articles.submit_article")


@dataclass(frozen=True)
class Section:
    """A heading of the first page's queues: a role. Whoever `may(user)` has its queues."""

    title: str
    may: Callable

    def __str__(self):
        return self.title


WRITING = Section("Your writing", may=can_write)
REVIEWING = Section("Reviewing", may=workflow.can_review)
PUBLISHING = Section("Publishing", may=workflow.can_publish)


@dataclass(frozen=True)
class Queue:
    """One queue. `articles(queryset, user)` filters and orders the articles visible to the
    user; `shows` names what each entry says about itself (templates/admin/queue_entry.html):
    "changed", "sent_back", "waiting", "due", "overdue", "approved" or "scheduled"."""

    name: str
    title: str
    section: Section
    articles: Callable
    empty: str
    shows: str

    def may(self, user):
        return self.section.may(user)

    def url(self):
        return f"{reverse('admin:articles_article_changelist')}?queue={self.name}"

    def entries(self, user):
        visible = workflow.visible_articles(
            user, Article.objects.select_related("author", "assigned_reviewer__author_profile")
        )
        open_correction = Correction.objects.open().filter(article=OuterRef("pk")).values("status")[:1]
        return self.articles(visible, user).annotate(correction_status=Subquery(open_correction))


QUEUES = {
    queue.name: queue
    for queue in [
        Queue(
            name="drafts",
            title="Your drafts",
            section=WRITING,
            articles=lambda articles, user: articles.drafts_of(user),
            empty="No drafts: start one with “Add article”.",
            shows="changed",
        ),
        Queue(
            name="sent-back",
            title="Sent back to you",
            section=WRITING,
            articles=lambda articles, user: articles.sent_back_to(user),
            empty="Nothing was sent back to you.",
            shows="sent_back",
        ),
        Queue(
            name="assigned",
            title="Assigned to you",
            section=REVIEWING,
            articles=lambda articles, user: articles.assigned_to(user),
            empty="No review is assigned to you.",
            shows="due",
        ),
        Queue(
            name="review",
            title="Awaiting review",
            section=REVIEWING,
            articles=lambda articles, user: articles.awaiting_review(user),
            empty="Nothing awaits review.",
            shows="waiting",
        ),
        Queue(
            name="overdue",
            title="Overdue",
            section=PUBLISHING,
            articles=lambda articles, user: articles.overdue(),
            empty="Nothing is overdue.",
            shows="overdue",
        ),
        Queue(
            name="ready",
            title="Approved, ready to publish",
            section=PUBLISHING,
            articles=lambda articles, user: articles.ready_to_publish(),
            empty="Nothing approved is waiting to be published.",
            shows="approved",
        ),
        Queue(
            name="scheduled",
            title="Scheduled next",
            section=PUBLISHING,
            articles=lambda articles, user: articles.scheduled_next(),
            empty="Nothing is scheduled.",
            shows="scheduled",
        ),
    ]
}


def queues_for(user):
    """The queues this person has, in the table's order."""
    return [queue for queue in QUEUES.values() if queue.may(user)]


def queue_for(user, name):
    """The queue called `name` if this person has it, else None."""
    queue = QUEUES.get(name)
    return queue if queue is not None and queue.may(user) else None


@dataclass
class Summary:
    queue: Queue
    count: int
    entries: list


def summaries(user, shown=SHOWN):
    """Each of the person's queues with its count and its first `shown` entries."""
    result = []
    for queue in queues_for(user):
        articles = queue.entries(user)
        result.append(Summary(queue=queue, count=articles.count(), entries=list(articles[:shown])))
    return result


def landing_url(names, user):
    """The first of the queues `names` this person has, as a URL; None when they have none."""
    for name in names:
        if (queue := queue_for(user, name)) is not None:
            return queue.url()
    return None
