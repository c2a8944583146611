"""Checking and cleaning uploaded images with Pillow.

Every image that editors upload (body images through the markdownx editor, covers,
author photos) goes through `clean_upload`: only JPEG, PNG, WebP and GIF, within a byte
and pixel limit (settings.IMAGE_UPLOAD_MAX_BYTES and IMAGE_UPLOAD_MAX_PIXELS), decoded
fully and re-encoded so that metadata (EXIF, GPS, comments) is dropped. Anything else is
a ValidationError with a message for the editor.
"""

import io
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

from .encoding import FORMATS, UPLOAD, encode

# For a file input's `accept`: the content types clean_upload takes.
ACCEPT_ATTRIBUTE = ",".join(content_type for content_type, _ in FORMATS.values())


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
            if image_format not in FORMATS:
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

    content_type, extension = FORMATS[image_format]
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
    """The pixels again, upright and within `max_edge`, without the source's metadata."""
    if image_format == "GIF":
        # Keep the animation: every frame, scaled alike.
        frames = []
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            frame = image.convert("RGBA")
            if max_edge:
                frame.thumbnail((max_edge, max_edge))
            frames.append(frame)
        first, *others = frames
        return encode(first, "GIF", quality=UPLOAD, frames=others, duration=image.info.get("duration", 100))

    # Apply the EXIF orientation to the pixels before encode() drops the EXIF.
    image = ImageOps.exif_transpose(image)
    if max_edge:
        image.thumbnail((max_edge, max_edge))
    return encode(image, image_format, quality=UPLOAD)
