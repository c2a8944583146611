"""Checking and cleaning uploaded images with Pillow.

Every image that editors upload (body images through the markdownx editor, covers,
author photos) goes through `clean_upload`: only JPEG, PNG, WebP and GIF, within a byte
limit (settings.IMAGE_UPLOAD_MAX_BYTES), a pixel budget over all its frames (width ×
height × frames: IMAGE_UPLOAD_MAX_PIXELS, less for the kinds of image that cost Pillow more
memory per pixel, so that decoding stays within IMAGE_UPLOAD_MAX_DECODE_BYTES) and a number
of frames (IMAGE_UPLOAD_MAX_FRAMES); decoded fully, scaled down to IMAGE_UPLOAD_MAX_EDGE on its long
side and re-encoded, so that metadata (EXIF, GPS, comments) is dropped. Anything else is a
ValidationError with a message for the editor that says why.

Bounded work: the budget is checked on the file's header (`inspect`), before a single pixel
is decoded. A few hundred bytes can announce 100,000 × 100,000 pixels, or a GIF of 120
frames of 2,000 × 2,000 (two gigabytes once decoded): both are refused from the header,
and so is every other decompression bomb of any format Pillow opens. Pillow's own
bomb check (Image.MAX_IMAGE_PIXELS) would refuse the largest before saying how large
they are, so the header is read without it, and checked here. What the limits allow is
decoded at the smallest size that serves: a JPEG is decoded already reduced (libjpeg's
scaling) when it will be scaled down anyway, the frames of a GIF are re-encoded one at a
time, and no image is copied in full on its way (tests/test_upload_limits.py measures the
peak memory and time of a worker for the largest uploads allowed).
"""

import io
import struct
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

from .encoding import FORMATS, UPLOAD, encode

# For a file input's `accept`: the content types clean_upload takes.
ACCEPT_ATTRIBUTE = ",".join(content_type for content_type, _ in FORMATS.values())


@dataclass(frozen=True)
class Header:
    """What a file's header says, read without decoding any pixel."""

    format: str | None
    width: int
    height: int
    frames: int
    # What decoding and scaling one pixel costs a worker in memory (see `_bytes_per_pixel`).
    bytes_per_pixel: int
    kind: str  # for messages: "PNG image", "progressive JPEG", ...

    @property
    def pixel_limit(self):
        """The most pixels (over all frames) this kind of image may have."""
        by_memory = settings.IMAGE_UPLOAD_MAX_DECODE_BYTES // self.bytes_per_pixel
        return min(settings.IMAGE_UPLOAD_MAX_PIXELS, by_memory)


def clean_upload(uploaded, *, max_edge=None):
    """Validate an uploaded file and return a new, metadata-free SimpleUploadedFile.

    Scaled down so that neither side exceeds `max_edge` (by default IMAGE_UPLOAD_MAX_EDGE).
    """
    max_edge = max_edge or settings.IMAGE_UPLOAD_MAX_EDGE
    data = _read(uploaded)
    header = inspect(data)
    if header is None:
        raise _unreadable()
    if header.format not in FORMATS:
        raise ValidationError(
            "%(format)s images are not accepted. Upload a JPEG, PNG, WebP or GIF.",
            code="format",
            params={"format": header.format or "This kind of"},
        )
    check_budget(header)
    try:
        with warnings.catch_warnings():
            # Within the budget, Pillow's bomb check has nothing to say; if it does, it is an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format == "JPEG":
                # Decoded at 1/2, 1/4 or 1/8 of its size when it is scaled down anyway.
                image.draft(image.mode, _scaled_size(image.size, max_edge))
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _unreadable() from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError("The image file is damaged or incomplete.", code="invalid") from None

    content_type, extension = FORMATS[header.format]
    output = _reencode(image, header, max_edge)
    stem = (uploaded.name or "image").rsplit("/", 1)[-1].rsplit(".", 1)[0][:80] or "image"
    return SimpleUploadedFile(f"{stem}.{extension}", output, content_type=content_type)


def check_upload_budget(uploaded):
    """Refuse an upload over the byte limit or the pixel budget, from its header alone.

    For checks that run before `clean_upload` and would decode or open the file (Django's
    ImageField opens it with Pillow, whose own bomb check would call a huge image "not a
    valid image"). Says nothing of a file that is no image: `clean_upload` does.
    """
    header = inspect(_read(uploaded))
    if header is not None:
        check_budget(header)


def inspect(data):
    """The Header of an image file's bytes, or None if Pillow knows no such format.

    Image.open's search through Pillow's formats, without its decompression-bomb check (the
    sizes are checked by `check_budget`, which can say what they are). Reads headers only.
    """
    Image.init()
    prefix = data[:16]
    for format_id in Image.ID:
        factory, accept = Image.OPEN[format_id]
        accepted = accept(prefix) if accept else True
        if not accepted or isinstance(accepted, str):
            continue
        try:
            image = factory(io.BytesIO(data), None)
        except (SyntaxError, IndexError, TypeError, struct.error):
            continue  # not this format: try the next, as Image.open does
        except Exception:  # noqa: BLE001 - a header Pillow chokes on is one we cannot read
            return None
        per_pixel, kind = _bytes_per_pixel(image)
        return Header(image.format, image.width, image.height, _frames(image, data), per_pixel, kind)
    return None


