"""Bounded uploads: no image an author uploads can exhaust a worker.

A 471 KB GIF of 120 frames of 2,000 × 2,000 pixels once took 29 s and 2 GB. Every image
path (the Markdown editor's upload, the cover, the author photo) now refuses, from the
file's header and before decoding a pixel, what exceeds the pixel budget over all frames
or the number of frames, and every decompression bomb of any format Pillow opens, with a
message that says why. The largest uploads the limits allow are measured in a process of
their own, as a worker would handle them (checks, cleaning, renditions): under 256 MB of
memory and 5 s of CPU each.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from articles.images import renditions
from articles.images.uploads import inspect
from articles.models import Article, Author
from tests import hostile_images as make
from tests.conftest import ARTICLE_ADD_URL
from tests.factories import AuthorFactory
from tests.test_uploads import error_text, upload

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
MEMORY_MB, CPU_SECONDS = 256, 5
# Wall-clock time on a shared test machine says more about the machine than the upload.
WALL_SECONDS = 20

# name: (how to make it, what the editor is told)
HOSTILE = {
    "gif-120-frames-2000": (
        lambda: make.gif(2000, 2000, 120),
        (
            "The image has too many frames: 120 frames of 2,000 × 2,000 pixels (480 megapixels in all); "
            "the limit for a GIF is 12 megapixels over all frames."
        ),
    ),
    "gif-650000-tiny-frames": (
        lambda: make.tiny_frames_gif(650_000),
        "The image has too many frames: more than 200; the limit is 200 frames.",
    ),
    "png-header-9000": (
        lambda: make.png(9000, 9000, rows=10),
        "The image is too large: 9,000 × 9,000 pixels; the limit for a PNG image is 14 megapixels.",
    ),
    "png-bomb-100000": (
        lambda: make.png(100_000, 100_000, mode="L", rows=1),
        "The image is too large: 100,000 × 100,000 pixels",
    ),
    "jpeg-header-60000": (
        lambda: make.jpeg_header(60_000, 60_000),
        "The image is too large: 60,000 × 60,000 pixels; the limit for a JPEG is 40 megapixels.",
    ),
    "webp-animation-11-frames-2000": (
        lambda: make.animation("WEBP", 2000, 2000, 11),
        (
            "The image has too many frames: 11 frames of 2,000 × 2,000 pixels (44 megapixels in all); "
            "the limit for a WebP image is 9.3 megapixels over all frames."
        ),
    ),
    "webp-animation-20-frames-1000": (
        lambda: make.animation("WEBP", 1000, 1000, 20),
        (
            "The image has too many frames: 20 frames of 1,000 × 1,000 pixels (20 megapixels in all); "
            "the limit for a WebP image is 9.3 megapixels over all frames."
        ),
    ),
    "apng-11-frames-2000": (
        lambda: make.animation("PNG", 2000, 2000, 11),
        (
            "The image has too many frames: 11 frames of 2,000 × 2,000 pixels (44 megapixels in all); "
            "the limit for a PNG image is 14 megapixels over all frames."
        ),
    ),
    "tiff-bomb-100000": (lambda: make.tiff_header(100_000, 100_000), "TIFF images are not accepted."),
    "bmp-bomb-50000": (lambda: make.bmp_header(50_000, 50_000), "BMP images are not accepted."),
    "ppm-bomb-50000": (lambda: make.ppm_header(50_000, 50_000), "PPM images are not accepted."),
}

# The largest of each kind the limits allow (each within 5% of its limit), in the shapes
# that cost the most: a JPEG too small to be decoded reduced, one frame as large as allowed,
# as many frames as allowed.
ALLOWED = {
    "jpeg-40-megapixels": lambda: make.jpeg(6324, 6324),
    "jpeg-23-megapixels-decoded-whole": lambda: make.jpeg(4799, 4799),
    "progressive-jpeg-16.8-megapixels": lambda: make.jpeg(4090, 4090, progressive=True),
    "progressive-cmyk-jpeg-14-megapixels": lambda: make.jpeg(3735, 3735, progressive=True, mode="CMYK"),
    "png-with-transparency-14-megapixels": lambda: make.png(3735, 3735),
    "webp-9.3-megapixels": lambda: make.webp(3050, 3050),
    "gif-one-frame-12-megapixels": lambda: make.gif(3460, 3460, 1),
    "gif-3-frames-1998": lambda: make.gif(1998, 1998, 3),
    "gif-200-frames-244": lambda: make.gif(244, 244, 200),
    "webp-animation-9-frames-1000": lambda: make.animation("WEBP", 1000, 1000, 9),
    "apng-3-frames-2158": lambda: make.animation("PNG", 2158, 2158, 3),
}
# Not the most pixels a JPEG may have, but the most decoded whole: one pixel more on its
# long side and it is decoded at half its size.
COSTLIEST_BELOW_THE_LIMIT = {"jpeg-23-megapixels-decoded-whole"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Every file of HOSTILE and ALLOWED, written once: {name: path}."""
    folder = tmp_path_factory.mktemp("hostile-images")
    paths = {}
    for name, maker in [*((name, maker) for name, (maker, _) in HOSTILE.items()), *ALLOWED.items()]:
        paths[name] = folder / name
        paths[name].write_bytes(maker())
    return paths


