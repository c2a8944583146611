"""Checking and cleaning uploaded images with Pillow.

Every image that editors upload (body images through the markdownx editor, covers,
author photos) goes through `clean_upload`: only JPEG, PNG, WebP and GIF, within a byte
and pixel limit, decoded fully and re-encoded so that metadata (EXIF, GPS, comments) is
dropped. Anything else is a ValidationError with a message for the editor.

Covers and author photos also get renditions, smaller copies for `srcset`, once, when
they are stored (see "Renditions" below).
"""

import io
import logging
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow format name -> (content type, file extension)
ALLOWED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}
ACCEPT_ATTRIBUTE = ",".join(content_type for content_type, _ in ALLOWED_FORMATS.values())


def clean_upload(uploaded, *, max_edge=None):
    """Validate an uploaded file and return a new, metadata-free SimpleUploadedFile.

    `max_edge`, if given, scales the image down so neither side exceeds it.
    """
    if uploaded.size > settings.IMAGE_UPLOAD_MAX_BYTES:
        raise ValidationError(
            "The image is %(size)s; the limit is %(limit)s.",
            code="too_large",
            params={
                "size": filesizeformat(uploaded.size),
                "limit": filesizeformat(settings.IMAGE_UPLOAD_MAX_BYTES),
            },
        )
    uploaded.seek(0)
    data = uploaded.read()
    try:
        with warnings.catch_warnings():
            # Turn Pillow's decompression-bomb warning into an error we report.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image_format = image.format
            if image_format not in ALLOWED_FORMATS:
                raise ValidationError(
                    "%(format)s images are not accepted. Upload a JPEG, PNG, WebP or GIF.",
                    code="format",
                    params={"format": image_format or "This kind of"},
                )
            if image.width * image.height > settings.IMAGE_UPLOAD_MAX_PIXELS:
                raise _too_many_pixels(image.width, image.height)
            image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            "This file is not an image we can read. Upload a JPEG, PNG, WebP or GIF.", code="invalid"
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError("The image file is damaged or incomplete.", code="invalid") from None

    content_type, extension = ALLOWED_FORMATS[image_format]
    output = _reencode(image, image_format, max_edge)
    stem = (uploaded.name or "image").rsplit("/", 1)[-1].rsplit(".", 1)[0][:80] or "image"
    return SimpleUploadedFile(f"{stem}.{extension}", output, content_type=content_type)


def _too_many_pixels(width, height):
    return ValidationError(
        "The image is %(width)s × %(height)s pixels; the limit is %(limit)s megapixels.",
        code="too_many_pixels",
        params={"width": width, "height": height, "limit": settings.IMAGE_UPLOAD_MAX_PIXELS // 1_000_000},
    )


def _reencode(image, image_format, max_edge):
    """Write the pixels only: no EXIF, GPS, XMP or comments survive."""
    buffer = io.BytesIO()
    if image_format == "GIF":
        # Keep animation; re-saving writes frames and palette, not the metadata blocks.
        frames = []
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            frame = _without_metadata(image.convert("RGBA"))
            if max_edge:
                frame.thumbnail((max_edge, max_edge))
            frames.append(frame)
        durations = image.info.get("duration", 100)
        frames[0].save(
            buffer,
            "GIF",
            save_all=len(frames) > 1,
            append_images=frames[1:],
            loop=0,
            duration=durations,
            disposal=2,
        )
        return buffer.getvalue()

    # Apply the EXIF orientation to the pixels before the EXIF is dropped.
    image = _without_metadata(ImageOps.exif_transpose(image))
    if max_edge:
        image.thumbnail((max_edge, max_edge))
    if image_format == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    elif image_format == "PNG":
        if image.mode not in {"RGB", "RGBA", "L", "LA", "P"}:
            image = image.convert("RGBA")
        image.save(buffer, "PNG", optimize=True)
    else:
        if image.mode not in {"RGB", "RGBA"}:
            image = image.convert("RGBA")
        image.save(buffer, "WEBP", quality=85)
    return buffer.getvalue()


def _without_metadata(image):
    """Pillow writes some of `image.info` back when saving (comments, EXIF, XMP): keep only
    the colour profile, which says how to show the pixels and tells nothing about anyone."""
    image.info = {key: value for key, value in image.info.items() if key == "icc_profile"}
    return image


# ---------------------------------------------------------------------------
# Renditions: smaller copies of covers and author photos, for `srcset`
#
# Made once, when a new file is stored (articles.signals), and rebuilt by
# `manage.py make_renditions`. An image's renditions are a dict kept beside it
# (Article.cover_renditions, Author.photo_renditions):
#
#     {"source": "covers/2026/05/road.jpg",
#      "webp": {"480": "covers/2026/05/road-480w.webp", "960": ..., "1200": ...},
#      "original": {"480": "covers/2026/05/road-480w.jpg", "960": ..., "1200": "covers/2026/05/road.jpg"}}
#
# Widths are those of RENDITION_WIDTHS below the image's own width, never larger; an
# image no wider than the largest also appears at its own width, where the "original"
# entry is the stored file itself. `source` says which file they were made from, so a
# new upload is noticed by its name alone, without reading any file. WebP sources have
# no "webp" set (the originals are WebP already); GIFs have no renditions (resizing an
# animation means every frame), and neither has a file Pillow cannot read: both are
# served as stored.

RENDITION_WIDTHS = (480, 960, 1600)

logger = logging.getLogger(__name__)


def planned_renditions(name, *, width, image_format):
    """The renditions dict for a stored image `name`, `width` pixels wide, in Pillow's
    `image_format`: the names the files get when their places are free. Reads nothing."""
    renditions = {"source": name}
    if image_format not in ALLOWED_FORMATS or image_format == "GIF":
        return renditions
    extension = ALLOWED_FORMATS[image_format][1]
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
            image = Image.open(stored)
            image_format = image.format
            image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        logger.warning("No renditions for %s: Pillow cannot read it (%s).", name, error)
        return {"source": name}
    icc_profile = image.info.get("icc_profile")
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
            data = _encode(_scaled(image, int(width)), target_format, icc_profile)
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


def _encode(image, image_format, icc_profile):
    """One rendition, with the source's colour profile and nothing else from its metadata."""
    buffer = io.BytesIO()
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if image_format == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=82, optimize=True, progressive=True, **options)
    elif image_format == "PNG":
        if image.mode not in {"RGB", "RGBA", "L", "LA", "P"}:
            image = image.convert("RGBA")
        image.save(buffer, "PNG", **options)
    else:
        has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
        image.convert("RGBA" if has_alpha else "RGB").save(buffer, "WEBP", quality=80, **options)
    return buffer.getvalue()
