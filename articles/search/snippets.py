"""Snippets: a passage of the article's Markdown as safe HTML, the matched words in <mark>."""

import html
import re
import secrets
from dataclasses import dataclass

from django.utils.safestring import mark_safe

# A heading's line, kept apart from the text after it once the lines are joined: "Why sodium
# now — Sodium is…", not "Why sodium now Sodium is…". (A heading ending in punctuation keeps it.)
HEADING_SEPARATOR = " —"
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+(.*?)[ \t#]*$", flags=re.MULTILINE)


def _heading(match):
    text = match.group(1)
    bare = text.replace("\x02", "").replace("\x03", "").rstrip()
    if not bare:
        return ""
    return text if bare[-1] in ".:!?…" else f"{text}{HEADING_SEPARATOR}"


_MARKDOWN_CLEANUP = [
    (_HEADING, _heading),
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)?"), r"\1"),  # links and images: their text
    (re.compile(r"!?\[([^\]]*)\]\[[^\]]*\]"), r"\1"),  # reference links
    (re.compile(r"\]\([^)\s]*\)?|!?\[|\]"), ""),  # what is left of links the passage cut
    (re.compile(r"^[ \t]*(?:#{1,6}|>+|[-*+]|\d+[.)])[ \t]+", flags=re.MULTILINE), ""),  # block markers
    (re.compile(r"\*+|`+|~~|(?<!\w)_+|_+(?!\w)"), ""),  # emphasis and code
]


@dataclass(frozen=True)
class Markers:
    """What the database puts around the matched words of a snippet, for one search.

    The random part means no article text can contain them, so only real matches become
    <mark>. The control characters keep them clear of the Markdown clean-up.
    """

    start: str
    stop: str

    @classmethod
    def fresh(cls):
        token = secrets.token_hex(8)
        return cls(f"\x02{token}\x02", f"\x03{token}\x03")


def snippet_html(raw, markers):
    """Safe HTML for a passage of Markdown in which `markers` bracket the matches.

    The passage is reader text, not HTML: everything is escaped, Markdown punctuation is
    dropped, and only a start and stop marker pair becomes <mark>; stray ones vanish.
    """
    for pattern, replacement in _MARKDOWN_CLEANUP:
        raw = pattern.sub(replacement, raw)

    def escape(text):
        text = text.replace(markers.start, "").replace(markers.stop, "")
        return html.escape(text.replace("\x02", "").replace("\x03", ""), quote=True)

    parts = []
    position = 0
    for match in re.finditer(
        f"{re.escape(markers.start)}(.*?){re.escape(markers.stop)}", raw, flags=re.DOTALL
    ):
        parts.append(escape(raw[position : match.start()]))
        if match.group(1).strip():
            parts.append(f"<mark>{escape(match.group(1))}</mark>")
        position = match.end()
    parts.append(escape(raw[position:]))
    text = " ".join("".join(parts).split())
    # A heading at the very end of the passage has nothing to be kept apart from.
    return mark_safe(text.removesuffix(HEADING_SEPARATOR))
