"""Uploading images: body images through the markdownx editor and covers through the admin.

Every upload is checked by Pillow, limited in bytes and pixels, and re-encoded so that no
metadata (EXIF, GPS) is stored.
"""

import io
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms

from articles.images.renditions import rendition_files
from articles.models import Article
from tests.conftest import ARTICLE_ADD_URL, make_image_bytes
from tests.factories import AuthorFactory

pytestmark = pytest.mark.django_db

UPLOAD_URL = settings.MARKDOWNX_UPLOAD_URLS_PATH
PREVIEW_URL = settings.MARKDOWNX_URLS_PATH
AJAX = {"headers": {"X-Requested-With": "XMLHttpRequest"}}

CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def upload(client, data, name="photo.png", content_type="image/png"):
    image = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post(UPLOAD_URL, {"image": image}, **AJAX)


def exif_with_gps():
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0110] = "Model X"  # Model
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    return exif


def noisy_png(size=(64, 64)):
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def stored_path(response):
    """The file under MEDIA_ROOT that an upload's `image_code` points at."""
    image_code = response.json()["image_code"]
    match = re.fullmatch(r"!\[\]\((/media/uploads/[\w\-]+\.\w+)\)", image_code)
    assert match, image_code
    return Path(settings.MEDIA_ROOT) / match.group(1).removeprefix(settings.MEDIA_URL)


def error_text(response):
    assert response["Content-Type"].startswith("application/json")
    return " ".join(message for messages in response.json().values() for message in messages)


# ---------------------------------------------------------------------------
# Who may upload


def test_anonymous_upload_is_sent_to_the_admin_login_and_nothing_is_stored(client, stored_files, image_bytes):
    response = upload(client, image_bytes("PNG"))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert stored_files() == []


def test_anonymous_preview_is_refused(client):
    response = client.post(PREVIEW_URL, {"content": "**hello**"}, **AJAX)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert b"<strong>" not in response.content


def test_logged_in_reader_without_staff_status_cannot_upload(client, reader_user, stored_files, image_bytes):
    client.force_login(reader_user)

    response = upload(client, image_bytes("PNG"))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert stored_files() == []


def test_logged_in_reader_without_staff_status_cannot_preview(client, reader_user):
    client.force_login(reader_user)

    response = client.post(PREVIEW_URL, {"content": "**hello**"}, **AJAX)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert b"<strong>" not in response.content


# ---------------------------------------------------------------------------
# What staff may upload


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "WEBP", "GIF"])
def test_staff_uploads_an_image_and_gets_markdown_for_it(
    staff_client, stored_files, image_bytes, image_format
):
    data = image_bytes(image_format)

    response = upload(
        staff_client, data, name=f"photo.{EXTENSIONS[image_format]}", content_type=CONTENT_TYPES[image_format]
    )

    assert response.status_code == 200
    path = stored_path(response)
    assert path.suffix == f".{EXTENSIONS[image_format]}"
    # The upload, and the renditions made from it at once (none for a GIF).
    stem = path.name.rsplit(".", 1)[0]
    assert path in stored_files()
    assert all(file == path or file.name.startswith(f"{stem}-32w.") for file in stored_files())
    with Image.open(path) as stored:
        assert stored.format == image_format
        assert stored.size == (32, 24)


def test_gps_and_camera_exif_are_removed_from_an_uploaded_jpeg(staff_client, image_bytes):
    data = image_bytes("JPEG", exif=exif_with_gps())
    with Image.open(io.BytesIO(data)) as original:  # the test image really carries the data
        assert original.getexif().get_ifd(0x8825)
        assert original.getexif()[0x010F] == "SpyCam"

    response = upload(staff_client, data, name="holiday.jpg", content_type="image/jpeg")

    assert response.status_code == 200
    with Image.open(stored_path(response)) as stored:
        assert dict(stored.getexif()) == {}
        assert "exif" not in stored.info
    assert b"SpyCam" not in stored_path(response).read_bytes()


@pytest.mark.parametrize("image_format", ["JPEG", "GIF"])
def test_embedded_comments_are_removed_from_uploads(staff_client, image_bytes, image_format):
    data = image_bytes(image_format, comment=b"shot at 12 Acacia Avenue")

    response = upload(
        staff_client, data, name=f"a.{EXTENSIONS[image_format]}", content_type=CONTENT_TYPES[image_format]
    )

    assert response.status_code == 200
    assert b"Acacia" not in stored_path(response).read_bytes()


