"""The one Markdown-to-safe-HTML function.

`render_markdown` is used when an article is saved (its HTML is stored) and as the
markdownx live preview (MARKDOWNX_MARKDOWNIFY_FUNCTION), so editors preview exactly what
readers will get. Whatever anybody types, the result passes through nh3 with the
allowlist below: no scripts, event handlers, styles, iframes, or javascript:/data: URLs.
"""

import html as html_lib
import re
from urllib.parse import urlsplit

import markdown
import nh3
from django.utils.html import format_html, format_html_join
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# An article gets a table of contents from this many headings on.
TOC_MIN_HEADINGS = 3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
# h1 is the article's title; a Markdown "# Heading" is demoted to h2 below.

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "h6": {"id"},
    "li": {"id"},
    "sup": {"id"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start"},
}

# Classes the Markdown extensions emit, and nothing else.
ALLOWED_CLASSES = {
    "a": {"footnote-ref", "footnote-backref", "heading-anchor"},
    "div": {"footnote"},
    "code": {
        f"language-{name}"
        for name in ("python", "javascript", "json", "html", "css", "bash", "shell", "sql", "text")
    },
}

TAG_ATTRIBUTE_VALUES = {"a": {"target": {"_blank"}}}

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "noscript",
        "template",
        "textarea",
        "select",
    },
    attributes=ALLOWED_ATTRIBUTES,
    tag_attribute_values=TAG_ATTRIBUTE_VALUES,
    allowed_classes=ALLOWED_CLASSES,
    url_schemes={"http", "https", "mailto"},
    # Every link gets rel="noopener noreferrer": a link opened in a new tab can never
    # reach back into the page through window.opener.
    link_rel="noopener noreferrer",
    strip_comments=True,
)


class _ExternalLinksAndHeadings(Treeprocessor):
    """Open links to other sites in a new tab; keep h1 for the page title."""

    def run(self, root):
        for element in root.iter():
            if element.tag == "a":
                href = element.get("href", "")
                if urlsplit(href).scheme in {"http", "https"}:
                    element.set("target", "_blank")
        for element in root.iter("h1"):
            element.tag = "h2"


class _SiteExtension(Extension):
    def extendMarkdown(self, md):
        # Below the toc processor's priority, so anchors are made first.
        md.treeprocessors.register(_ExternalLinksAndHeadings(md), "autotrendy_links", 4)


def _markdown():
    return markdown.Markdown(
        extensions=[
            "markdown.extensions.tables",
            "markdown.extensions.fenced_code",
            "markdown.extensions.footnotes",
            "markdown.extensions.toc",
            "markdown.extensions.sane_lists",
            "markdown.extensions.smarty",
            _SiteExtension(),
        ],
        extension_configs={
            # Alignment as an attribute: a style= would be stripped by the sanitizer.
            "markdown.extensions.tables": {"use_align_attribute": True},
            "markdown.extensions.toc": {"permalink": False},
            "markdown.extensions.smarty": {"smart_quotes": False},
        },
        output_format="html",
    )


_BLANK_RUNS = re.compile(r"\n{3,}")


def render_markdown(text):
    """Render Markdown to sanitized HTML. Safe to mark safe in templates."""
    return render_markdown_with_headings(text)[0]


def render_markdown_with_headings(text):
    """The same rendering, also returning the headings as [(level, id, text), ...].

    The headings come from the toc extension's own parse, so their ids are the ones in
    the HTML; a table of contents built from them links to the right places.
    """
    if not text:
        return "", []
    md = _markdown()
    html = _BLANK_RUNS.sub("\n\n", _cleaner.clean(md.convert(str(text)))).strip()
    headings = []

    def walk(tokens):
        for token in tokens:
            # h1 is demoted to h2 in the HTML (the page title is the only h1).
            headings.append((max(2, token["level"]), token["id"], html_lib.unescape(token["name"])))
            walk(token["children"])

    walk(md.toc_tokens)
    return html, headings


def table_of_contents(headings):
    """A list of links to the headings (from `render_markdown_with_headings`), when there
    are enough of them to need one; else ""."""
    if len(headings) < TOC_MIN_HEADINGS:
        return ""
    items = format_html_join("\n", '<li class="toc__item toc__item--h{}"><a href="#{}">{}</a></li>', headings)
    return format_html('<ol class="toc__list">\n{}\n</ol>', items)
