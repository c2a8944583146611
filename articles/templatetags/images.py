"""`{% responsive_image %}`: a stored image with its renditions, as `<picture>`.

Written here rather than by an included template: a listing shows ten of them and the
template's conditionals cost more than the rest of a card (about 800 function calls an
image, measured with cProfile on the article page).
"""

from django import template
from django.utils.safestring import mark_safe

from ..images.storage import file_url
from ..markup import format_html

register = template.Library()

_LAZY = mark_safe(' loading="lazy" decoding="async"')
_PRIORITY = mark_safe(' fetchpriority="high"')


@register.simple_tag
def responsive_image(image, *, alt, sizes, css_class="", lazy=True, priority=False):
    """An ImageField's file with a WebP `<source>` and an `<img>` with `srcset`.

    `image` is a cover or photo (an ImageFieldFile); its model instance supplies the
    intrinsic size (the field's width_field and height_field, so the browser reserves
    the space before the file arrives) and the renditions (`<field>_renditions`, made by
    articles.images.renditions). `sizes` is how wide the image is shown, as in the HTML attribute.
    `lazy` defers loading until the image nears the viewport: pass False above the fold.
    `priority` asks for it before other images (the page's largest image, at the top).
    Without renditions, or with renditions of another file, the stored file is served
    alone.
    """
    if not image:
        return ""
    field, instance, storage = image.field, image.instance, image.storage
    renditions = getattr(instance, f"{field.name}_renditions", None) or {}
    if renditions.get("source") != image.name:
        renditions = {}
    original = _candidates(storage, renditions.get("original"))
    srcset = _srcset(original)
    webp_srcset = _srcset(_candidates(storage, renditions.get("webp")))
    width = getattr(instance, field.width_field) if field.width_field else None
    height = getattr(instance, field.height_field) if field.height_field else None
    # The <picture> only chooses the file (WebP where the browser takes it); it is display:
    # contents, so the <img> is what the layout places and sizes.
    return format_html(
        '<picture class="responsive-image">{}<img{} src="{}"{}{} alt="{}"{}{}></picture>',
        format_html('<source type="image/webp" srcset="{}" sizes="{}">', webp_srcset, sizes)
        if webp_srcset
        else "",
        format_html(' class="{}"', css_class) if css_class else "",
        # The largest original-format copy: what a browser without srcset shows.
        original[-1][0] if original else file_url(storage, image.name),
        format_html(' srcset="{}" sizes="{}"', srcset, sizes) if srcset else "",
        format_html(' width="{}" height="{}"', width, height) if width and height else "",
        alt,
        _LAZY if lazy and not priority else "",
        _PRIORITY if priority else "",
    )


def _candidates(storage, names_by_width):
    """(url, width) pairs, narrowest first."""
    items = sorted((int(width), name) for width, name in (names_by_width or {}).items())
    return [(file_url(storage, name), width) for width, name in items]


def _srcset(candidates):
    return ", ".join(f"{url} {width}w" for url, width in candidates)