def test_exif_orientation_is_applied_before_the_exif_is_dropped(staff_client, image_bytes):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    data = image_bytes("JPEG", size=(40, 20), exif=exif)

    response = upload(staff_client, data, name="portrait.jpg", content_type="image/jpeg")

    with Image.open(stored_path(response)) as stored:
        assert stored.size == (20, 40)


def test_the_stored_name_follows_the_real_format_not_the_claimed_one(staff_client, image_bytes):
    response = upload(staff_client, image_bytes("PNG"), name="looks-like.jpg", content_type="image/jpeg")

    assert response.status_code == 200
    assert stored_path(response).suffix == ".png"


def test_large_body_images_are_scaled_down_to_the_maximum_edge(staff_client, settings, image_bytes):
    settings.IMAGE_UPLOAD_MAX_EDGE = 16

    response = upload(staff_client, image_bytes("PNG", size=(64, 32)))

    with Image.open(stored_path(response)) as stored:
        assert stored.size == (16, 8)


def test_a_transparent_palette_png_stays_transparent(staff_client):
    logo = Image.new("P", (20, 20), 0)
    logo.putpalette([255, 255, 255, 200, 16, 46])
    buffer = io.BytesIO()
    logo.save(buffer, "PNG", transparency=0)

    response = upload(staff_client, buffer.getvalue(), name="logo.png")

    with Image.open(stored_path(response)) as stored:
        assert stored.convert("RGBA").getpixel((0, 0))[3] == 0


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_the_colour_profile_is_kept(staff_client, image_bytes, image_format):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = image_bytes(image_format, icc_profile=profile)

    response = upload(
        staff_client, data, name=f"a.{EXTENSIONS[image_format]}", content_type=CONTENT_TYPES[image_format]
    )

    with Image.open(stored_path(response)) as stored:
        assert stored.info.get("icc_profile") == profile


def test_an_animated_gif_keeps_its_frames(staff_client):
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)

    response = upload(staff_client, buffer.getvalue(), name="spin.gif", content_type="image/gif")

    with Image.open(stored_path(response)) as stored:
        assert stored.n_frames == 3


# ---------------------------------------------------------------------------
# What is refused, always with a 400 and a message, never a 500


def test_a_text_file_sent_as_png_is_refused_with_a_message(staff_client, stored_files):
    response = upload(staff_client, b"just some notes, not a picture\n" * 20, name="notes.png")

    assert response.status_code == 400
    assert "not an image we can read" in error_text(response)
    assert stored_files() == []


@pytest.mark.parametrize(
    "svg",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10"/></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>',
    ],
    ids=["plain-svg", "svg-with-script"],
)
@pytest.mark.parametrize("content_type", ["image/svg+xml", "image/png"])
def test_svg_is_refused(staff_client, stored_files, svg, content_type):
    response = upload(staff_client, svg, name="drawing.svg", content_type=content_type)

    assert response.status_code == 400
    assert "not an image we can read" in error_text(response)
    assert stored_files() == []


