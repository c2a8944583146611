"""Checking and cleaning uploaded images with Pillow.

Every image that editors upload (body images through the markdownx editor, covers,
author photos) goes through `clean_upload`: only JPEG, PNG, WebP and GIF, within a byte
and pixel limit, decoded fully and re-encoded so that metadata (EXIF, GPS, comments) is
dropped. Anything else is a ValidationError with a message for the editor.
"""

import io
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
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
        )
    except (OSError, SyntaxError, ValueError):
        raise ValidationError("The image file is damaged or incomplete.", code="invalid")

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
            buffer, "GIF", save_all=len(frames) > 1, append_images=frames[1:], loop=0, duration=durations, disposal=2
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
