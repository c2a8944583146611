"""Writing in the newsroom: the article form, uploads into the text, the cover, "My profile".

The story: Dana, an author, types a long headline and sees all of it; writes the body with
the preview beside it in the site's own typography (on her phone, below it); drops a photo
into the text, watches it upload, and is asked what it shows before it goes in; drops a
PDF by mistake and reads why it was refused, with her text untouched. She saves too early,
without a standfirst: her cover is kept. Then she updates her bio and photo under "My
profile", and cannot touch anyone else's byline.

The browser parts run in Chromium (tests/browser.py); screenshots go to screenshots/.
"""

import base64
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from articles.images import kept
from articles.models import Article, Author
from articles.roles import AUTHORS
from tests.browser import DESKTOP, PHONE, screenshot
from tests.conftest import ARTICLE_ADD_URL, make_image_bytes
from tests.factories import PASSWORD, AuthorFactory, newsroom_member

UPLOAD_URL = settings.MARKDOWNX_UPLOAD_URLS_PATH
MY_PROFILE_URL = "/admin/articles/author/mine/"
LONG_TITLE = (
    "Solid-state batteries, sodium cells and the long road to a cheaper electric car for "
    "every family in Europe"
)


@pytest.fixture
def author(db):
    return newsroom_member(AUTHORS, username="dana", byline="Dana Reyes")


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


def cover(name="cover.jpg"):
    return SimpleUploadedFile(name, make_image_bytes("JPEG", size=(64, 48)), content_type="image/jpeg")


# The form: wide headline and standfirst, the editor's scripts and styles


@pytest.mark.django_db
def test_headline_and_standfirst_are_wide_boxes_that_show_all_their_words(author_client):
    html = author_client.get(ARTICLE_ADD_URL).content.decode()

    assert re.search(r'<textarea name="title"[^>]*class="editor-headline"[^>]*maxlength="200"', html)
    assert re.search(r'<textarea name="standfirst"[^>]*class="editor-standfirst"[^>]*maxlength="400"', html)
    css = (Path(settings.BASE_DIR) / "static/css/editor.css").read_text()
    assert "field-sizing: content" in css
    # The editor's behaviour and layout come from static files (CSP: no inline script or style).
    assert re.search(r'<script src="/static/js/editor\.js"', html)
    assert 'href="/static/css/editor.css"' in html
    assert 'data-preview-stylesheets="/static/css/site.css /static/css/editor-preview.css"' in html
    assert not re.search(r"<script>|<style|\sstyle=\"|\son[a-z]+=", html.split("<body", 1)[1])


@pytest.mark.django_db
def test_line_breaks_typed_into_the_headline_become_spaces(author_client, author, article_form_data):
    data = article_form_data(author_client, author=author.author_profile)
    data["title"] = "Solid-state batteries\r\narrive"
    data["standfirst"] = "More range,\nfaster charging."

    response = author_client.post(ARTICLE_ADD_URL, data)

    assert response.status_code == 302
    article = Article.objects.get(slug=data["slug"])
    assert (article.title, article.standfirst) == (
        "Solid-state batteries arrive",
        "More range, faster charging.",
    )


@pytest.mark.django_db
def test_an_upload_answers_the_url_for_the_alt_text_prompt(author_client):
    image = SimpleUploadedFile("red.png", make_image_bytes("PNG"), content_type="image/png")

    response = author_client.post(
        UPLOAD_URL, {"image": image}, headers={"X-Requested-With": "XMLHttpRequest"}
    )

    url = response.json()["image_url"]
    assert re.fullmatch(r"/media/uploads/[\w-]+\.png", url)
    assert response.json()["image_code"] == f"![]({url})"


