"""The newsroom admin: logging in, writing articles with the Markdown editor, finding them."""

import re
from datetime import UTC, datetime

import pytest
from django.conf import settings

from articles.models import Article, Author, Topic
from tests.conftest import ARTICLE_ADD_URL
from tests.factories import PASSWORD, ArticleFactory, AuthorFactory, TopicFactory, UserFactory
from tests.test_rendering import assert_safe_html

pytestmark = pytest.mark.django_db

CHANGELIST_URL = "/admin/articles/article/"


def change_url(article):
    return f"/admin/articles/article/{article.pk}/change/"


def textarea(page, name):
    """The opening tag of the textarea named `name`, as a dict of attributes."""
    match = re.search(rf'<textarea\b[^>]*\bname="{name}"[^>]*>', page)
    assert match, f"no textarea named {name}"
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(0)))


def result_titles(response):
    return [article.title for article in response.context["cl"].result_list]


# ---------------------------------------------------------------------------
# Logging in


def test_anonymous_visitor_is_sent_to_the_admin_login(client):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


def test_staff_member_logs_in_and_sees_the_newsroom(client, superuser):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": superuser.username, "password": PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/admin/"
    page = response.content.decode()
    assert f"{settings.SITE_NAME} newsroom" in page
    assert "/admin/articles/article/" in page


