"""Renditions: smaller copies of covers and author photos, for `srcset`.

Made once, when a new file is stored (articles.signals), and rebuilt by
`manage.py make_renditions`. An image's renditions are a dict kept beside it
(Article.cover_renditions, Author.photo_renditions). For a JPEG cover 2000 pixels wide:

    {"source": "covers/2026/05/road.jpg",
     "webp": {"480": "covers/2026/05/road-480w.webp", "960": ..., "1600": ...},
     "original": {"480": "covers/2026/05/road-480w.jpg", "960": ..., "1600": ...}}

Widths are those of RENDITION_WIDTHS below the image's own width, never larger. An image
no wider than the largest also appears at its own width, where the "original" entry is
the stored file itself: a cover 1200 pixels wide gets 480, 960 and 1200, with
"original" "1200" naming the cover. `source` says which file they were made from, so a
new upload is noticed by its name alone, without reading any file. WebP sources have no
"webp" set (the originals are WebP already); GIFs have no renditions (resizing an
animation means every frame), and neither has a file Pillow cannot read: both are
served as stored.
"""

import io
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from .encoding import FORMATS, RENDITION, encode
from .uploads import check_budget, inspect

RENDITION_WIDTHS = (480, 960, 1600)

logger = logging.getLogger(__name__)


def planned_renditions(name, *, width, image_format):
    """The renditions dict for a stored image `name`, `width` pixels wide, in Pillow's
    `image_format`: the names the files get when their places are free. Reads nothing."""
    renditions = {"source": name}
    if image_format not in FORMATS or image_format == "GIF":
        return renditions
    extension = FORMATS[image_format][1]
    widths = [candidate for candidate in RENDITION_WIDTHS if candidate < width]
    own_width = width <= RENDITION_WIDTHS[-1]
    if image_format != "WEBP":
        renditions["webp"] = {str(w): _rendition_name(name, w, "webp") for w in widths}
        if own_width:
            renditions["webp"][str(width)] = _rendition_name(name, width, "webp")
    renditions["original"] = {str(w): _rendition_name(name, w, extension) for w in widths}
    if own_width:
        renditions["original"][str(width)] = name
    return renditions


def make_renditions(field_file):
    """Write the renditions of a stored image next to it; return their dict.

    An image Pillow cannot read gets no renditions (and a warning in the log), not an
    error: the page then serves the stored file alone.
    """
    storage, name = field_file.storage, field_file.name
    try:
        with storage.open(name, "rb") as stored:
            data = stored.read()
        # Uploads were checked, but a file may have been stored by other means.
        header = inspect(data)
        if header is not None:
            check_budget(header)
        image = Image.open(io.BytesIO(data))
        image_format = image.format
        image.load()
    except ValidationError as refusal:
        logger.warning("No renditions for %s: %s", name, " ".join(refusal.messages))
        return {"source": name}
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        logger.warning("No renditions for %s: Pillow cannot read it (%s).", name, error)
        return {"source": name}
    image = ImageOps.exif_transpose(image)
    planned = planned_renditions(name, width=image.width, image_format=image_format)
    renditions = {"source": name}
    for key, target_format in (("webp", "WEBP"), ("original", image_format)):
        if key not in planned:
            continue
        renditions[key] = {}
        for width, rendition_name in planned[key].items():
            if rendition_name == name:
                renditions[key][width] = name
                continue
            data = encode(_scaled(image, int(width)), target_format, quality=RENDITION)
            renditions[key][width] = storage.save(rendition_name, ContentFile(data))
    return renditions


def rendition_files(renditions):
    """The files a renditions dict names, without its source."""
    source = renditions.get("source")
    return {
        name for key in ("webp", "original") for name in renditions.get(key, {}).values() if name != source
    }


def delete_renditions(storage, renditions, *, keep=()):
    """Delete the rendition files of a dict (never its source, nor any name in `keep`)."""
    for name in rendition_files(renditions) - set(keep):
        storage.delete(name)


def renditions_are_current(field_file, renditions, *, check_files=False):
    """Whether `renditions` were made from the file now in `field_file`.

    By name alone, unless `check_files`: then every file must also exist in storage.
    """
    if renditions.get("source") != field_file.name:
        return False
    if not check_files:
        return True
    storage = field_file.storage
    return all(storage.exists(name) for name in {field_file.name, *rendition_files(renditions)})


def update_renditions(instance, field_name, *, force=False, check_files=False):
    """Bring the renditions of `instance`'s image field `field_name` up to date.

    The renditions live in `<field_name>_renditions`, which is written with a queryset
    update: making renditions is not an edit (no new version, revision or updated_at).
    Returns what happened: "made", "current", "cleared" or "missing" (the stored file is
    not there; nothing is changed).
    """
    field_file = getattr(instance, field_name)
    attribute = f"{field_name}_renditions"
    old = getattr(instance, attribute) or {}
    storage = field_file.storage
    if not field_file:
        if not old:
            return "current"
        delete_renditions(storage, old)
        new, outcome = {}, "cleared"
    elif not force and renditions_are_current(field_file, old, check_files=check_files):
        return "current"
    elif not storage.exists(field_file.name):
        logger.warning("No renditions for %s: the file is missing from storage.", field_file.name)
        return "missing"
    else:
        # Old files go first, so that the new ones take their names back.
        delete_renditions(storage, old, keep={field_file.name})
        new, outcome = make_renditions(field_file), "made"
    type(instance)._default_manager.filter(pk=instance.pk).update(**{attribute: new})
    setattr(instance, attribute, new)
    return outcome


def _rendition_name(name, width, extension):
    stem = name.rsplit(".", 1)[0] if "." in name.rsplit("/", 1)[-1] else name
    return f"{stem}-{width}w.{extension}"


def _scaled(image, width):
    if width >= image.width:
        return image
    height = max(1, round(image.height * width / image.width))
    if image.mode == "P":
        # Palette images resize by nearest neighbour only; convert to scale them smoothly.
        image = image.convert("RGBA")
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