def measured(path):
    """Upload `path` as a cover in a process of its own (tests/measure_upload.py)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.measure_upload", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# Refused from the header, saying why, on every path


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_body_image_is_refused_saying_why(staff_client, stored_files, corpus, name):
    response = upload(staff_client, corpus[name].read_bytes(), name="picture.png")

    assert response.status_code == 400
    assert HOSTILE[name][1] in error_text(response)
    assert "not an image we can read" not in error_text(response)
    assert stored_files() == []


@pytest.mark.parametrize(
    "name", ["gif-120-frames-2000", "png-header-9000", "png-bomb-100000", "jpeg-header-60000"]
)
def test_a_hostile_cover_is_refused_saying_why(editor_client, article_form_data, stored_files, corpus, name):
    cover = SimpleUploadedFile("cover.png", corpus[name].read_bytes(), content_type="image/png")
    form = article_form_data(editor_client, author=AuthorFactory(), cover=cover, cover_alt="A car")

    response = editor_client.post(ARTICLE_ADD_URL, form)

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["cover"])
    assert HOSTILE[name][1] in errors
    assert "Upload a valid image" not in errors
    assert not Article.objects.exists()
    assert stored_files() == []


def test_a_hostile_author_photo_is_refused_saying_why(editor_client, stored_files, corpus):
    photo = SimpleUploadedFile("me.gif", corpus["gif-120-frames-2000"].read_bytes(), content_type="image/gif")

    response = editor_client.post(
        "/admin/articles/author/add/", {"name": "Ada", "slug": "ada", "bio": "", "photo": photo}
    )

    assert response.status_code == 200
    assert HOSTILE["gif-120-frames-2000"][1] in " ".join(response.context["adminform"].form.errors["photo"])
    assert not Author.objects.filter(slug="ada").exists()
    assert stored_files() == []


@pytest.mark.parametrize("name", ["gif-120-frames-2000", "gif-650000-tiny-frames", "png-bomb-100000"])
def test_refusing_a_hostile_file_costs_next_to_nothing(corpus, name):
    result = measured(corpus[name])
    assert result["outcome"] == [HOSTILE[name][1]] or HOSTILE[name][1] in result["outcome"][0]
    assert result["peak_mb"] < 120 and result["cpu_s"] < 0.5, result


# ---------------------------------------------------------------------------
# What the limits allow: stored, within the worker's memory and time


@pytest.mark.parametrize("name", ALLOWED)
def test_the_largest_uploads_allowed_stay_within_256_mb_and_5_seconds(corpus, name):
    header = inspect(corpus[name].read_bytes())
    if name not in COSTLIEST_BELOW_THE_LIMIT:
        assert header.width * header.height * header.frames > 0.95 * header.pixel_limit, (
            "not the largest allowed"
        )

    result = measured(corpus[name])

    assert result["outcome"].startswith("stored"), result
    assert result["peak_mb"] < MEMORY_MB, result
    assert result["cpu_s"] < CPU_SECONDS, result
    assert result["wall_s"] < WALL_SECONDS, result


def test_a_stored_bomb_gets_no_renditions_and_is_never_decoded(corpus, caplog):
    """A file stored by other means than an upload (a restore, a copy into the bucket)."""
    name = default_storage.save("covers/bomb.png", ContentFile(corpus["png-bomb-100000"].read_bytes()))

    made = renditions.make_renditions(SimpleNamespace(storage=default_storage, name=name))

    assert made == {"source": name}
    assert "100,000 × 100,000 pixels" in caplog.text
