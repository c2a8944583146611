"""Writing images: the one place that knows how each format is saved.

Uploads (`uploads.clean_upload`) and renditions (`renditions.make_renditions`) both write
through `encode`. It keeps the pixels, the colour profile and palette transparency, which
say how to show the pixels and tell nothing about anyone; everything else Pillow read
from the source (EXIF with GPS and camera, XMP, comments) is dropped.
"""

import io
import itertools
from dataclasses import dataclass

# The formats the site accepts and writes: Pillow format name -> (content type, file extension).
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}

# What `image.info` may keep: how to show the pixels, nothing about who took them or where.
_KEPT_INFO = {"icc_profile", "transparency"}


@dataclass(frozen=True)
class Quality:
    """How hard to compress: JPEG and WebP quality (0-100), and whether to search for the smallest PNG."""

    jpeg: int
    webp: int
    optimize_png: bool


# An upload is the master copy every rendition is made from: kept close to what was sent.
UPLOAD = Quality(jpeg=85, webp=85, optimize_png=True)
# Renditions are made several at a time and only ever shown scaled down: a little smaller,
# and PNGs without zlib's slow search for the best compression.
RENDITION = Quality(jpeg=82, webp=80, optimize_png=False)


def encode(image, image_format, *, quality, frames=(), duration=100):
    """`image` written as `image_format` (a key of FORMATS), as bytes.

    Drops all but the colour profile and transparency from `image.info` (and from each
    frame's). `frames` are the further frames of an animated GIF, shown `duration`
    milliseconds each, taken one at a time from any iterable (a generator keeps one frame
    in memory, not all); other formats are written as one still image. Never copies the
    image when it has the mode the format needs.
    """
    buffer = io.BytesIO()
    image = _without_metadata(image)
    icc_profile = image.info.get("icc_profile")
    if image_format == "GIF":
        # Re-saving writes frames and palette, not the comment and application blocks.
        frames = iter(frames)
        second = next(frames, None)
        if second is None:
            image.save(buffer, "GIF", loop=0, duration=duration, disposal=2)
        else:
            image.save(
                buffer,
                "GIF",
                save_all=True,
                append_images=(_without_metadata(frame) for frame in itertools.chain([second], frames)),
                loop=0,
                duration=duration,
                disposal=2,
            )
    elif image_format == "JPEG":
        _in_mode(image, "RGB").save(
            buffer, "JPEG", quality=quality.jpeg, optimize=True, progressive=True, icc_profile=icc_profile
        )
    elif image_format == "PNG":
        if image.mode not in {"RGB", "RGBA", "L", "LA", "P"}:
            image = image.convert("RGBA")
        image.save(buffer, "PNG", optimize=quality.optimize_png, icc_profile=icc_profile)
    elif image_format == "WEBP":
        has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
        image = _in_mode(image, "RGBA" if has_alpha else "RGB")
        image.save(buffer, "WEBP", quality=quality.webp, icc_profile=icc_profile)
    else:
        raise ValueError(f"Cannot write {image_format} images.")
    return buffer.getvalue()


def _in_mode(image, mode):
    return image if image.mode == mode else image.convert(mode)


def _without_metadata(image):
    # Pillow writes some of `image.info` back when saving (comments, EXIF, XMP).
    image.info = {key: value for key, value in image.info.items() if key in _KEPT_INFO}
    return image