def test_a_reader_account_cannot_log_in_to_the_admin(client):
    reader = UserFactory()

    response = client.post("/admin/login/?next=/admin/", {"username": reader.username, "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


# ---------------------------------------------------------------------------
# Writing an article


@pytest.mark.parametrize("field", ["body", "take"])
def test_the_add_page_gives_body_and_take_the_markdown_editor(editor_client, field):
    response = editor_client.get(ARTICLE_ADD_URL)

    assert response.status_code == 200
    page = response.content.decode()
    attrs = textarea(page, field)
    assert "markdownx-editor" in attrs["class"].split()
    assert attrs["data-markdownx-urls-path"] == settings.MARKDOWNX_URLS_PATH
    assert attrs["data-markdownx-upload-urls-path"] == settings.MARKDOWNX_UPLOAD_URLS_PATH
    assert re.search(r'<script[^>]+src="[^"]*markdownx/js/markdownx(\.min)?\.js"', page)


@pytest.mark.parametrize("field", ["body", "take"])
def test_the_change_page_gives_body_and_take_the_markdown_editor(editor_client, field):
    article = ArticleFactory(body="Existing **body**", take="Existing take")

    response = editor_client.get(change_url(article))

    assert response.status_code == 200
    page = response.content.decode()
    attrs = textarea(page, field)
    assert "markdownx-editor" in attrs["class"].split()
    assert attrs["data-markdownx-urls-path"] == settings.MARKDOWNX_URLS_PATH
    assert "markdownx/js/markdownx" in page
    assert "Existing **body**" in page


def test_saving_the_add_form_creates_a_draft_with_rendered_html(editor_client, article_form_data):
    author = AuthorFactory(name="Ada Lovelace")
    topic = TopicFactory(name="Batteries")
    data = article_form_data(
        editor_client,
        author=author,
        body="# Why it matters\n\nRange goes **up**. <script>alert(1)</script>",
        take="We are *cautiously* optimistic.",
        topics=[str(topic.pk)],
    )

    response = editor_client.post(ARTICLE_ADD_URL, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    article = Article.objects.get(slug="solid-state-batteries-arrive")
    assert article.title == "Solid-state batteries arrive"
    assert article.author == author
    assert list(article.topics.all()) == [topic]
    assert article.status == Article.Status.DRAFT
    assert article.published_at is None
    assert '<h2 id="why-it-matters">Why it matters</h2>' in article.body_html
    assert "<strong>up</strong>" in article.body_html
    assert "<em>cautiously</em>" in article.take_html
    assert_safe_html(article.body_html)


def test_the_add_form_requires_title_slug_standfirst_body_and_author(editor_client):
    response = editor_client.post(ARTICLE_ADD_URL, {})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"title", "slug", "standfirst", "body", "author"} <= set(errors)
    assert not Article.objects.exists()


def test_a_duplicate_slug_is_a_form_error_not_a_crash(editor_client, article_form_data):
    ArticleFactory(slug="solid-state-batteries-arrive")

    response = editor_client.post(ARTICLE_ADD_URL, article_form_data(editor_client, author=AuthorFactory()))

    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors
    assert Article.objects.count() == 1


def test_the_slug_is_prepopulated_from_the_title(editor_client):
    response = editor_client.get(ARTICLE_ADD_URL)

    page = response.content.decode()
    assert 'id="django-admin-prepopulated-fields-constants"' in page
    assert re.search(r'<script[^>]+src="[^"]*admin/js/prepopulate(\.min)?\.js"', page)
    constants = re.search(r'data-prepopulated-fields="([^"]*)"', page).group(1)
    assert "#id_slug" in constants
    assert "#id_title" in constants


def test_created_and_updated_are_shown_but_not_editable(editor_client, edit_form_data):
    article = ArticleFactory()
    created_at, updated_at = article.created_at, article.updated_at

    page = editor_client.get(change_url(article)).content.decode()

    for field in ("created_at", "updated_at"):
        assert f'name="{field}"' not in page
        assert f"field-{field}" in page

    data = edit_form_data(
        editor_client,
        article,
        title="A new title",
        created_at="2001-01-01 00:00:00",
        updated_at="2001-01-01 00:00:00",
    )
    response = editor_client.post(change_url(article), data)

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "A new title"
    assert article.created_at == created_at
    assert article.updated_at > updated_at
    assert article.updated_at.year != 2001


# ---------------------------------------------------------------------------
# Finding articles


def test_the_changelist_shows_title_author_status_date_and_topics(editor_client):
    ArticleFactory(
        published=True,
        title="Gigafactory opens",
        author=AuthorFactory(name="Grace Hopper"),
        published_at=datetime(2025, 3, 14, 9, 0, tzinfo=UTC),
        topics=[TopicFactory(name="Batteries"), TopicFactory(name="Factories")],
    )

    response = editor_client.get(CHANGELIST_URL)

    assert response.status_code == 200
    page = response.content.decode()
    headers = [
        re.sub(r"<[^>]+>", "", header).strip()
        for header in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', page, flags=re.DOTALL)
    ]
    header_text = " | ".join(headers)
    for column in ("Title", "Author", "Status", "Publication date", "Topics"):
        assert column in header_text
    assert "Gigafactory opens" in page
    assert "Grace Hopper" in page
    assert "Published" in page
    assert "March 14, 2025" in page or "Mar. 14, 2025" in page
    assert "Batteries, Factories" in page


def test_the_changelist_filters_by_status(editor_client):
    ArticleFactory(title="A draft piece")
    ArticleFactory(title="A live piece", published=True)

    drafts = editor_client.get(CHANGELIST_URL, {"status__exact": "draft"})
    published = editor_client.get(CHANGELIST_URL, {"status__exact": "published"})

    assert result_titles(drafts) == ["A draft piece"]
    assert result_titles(published) == ["A live piece"]


def test_the_changelist_filters_by_author(editor_client):
    ada, grace = AuthorFactory(name="Ada"), AuthorFactory(name="Grace")
    ArticleFactory(title="By Ada", author=ada)
    ArticleFactory(title="By Grace", author=grace)

    response = editor_client.get(CHANGELIST_URL, {"author__id__exact": ada.pk})

    assert result_titles(response) == ["By Ada"]
    assert "Grace" in response.content.decode()  # offered as another filter choice


def test_the_changelist_filters_by_topic(editor_client):
    batteries = TopicFactory(name="Batteries")
    ArticleFactory(title="Cells", topics=[batteries])
    ArticleFactory(title="Tyres", topics=[TopicFactory(name="Tyres")])

    response = editor_client.get(CHANGELIST_URL, {"topics__id__exact": batteries.pk})

    assert result_titles(response) == ["Cells"]


@pytest.mark.parametrize(
    "term, expected", [("gigafactory", "Gigafactory opens"), ("lithium", "Cell chemistry")]
)
def test_the_changelist_search_looks_in_title_and_body(editor_client, term, expected):
    ArticleFactory(title="Gigafactory opens", body="A new plant.")
    ArticleFactory(title="Cell chemistry", body="Why lithium prices matter.")
    ArticleFactory(title="Unrelated", body="Tyres and roads.")

    response = editor_client.get(CHANGELIST_URL, {"q": term})

    assert result_titles(response) == [expected]


def test_the_changelist_has_a_date_hierarchy_on_publication_date(editor_client):
    ArticleFactory(title="Old", published=True, published_at=datetime(2023, 5, 1, tzinfo=UTC))
    ArticleFactory(title="New", published=True, published_at=datetime(2025, 5, 1, tzinfo=UTC))

    page = editor_client.get(CHANGELIST_URL).content.decode()
    year_2023 = editor_client.get(CHANGELIST_URL, {"published_at__year": "2023"})

    assert 'class="toplinks"' in page
    assert "published_at__year=2023" in page
    assert result_titles(year_2023) == ["Old"]


@pytest.mark.parametrize(
    "field_name, make, term, expected",
    [
        ("author", lambda: AuthorFactory(name="Ada Lovelace"), "lovel", "Ada Lovelace"),
        ("topics", lambda: TopicFactory(name="Batteries"), "batt", "Batteries"),
        ("related", lambda: ArticleFactory(title="Gigafactory opens"), "gigaf", "Gigafactory opens"),
    ],
)
def test_autocomplete_answers_for_author_topics_and_related(editor_client, field_name, make, term, expected):
    make()
    ArticleFactory(
        title="Something else", author=AuthorFactory(name="Zed"), topics=[TopicFactory(name="Roads")]
    )

    response = editor_client.get(
        "/admin/autocomplete/",
        {"app_label": "articles", "model_name": "article", "field_name": field_name, "term": term},
    )

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == [expected]


def test_autocomplete_is_not_open_to_anonymous_visitors(client):
    AuthorFactory(name="Ada Lovelace")

    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "articles", "model_name": "article", "field_name": "author", "term": "a"},
    )

    assert response.status_code == 302
    assert b"Ada" not in response.content


