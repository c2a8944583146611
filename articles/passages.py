"""Passages that review comments quote, found again in a text that may have changed since.

A comment keeps its passage (`quote`) and a little of the text just before and after it
(`prefix`, `suffix`), as a W3C Web Annotation TextQuoteSelector does. To find it again, every
place where the quote occurs is scored by how much of that context is still around it, and
the best one wins: an edit elsewhere keeps the comment on its passage, an edit of the
passage itself leaves it without one ("no longer in the text").

The quote is looked for in each content field's Markdown (what the diff shows) and in its
text as readers see it (what the rendered article shows), white space collapsed: a selection
in the browser and the Markdown source break lines differently.
"""

import html
from dataclasses import dataclass

from django.utils.html import strip_tags

CONTEXT = 40  # characters of context kept on each side of a quote
MAX_QUOTE = 1000
FIELD_LABELS = {"title": "Title", "standfirst": "Standfirst", "body": "Body", "take": "Take"}


def normalise(text):
    """White space collapsed to single spaces, trimmed."""
    return " ".join((text or "").split())


@dataclass(frozen=True)
class Anchor:
    """Where a quote was found: in `field` (its Markdown or its rendered text), at `start`:`end`."""

    field: str
    start: int
    end: int
    prefix: str
    suffix: str

    @property
    def field_label(self):
        return FIELD_LABELS.get(self.field, self.field)


def texts_of(content):
    """[(field, normalised text)] to look for quotes in: each field's Markdown, then, for the
    Markdown fields, their rendered text. `content` has the content fields and `*_html`."""
    texts = []
    for name in FIELD_LABELS:
        texts.append((name, normalise(getattr(content, name, ""))))
    for name in ("body", "take"):
        rendered = getattr(content, f"{name}_html", "") or ""
        texts.append((name, normalise(html.unescape(strip_tags(rendered)))))
    return texts


def _common_suffix(a, b):
    length = 0
    while length < min(len(a), len(b)) and a[-1 - length] == b[-1 - length]:
        length += 1
    return length


def _common_prefix(a, b):
    length = 0
    while length < min(len(a), len(b)) and a[length] == b[length]:
        length += 1
    return length


def locate(quote, texts, *, prefix="", suffix=""):
    """The best Anchor of `quote` in `texts` (from `texts_of`), or None if it is in none.

    The score of a place is how many characters of `prefix` end just before it plus how many
    of `suffix` start just after it; the first place found wins a tie.
    """
    quote = normalise(quote)
    if not quote:
        return None
    prefix, suffix = normalise(prefix), normalise(suffix)
    best, best_score = None, -1
    for field, text in texts:
        start = text.find(quote)
        while start != -1:
            end = start + len(quote)
            before, after = text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT]
            score = _common_suffix(prefix, before.rstrip()) + _common_prefix(suffix, after.lstrip())
            if score > best_score:
                best, best_score = Anchor(field, start, end, before, after), score
            start = text.find(quote, start + 1)
    return best
