"""The one Markdown-to-safe-HTML function.

`render_markdown` is used when an article is saved (its HTML is stored) and as the
markdownx live preview (MARKDOWNX_MARKDOWNIFY_FUNCTION), so editors preview exactly what
readers will get. Whatever anybody types, the result passes through nh3 with the
allowlist below: no scripts, event handlers, styles, iframes, or javascript:/data: URLs.

Beyond plain Markdown (the editor's help text says the same):

- An image alone in its paragraph is a figure. Its title is the caption, and a credit
  follows "Photo:" (or "Photos:", "Image:", "Video:", "Credit:") at the end of the title:
  `![Alt text](/media/uploads/x.jpg "The new Renault 5 at Le Mans — Photo: Renault Group")`
  gives `<figure>` with `<figcaption>` "The new Renault 5 at Le Mans" and "Photo: Renault Group".
- An uploaded image (a `BodyImage`) gets its renditions as `srcset`, a WebP `<source>`,
  its `width` and `height`; every image but the first near the top loads lazily.
- A YouTube or Vimeo address alone on a line (or a link to one, alone on its line, whose
  text becomes the title) is a video that loads nothing from the video site until clicked
  (static/js/video.js; a plain link without JavaScript, in feeds and in print). Any other
  address alone on a line becomes a link.
"""

import html as html_lib
import re
import xml.etree.ElementTree as etree
from urllib.parse import urlsplit

