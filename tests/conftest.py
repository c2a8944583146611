import io
import re
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from PIL import Image

from articles.models import Article
from articles.roles import AUTHORS, EDITORS, REVIEWERS
from tests.admin_pages import admin_url
from tests.factories import (
    PASSWORD,
    AuthorFactory,
    StaffUserFactory,
    SuperuserFactory,
    UserFactory,
    newsroom_member,
)


def pytest_configure(config):
    # WhiteNoise warns on every request that STATIC_ROOT was never collected; tests
    # never serve collected files, so the warning is noise here.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


def pytest_collection_modifyitems(items):
    """Every transactional test starts from the migrated data (serialized_rollback=True).

    A transactional test empties the database when it ends, the rows of the data
    migrations (the newsroom groups) included. Restoring them for only some tests is not
    enough: the content types that an unrestored flush recreates clash with the restored
    ones.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and "serialized_rollback" not in marker.kwargs:
            restoring = pytest.mark.django_db(*marker.args, **marker.kwargs, serialized_rollback=True)
            item.add_marker(restoring, append=False)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (and nothing kept in the process under an edition).

    The page cache's keys come from the edition row, which a test's rollback puts back:
    without this, one test could be answered with a page another test rendered.
    """
    from django.core.cache import cache

    from articles.editions import forget_kept

    cache.clear()
    forget_kept()
    yield
    cache.clear()
    forget_kept()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores uploads in its own empty folder, so "no file saved" is checkable."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def stored_files(media_root):
    """A callable listing every file under MEDIA_ROOT."""

    def list_files():
        return sorted(path for path in Path(media_root).rglob("*") if path.is_file())

    return list_files


@pytest.fixture
def staff_user(db):
    """A staff member who writes articles (in the Authors group)."""
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name=AUTHORS))
    return user


@pytest.fixture
def staff_client(client, staff_user):
    """A client logged in as a staff author: may use the editor's preview and upload."""
    client.force_login(staff_user)
    return client


@pytest.fixture
def superuser(db):
    return SuperuserFactory()


@pytest.fixture
def editor_client(client, superuser):
    """A client logged in through the admin login form, like an editor would."""
    response = client.post(
        "/admin/login/?next=/admin/", {"username": superuser.username, "password": PASSWORD}
    )
    assert response.status_code == 302, "the superuser could not log in"
    return client


@pytest.fixture
def reader_user(db):
    return UserFactory()


def make_image_bytes(image_format, *, size=(32, 24), mode="RGB", exif=None, **save_options):
    """An image in `image_format` (JPEG, PNG, WEBP, GIF, BMP, TIFF), made in memory."""
    image = Image.new(mode, size, color=(200, 30, 30) if mode == "RGB" else 128)
    buffer = io.BytesIO()
    if exif is not None:
        save_options["exif"] = exif
    image.save(buffer, image_format, **save_options)
    return buffer.getvalue()


@pytest.fixture
def image_bytes():
    return make_image_bytes


ARTICLE_ADD_URL = "/admin/articles/article/add/"


def coauthor_inline_data(*rows, initial=0):
    """The co-authors inline's POST data: its management form and a row per (author, position)."""
    prefix = "coauthor_links"
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, (author, position) in enumerate(rows):
        data[f"{prefix}-{index}-author"] = str(author.pk)
        data[f"{prefix}-{index}-position"] = str(position)
    return data


@pytest.fixture
def article_form_data(db):
    """A callable giving POST data for the Article admin form.

    Only what an editor fills in to create a draft. The status select is sent only while
    the form still has one (the review workflow makes status read-only), and then only
    as "draft"; published_at and reviewer are never sent.
    """

    def build(client, *, author, url=ARTICLE_ADD_URL, **overrides):
        data = {
            "title": "Solid-state batteries arrive",
            "slug": "solid-state-batteries-arrive",
            "standfirst": "Carmakers promise more range and faster charging.",
            "body": "# Why it matters\n\nRange goes **up**.",
            "take": "",
            "cover_alt": "",
            "author": str(author.pk),
            # The co-authors inline (ArticleAdmin.inlines), empty unless a test adds rows.
            **coauthor_inline_data(),
        }
        html = client.get(url).content.decode()
        if re.search(r'<select[^>]*\bname="status"', html):
            data["status"] = "draft"
        data.update(overrides)
        return data

    return build


@pytest.fixture
def edit_form_data(article_form_data):
    """A callable giving POST data for an edit of `article` in the Article admin: the fields of
    article_form_data with the article's author and slug, and the version its form was opened
    at (as an editor's browser sends it), then `overrides`."""

    def build(client, article, **overrides):
        return article_form_data(
            client,
            author=article.author,
            url=admin_url(article),
            slug=article.slug,
            expected_version=str(Article.objects.get(pk=article.pk).version),
            **overrides,
        )

    return build


@pytest.fixture
def newsroom(db):
    """One person per role, each with a byline; "anonymous" is None."""
    superuser = SuperuserFactory()
    AuthorFactory(user=superuser, name="Super User")
    return {
        "anonymous": None,
        "author": newsroom_member(AUTHORS),
        "other_author": newsroom_member(AUTHORS),
        "reviewer": newsroom_member(REVIEWERS),
        "editor": newsroom_member(EDITORS),
        "superuser": superuser,
    }


@pytest.fixture
def server_error_response(client, monkeypatch, db):
    """The front page when its view breaks ("the database is on fire"), as a visitor gets it."""
    from articles import views

    def broken(self):
        raise RuntimeError("the database is on fire")

    monkeypatch.setattr(views.ArticleListView, "get_queryset", broken)
    client.raise_request_exception = False
    return client.get("/")


# Real Chromium for the browser tests: one browser for the whole session, defined once here
# (two Playwright instances in one process refuse to start).
from tests.browser import browser, page  # noqa: F401
