"""Responsive images: renditions of covers and author photos, and how pages serve them.

Renditions are made once, when a new file is stored (articles.signals), at the widths
of RENDITION_WIDTHS below the image's own, in WebP and in the original format; pages
serve them through `{% responsive_image %}` as a <picture> with `srcset`, `sizes`, the
intrinsic width and height, and lazy loading below the fold. The launch covers are
tested with the launch content, in test_fixtures.py.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image, ImageCms

from articles.images.encoding import FORMATS
from articles.images.renditions import rendition_files
from articles.models import Article, Author
from tests.admin_pages import admin_url
from tests.conftest import ARTICLE_ADD_URL, make_image_bytes
from tests.factories import ArticleFactory, AuthorFactory, TopicFactory
from tests.pictures import images_on, srcset_widths

pytestmark = pytest.mark.django_db


def media_path(name):
    return Path(settings.MEDIA_ROOT) / name


def image_file(image_format="JPEG", size=(2000, 1000), name=None):
    content_type, extension = FORMATS[image_format]
    return SimpleUploadedFile(
        name or f"cover.{extension}", make_image_bytes(image_format, size=size), content_type=content_type
    )


def published_with_cover(image_format="JPEG", size=(2000, 1000), *, save_options=None, **fields):
    """A published article whose cover was stored by a plain model save (not cleaned as an upload)."""
    fields.setdefault("cover_alt", "A red hatchback on a wet road")
    article = ArticleFactory(published=True, **fields)
    name = f"cover.{FORMATS[image_format][1]}"
    data = make_image_bytes(image_format, size=size, **(save_options or {}))
    # A named ContentFile: Django reads the width and height only from a file with a name.
    article.cover.save(name, ContentFile(data, name=name))
    article.refresh_from_db()
    return article


def read(name):
    with Image.open(media_path(name)) as stored:
        return stored.format, stored.size


# ---------------------------------------------------------------------------
# Making renditions


def test_a_cover_uploaded_in_the_admin_gets_renditions_in_webp_and_its_own_format(
    editor_client, article_form_data
):
    data = article_form_data(
        editor_client,
        author=AuthorFactory(),
        cover=image_file("JPEG", (2000, 1000)),
        cover_alt="A red hatchback",
    )

    response = editor_client.post(ARTICLE_ADD_URL, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get(slug=data["slug"])
    renditions = article.cover_renditions
    assert renditions["source"] == article.cover.name
    assert list(renditions["webp"]) == list(renditions["original"]) == ["480", "960", "1600"]
    for key, image_format in (("webp", "WEBP"), ("original", "JPEG")):
        for width, name in renditions[key].items():
            assert name.startswith("covers/") and name != article.cover.name
            assert read(name) == (image_format, (int(width), int(width) // 2))
    # Stored next to the cover.
    assert {media_path(name).parent for name in rendition_files(renditions)} == {
        media_path(article.cover.name).parent
    }


def test_an_image_narrower_than_the_largest_width_appears_at_its_own_width_too():
    article = published_with_cover("PNG", size=(1200, 600))

    renditions = article.cover_renditions

    assert list(renditions["webp"]) == list(renditions["original"]) == ["480", "960", "1200"]
    # At its own width, the original format is the stored file itself; WebP is a copy.
    assert renditions["original"]["1200"] == article.cover.name
    assert read(renditions["webp"]["1200"]) == ("WEBP", (1200, 600))
    assert read(renditions["original"]["480"]) == ("PNG", (480, 240))


def test_small_images_are_never_scaled_up():
    article = published_with_cover("JPEG", size=(300, 200))

    renditions = article.cover_renditions

    assert renditions["original"] == {"300": article.cover.name}
    assert list(renditions["webp"]) == ["300"]
    assert read(renditions["webp"]["300"]) == ("WEBP", (300, 200))


def test_a_webp_cover_needs_no_second_webp_set():
    article = published_with_cover("WEBP", size=(1000, 500))

    renditions = article.cover_renditions

    assert "webp" not in renditions
    assert list(renditions["original"]) == ["480", "960", "1000"]
    assert read(renditions["original"]["480"]) == ("WEBP", (480, 240))


def test_renditions_keep_the_colour_profile_and_no_other_metadata():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    article = published_with_cover(
        "JPEG", size=(1000, 500), save_options={"icc_profile": profile, "exif": exif, "comment": b"At home"}
    )

    for name in rendition_files(article.cover_renditions):
        with Image.open(media_path(name)) as rendition:
            assert rendition.info.get("icc_profile") == profile, name
            assert not {"exif", "comment"} & set(rendition.info), name
        assert b"SpyCam" not in media_path(name).read_bytes()


def test_a_gif_is_served_as_stored_without_renditions():
    article = published_with_cover("GIF", size=(800, 400))

    assert article.cover_renditions == {"source": article.cover.name}


def test_a_file_pillow_cannot_read_gets_no_renditions_and_no_error(caplog):
    article = ArticleFactory(published=True, cover_alt="Broken")
    article.cover.save("cover.jpg", ContentFile(b"not an image", name="cover.jpg"))

    article.refresh_from_db()
    assert article.cover_renditions == {"source": article.cover.name}
    assert "Pillow cannot read it" in caplog.text


def test_renditions_are_made_once_not_on_every_save(monkeypatch, editor_client, edit_form_data):
    article = published_with_cover("JPEG", size=(2000, 1000))
    files = sorted(media_path(name) for name in rendition_files(article.cover_renditions))
    mtimes = [path.stat().st_mtime_ns for path in files]
    calls = []
    monkeypatch.setattr(
        "articles.images.renditions.make_renditions", lambda field_file: calls.append(field_file.name)
    )

    article.title = "A new title"
    article.save()
    # And an edit in the admin that keeps the cover (and saves the live article: not its
    # words, which would wait in a correction, but the cover's text).
    data = edit_form_data(
        editor_client, article, title="A new title", cover_alt="Another description of the cover"
    )
    response = editor_client.post(admin_url(article), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Article.objects.get(pk=article.pk).cover_alt == "Another description of the cover"
    assert calls == []
    assert [path.stat().st_mtime_ns for path in files] == mtimes
    assert Article.objects.get(pk=article.pk).cover_renditions == article.cover_renditions


def test_a_new_cover_replaces_the_old_renditions(stored_files):
    article = published_with_cover("JPEG", size=(2000, 1000))
    old = rendition_files(article.cover_renditions)

    article.cover.save("new-cover.png", ContentFile(make_image_bytes("PNG", size=(1000, 500)), name="n.png"))

    article.refresh_from_db()
    assert article.cover_renditions["source"] == article.cover.name
    assert read(article.cover_renditions["original"]["480"]) == ("PNG", (480, 240))
    assert not any(media_path(name).exists() for name in old)


def test_removing_the_cover_removes_its_renditions():
    article = published_with_cover("JPEG", size=(2000, 1000))
    files = rendition_files(article.cover_renditions)

    article.cover = ""
    article.cover_alt = ""
    article.save()

    assert Article.objects.get(pk=article.pk).cover_renditions == {}
    assert not any(media_path(name).exists() for name in files)


def test_an_author_photo_gets_renditions(editor_client):
    response = editor_client.post(
        "/admin/articles/author/add/",
        {
            "name": "Ada Lovelace",
            "slug": "ada-lovelace",
            "bio": "",
            "photo": image_file("JPEG", (1000, 1000), "ada.jpg"),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    author = Author.objects.get(slug="ada-lovelace")
    assert (author.photo_width, author.photo_height) == (1000, 1000)
    assert list(author.photo_renditions["webp"]) == ["480", "960", "1000"]
    assert read(author.photo_renditions["original"]["480"]) == ("JPEG", (480, 480))
    assert author.photo_renditions["original"]["1000"] == author.photo.name


# ---------------------------------------------------------------------------
# manage.py make_renditions


def test_make_renditions_rebuilds_deleted_files(capsys):
    article = published_with_cover("JPEG", size=(2000, 1000))
    author = AuthorFactory()
    author.photo.save("photo.png", ContentFile(make_image_bytes("PNG", size=(600, 600)), name="photo.png"))
    files = [media_path(name) for name in rendition_files(article.cover_renditions)]
    for path in files:
        path.unlink()

    call_command("make_renditions")

    assert all(path.exists() for path in files)
    assert Article.objects.get(pk=article.pk).cover_renditions == article.cover_renditions
    output = capsys.readouterr().out
    assert "covers: 1 made" in output and "author photos: 1 made" in output


def test_make_renditions_reports_a_missing_file_and_carries_on(capsys):
    lost = published_with_cover("JPEG", size=(2000, 1000), title="Lost cover")
    kept = published_with_cover("JPEG", size=(1200, 600), title="Kept cover")
    media_path(lost.cover.name).unlink()

    call_command("make_renditions")

    captured = capsys.readouterr()
    assert f"Missing file: {lost.cover.name}" in captured.err and "Lost cover" in captured.err
    assert "covers: 1 made, 1 files missing" in captured.out
    assert all(media_path(name).exists() for name in rendition_files(kept.cover_renditions))


def test_make_renditions_missing_only_fills_the_gaps(monkeypatch, capsys):
    article = published_with_cover("JPEG", size=(2000, 1000))
    published_with_cover("JPEG", size=(1200, 600))
    media_path(article.cover_renditions["webp"]["960"]).unlink()

    call_command("make_renditions", "--missing")

    assert media_path(article.cover_renditions["webp"]["960"]).exists()
    assert "covers: 1 made, 1 up to date" in capsys.readouterr().out


# ---------------------------------------------------------------------------
# What pages serve


def test_the_article_cover_is_a_picture_with_srcset_sizes_and_dimensions_and_loads_at_once(client):
    article = published_with_cover("JPEG", size=(2000, 1000))

    (img,) = images_on(client.get(article.get_absolute_url()), "article__cover-image")

    assert img["alt"] == "A red hatchback on a wet road"
    assert (img["width"], img["height"]) == ("2000", "1000")
    assert srcset_widths(img["srcset"]) == [480, 960, 1600]
    assert img["sizes"] and "64rem" in img["sizes"]
    assert img["src"] == settings.MEDIA_URL + article.cover_renditions["original"]["1600"]
    assert "loading" not in img and img["fetchpriority"] == "high"
    (source,) = img["sources"]
    assert source["type"] == "image/webp"
    assert srcset_widths(source["srcset"]) == [480, 960, 1600]
    assert ".webp 480w" in source["srcset"] and source["sizes"] == img["sizes"]


def test_cards_are_lazy_except_the_lead_card_at_the_top_of_the_home_page(client):
    topic = TopicFactory()
    for days in (1, 2, 3):
        article = published_with_cover("JPEG", size=(1200, 600), title=f"Story {days}")
        Article.objects.filter(pk=article.pk).update(published_at=timezone.now() - timedelta(days=days))
        article.topics.add(topic)

    home = images_on(client.get("/"), "article-card__image")
    topic_page = images_on(client.get(topic.get_absolute_url()), "article-card__image")

    assert len(home) == len(topic_page) == 3
    lead, *others = home
    assert "loading" not in lead and lead["fetchpriority"] == "high"
    for img in [*others, *topic_page]:
        assert img["loading"] == "lazy" and "fetchpriority" not in img
    for img in home + topic_page:
        assert (img["width"], img["height"]) == ("1200", "600")
        assert srcset_widths(img["srcset"]) == [480, 960, 1200]
        assert srcset_widths(img["sources"][0]["srcset"]) == [480, 960, 1200]
        assert img["sizes"] and img["alt"] == "A red hatchback on a wet road"
    assert lead["sizes"] != others[0]["sizes"], "the lead card is wider than the others"


def test_a_cover_without_renditions_is_served_as_stored(client):
    article = published_with_cover("GIF", size=(800, 400))

    (img,) = images_on(client.get(article.get_absolute_url()), "article__cover-image")

    assert img["src"] == article.cover.url
    assert "srcset" not in img and img["sources"] == []
    assert (img["width"], img["height"]) == ("800", "400")


def test_renditions_of_another_file_are_not_served(client):
    """E.g. a cover set in the shell and saved with update(): the page must not show the old image."""
    article = published_with_cover("JPEG", size=(2000, 1000))
    other = ContentFile(make_image_bytes("JPEG", size=(900, 450)), name="other.jpg")
    name = article.cover.storage.save("covers/other.jpg", other)
    Article.objects.filter(pk=article.pk).update(cover=name, cover_width=900, cover_height=450)

    (img,) = images_on(client.get(article.get_absolute_url()), "article__cover-image")

    assert img["src"] == settings.MEDIA_URL + name
    assert "srcset" not in img


def test_the_author_photo_is_served_with_its_renditions(client):
    author = AuthorFactory()
    author.photo.save("photo.jpg", ContentFile(make_image_bytes("JPEG", size=(800, 800)), name="photo.jpg"))

    (img,) = images_on(client.get(author.get_absolute_url()), "profile__photo")

    assert (img["width"], img["height"]) == ("800", "800")
    assert srcset_widths(img["srcset"]) == [480, 800]
    assert srcset_widths(img["sources"][0]["srcset"]) == [480, 800]
    assert img["sizes"] and img["alt"] == ""
    assert "loading" not in img


@pytest.mark.parametrize("media_url", ["/media/", "https://media.example.com/files/"])
def test_image_urls_are_the_ones_the_storage_gives(settings, media_url):
    from django.core.files.storage import default_storage

    from articles.images.storage import file_url

    settings.MEDIA_URL = media_url
    names = [
        "covers/plain.jpg",
        "covers/with space.jpg",
        "covers/ünïcödé ©.webp",
        "covers/a;b?c#d&e=f.jpg",
        "covers/percent%20already.jpg",
        "renditions/2026/01/x-640w.avif",
    ]
    for name in names:
        assert file_url(default_storage, name) == default_storage.url(name), name