def test_a_truncated_png_is_refused_as_damaged(staff_client, stored_files):
    data = noisy_png()

    response = upload(staff_client, data[: len(data) // 2], name="broken.png")

    assert response.status_code == 400
    assert "damaged or incomplete" in error_text(response)
    assert stored_files() == []


def test_garbage_after_a_png_signature_is_refused(staff_client, stored_files):
    response = upload(staff_client, b"\x89PNG\r\n\x1a\n" + os.urandom(200), name="corrupt.png")

    assert response.status_code == 400
    assert "not an image we can read" in error_text(response)
    assert stored_files() == []


def test_an_image_over_the_size_limit_is_refused_naming_the_limit(staff_client, settings, stored_files):
    settings.IMAGE_UPLOAD_MAX_BYTES = 2048
    data = noisy_png()
    assert len(data) > 2048

    response = upload(staff_client, data)

    assert response.status_code == 400
    message = error_text(response)
    assert "the limit is 2.0\xa0KB" in message or "the limit is 2.0 KB" in message
    assert stored_files() == []


def test_an_image_over_the_pixel_limit_is_refused(staff_client, settings, stored_files, image_bytes):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 500

    response = upload(staff_client, image_bytes("PNG", size=(32, 24)))

    assert response.status_code == 400
    assert "32 × 24 pixels" in error_text(response)
    assert stored_files() == []


def test_an_image_at_the_pixel_limit_is_accepted(staff_client, settings, image_bytes):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 32 * 24

    response = upload(staff_client, image_bytes("PNG", size=(32, 24)))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "image_format, content_type", [("BMP", "image/bmp"), ("TIFF", "image/tiff"), ("BMP", "image/png")]
)
def test_other_image_formats_are_not_accepted(
    staff_client, stored_files, image_bytes, image_format, content_type
):
    response = upload(staff_client, image_bytes(image_format), name="scan.png", content_type=content_type)

    assert response.status_code == 400
    assert f"{image_format} images are not accepted" in error_text(response)
    assert stored_files() == []


def test_an_upload_without_a_file_is_refused(staff_client, stored_files):
    response = staff_client.post(UPLOAD_URL, {}, **AJAX)

    assert response.status_code == 400
    assert response.json()["image"] == ["This field is required."]
    assert stored_files() == []


def test_an_upload_without_the_ajax_header_still_answers_json(staff_client, stored_files):
    response = staff_client.post(
        UPLOAD_URL, {"image": SimpleUploadedFile("notes.png", b"not an image", content_type="image/png")}
    )

    assert response.status_code == 400
    assert "not an image we can read" in error_text(response)
    assert stored_files() == []


# ---------------------------------------------------------------------------
# Covers through the Article admin form


SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def cover_file(data, name="cover.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_a_valid_cover_is_stored_without_exif(editor_client, article_form_data, image_bytes, stored_files):
    author = AuthorFactory()
    data = article_form_data(
        editor_client,
        author=author,
        cover=cover_file(image_bytes("JPEG", exif=exif_with_gps())),
        cover_alt="A silver hatchback at a charging station",
    )

    response = editor_client.post(ARTICLE_ADD_URL, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get(slug=data["slug"])
    assert article.cover.name.startswith("covers/")
    assert Path(article.cover.path).is_file()
    # The cleaned cover and the renditions made from it (tests/test_images.py), nothing else.
    made = rendition_files(article.cover_renditions)
    renditions = {Path(settings.MEDIA_ROOT) / name for name in made}
    assert set(stored_files()) == {Path(article.cover.path), *renditions}
    with Image.open(article.cover.path) as stored:
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}


@pytest.mark.parametrize(
    "data, name, content_type, message",
    [
        (b"not an image at all", "cover.jpg", "image/jpeg", "Upload a valid image."),
        (SVG_WITH_SCRIPT, "cover.svg", "image/svg+xml", "Upload a valid image."),
        (make_image_bytes("BMP"), "cover.bmp", "image/bmp", "BMP images are not accepted"),
    ],
    ids=["text", "svg", "bmp"],
)
def test_an_invalid_cover_shows_a_form_error(
    editor_client, article_form_data, stored_files, data, name, content_type, message
):
    form = article_form_data(
        editor_client,
        author=AuthorFactory(),
        cover=cover_file(data, name, content_type),
        cover_alt="Alt text",
    )

    response = editor_client.post(ARTICLE_ADD_URL, form)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors["cover"])
    assert message in response.content.decode()
    assert not Article.objects.exists()
    assert stored_files() == []


def test_an_oversized_cover_shows_the_limit(editor_client, article_form_data, settings, stored_files):
    settings.IMAGE_UPLOAD_MAX_BYTES = 2048
    form = article_form_data(
        editor_client,
        author=AuthorFactory(),
        cover=cover_file(noisy_png(), "cover.png", "image/png"),
        cover_alt="A red car",
    )

    response = editor_client.post(ARTICLE_ADD_URL, form)

    assert response.status_code == 200
    assert "the limit is 2.0" in " ".join(response.context["adminform"].form.errors["cover"])
    assert not Article.objects.exists()


def test_a_cover_needs_alt_text(editor_client, article_form_data, image_bytes, stored_files):
    form = article_form_data(
        editor_client, author=AuthorFactory(), cover=cover_file(image_bytes("JPEG")), cover_alt="   "
    )

    response = editor_client.post(ARTICLE_ADD_URL, form)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "alt text is required" in " ".join(errors["cover_alt"])
    assert not Article.objects.exists()
    # No cover is stored; the chosen file waits, kept for the next save (tests/test_writing.py).
    assert [path.parent.name for path in stored_files()] == ["kept-uploads"]


def test_a_get_to_the_upload_endpoint_is_refused_not_an_error(staff_client):
    staff_client.raise_request_exception = False

    response = staff_client.get(UPLOAD_URL)

    assert response.status_code == 405


def test_staff_who_do_not_write_cannot_upload_or_preview(client, stored_files, image_bytes):
    from django.contrib.auth.models import Group

    from tests.factories import StaffUserFactory

    reviewer = StaffUserFactory()
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    client.force_login(reviewer)
    response = upload(client, image_bytes("PNG"), name="a.png", content_type="image/png")
    assert response.status_code == 403
    assert stored_files() == []
    assert client.post(settings.MARKDOWNX_URLS_PATH, {"content": "hi"}).status_code == 403
