"""Listing cards (articles.templatetags.cards) and the quick HTML writers they use
(articles.markup): what editors type is shown as text on every listing, however it is written."""

import pytest
from django.utils import html as django_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from articles import markup
from articles.models import ArticleCoauthor
from tests.factories import ArticleFactory, AuthorFactory, TopicFactory

HOSTILE = "<script>alert('x')</script> & \"quoted\" 'single' > <"


@pytest.mark.parametrize(
    "value",
    [
        HOSTILE,
        mark_safe("<mark>already safe</mark> & kept"),
        gettext_lazy("A lazy <string> & more"),
        42,
        None,
        "",
        "plain text",
        "émigré — « guillemets » ünïcode",
    ],
)
def test_the_quick_writers_give_what_djangos_give(value):
    assert markup.escape(value) == django_html.conditional_escape(value)
    template = '<a title="{}">{}</a>'
    written = markup.format_html(template, value, value)

    assert written == django_html.format_html(template, value, value)
    assert isinstance(written, SafeString)


@pytest.mark.django_db
def test_every_listing_shows_what_editors_type_as_text(client):
    topic = TopicFactory(name="Bolts <b>& nuts</b>", slug="bolts")
    author = AuthorFactory(name="<i>Ann</i> & Co", slug="ann")
    reader = ArticleFactory(published=True, topics=[topic])
    hostile = ArticleFactory(
        published=True,
        title=f"Battery {HOSTILE}",
        standfirst=f"Standfirst {HOSTILE}",
        body=f"It [links]({reader.get_absolute_url()}) to the reader's article.",
        author=author,
        topics=[topic],
    )
    ArticleCoauthor.objects.create(article=hostile, author=AuthorFactory(name="Bob <u>Two</u>"), position=1)
    reader.related.add(hostile)

    pages = {
        "home": "/",
        "topic": topic.get_absolute_url(),
        "author": author.get_absolute_url(),
        "month": hostile.published_at.strftime("/archive/%Y/%m/"),
        "search": "/search/?q=Battery",
        "read more and linked from": reader.get_absolute_url(),
    }
    for name, url in pages.items():
        page = client.get(url).content.decode()
        assert "Battery &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in page, (
            name
        )
        assert "<script>alert(" not in page, name
        assert "<i>Ann</i>" not in page and "<u>Two</u>" not in page and "<b>& nuts</b>" not in page, name
    reader_page = client.get(reader.get_absolute_url()).content.decode()
    for section in ('id="linked-from-heading"', 'id="related-heading"'):  # "Linked from", "Read more"
        assert "Battery &lt;script&gt;" in reader_page.split(section, 1)[1].split("</aside>", 1)[0]
    home = client.get("/").content.decode()
    assert "&lt;i&gt;Ann&lt;/i&gt; &amp; Co" in home  # the byline
    assert "Bolts &lt;b&gt;&amp; nuts&lt;/b&gt;" in home  # the kicker