@pytest.mark.django_db
def test_a_refused_upload_answers_one_clear_reason(author_client):
    notes = SimpleUploadedFile("notes.png", b"meeting notes, not a picture", content_type="image/png")

    response = author_client.post(
        UPLOAD_URL, {"image": notes}, headers={"X-Requested-With": "XMLHttpRequest"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "image": ["This file is not an image we can read. Upload a JPEG, PNG, WebP or GIF."]
    }


# The cover survives a form error


@pytest.mark.django_db
def test_a_chosen_cover_is_kept_across_a_form_error_and_saved_with_the_article(
    author_client, author, article_form_data, stored_files
):
    data = article_form_data(author_client, author=author.author_profile)
    data.update(standfirst="", cover=cover("charging.jpg"), cover_alt="A hatchback at a charger")

    refused = author_client.post(ARTICLE_ADD_URL, data)

    assert refused.status_code == 200 and not Article.objects.exists()
    html = refused.content.decode()
    assert "Your cover “charging.jpg” is kept: it is saved when you save this form." in html
    token = re.search(r'name="cover__kept" value="([^"]+)"', html).group(1)
    kept_file = stored_files()[0]
    assert kept_file.parent.name == "kept-uploads"

    # Saved again with the standfirst, and no file chosen this time: the kept cover is used.
    data.pop("cover")
    data.update(standfirst="More range, faster charging.", cover__kept=token)
    saved = author_client.post(ARTICLE_ADD_URL, data)

    assert saved.status_code == 302, saved.content.decode()[:3000]
    article = Article.objects.get(slug=data["slug"])
    assert article.cover.name.startswith("covers/") and article.cover.name.endswith(".jpg")
    assert Path(article.cover.path).read_bytes() == kept_file.read_bytes()
    assert article.cover_width == 64 and article.cover_renditions


@pytest.mark.django_db
def test_a_new_file_or_clear_wins_over_the_kept_cover(author_client, author, article_form_data):
    data = article_form_data(author_client, author=author.author_profile)
    data.update(standfirst="", cover=cover("first.jpg"), cover_alt="A hatchback")
    token = re.search(
        r'name="cover__kept" value="([^"]+)"', author_client.post(ARTICLE_ADD_URL, data).content.decode()
    ).group(1)

    data.update(standfirst="Done.", cover=cover("second.jpg"), cover__kept=token)
    assert author_client.post(ARTICLE_ADD_URL, data).status_code == 302

    article = Article.objects.get(slug=data["slug"])
    assert Path(article.cover.name).name.startswith("second")


@pytest.mark.django_db
def test_a_tampered_or_foreign_kept_token_is_ignored(author_client, author, article_form_data, stored_files):
    data = article_form_data(author_client, author=author.author_profile)
    data.update(cover__kept="kept-uploads/../../etc/passwd:forged")

    assert author_client.post(ARTICLE_ADD_URL, data).status_code == 302
    assert not Article.objects.get(slug=data["slug"]).cover
    assert kept.restore(None) is None and kept.restore("nonsense") is None


# My profile


@pytest.mark.django_db
def test_an_author_edits_their_own_bio_and_photo_under_my_profile(author_client, author):
    home = author_client.get("/admin/").content.decode()
    assert f'href="{MY_PROFILE_URL}">My profile</a>' in home

    page = author_client.get(MY_PROFILE_URL)
    assert page.status_code == 200 and "Dana Reyes" in page.content.decode()

    photo = SimpleUploadedFile("dana.png", make_image_bytes("PNG", size=(80, 80)), content_type="image/png")
    response = author_client.post(MY_PROFILE_URL, {"bio": "Covers batteries and charging.", "photo": photo})

    assert response.status_code == 302
    profile = Author.objects.get(pk=author.author_profile.pk)
    assert profile.bio == "Covers batteries and charging."
    assert profile.photo.name.startswith("authors/") and profile.photo_width == 80
    assert profile.name == "Dana Reyes", "the name is the editors' to change"
    assert "Your profile is saved" in author_client.get(MY_PROFILE_URL).content.decode()


@pytest.mark.django_db
def test_an_author_cannot_edit_another_authors_byline(author_client, author):
    other = AuthorFactory(name="Sam Other", bio="Sam's own words.")

    change = author_client.post(
        f"/admin/articles/author/{other.pk}/change/", {"name": "Hacked", "slug": other.slug, "bio": "Hacked"}
    )
    # My profile has no id to point elsewhere: whatever is sent, it edits Dana's own row.
    author_client.post(f"{MY_PROFILE_URL}?pk={other.pk}", {"bio": "Mine.", "id": other.pk, "pk": other.pk})

    assert change.status_code == 403
    other.refresh_from_db()
    assert (other.name, other.bio) == ("Sam Other", "Sam's own words.")
    assert Author.objects.get(pk=author.author_profile.pk).bio == "Mine."


@pytest.mark.django_db
def test_a_refused_photo_says_why_and_a_good_one_is_kept_across_an_error(author_client, author):
    text = SimpleUploadedFile("dana.png", b"not a picture", content_type="image/png")
    refused = author_client.post(MY_PROFILE_URL, {"bio": "", "photo": text})
    assert refused.status_code == 200
    assert "Upload a valid image" in refused.content.decode()

    too_long = "x" * 601
    photo = SimpleUploadedFile("dana.png", make_image_bytes("PNG", size=(80, 80)), content_type="image/png")
    again = author_client.post(MY_PROFILE_URL, {"bio": too_long, "photo": photo}).content.decode()
    assert "Your photo “dana.png” is kept" in again


@pytest.mark.django_db
def test_staff_without_a_byline_are_told_so(client, db):
    user = newsroom_member(AUTHORS)
    user.author_profile.delete()
    user.refresh_from_db()
    client.force_login(user)

    page = client.get(MY_PROFILE_URL).content.decode()

    assert "You have no byline yet" in page
    assert "My profile</a>" not in client.get("/admin/").content.decode()


# In Chromium: the editor's behaviour

DROP_FILE = """([selector, name, type, b64, event]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type}));
  const target = document.querySelector(selector);
  const init = {bubbles: true, cancelable: true};
  target.dispatchEvent(event === 'paste'
    ? new ClipboardEvent('paste', {...init, clipboardData: transfer})
    : new DragEvent('drop', {...init, dataTransfer: transfer}));
}"""


def b64(data):
    return base64.b64encode(data).decode()


def drop(page, name, data, content_type="image/png", event="drop", selector="#id_body"):
    page.evaluate(DROP_FILE, [selector, name, content_type, b64(data), event])


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


@pytest.fixture
def writer(transactional_db):
    user = newsroom_member(AUTHORS, username="dana", byline="Dana Reyes")
    assert user.groups.filter(pk=Group.objects.get(name=AUTHORS).pk).exists()
    return user


def open_new_article(page, live_server, text="First paragraph.\n\nSecond paragraph."):
    page.goto(f"{live_server.url}{ARTICLE_ADD_URL}")
    page.fill("#id_body", text)
    # The caret after "First paragraph." (16 characters): where a dropped image goes.
    page.evaluate(
        "() => { const e = document.querySelector('#id_body'); e.focus(); e.setSelectionRange(16, 16); }"
    )


@pytest.fixture
def new_article(live_server, page, writer):
    """Dana, logged in, on a new article (open_new_article): where the upload tests begin."""
    log_in(page, live_server, "dana")
    open_new_article(page, live_server)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refused_upload_shows_the_servers_reason_and_leaves_the_text_alone(page, new_article):

    drop(page, "minutes.png", b"meeting minutes, not a picture\n" * 10)

    refusal = page.locator(".editor-upload--refused")
    refusal.wait_for()
    assert refusal.get_attribute("role") == "alert"
    assert "This file is not an image we can read. Upload a JPEG, PNG, WebP or GIF." in refusal.inner_text()
    assert "Nothing was added to the text" in refusal.inner_text()
    assert page.input_value("#id_body") == "First paragraph.\n\nSecond paragraph."
    assert "Invalid response" not in page.input_value("#id_body")
    # The reason sits by the editor, above it.
    box, editor = refusal.bounding_box(), page.locator("#id_body").bounding_box()
    assert box["y"] < editor["y"] and abs(box["x"] - editor["x"]) < 40
    assert list(Path(settings.MEDIA_ROOT).rglob("*.png")) == []
    screenshot(page, "writing-refused-upload")

    page.click(".editor-upload__dismiss")
    assert page.locator(".editor-upload--refused").count() == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_dropped_image_shows_progress_then_asks_for_its_alt_text(page, new_article):

    drop(page, "charger.png", make_image_bytes("PNG", size=(120, 80)))

    page.locator("dialog.editor-alt[open]").wait_for()
    upload = page.locator(".editor-upload").first
    assert upload.locator("progress").evaluate("p => [p.max, p.value]") == [100, 100]
    assert "Uploaded: describe it to insert it." in upload.inner_text()
    assert page.input_value("#id_body") == "First paragraph.\n\nSecond paragraph.", "inserted before the alt"
    # The dialog shows the uploaded image; Insert needs an alt text.
    assert page.locator("dialog.editor-alt img").get_attribute("src").startswith("/media/uploads/")
    page.click(".editor-alt__insert")
    assert page.locator("dialog.editor-alt[open]").count() == 1, "inserted with an empty alt text"
    screenshot(page, "writing-alt-prompt")

    page.fill("#editor-alt-text", "A hatchback at a [fast] charger")
    page.click(".editor-alt__insert")
    # The dialog closes, then (a task later) the image goes into the text and the list says so.
    page.locator(".editor-upload", has_text="Inserted charger.png.").wait_for()

    body = page.input_value("#id_body")
    assert re.fullmatch(
        r"First paragraph\.\n\n!\[A hatchback at a \\\[fast\\\] charger\]\(/media/uploads/[\w-]+\.png\)"
        r"\n\nSecond paragraph\.",
        body,
    ), body
    preview_image = page.locator(".markdownx-preview img")
    preview_image.wait_for()
    assert preview_image.get_attribute("alt") == "A hatchback at a [fast] charger"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_image_left_without_alt_text_is_not_inserted_and_the_author_is_told(page, new_article):

    drop(page, "pasted.png", make_image_bytes("PNG"), event="paste")
    page.locator("dialog.editor-alt[open]").wait_for()
    page.click(".editor-alt__cancel")
    page.locator(".editor-upload", has_text="was uploaded but not inserted: no alt text was given").wait_for()

    assert page.input_value("#id_body") == "First paragraph.\n\nSecond paragraph."


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_progress_is_shown_while_the_file_travels(page, new_article):
    # Hold the upload's answer back so the moment of uploading can be seen.
    held = []
    page.route(f"**{UPLOAD_URL}", lambda route: held.append(route))
    # Files dragged over the editor: it shows it will take them.
    page.evaluate(
        """() => { const t = new DataTransfer(); t.items.add(new File(['x'], 'x.png', {type: 'image/png'}));
        document.querySelector('#id_body').dispatchEvent(new DragEvent('dragenter', {dataTransfer: t, bubbles: true})); }"""
    )
    assert page.locator("div.markdownx.editor-dropzone--active").count() == 1

    drop(page, "charger.png", make_image_bytes("PNG", size=(400, 300)))

    progress = page.locator(".editor-upload progress")
    progress.wait_for()
    assert page.locator("div.markdownx.editor-dropzone--active").count() == 0
    assert "Uploading…" in page.inner_text(".editor-upload")
    assert progress.get_attribute("aria-label") == "Uploading charger.png"
    held[0].continue_()
    page.locator("dialog.editor-alt[open]").wait_for()


PREVIEW_BOX = "() => document.querySelector('.markdownx-preview').getBoundingClientRect().toJSON()"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_journey_an_author_writes_an_article_on_a_laptop_and_a_phone(live_server, page, writer):
    log_in(page, live_server, "dana")
    page.goto(f"{live_server.url}{ARTICLE_ADD_URL}")

    # The whole headline in view, across the form's width.
    page.fill("#id_title", LONG_TITLE)
    page.fill("#id_standfirst", "Cheaper cells, more range: what changes for buyers, and when.")
    title = page.locator("#id_title")
    assert title.evaluate("t => t.scrollHeight <= t.clientHeight + 1"), "the headline is cut"
    form_width = page.locator("#article_form fieldset").first.bounding_box()["width"]
    assert title.bounding_box()["width"] > 0.9 * form_width

    # The preview beside the text, in the readers' typography.
    page.fill("#id_body", "## Why it matters\n\nRange goes **up**, and the cost goes down.")
    page.locator(".markdownx-preview h2").wait_for()
    editor = page.locator("#id_body").bounding_box()
    preview = page.evaluate(PREVIEW_BOX)
    assert preview["x"] >= editor["x"] + editor["width"] - 1, "the preview is not beside the editor"
    assert abs(preview["y"] - editor["y"]) < 5
    prose = page.locator(".markdownx-preview .prose p")
    assert "Charter" in prose.evaluate("p => getComputedStyle(p).fontFamily"), "not the site's serif"
    assert page.locator(".markdownx-preview .article__title").inner_text() == LONG_TITLE
    assert page.locator(".markdownx-preview strong").inner_text() == "up"

    # A PDF dropped by mistake: the reason, and the text as it was.
    before = page.input_value("#id_body")
    drop(page, "press-release.pdf", b"%PDF-1.7 not an image", content_type="application/pdf")
    page.locator(".editor-upload--refused").wait_for()
    assert "not an image we can read" in page.inner_text(".editor-upload--refused")
    assert page.input_value("#id_body") == before
    screenshot(page, "writing-journey-1-desktop", DESKTOP)

    # On a phone the preview goes under the text.
    page.set_viewport_size(PHONE)
    editor = page.locator("#id_body").bounding_box()
    preview = page.evaluate(PREVIEW_BOX)
    assert preview["y"] >= editor["y"] + editor["height"] - 1, "the preview is not under the editor"
    assert preview["width"] <= PHONE["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"] + 1
    screenshot(page, "writing-journey-2-phone", PHONE)
    page.set_viewport_size(DESKTOP)

    # A cover, saved too early (no standfirst): the cover is kept, saved with the next save.
    page.fill("#id_standfirst", "")
    page.set_input_files(
        "#id_cover",
        files=[{"name": "cells.jpg", "mimeType": "image/jpeg", "buffer": make_image_bytes("JPEG")}],
    )
    page.fill("#id_cover_alt", "Battery cells on a lab bench")
    page.click("input[name=_continue]")
    kept_note = page.locator(".kept-upload")
    kept_note.wait_for()
    assert "Your cover “cells.jpg” is kept" in kept_note.inner_text()
    assert page.input_value("#id_title") == LONG_TITLE, "the text was lost"
    screenshot(page, "writing-journey-3-cover-kept", DESKTOP)
    page.fill("#id_standfirst", "Cheaper cells, more range: what changes for buyers, and when.")
    page.click("input[name=_continue]")
    page.locator(".messagelist .success").wait_for()
    article = Article.objects.get(title=LONG_TITLE)
    assert article.cover.name.startswith("covers/") and article.cover_alt == "Battery cells on a lab bench"

    # Her byline: bio and photo, from "My profile".
    page.click("#user-tools >> text=My profile")
    page.fill("#id_bio", "Dana Reyes covers batteries and charging.")
    page.set_input_files(
        "#id_photo",
        files=[
            {"name": "dana.png", "mimeType": "image/png", "buffer": make_image_bytes("PNG", size=(90, 90))}
        ],
    )
    page.click("input[type=submit]")
    page.locator(".messagelist .success").wait_for()
    screenshot(page, "writing-journey-4-my-profile", DESKTOP)
    profile = Author.objects.get(user=writer)
    assert profile.bio == "Dana Reyes covers batteries and charging." and profile.photo