import markdown
import nh3
from django.utils.html import format_html, format_html_join
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from .embeds import video_embed

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
    # data-embed: the player address static/js/video.js loads (and checks) on click.
    "a": {"href", "title", "id", "data-embed"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height", "loading", "decoding"},
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
    "a": {"footnote-ref", "footnote-backref", "heading-anchor", "video-embed__link"},
    "div": {"footnote"},
    "figure": {"figure", "video-embed"},
    "figcaption": {"figure__caption"},
    "img": {"figure__image"},
    "span": {
        "figure__caption-text",
        "figure__credit",
        "video-embed__poster",
        "video-embed__play",
        "video-embed__title",
        "video-embed__site",
    },
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


# How wide a body image is shown: the narrow column, less the gutters on a phone.
BODY_IMAGE_SIZES = "(min-width: 48rem) min(44rem, calc(100vw - 4rem)), calc(100vw - 2rem)"
# An image in the first few blocks of the body may be on the first screen: never lazy.
EAGER_BLOCKS = 3

_ALONE_URL = re.compile(r"https?://[^\s<>\x02\x03]+")
_CREDIT = re.compile(
    r"^(?P<caption>.*?)[\s—–|-]*(?P<credit>\b(?:Photos?|Images?|Video|Credit)\s*:\s*\S.*)$", re.DOTALL
)


def split_caption(title):
    """An image title as (caption, credit): "Le Mans — Photo: Renault" gives ("Le Mans", "Photo: Renault")."""
    title = " ".join((title or "").split())
    match = _CREDIT.match(title)
    if not match:
        return title, ""
    return match["caption"].strip(), match["credit"].strip()


class _BlocksOfTheirOwn(Treeprocessor):
    """What stands alone in a paragraph: an image becomes a figure, a video address an
    embed, any other address a link. Then every image gets its size, renditions and loading."""

    def run(self, root):
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag != "p":
                    continue
                replacement = self._figure(child)
                if replacement is None:
                    replacement = self._address(child)
                if replacement is not None:
                    replacement.tail = child.tail
                    parent.remove(child)
                    parent.insert(index, replacement)
        self.md.body_images = _images(root)

    @staticmethod
    def _alone(paragraph):
        """The paragraph's one element, when it holds nothing else, or None."""
        children = list(paragraph)
        if len(children) != 1 or (paragraph.text or "").strip() or (children[0].tail or "").strip():
            return None
        return children[0]

    def _figure(self, paragraph):
        image = self._alone(paragraph)
        if image is None or image.tag != "img":
            return None
        figure = etree.Element("figure", {"class": "figure"})
        caption, credit = split_caption(image.attrib.pop("title", ""))
        image.tail = None
        figure.append(image)
        if caption or credit:
            figcaption = etree.SubElement(figure, "figcaption", {"class": "figure__caption"})
            if caption:
                etree.SubElement(figcaption, "span", {"class": "figure__caption-text"}).text = caption
            if credit:
                if caption:
                    figcaption[-1].tail = " "
                etree.SubElement(figcaption, "span", {"class": "figure__credit"}).text = credit
        return figure

    def _address(self, paragraph):
        link = self._alone(paragraph)
        if link is not None and link.tag == "a":
            url, title = link.get("href", ""), " ".join("".join(link.itertext()).split())
            if title == url:
                title = ""
        elif not list(paragraph) and _ALONE_URL.fullmatch((paragraph.text or "").strip()):
            url, title, link = paragraph.text.strip(), "", None
        else:
            return None
        embed = video_embed(url)
        if embed is None:
            if link is not None:
                return None  # a link alone on its line stays as written
            new = etree.Element("p")
            etree.SubElement(new, "a", {"href": url}).text = url
            return new
        return _video(embed, title)


def _video(embed, title):
    """A click-to-load video: a link to the video with a poster drawn by CSS (nothing from
    the video site), which static/js/video.js swaps for the privacy-enhanced player."""
    figure = etree.Element("figure", {"class": "video-embed"})
    link = etree.SubElement(
        figure, "a", {"class": "video-embed__link", "href": embed.url, "data-embed": embed.player_url}
    )
    poster = etree.SubElement(link, "span", {"class": "video-embed__poster"})
    etree.SubElement(poster, "span", {"class": "video-embed__play"})
    etree.SubElement(poster, "span", {"class": "video-embed__title"}).text = (
        title or f"Video on {embed.provider}"
    )
    etree.SubElement(poster, "span", {"class": "video-embed__site"}).text = f"Play · {embed.provider}"
    return figure


def _media_name(src):
    """The storage name of an uploaded file's URL (/media/uploads/x.jpg, or the bucket's URL
    when media are on object storage), or None."""
    from .images.storage import name_from_url

    return name_from_url(src)


def _body_images(names):
    """{storage name: BodyImage} for the uploaded images among `names` (one query)."""
    if not names:
        return {}
    from .models import BodyImage  # the models import this module

    return {body_image.image.name: body_image for body_image in BodyImage.objects.filter(image__in=names)}


def _images(root):
    """Give every image its loading, uploaded ones their size; return {src: BodyImage} of
    the uploaded ones, whose renditions `_with_renditions` adds after sanitizing."""
    found = []  # (index of the top-level block, image element, its parent)
    for block_index, block in enumerate(root):
        for parent in block.iter():
            for child in parent:
                if child.tag == "img":
                    found.append((block_index, child, parent))
    registered = _body_images({name for _, image, _ in found if (name := _media_name(image.get("src", "")))})
    by_src = {}
    for position, (block_index, image, parent) in enumerate(found):
        if not (position == 0 and block_index < EAGER_BLOCKS):
            image.set("loading", "lazy")
            image.set("decoding", "async")
        if parent.tag == "figure":
            image.set("class", "figure__image")
        body_image = registered.get(_media_name(image.get("src", "")) or "")
        if body_image is not None:
            if body_image.image_width and body_image.image_height:
                image.set("width", str(body_image.image_width))
                image.set("height", str(body_image.image_height))
            by_src[image.get("src")] = body_image
    return by_src


_IMG_TAG = re.compile(r"<img\b[^>]*>")
_SRC_ATTRIBUTE = re.compile(r'\ssrc="([^"]*)"')


def _with_renditions(html, body_images):
    """Each uploaded image of the sanitized `html` as a <picture>: a WebP <source> and the
    <img> with `srcset` and `sizes`, from its BodyImage's renditions.

    After nh3, not before: the allowlist has no <picture>, <source> or srcset (a srcset is a
    list of URLs the sanitizer would not check); what is added here comes from the renditions.
    """
    from .images.renditions import renditions_are_current

    def replace(match):
        tag = match.group(0)
        src = _SRC_ATTRIBUTE.search(tag)
        body_image = body_images.get(html_lib.unescape(src.group(1))) if src else None
        renditions = body_image.image_renditions if body_image is not None else {}
        if not renditions or not renditions_are_current(body_image.image, renditions):
            return tag
        storage = body_image.image.storage

        def candidates(key):
            return sorted((int(width), storage.url(name)) for width, name in renditions.get(key, {}).items())

        original, webp = candidates("original"), candidates("webp")
        if not original:
            return tag
        img = _SRC_ATTRIBUTE.sub(
            lambda _: str(
                format_html(
                    ' src="{}" srcset="{}" sizes="{}"', original[-1][1], _srcset(original), BODY_IMAGE_SIZES
                )
            ),
            tag,
            count=1,
        )
        source = (
            format_html('<source type="image/webp" srcset="{}" sizes="{}">', _srcset(webp), BODY_IMAGE_SIZES)
            if webp
            else ""
        )
        return f'<picture class="responsive-image">{source}{img}</picture>'

    return _IMG_TAG.sub(replace, html) if body_images else html


def _srcset(candidates):
    return ", ".join(f"{url} {width}w" for width, url in candidates)


class _SiteExtension(Extension):
    def extendMarkdown(self, md):
        # After the inline patterns (20), which make the images and links it looks at.
        md.treeprocessors.register(_BlocksOfTheirOwn(md), "autotrendy_blocks", 6)
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
    html = _with_renditions(html, getattr(md, "body_images", {}))
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
