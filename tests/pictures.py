"""Reading the images a page shows: each <img> with the <source> elements of its <picture>."""

from html.parser import HTMLParser


class _PictureParser(HTMLParser):
    """Every <img> on a page, with the <source> elements of its <picture>."""

    def __init__(self):
        super().__init__()
        self.images = []
        self._sources = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "picture":
            self._sources = []
        elif tag == "source" and self._sources is not None:
            self._sources.append(attrs)
        elif tag == "img":
            self.images.append({**attrs, "sources": self._sources or []})

    def handle_endtag(self, tag):
        if tag == "picture":
            self._sources = None


def images_on(response, css_class):
    """The <img> elements of a page that have `css_class`, as dicts of their attributes."""
    assert response.status_code == 200, f"the page answered {response.status_code}"
    parser = _PictureParser()
    parser.feed(response.content.decode())
    return [img for img in parser.images if css_class in (img.get("class") or "").split()]


def srcset_widths(srcset):
    """The widths a `srcset` offers, in its order: "a.jpg 480w, b.jpg 960w" gives [480, 960]."""
    return [int(candidate.rsplit(" ", 1)[1].removesuffix("w")) for candidate in srcset.split(", ")]