def _bytes_per_pixel(image):
    """(bytes a worker holds per pixel, over all frames, to decode and scale `image`; its kind).

        Measured with Pillow 13 on the worst shapes of each kind (tests/test_upload_limits.py):
        Pillow stores a pixel in 4 bytes, and scaling an image with transparency copies it once
        more (premultiplied alpha), so a PNG costs up to 12, a GIF 14 (its frames are composed
    on a canvas of their own, and handed to the encoder re-coloured); a WebP is held three
        times over while it is decoded (18); a progressive JPEG keeps two bytes of coefficients
        per component and pixel at full size, however small it is decoded, beside its pixels; a
        baseline JPEG is 4 at most (decoded already reduced when it is 4,800 pixels or more on
        its long side, so a 40-megapixel photo costs less than a 23-megapixel one).
    """
    if image.format == "JPEG":
        if image.info.get("progressive") or image.info.get("progression"):
            return 2 * len(image.getbands()) + 4, "progressive JPEG"
        return 4, "JPEG"
    if image.format == "WEBP":
        return 18, "WebP image"
    if image.format == "GIF":
        return 14, "GIF"
    return 12, f"{image.format or 'such'} image"


def check_budget(header):
    """ValidationError if decoding would exceed the pixel budget or the number of frames."""
    limit = header.pixel_limit
    max_frames = settings.IMAGE_UPLOAD_MAX_FRAMES
    params = {
        "width": f"{header.width:,}",
        "height": f"{header.height:,}",
        "frames": f"{header.frames:,}",
        "kind": header.kind,
        "limit": _megapixels(limit),
        "max_frames": f"{max_frames:,}",
        "total": _megapixels(header.width * header.height * header.frames),
    }
    if header.width * header.height > limit:
        raise ValidationError(
            "The image is too large: %(width)s × %(height)s pixels; the limit for a %(kind)s is "
            "%(limit)s megapixels.",
            code="too_many_pixels",
            params=params,
        )
    if header.frames > max_frames:
        raise ValidationError(
            "The image has too many frames: more than %(max_frames)s; the limit is %(max_frames)s frames.",
            code="too_many_frames",
            params=params,
        )
    if header.width * header.height * header.frames > limit:
        raise ValidationError(
            "The image has too many frames: %(frames)s frames of %(width)s × %(height)s pixels "
            "(%(total)s megapixels in all); the limit for a %(kind)s is %(limit)s megapixels over "
            "all frames.",
            code="too_many_frames",
            params=params,
        )


def _megapixels(pixels):
    return f"{pixels / 1_000_000:,.1f}".removesuffix(".0")


def _read(uploaded):
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
    uploaded.seek(0)
    return data


def _unreadable():
    return ValidationError(
        "This file is not an image we can read. Upload a JPEG, PNG, WebP or GIF.", code="invalid"
    )


def _frames(image, data):
    """How many frames the image has (a GIF's counted up to one past the limit)."""
    if image.format == "GIF":
        return _gif_frames(data, at_most=settings.IMAGE_UPLOAD_MAX_FRAMES)
    try:
        return max(1, int(getattr(image, "n_frames", 1)))
    except Exception:  # noqa: BLE001 - frames that cannot be counted cannot be decoded either
        return 1


def _gif_frames(data, *, at_most):
    """The image descriptors of a GIF, counted by walking its blocks, up to `at_most` + 1.

    Pillow's n_frames walks every frame in Python: seconds for ten megabytes of 1 × 1 frames.
    """
    end = len(data)
    flags = data[10] if end > 10 else 0
    position = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    frames = 0
    while position < end and frames <= at_most:
        block = data[position]
        if block == 0x21:  # extension: label, then data sub-blocks
            position += 2
        elif block == 0x2C:  # image descriptor, local colour table, LZW code size, sub-blocks
            frames += 1
            packed = data[position + 9] if position + 9 < end else 0
            position += 10 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0) + 1
        else:  # the trailer, or garbage after the last frame
            break
        while position < end and data[position]:
            position += data[position] + 1
        position += 1
    return max(frames, 1)


def _scaled_size(size, max_edge):
    """`size` scaled so that its long side is at most `max_edge` (never up)."""
    width, height = size
    scale = min(1.0, max_edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _reencode(image, header, max_edge):
    """The pixels again, upright and within `max_edge`, without the source's metadata."""
    if header.format == "GIF":
        # Keep the animation: every frame, scaled alike, handed to the encoder one at a time.
        return encode(
            _gif_frame(image, 0, max_edge),
            "GIF",
            quality=UPLOAD,
            frames=(_gif_frame(image, index, max_edge) for index in range(1, header.frames)),
            duration=image.info.get("duration", 100),
        )

    # Apply the EXIF orientation to the pixels before encode() drops the EXIF (in place:
    # no second copy of a large image).
    ImageOps.exif_transpose(image, in_place=True)
    if max(image.size) > max_edge:
        image.thumbnail((max_edge, max_edge), Image.Resampling.LANCZOS)
    return encode(image, header.format, quality=UPLOAD)


def _gif_frame(image, index, max_edge):
    image.seek(index)
    frame = image.convert("RGBA")
    if max(frame.size) > max_edge:
        frame.thumbnail((max_edge, max_edge))
    return frame
