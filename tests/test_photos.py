"""Photos in articles: body images with renditions, captions and credits; the cover's
caption, credit and licence (issue 11, point 1)."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from articles import pagecache
from articles.models import Article, BodyImage
from articles.rendering import render_markdown, split_caption
from tests.conftest import make_image_bytes
from tests.factories import ArticleFactory
from tests.pictures import images_on, srcset_widths
from tests.test_structured_data import json_ld, parse_page

pytestmark = pytest.mark.django_db

UPLOAD_URL = settings.MARKDOWNX_UPLOAD_URLS_PATH
AJAX = {"headers": {"X-Requested-With": "XMLHttpRequest"}}


def upload_photo(client, size=(2400, 1600)):
    """Drag a JPEG into the editor; return the Markdown the editor gets back, and the URL."""
    photo = SimpleUploadedFile("le-mans.jpg", make_image_bytes("JPEG", size=size), content_type="image/jpeg")
    response = client.post(UPLOAD_URL, {"image": photo}, **AJAX)
    assert response.status_code == 200, response.content
    url = re.fullmatch(r"!\[\]\((\S+)\)", response.json()["image_code"])[1]
    return url


def stored_body_image(name="uploads/photo.jpg", size=(2400, 1600)):
    """A body image stored the way the upload stores it (a BodyImage, renditions made on save)."""
    body_image = BodyImage()
    body_image.image.save(
        name.rsplit("/", 1)[-1], ContentFile(make_image_bytes("JPEG", size=size)), save=True
    )
    body_image.refresh_from_db()
    return body_image


def test_an_uploaded_body_image_gets_its_renditions_once_at_upload(staff_client, stored_files):
    url = upload_photo(staff_client)

    body_image = BodyImage.objects.get()
    assert body_image.image.url == url
    assert (body_image.image_width, body_image.image_height) == (2400, 1600)
    renditions = body_image.image_renditions
    assert sorted(renditions["webp"], key=int) == ["480", "960", "1600"]
    assert sorted(renditions["original"], key=int) == ["480", "960", "1600"]
    assert len(stored_files()) == 7  # the upload and six renditions, nothing made again on reading


def test_a_photo_with_a_caption_and_credit_is_a_figure_with_a_responsive_picture(client):
    photo = stored_body_image()
    article = ArticleFactory(
        published=True,
        body=(
            "The car was unveiled at the track.\n\n"
            f'![A yellow Renault 5 on the grid]({photo.image.url} "The new R5 at Le Mans — Photo: Renault Group")\n'
        ),
    )

    response = client.get(article.get_absolute_url())

    (image,) = images_on(response, "figure__image")
    assert image["alt"] == "A yellow Renault 5 on the grid"
    assert (image["width"], image["height"]) == ("2400", "1600")
    assert srcset_widths(image["srcset"]) == [480, 960, 1600]
    assert image["src"].endswith("-1600w.jpg"), (
        "browsers without srcset get the largest rendition, not 2400 px"
    )
    assert "44rem" in image["sizes"] and "100vw" in image["sizes"]
    (webp,) = image["sources"]
    assert webp["type"] == "image/webp" and srcset_widths(webp["srcset"]) == [480, 960, 1600]
    assert "title" not in image, "the caption is shown, not hidden in a tooltip"
    html = response.content.decode()
    caption = re.search(r'<figcaption class="figure__caption">(.*?)</figcaption>', html, re.DOTALL)[1]
    assert '<span class="figure__caption-text">The new R5 at Le Mans</span>' in caption
    assert '<span class="figure__credit">Photo: Renault Group</span>' in caption


def test_only_images_below_the_top_of_the_body_load_lazily(client):
    first, second = stored_body_image("uploads/one.jpg"), stored_body_image("uploads/two.jpg")
    filler = "\n\n".join(f"Paragraph {n} about the car." for n in range(6))
    article = ArticleFactory(
        published=True, body=f"![First]({first.image.url})\n\n{filler}\n\n![Second]({second.image.url})"
    )

    images = images_on(client.get(article.get_absolute_url()), "figure__image")

    assert [image["alt"] for image in images] == ["First", "Second"]
    assert "loading" not in images[0], "the image at the top of the article is on the first screen"
    assert images[1]["loading"] == "lazy"


def test_the_first_image_deep_in_the_body_loads_lazily_too():
    filler = "\n\n".join(f"Paragraph {n}." for n in range(5))
    html = render_markdown(f"{filler}\n\n![Far down](https://example.com/far.jpg)")

    assert 'loading="lazy"' in html


@pytest.mark.parametrize(
    ("title", "caption", "credit"),
    [
        ("The new R5 at Le Mans — Photo: Renault Group", "The new R5 at Le Mans", "Photo: Renault Group"),
        ("Crash test. Photos: Euro NCAP", "Crash test.", "Photos: Euro NCAP"),
        ("Photo: Jane Doe/Reuters", "", "Photo: Jane Doe/Reuters"),
        ("A caption with no credit", "A caption with no credit", ""),
        ("Photography: a caption, not a credit", "Photography: a caption, not a credit", ""),
    ],
)
def test_an_image_title_is_a_caption_and_its_end_the_credit(title, caption, credit):
    assert split_caption(title) == (caption, credit)


def test_an_image_inside_a_sentence_stays_inline_and_a_bare_image_has_no_empty_caption():
    inline = render_markdown("See ![the badge](https://example.com/badge.png) here.")
    bare = render_markdown("![A badge](https://example.com/badge.png)")

    assert "<figure" not in inline and "<img" in inline
    assert bare.startswith('<figure class="figure">') and "figcaption" not in bare


def test_an_image_of_another_site_is_not_dressed_with_renditions():
    html = render_markdown("![Elsewhere](https://example.com/photo.jpg)")

    assert "srcset" not in html and "<picture" not in html


def test_the_cover_shows_its_caption_credit_and_licence_and_json_ld_carries_them(client, settings):
    settings.SITE_ORIGIN = "https://autotrendy.example"
    article = ArticleFactory(
        published=True,
        cover_alt="A red hatchback on a wet road",
        cover_caption="The Renault 5 prototype in Paris",
        cover_credit="Renault Group",
        cover_licence="https://creativecommons.org/licenses/by/4.0/",
    )
    article.cover.save("cover.jpg", ContentFile(make_image_bytes("JPEG", size=(1200, 800)), name="cover.jpg"))

    html = client.get(article.get_absolute_url()).content.decode()
    figure = re.search(r'<figure class="article__cover.*?</figure>', html, re.DOTALL)[0]
    assert "The Renault 5 prototype in Paris" in figure
    assert '<span class="figure__credit">Photo: Renault Group</span>' in figure
    assert 'href="https://creativecommons.org/licenses/by/4.0/" rel="license"' in figure

    image = json_ld(parse_page(client, article.get_absolute_url()))["image"]
    assert image["@type"] == "ImageObject"
    assert image["caption"] == "The Renault 5 prototype in Paris"
    assert image["creditText"] == "Renault Group"
    assert image["copyrightNotice"] == "© Renault Group"
    assert image["license"] == "https://creativecommons.org/licenses/by/4.0/"


def test_a_cover_without_credit_shows_no_empty_caption(client):
    article = ArticleFactory(published=True, cover_alt="A red hatchback")
    article.cover.save("cover.jpg", ContentFile(make_image_bytes("JPEG", size=(1200, 800)), name="cover.jpg"))

    html = client.get(article.get_absolute_url()).content.decode()

    assert "article__cover-caption" not in html
    assert "creditText" not in html


def test_make_renditions_dresses_body_images_uploaded_before_renditions_existed(client, media_root):
    # An upload from before BodyImage: the file is stored, the body shows it, no row exists.
    name = "uploads/old-photo.jpg"
    path = Path(media_root) / name
    path.parent.mkdir(parents=True)
    path.write_bytes(make_image_bytes("JPEG", size=(2000, 1000)))
    article = ArticleFactory(published=True, body=f'![An old photo](/media/{name} "Old — Photo: Archive")')
    assert "srcset" not in Article.objects.get(pk=article.pk).body_html
    edition = pagecache.current_edition().token
    updated_at = Article.objects.get(pk=article.pk).updated_at

    call_command("make_renditions", verbosity=0)

    body_image = BodyImage.objects.get(image=name)
    assert (body_image.image_width, body_image.image_height) == (2000, 1000)
    (image,) = images_on(client.get(article.get_absolute_url()), "figure__image")
    assert srcset_widths(image["srcset"]) == [480, 960, 1600]
    assert (image["width"], image["height"]) == ("2000", "1000")
    assert pagecache.current_edition().token != edition, "cached pages with the old HTML are out of reach"
    assert Article.objects.get(pk=article.pk).updated_at == updated_at, "re-rendering is not an edit"


def test_feeds_carry_body_image_candidates_as_absolute_urls(client, settings):
    settings.SITE_ORIGIN = "https://autotrendy.example"
    photo = stored_body_image()
    ArticleFactory(published=True, body=f"![A photo]({photo.image.url})")

    content = client.get("/feed/rss/").content.decode()

    srcsets = re.findall(r"srcset=(?:\"|&quot;)(.*?)(?:\"|&quot;)", content)
    assert srcsets, "the feed carries the responsive image"
    for srcset in srcsets:
        for candidate in srcset.split(", "):
            assert candidate.startswith("https://autotrendy.example/media/uploads/"), candidate


def test_the_editor_help_text_documents_captions_credits_and_videos():
    help_text = Article._meta.get_field("body").help_text

    assert '"The new Renault 5 at Le Mans — Photo: Renault Group"' in help_text
    assert "YouTube or Vimeo" in help_text


def test_json_ld_of_an_article_without_cover_stays_the_default_image(client):
    article = ArticleFactory(published=True)

    data = json.loads(json.dumps(json_ld(parse_page(client, article.get_absolute_url()))))

    assert data["image"]["url"].endswith("/static/img/og-default.png")
    assert "creditText" not in data["image"]
