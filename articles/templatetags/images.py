"""`{% responsive_image %}`: a stored image with its renditions, as `<picture>`."""

from django import template

register = template.Library()


@register.inclusion_tag("includes/responsive_image.html")
def responsive_image(image, *, alt, sizes, css_class="", lazy=True, priority=False):
    """Render an ImageField's file with a WebP `<source>` and an `<img>` with `srcset`.

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
        return {"image": None}
    field, instance, storage = image.field, image.instance, image.storage
    renditions = getattr(instance, f"{field.name}_renditions", None) or {}
    if renditions.get("source") != image.name:
        renditions = {}
    original = _candidates(storage, renditions.get("original"))
    return {
        "image": image,
        # The largest original-format copy: what a browser without srcset shows.
        "src": original[-1][0] if original else image.url,
        "srcset": _srcset(original),
        "webp_srcset": _srcset(_candidates(storage, renditions.get("webp"))),
        "sizes": sizes,
        "width": getattr(instance, field.width_field) if field.width_field else None,
        "height": getattr(instance, field.height_field) if field.height_field else None,
        "alt": alt,
        "css_class": css_class,
        "lazy": lazy and not priority,
        "priority": priority,
    }


def _candidates(storage, names_by_width):
    """(url, width) pairs, narrowest first."""
    items = sorted((int(width), name) for width, name in (names_by_width or {}).items())
    return [(storage.url(name), width) for width, name in items]


def _srcset(candidates):
    return ", ".join(f"{url} {width}w" for url, width in candidates)
