"""Media on S3-compatible object storage, as several nodes share them.

With AWS_STORAGE_BUCKET_NAME set, the default storage is django-storages' S3Storage: covers,
their renditions, author photos and the editor's drag-and-drop uploads are written to the
bucket and pages link them there. Here the bucket is moto's in-process fake of S3
(`mock_aws`); tests/test_nodes.py runs the same against moto's server with two app servers.
Locally (no bucket) nothing changes: the rest of the suite runs on the disk.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from moto import mock_aws

from articles.images import storage as media
from articles.images.renditions import rendition_files
from tests.conftest import make_image_bytes
from tests.factories import ArticleFactory
from tests.pictures import images_on

REPO = Path(__file__).resolve().parent.parent
BUCKET = "autotrendy-media"
BUCKET_URL = f"https://{BUCKET}.s3.amazonaws.com/"


@pytest.fixture
def bucket(settings, monkeypatch):
    """An empty bucket behind the default storage, as the S3 settings configure it."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "querystring_auth": False,
                    "file_overwrite": False,
                },
            },
        }
        yield boto3.client("s3", region_name="us-east-1")


def keys(client):
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def body(client, key):
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.core.files.storage import default_storage
from articles.images.storage import media_origin
print(json.dumps({"backend": settings.STORAGES["default"]["BACKEND"],
                  "img_src": settings.SECURE_CSP["img-src"], "media_origin": media_origin(),
                  "options": settings.STORAGES["default"].get("OPTIONS", {}),
                  "class": type(default_storage._wrapped if hasattr(default_storage, "_wrapped")
                                else default_storage).__name__}))