# ---------------------------------------------------------------------------
# Authors and topics


@pytest.mark.parametrize(
    "url",
    [
        "/admin/articles/author/",
        "/admin/articles/author/add/",
        "/admin/articles/topic/",
        "/admin/articles/topic/add/",
    ],
)
def test_author_and_topic_admin_pages_render(editor_client, url):
    AuthorFactory(name="Ada Lovelace")
    TopicFactory(name="Batteries")

    response = editor_client.get(url)

    assert response.status_code == 200
    if url.endswith("/author/"):
        assert "Ada Lovelace" in response.content.decode()
    if url.endswith("/topic/"):
        assert "Batteries" in response.content.decode()


def test_an_editor_adds_a_topic(editor_client):
    response = editor_client.post(
        "/admin/articles/topic/add/", {"name": "Hydrogen", "slug": "hydrogen", "description": "Fuel cells."}
    )

    assert response.status_code == 302
    assert Topic.objects.get(slug="hydrogen").name == "Hydrogen"


def test_an_editor_adds_an_author(editor_client):
    response = editor_client.post(
        "/admin/articles/author/add/", {"name": "Ada Lovelace", "slug": "ada", "bio": "Mathematician."}
    )

    assert response.status_code == 302
    assert Author.objects.get(slug="ada").name == "Ada Lovelace"


def test_a_nul_character_in_the_body_is_a_form_error_not_a_crash(editor_client, article_form_data):
    data = article_form_data(editor_client, author=AuthorFactory(), body="Range\x00goes up.")

    response = editor_client.post(ARTICLE_ADD_URL, data)

    assert response.status_code == 200
    assert "body" in response.context["adminform"].form.errors
    assert not Article.objects.exists()
