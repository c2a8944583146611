"""Word-level differences between two texts, as HTML that reads well and wraps at any width.

diff-match-patch compares the texts token by token: a word, a run of white space and a run
of punctuation are one token each (so Markdown's `**` or a link's `](` stays whole, and a
changed word is marked whole, never a few letters of it). Its semantic clean-up then merges
changes separated only by a space or a comma, so that a rewritten phrase reads as one
deletion and one insertion rather than alternating words.

The HTML is built here, escaped piece by piece, because the white space between the pieces
is part of the text (a template would add or swallow some). Deletions are <del>, insertions
<ins>, each opened and closed with words for screen readers, and a change of white space
alone (a paragraph split or joined) gets a visible mark from diff.css.
"""

import re
from dataclasses import dataclass, field

from diff_match_patch import diff_match_patch
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

EQUAL, INSERT, DELETE = "equal", "insert", "delete"
_OPERATIONS = {
    diff_match_patch.DIFF_EQUAL: EQUAL,
    diff_match_patch.DIFF_INSERT: INSERT,
    diff_match_patch.DIFF_DELETE: DELETE,
}

TOKEN = re.compile(r"\w+|\s+|[^\w\s]+")
WORD = re.compile(r"\w+")
# A blank line: where Markdown starts a new paragraph (kept with the paragraph it ends).
PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n\s*)")
# diff-match-patch compares strings: each distinct token becomes one character. Past this many
# distinct tokens (about a million: no article comes near) the rest of a text is one token.
MAX_TOKENS = 0x10FFFF
# Enough for any article; past it diff-match-patch returns a correct but coarser diff.
TIMEOUT_SECONDS = 2.0


def word_diff(old, new):
    """[(EQUAL | INSERT | DELETE, text)]: how to get from `old` to `new`, word by word."""
    table, index = [], {}

    def encode(text):
        chars = []
        for match in TOKEN.finditer(text):
            token = match.group()
            if token not in index:
                if len(table) >= MAX_TOKENS:
                    token = text[match.start() :]
                index[token] = len(table)
                table.append(token)
            chars.append(chr(index[token]))
            if len(token) > len(match.group()):
                break
        return "".join(chars)

    matcher = diff_match_patch()
    matcher.Diff_Timeout = TIMEOUT_SECONDS
    changes = matcher.diff_main(encode(old or ""), encode(new or ""), False)
    matcher.diff_cleanupSemantic(changes)
    return [(_OPERATIONS[op], "".join(table[ord(char)] for char in chars)) for op, chars in changes]


def _marked(tag, label, text):
    kind = "words" if text.strip() else ("break" if "\n" in text else "space")
    return (
        f'<{tag} class="diff__{tag} diff__{tag}--{kind}"><span class="visually-hidden">[{label}: </span>'
        f'{escape(text)}<span class="visually-hidden">]</span></{tag}>'
    )


def _segment_html(op, text):
    if op == INSERT:
        return _marked("ins", "Added", text)
    if op == DELETE:
        return _marked("del", "Removed", text)
    return escape(text)


@dataclass
class Part:
    """A paragraph with changes, or a run of unchanged paragraphs (`folded` of them, shown closed)."""

    html: SafeString
    changed: bool
    folded: int = 0


@dataclass
class FieldDiff:
    """The differences in one field: `parts` to show, and what the summary counts."""

    name: str
    label: str
    parts: list = field(default_factory=list)
    added: int = 0  # words
    removed: int = 0
    places: int = 0  # runs of changes
    new: bool = False  # nothing to compare with: all of it is shown, unmarked, as new

    @property
    def changed(self):
        return self.new or self.places > 0


def diff_field(name, label, old, new, *, fold=True):
    """The FieldDiff of `old` → `new`; `old` None: there is nothing to compare with.

    With `fold`, each run of two or more unchanged paragraphs is one closed part.
    """
    if old is None:
        return FieldDiff(
            name,
            label,
            [Part(mark_safe(escape(new or "")), True)],
            added=len(WORD.findall(new or "")),
            new=True,
        )
    result = FieldDiff(name, label)
    paragraphs, current, in_change = [], [], False
    for op, text in word_diff(old, new):
        if op == EQUAL:
            pieces = PARAGRAPH_BREAK.split(text)
            # [text, break, text, break, ..., text]: each break ends a paragraph.
            for position, piece in enumerate(pieces):
                if position % 2 == 1:  # the break itself: shown as the gap between parts
                    paragraphs.append(current)
                    current = []
                elif piece:
                    current.append((op, piece))
            in_change = False
            continue
        count = len(WORD.findall(text))
        if op == INSERT:
            result.added += count
        else:
            result.removed += count
        if not in_change:
            result.places += 1
        in_change = True
        current.append((op, text))
    if current:
        paragraphs.append(current)

    unchanged = []

    def flush_unchanged():
        if len(unchanged) >= 2 and fold:
            html = "\n\n".join(_paragraph_html(paragraph) for paragraph in unchanged)
            result.parts.append(Part(mark_safe(html), False, folded=len(unchanged)))
        else:
            result.parts.extend(Part(mark_safe(_paragraph_html(paragraph)), False) for paragraph in unchanged)
        unchanged.clear()

    for paragraph in paragraphs:
        if all(op == EQUAL for op, _ in paragraph):
            unchanged.append(paragraph)
            continue
        flush_unchanged()
        result.parts.append(Part(mark_safe(_paragraph_html(paragraph)), True))
    flush_unchanged()
    return result


def _paragraph_html(segments):
    return "".join(_segment_html(op, text) for op, text in segments)


@dataclass
class Summary:
    """What changed over several fields, in words: 'Title and Body: 12 words added, 3 removed, in 2 places.'"""

    fields: list

    @property
    def changed_fields(self):
        return [diff for diff in self.fields if diff.changed]

    @property
    def added(self):
        return sum(diff.added for diff in self.fields)

    @property
    def removed(self):
        return sum(diff.removed for diff in self.fields)

    @property
    def places(self):
        return sum(diff.places for diff in self.fields)

    def __str__(self):
        changed = self.changed_fields
        if not changed:
            return "No change to the words."
        names = [diff.label for diff in changed]
        where = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        if all(diff.new for diff in changed):
            return f"{where}: all {_count(self.added, 'word')} new."
        counts = [f"{_count(self.added, 'word')} added", f"{self.removed} removed"]
        return f"{where}: {', '.join(counts)}, in {_count(self.places, 'place')}."


def _count(number, noun):
    return f"{number} {noun}{'' if number == 1 else 's'}"


def diff_fields(before, after, fields):
    """A Summary of the FieldDiffs of `fields` ([(name, label)]) from mapping `before` to `after`.

    `before` None: nothing to compare with (every field is new). Unchanged fields are left out
    of the summary's `changed_fields` but kept in `fields`.
    """
    return Summary(
        [
            diff_field(
                name,
                label,
                None if before is None else str(before.get(name) or ""),
                str(after.get(name) or ""),
            )
            for name, label in fields
        ]
    )
