"""What readers see: listings, articles, authors, topics and the error pages (search: test_search.py)."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test.utils import override_script_prefix
from django.utils import timezone

from articles.models import Article
from tests.factories import ArticleFactory, AuthorFactory, TopicFactory

pytestmark = pytest.mark.django_db

Status = Article.Status
HIDDEN_STATES = {
    "draft": {"status": Status.DRAFT},
    "in-review": {"status": Status.IN_REVIEW},
    "changes-requested": {"status": Status.CHANGES_REQUESTED},
    "approved": {"status": Status.APPROVED},
    "archived": {"status": Status.ARCHIVED},
    # Published, but scheduled for later.
    "future": {"status": Status.PUBLISHED, "published_at_offset": timedelta(days=2)},
}


def hidden_article(state, **fields):
    options = dict(HIDDEN_STATES[state])
    offset = options.pop("published_at_offset", -timedelta(days=1))
    return ArticleFactory(published_at=timezone.now() + offset, **options, **fields)


def text_of(html_text):
    """The page as a reader reads it: tags stripped, entities decoded, whitespace folded."""
    without_tags = re.sub(
        r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", html_text, flags=re.DOTALL)
    )
    return " ".join(unescape(without_tags).split())


def listed_titles(response):
    return [article.title for article in response.context["article_list"]]


def head_tag(page, pattern):
    match = re.search(pattern, page, flags=re.DOTALL | re.IGNORECASE)
    assert match, f"no match for {pattern}"
    return unescape(match.group(1))


# ---------------------------------------------------------------------------
# The home page


def test_home_lists_published_articles_newest_first_with_their_details(client):
    now = timezone.now()
    ada = AuthorFactory(name="Ada Lovelace")
    ArticleFactory(
        published=True, title="Older news", standfirst="The older one.", published_at=now - timedelta(days=3)
    )
    ArticleFactory(
        published=True,
        title="Oldest news",
        standfirst="Batteries get cheaper again.",
        author=ada,
        published_at=datetime(2025, 3, 14, 12, 0, tzinfo=UTC),
    )
    ArticleFactory(published=True, title="Middle news", published_at=now - timedelta(days=1))

    response = client.get("/")

    assert response.status_code == 200
    assert listed_titles(response) == ["Middle news", "Older news", "Oldest news"]
    text = text_of(response.content.decode())
    assert "Batteries get cheaper again." in text
    assert "Ada Lovelace" in text
    assert "March 14, 2025" in text
    assert text.index("Middle news") < text.index("Older news") < text.index("Oldest news")


def test_home_shows_ten_articles_a_page_and_the_rest_on_page_two(client):
    start = timezone.now() - timedelta(days=30)
    for day in range(11):
        ArticleFactory(published=True, title=f"Story {day:02d}", published_at=start + timedelta(days=day))

    first = client.get("/")
    second = client.get("/", {"page": 2})

    assert listed_titles(first) == [f"Story {day:02d}" for day in range(10, 0, -1)]
    assert listed_titles(second) == ["Story 00"]
    assert 'href="?page=2"' in first.content.decode()


@pytest.mark.parametrize("page", ["999", "abc", "0", "-1", "2.5"])
def test_home_page_numbers_out_of_range_or_not_numbers_are_404(client, page):
    ArticleFactory.create_batch(3, published=True)

    response = client.get("/", {"page": page})

    assert response.status_code == 404


def test_home_with_no_articles_says_so(client):
    ArticleFactory(draft=True)

    response = client.get("/")

    assert response.status_code == 200
    assert "No articles have been published yet." in response.content.decode()


@pytest.mark.parametrize("state", HIDDEN_STATES)
def test_unpublished_articles_are_not_listed_on_the_home_page(client, state):
    hidden_article(state, title="Secret piece")
    ArticleFactory(published=True, title="Public piece")

    response = client.get("/")

    assert listed_titles(response) == ["Public piece"]
    assert "Secret piece" not in response.content.decode()


# ---------------------------------------------------------------------------
# An article


@pytest.mark.parametrize("state", HIDDEN_STATES)
def test_reader_gets_404_for_an_unpublished_article(client, state):
    article = hidden_article(state)

    response = client.get(article.get_absolute_url())

    assert response.status_code == 404


def test_reader_gets_404_for_an_unknown_slug(client):
    ArticleFactory(published=True, slug="real-one")

    assert client.get("/articles/no-such-article/").status_code == 404


def test_article_page_shows_byline_review_reading_time_take_and_topics(client):
    article = ArticleFactory(
        published=True,
        title="Solid-state batteries arrive",
        standfirst="More range, faster charging.",
        body=" ".join(["word"] * 450),
        take="We think this **matters**.",
        author=AuthorFactory(name="Ada Lovelace"),
        reviewer=AuthorFactory(name="Grace Hopper"),
        published_at=datetime(2025, 3, 4, 12, 0, tzinfo=UTC),
        topics=[TopicFactory(name="Batteries"), TopicFactory(name="Technology")],
    )

    response = client.get(article.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    text = text_of(page)
    assert "<h1" in page and "Solid-state batteries arrive" in text
    assert "More range, faster charging." in text
    assert "Written by Ada Lovelace – March 04, 2025" in text
    assert "Reviewed by Grace Hopper" in text
    assert "3 min read" in text
    take_heading = f"{settings.SITE_NAME}’s take"
    assert take_heading in text
    assert text.index(take_heading) < text.index("We think this")
    assert "<strong>matters</strong>" in page
    assert 'href="/topics/batteries/"' in page
    assert 'href="/topics/technology/"' in page
    assert f'href="{article.author.get_absolute_url()}"' in page


def test_article_without_a_take_or_reviewer_shows_neither(client):
    article = ArticleFactory(published=True, take="", reviewer=None)

    text = text_of(client.get(article.get_absolute_url()).content.decode())

    assert f"{settings.SITE_NAME}’s take" not in text
    assert "Reviewed by" not in text


def test_read_more_lists_related_published_articles_but_not_related_drafts(client):
    live_related = ArticleFactory(published=True, title="A related live piece")
    draft_related = ArticleFactory(draft=True, title="A related draft piece")
    future_related = ArticleFactory(future=True, title="A related future piece")
    article = ArticleFactory(published=True, related=[live_related, draft_related, future_related])

    response = client.get(article.get_absolute_url())

    text = text_of(response.content.decode())
    assert "Read more" in text
    assert "A related live piece" in text
    assert "A related draft piece" not in text
    assert "A related future piece" not in text
    assert [related.title for related in response.context["related_articles"]] == ["A related live piece"]


def test_read_more_is_absent_without_related_articles(client):
    article = ArticleFactory(published=True, related=[ArticleFactory(draft=True)])

    assert "Read more" not in text_of(client.get(article.get_absolute_url()).content.decode())


def test_article_markup_from_editors_is_shown_safely(client):
    article = ArticleFactory(
        published=True,
        title="<script>alert('title')</script> Headline",
        standfirst='"><img src=x onerror=alert(1)>',
        body="Body text <script>alert('body')</script> [x](javascript:alert(1))",
    )

    page = client.get(article.get_absolute_url()).content.decode()

    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(" in page
    assert "onerror=alert(1)>" not in page
    assert "javascript:alert" not in page


# ---------------------------------------------------------------------------
# Authors and topics


def test_author_page_lists_only_that_authors_published_articles(client):
    ada, grace = AuthorFactory(name="Ada Lovelace"), AuthorFactory(name="Grace Hopper")
    ArticleFactory(published=True, author=ada, title="Ada live")
    ArticleFactory(draft=True, author=ada, title="Ada draft")
    ArticleFactory(future=True, author=ada, title="Ada future")
    ArticleFactory(published=True, author=grace, title="Grace live")

    response = client.get(ada.get_absolute_url())

    assert response.status_code == 200
    assert listed_titles(response) == ["Ada live"]
    assert "Ada Lovelace" in text_of(response.content.decode())


def test_topic_page_lists_only_that_topics_published_articles(client):
    batteries, tyres = TopicFactory(name="Batteries"), TopicFactory(name="Tyres")
    ArticleFactory(published=True, topics=[batteries], title="Cells live")
    ArticleFactory(draft=True, topics=[batteries], title="Cells draft")
    ArticleFactory(future=True, topics=[batteries], title="Cells future")
    ArticleFactory(published=True, topics=[tyres], title="Tyres live")

    response = client.get(batteries.get_absolute_url())

    assert response.status_code == 200
    assert listed_titles(response) == ["Cells live"]
    assert "Batteries" in text_of(response.content.decode())


@pytest.mark.parametrize("url", ["/authors/nobody/", "/topics/nothing/"])
def test_unknown_author_or_topic_is_404(client, url):
    AuthorFactory(slug="somebody")
    TopicFactory(slug="something")

    assert client.get(url).status_code == 404


def test_header_navigation_lists_only_topics_with_published_articles(client):
    ArticleFactory(published=True, topics=[TopicFactory(name="Batteries")])
    ArticleFactory(draft=True, topics=[TopicFactory(name="Secret project")])

    page = client.get("/").content.decode()
    nav = re.search(r'<nav class="site-header__nav".*?</nav>', page, flags=re.DOTALL).group(0)

    assert "Batteries" in nav
    assert "Secret project" not in page


def nav_links(page):
    nav = re.search(r'<nav class="site-header__nav".*?</nav>', page, flags=re.DOTALL).group(0)
    return re.findall(
        r'<a class="site-header__topic-link" href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav
    )


def test_header_navigation_links_each_topic_by_name_and_marks_the_one_being_read(client):
    batteries = TopicFactory(name="Batteries", slug="batteries")
    alliances = TopicFactory(name="Alliances & deals", slug="alliances")
    ArticleFactory(published=True, topics=[batteries, alliances])

    assert nav_links(client.get("/").content.decode()) == [
        ("/topics/alliances/", "", "Alliances &amp; deals"),
        ("/topics/batteries/", "", "Batteries"),
    ]
    assert nav_links(client.get("/topics/batteries/").content.decode()) == [
        ("/topics/alliances/", "", "Alliances &amp; deals"),
        ("/topics/batteries/", ' aria-current="page"', "Batteries"),
    ]


def test_header_navigation_follows_a_topic_change_at_once(client):
    # The links are written once per edition of the site (articles.templatetags.navigation):
    # a renamed topic, a topic's first article and an unpublished one each start a new edition.
    batteries = TopicFactory(name="Batteries", slug="batteries")
    article = ArticleFactory(published=True, topics=[batteries])
    assert [name for _, _, name in nav_links(client.get("/").content.decode())] == ["Batteries"]

    batteries.name = "Battery cells"
    batteries.save()
    ArticleFactory(published=True, topics=[TopicFactory(name="Hydrogen", slug="hydrogen")])
    assert [name for _, _, name in nav_links(client.get("/").content.decode())] == [
        "Battery cells",
        "Hydrogen",
    ]

    article.status = Article.Status.ARCHIVED
    article.save()
    assert [name for _, _, name in nav_links(client.get("/").content.decode())] == ["Hydrogen"]


def test_header_navigation_follows_the_script_prefix(client):
    article = ArticleFactory(published=True, topics=[TopicFactory(name="Batteries", slug="batteries")])
    client.get(article.get_absolute_url())  # the links of the bare prefix are remembered first

    with override_script_prefix("/magazine/"):
        page = client.get("/").content.decode()

    assert nav_links(page) == [("/magazine/topics/batteries/", "", "Batteries")]


# ---------------------------------------------------------------------------
# What every page has


@pytest.fixture
def site_pages():
    topic = TopicFactory(name="Batteries", slug="batteries")
    author = AuthorFactory(name="Ada Lovelace", slug="ada-lovelace")
    article = ArticleFactory(published=True, slug="gigafactory", author=author, topics=[topic])
    return {
        "home": "/",
        "article": article.get_absolute_url(),
        "author": author.get_absolute_url(),
        "topic": topic.get_absolute_url(),
        "search": "/search/?q=gigafactory",
        "not-found": "/no/such/page/",
    }


PAGES = ["home", "article", "author", "topic", "search", "not-found"]


@pytest.mark.parametrize("page_name", PAGES)
def test_no_page_shows_template_syntax_to_readers(client, site_pages, page_name):
    # A `{# ... #}` comment spanning lines is not a comment to Django: it would be printed.
    text = text_of(client.get(site_pages[page_name]).content.decode())

    assert not re.search(r"\{[#%{]|[#%}]\}", text), text


# The search page has its one search box in the page instead (tests/test_polish.py).
@pytest.mark.parametrize("page_name", [name for name in PAGES if name != "search"])
def test_every_page_has_the_search_box_in_its_header(client, site_pages, page_name):
    page = client.get(site_pages[page_name]).content.decode()

    header = re.search(r'<header class="site-header".*?</header>', page, flags=re.DOTALL)
    assert header, "no site header"
    form = re.search(r"<form\b[^>]*>.*?</form>", header.group(0), flags=re.DOTALL)
    assert form, "no form in the header"
    assert 'action="/search/"' in form.group(0)
    assert re.search(r'<input[^>]*\bname="q"', form.group(0))
    assert re.search(r'method="get"', form.group(0), flags=re.IGNORECASE)


@pytest.mark.parametrize("page_name", PAGES)
def test_every_page_has_a_title_description_and_absolute_canonical(client, settings, site_pages, page_name):
    settings.SITE_ORIGIN = "https://www.autotrendy.example"
    url = site_pages[page_name]

    page = client.get(url).content.decode()

    title = head_tag(page, r"<title>(.*?)</title>")
    assert title.strip()
    assert settings.SITE_NAME in title
    description = head_tag(page, r'<meta name="description" content="([^"]*)"')
    assert len(description.strip()) > 10
    canonical = head_tag(page, r'<link rel="canonical" href="([^"]*)"')
    assert canonical.startswith("https://www.autotrendy.example/")
    assert canonical.split("?")[0] == "https://www.autotrendy.example" + url.split("?")[0]


def test_the_article_page_describes_itself_with_its_standfirst(client):
    article = ArticleFactory(published=True, title="Gigafactory opens", standfirst="A plant in Spain & more.")

    page = client.get(article.get_absolute_url()).content.decode()

    assert head_tag(page, r"<title>(.*?)</title>").startswith("Gigafactory opens")
    assert head_tag(page, r'<meta name="description" content="([^"]*)"') == "A plant in Spain & more."


def test_page_two_has_its_own_canonical(client, settings):
    settings.SITE_ORIGIN = "https://www.autotrendy.example"
    ArticleFactory.create_batch(11, published=True)

    page = client.get("/", {"page": 2}).content.decode()

    assert head_tag(page, r'<link rel="canonical" href="([^"]*)"') == "https://www.autotrendy.example/?page=2"


# ---------------------------------------------------------------------------
# Error pages


def test_the_404_page_is_the_sites_own(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert settings.SITE_NAME in page
    assert 'class="site-header"' in page
    assert re.search(r'<form[^>]*action="/search/"', page)
    assert page.count('name="q"') >= 2  # the header's box and the page's own


def test_a_server_error_shows_the_sites_own_500_page(server_error_response):
    assert server_error_response.status_code == 500
    page = server_error_response.content.decode()
    assert "Something went wrong" in page
    assert "Auto Trendy" in page
    assert "the database is on fire" not in page
    assert "Traceback" not in page


def test_the_500_template_renders_standalone_without_any_context():
    page = render_to_string("500.html")

    assert "<title>" in page and "Something went wrong" in page
    assert "{%" not in page and "{{" not in page
    assert "{% extends" not in (settings.BASE_DIR / "templates" / "500.html").read_text()


def test_header_and_footer_links_follow_the_sites_script_prefix(client):
    """The site served under a path (SCRIPT_NAME, behind a proxy): every link starts with it."""
    article = ArticleFactory(published=True, topics=[TopicFactory(name="Batteries")])
    for prefix in ("/", "/magazine/", "/"):
        with override_script_prefix(prefix):
            html = client.get(article.get_absolute_url()).content.decode()
        links = re.findall(r'(?:href|action)="(/[^"]*)"', html)
        expected = {f"{prefix}{path}" for path in ("", "search/", "archive/", "feed/rss/", "feed/atom/")}
        assert expected <= set(links), prefix