"""


def settings_under(**env):
    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "autotrendy.settings",
        "DJANGO_SECRET_KEY": "x" * 60,
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_bucket_media_stay_on_the_local_disk():
    assert settings_under()["backend"] == "django.core.files.storage.FileSystemStorage"


def test_a_bucket_in_the_environment_puts_media_on_object_storage():
    found = settings_under(
        AWS_STORAGE_BUCKET_NAME="magazine-media",
        AWS_S3_ENDPOINT_URL="https://objects.example",
        AWS_S3_CUSTOM_DOMAIN="media.autotrendy.example",
        AWS_S3_REGION_NAME="eu-west-1",
    )
    assert found["backend"] == "storages.backends.s3.S3Storage"
    assert found["options"]["bucket_name"] == "magazine-media"
    assert found["options"]["endpoint_url"] == "https://objects.example"
    assert found["options"]["custom_domain"] == "media.autotrendy.example"
    assert found["options"]["region_name"] == "eu-west-1"
    # Pages keep media URLs (the page cache too): plain ones, never expiring signatures;
    # and a stored file is never replaced by another upload of the same name.
    assert found["options"]["querystring_auth"] is False
    assert found["options"]["file_overwrite"] is False
    # Pages may show images from there: the Content-Security-Policy says so.
    assert found["media_origin"] == "https://media.autotrendy.example"
    assert found["media_origin"] in found["img_src"]


@pytest.mark.parametrize(
    "env",
    [
        {"AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000"},
        {"AWS_S3_ENDPOINT_URL": "https://objects.example", "AWS_S3_ADDRESSING_STYLE": "virtual"},
        {"AWS_S3_REGION_NAME": "eu-west-1"},
        {},
    ],
)
def test_the_content_security_policy_lets_pages_show_images_from_the_bucket(env):
    found = settings_under(AWS_STORAGE_BUCKET_NAME="magazine-media", **env)
    origin = found["media_origin"]
    assert origin and (
        origin in found["img_src"]
        or any(
            source.startswith(origin.split("//")[0] + "//*.") and origin.endswith(source.split("*", 1)[1])
            for source in found["img_src"]
        )
    ), (origin, found["img_src"])


def test_with_media_on_disk_images_come_from_the_site_itself():
    found = settings_under()
    assert found["media_origin"] is None
    assert found["img_src"] == ["'self'"]


@pytest.mark.django_db
def test_a_cover_and_its_renditions_are_stored_in_the_bucket_and_served_from_it(bucket, client):
    article = ArticleFactory(published=True, cover_alt="A red hatchback")
    data = make_image_bytes("JPEG", size=(2000, 1000))

    article.cover.save("cover.jpg", ContentFile(data, name="cover.jpg"))
    article.refresh_from_db()

    stored = keys(bucket)
    assert article.cover.name in stored
    assert body(bucket, article.cover.name) == data
    renditions = set(rendition_files(article.cover_renditions))
    assert len(renditions) == 6  # 480, 960 and 1600 wide, in WebP and JPEG
    assert renditions <= set(stored)

    page = client.get(article.get_absolute_url())
    (cover,) = images_on(page, "article__cover-image")
    assert cover["src"].startswith(BUCKET_URL)
    assert "X-Amz-Signature" not in cover["src"]
    for candidate in cover["srcset"].split(", "):
        url = candidate.split(" ")[0]
        assert url.startswith(BUCKET_URL)
        assert media.name_from_url(url) in stored


@pytest.mark.django_db
def test_a_body_image_uploaded_in_the_editor_goes_to_the_bucket(bucket, staff_client):
    data = make_image_bytes("PNG", size=(64, 32))
    response = staff_client.post(
        "/admin/markdownx/upload/",
        {"image": SimpleUploadedFile("diagram.png", data, content_type="image/png")},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )

    assert response.status_code == 200, response.content
    url = re.fullmatch(r"!\[\]\((\S+)\)", response.json()["image_code"]).group(1)
    assert url.startswith(BUCKET_URL + "uploads/")
    name = media.name_from_url(url)
    assert name in keys(bucket)
    assert all(key.startswith("uploads/") for key in keys(bucket))  # the file and its renditions
    assert body(bucket, name).startswith(b"\x89PNG")


@pytest.mark.django_db
def test_whole_storage_helpers_work_on_the_bucket(bucket):
    default_storage.save("covers/2026/05/a.jpg", ContentFile(b"a"))
    default_storage.save("uploads/b.png", ContentFile(b"b"))
    default_storage.save("uploads/deeper/c.png", ContentFile(b"c"))

    assert list(media.stored_names()) == ["covers/2026/05/a.jpg", "uploads/b.png", "uploads/deeper/c.png"]
    assert media.media_origin() == f"https://{BUCKET}.s3.amazonaws.com"

    # A restore puts a file back under its own name, even where one is stored already.
    media.put("uploads/b.png", ContentFile(b"restored"))
    assert body(bucket, "uploads/b.png") == b"restored"
    assert "uploads/b_" not in " ".join(keys(bucket))


def test_media_urls_map_back_to_storage_names_on_disk(settings):
    settings.SITE_ORIGIN = "https://autotrendy.example"
    assert media.url_prefix() == "/media/"
    assert media.media_origin() is None
    assert media.name_from_url("/media/uploads/a%20b.png") == "uploads/a b.png"
    assert media.name_from_url("https://autotrendy.example/media/uploads/x.png?v=1") == "uploads/x.png"
    assert media.name_from_url("https://elsewhere.example/media/uploads/x.png") is None
    assert media.name_from_url("/static/css/site.css") is None
    assert media.name_from_url("/media/") is None


@pytest.mark.django_db
def test_a_body_image_in_the_bucket_is_rendered_with_its_renditions_from_the_bucket(bucket, staff_client):
    data = make_image_bytes("PNG", size=(1200, 600))
    response = staff_client.post(
        "/admin/markdownx/upload/",
        {"image": SimpleUploadedFile("chart.png", data, content_type="image/png")},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    url = re.fullmatch(r"!\[\]\((\S+)\)", response.json()["image_code"]).group(1)

    article = ArticleFactory(published=True, body=f"Before.\n\n![A chart]({url})\n\nAfter.")

    srcset = re.search(r'<img[^>]*srcset="([^"]+)"', article.body_html)
    assert srcset, article.body_html
    candidates = [candidate.split(" ")[0] for candidate in srcset.group(1).split(", ")]
    assert any("-480w." in candidate for candidate in candidates)
    stored = keys(bucket)
    for candidate in candidates:
        assert candidate.startswith(BUCKET_URL)
        assert media.name_from_url(candidate) in stored
