"""The one renderer: Markdown in, safe HTML out, wherever Markdown is turned into HTML."""

import html
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.management import call_command

from articles.models import Article
from articles.rendering import render_markdown, render_markdown_with_headings, table_of_contents
from tests.factories import ArticleFactory

# ---------------------------------------------------------------------------
# What an editor writes


@pytest.mark.parametrize(
    ("markdown_text", "present", "absent"),
    [
        pytest.param(
            "| Model | Range | Price |\n|:--|:-:|--:|\n| EV1 | 400 km | 30k |",
            [
                "<table>",
                '<th align="left">Model</th>',
                '<th align="center">Range</th>',
                '<td align="right">30k</td>',
            ],
            ["style="],
            id="a table keeps its column alignment as align attributes",
        ),
        pytest.param(
            "```python\nprint('<b>torque</b>')\n```",
            ['<pre><code class="language-python">', "print('&lt;b&gt;torque&lt;/b&gt;')"],
            ["<b>"],
            id="a fenced code block is shown as escaped code",
        ),
        pytest.param(
            "Sales rose.[^1]\n\n[^1]: Figures from the maker.",
            [
                '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1"',
                '<div class="footnote">',
                '<li id="fn:1">',
                "Figures from the maker.",
                'class="footnote-backref" href="#fnref:1"',
            ],
            [],
            id="footnotes link to their note and back",
        ),
        pytest.param(
            "## Battery costs\n\ntext\n\n## Battery costs\n\n### The road *ahead*",
            [
                '<h2 id="battery-costs">Battery costs</h2>',
                '<h2 id="battery-costs_1">Battery costs</h2>',
                '<h3 id="the-road-ahead">The road <em>ahead</em></h3>',
            ],
            [],
            id="headings get anchor ids and duplicates stay unique",
        ),
        pytest.param(
            "# A big heading\n\nBody.",
            ['<h2 id="a-big-heading">A big heading</h2>'],
            ["<h1"],
            id="a Markdown h1 becomes h2 because the page title is the h1",
        ),
    ],
)
def test_what_an_editor_writes_is_what_readers_get(markdown_text, present, absent):
    html_out = render_markdown(markdown_text)

    assert [fragment for fragment in present if fragment not in html_out] == []
    assert [fragment for fragment in absent if fragment in html_out] == []


def test_external_links_open_in_a_new_tab_without_opener():
    html_out = render_markdown("[Maker](https://example.com/ev) and [plain](http://example.org/)")

    links = parse_tags(html_out, "a")
    assert len(links) == 2
    for link in links:
        assert link["target"] == "_blank"
        assert link["rel"] == "noopener noreferrer"
    assert links[0]["href"] == "https://example.com/ev"


@pytest.mark.parametrize(
    "markdown_text, href",
    [
        ("[other article](/articles/batteries/)", "/articles/batteries/"),
        ("[relative](batteries/)", "batteries/"),
        ("[section](#costs)", "#costs"),
        ("[write to us](mailto:desk@example.com)", "mailto:desk@example.com"),
    ],
)
def test_internal_links_stay_in_the_tab_and_carry_a_safe_rel(markdown_text, href):
    (link,) = parse_tags(render_markdown(markdown_text), "a")

    assert link["href"] == href
    assert "target" not in link
    assert link["rel"] == "noopener noreferrer"


def test_raw_html_links_cannot_choose_their_own_target():
    (link,) = parse_tags(render_markdown('<a href="https://example.com" target="_top">x</a>'), "a")

    assert link.get("target") in (None, "_blank")
    assert link["rel"] == "noopener noreferrer"


@pytest.mark.django_db  # the renderer looks up uploaded images (none here)
def test_images_keep_src_and_alt():
    (image,) = parse_tags(render_markdown("![A red car](/media/uploads/car.png)"), "img")

    assert (image["alt"], image["src"]) == ("A red car", "/media/uploads/car.png")


def test_empty_markdown_renders_to_nothing():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


# ---------------------------------------------------------------------------
# What an attacker might write

XSS_PAYLOADS = {
    "script-tag": "<script>alert(1)</script>",
    "script-mixed-case": "<ScRiPt>alert(1)</sCrIpT>",
    "script-src": '<script src="https://evil.example/x.js"></script>',
    "script-in-paragraph": "Hello <script>alert(document.cookie)</script> world",
    "unclosed-script": "<script>alert(1)",
    "nested-script": "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "null-byte-script": "<scr\x00ipt>alert(1)</script>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "img-onerror-quoted": '<img src="x" onerror="alert(1)">',
    "img-quote-breaking": '<img src="x` `<script>alert(1)</script>"` `>',
    "img-quote-breaking-onerror": '<img src="x` `" onerror=alert(1)>',
    "img-slash-separator": "<img/src=x/onerror=alert(1)>",
    "img-srcset": '<img src="https://example.com/a.png" srcset="javascript:alert(1) 1x">',
    "svg-onload": "<svg onload=alert(1)>",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "svg-animate-href": (
        '<svg><a><animate attributeName="href" values="javascript:alert(1)"/><text y="20">x</text></a></svg>'
    ),
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "iframe-javascript": '<iframe src="javascript:alert(1)"></iframe>',
    "frameset": '<frameset><frame src="javascript:alert(1)"></frameset>',
    "object-data": '<object data="javascript:alert(1)"></object>',
    "embed": '<embed src="data:text/html,<script>alert(1)</script>">',
    "style-tag": "<style>body { background: url(javascript:alert(1)) }</style>",
    "style-attribute": '<p style="background:url(javascript:alert(1))">x</p>',
    "style-attribute-expression": '<div style="width: expression(alert(1))">x</div>',
    "md-link-javascript": "[click](javascript:alert(1))",
    "md-link-javascript-mixed-case": "[click](JaVaScRiPt:alert(1))",
    "md-link-javascript-angle-brackets": "[click](<javascript:alert(1)>)",
    "md-link-leading-space": "[click]( javascript:alert(1))",
    "md-link-entity-encoded": "[click](&#106;avascript:alert(1))",
    "md-link-hex-entity": "[click](&#x6A;avascript:alert(1))",
    "md-link-tab-in-scheme": "[click](java\tscript:alert(1))",
    "md-link-newline-entity": "[click](java&#10;script:alert(1))",
    "md-link-vbscript": "[click](vbscript:msgbox(1))",
    "md-link-data-html": "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "md-image-data-svg": "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+PC9zdmc+)",
    "md-image-javascript": "![x](javascript:alert(1))",
    "md-link-title-breakout": '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
    "md-image-title-breakout": '![x](https://example.com/a.png "t\\" onerror=\\"alert(1)")',
    "md-reference-javascript": "[click][evil]\n\n[evil]: javascript:alert(1)",
    "md-reference-entity": "[click][evil]\n\n[evil]: &#x6A;avascript:alert(1)",
    "autolink-javascript": "<javascript:alert(1)>",
    "autolink-vbscript": "<vbscript:msgbox(1)>",
    "html-link-javascript": '<a href="javascript:alert(1)">x</a>',
    "html-link-leading-spaces": '<a href="  javascript:alert(1)">x</a>',
    "html-link-control-chars": '<a href="&#1;&#2;javascript:alert(1)">x</a>',
    "html-link-entity-colon": '<a href="javascript&colon;alert(1)">x</a>',
    "html-link-tab-entity": '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "html-link-data": '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "html-link-vbscript": '<a href="VBScript:msgbox(1)">x</a>',
    "xlink-href": '<a xlink:href="javascript:alert(1)">x</a>',
    "a-onclick": '<a href="https://example.com" onclick="alert(1)">x</a>',
    "p-onmouseover": '<p onmouseover="alert(1)">hover</p>',
    "h2-onfocus-autofocus": '<h2 id="x" tabindex="1" autofocus onfocus="alert(1)">x</h2>',
    "code-onclick": '<code class="x" onclick="alert(1)">x</code>',
    "details-ontoggle": "<details open ontoggle=alert(1)><summary>s</summary>x</details>",
    "body-onload": "<body onload=alert(1)>",
    "marquee-onstart": "<marquee onstart=alert(1)>x</marquee>",
    "video-source-onerror": "<video><source onerror=alert(1)></video>",
    "audio-src-javascript": '<audio src="javascript:alert(1)"></audio>',
    "math-mxss": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "math-href": '<math href="javascript:alert(1)">click</math>',
    "math-maction": (
        '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>'
    ),
    "form-action": '<form action="javascript:alert(1)"><input type="submit"></form>',
    "button-formaction": '<button formaction="javascript:alert(1)">x</button>',
    "input-onfocus": "<input autofocus onfocus=alert(1)>",
    "textarea-breakout": "<textarea><script>alert(1)</script></textarea>",
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base-href": '<base href="https://evil.example/">',
    "link-stylesheet": '<link rel="stylesheet" href="https://evil.example/x.css">',
    "link-import": '<link rel="import" href="data:text/html,<script>alert(1)</script>">',
    "comment-conditional": "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    "comment-breakout": "<!-- --><script>alert(1)</script><!-- -->",
    "comment-in-attribute": '<!--<img src="--><img src=x onerror=alert(1)//">',
    "template": "<template><script>alert(1)</script><img src=x onerror=alert(1)></template>",
    "noscript-breakout": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "title-attribute-breakout": '<a title=\'"><script>alert(1)</script>\' href="https://example.com">x</a>',
}

FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "style",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "meta",
    "base",
    "link",
    "svg",
    "math",
    "template",
    "noscript",
    "body",
    "html",
    "head",
    "video",
    "audio",
    "source",
    "marquee",
    "animate",
}
FORBIDDEN_ATTRIBUTES = {"style", "srcdoc", "formaction", "action", "srcset", "xlink:href", "autofocus"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background", "xlink:href"}
SAFE_SCHEMES = {"http", "https", "mailto"}
_C0_CONTROLS_AND_SPACE = "".join(chr(code) for code in range(0x21))
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def parse_tags(html_text, only=None):
    """Every start tag in `html_text` as (name, attributes), or the attributes of `only` tags."""
    collector = _TagCollector()
    collector.feed(html_text)
    collector.close()
    if only:
        return [attrs for tag, attrs in collector.tags if tag == only]
    return collector.tags


def url_scheme(value):
    """The scheme a browser would see in a URL attribute, or None for a relative URL."""
    # Browsers drop tabs and newlines anywhere in a URL and trim controls and spaces.
    url = re.sub(r"[\t\n\r]", "", html.unescape(value or "")).strip(_C0_CONTROLS_AND_SPACE)
    match = _SCHEME.match(url.lower())
    return match.group(1) if match else None


def assert_safe_html(html_text):
    """No script, no event handler, no style, no dangerous tag, no unsafe URL scheme."""
    lowered = html_text.lower()
    assert "<script" not in lowered
    for tag, attrs in parse_tags(html_text):
        assert tag not in FORBIDDEN_TAGS, f"<{tag}> survived in {html_text!r}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name}= on <{tag}> in {html_text!r}"
            assert name not in FORBIDDEN_ATTRIBUTES, f"{name}= on <{tag}> in {html_text!r}"
            if name in URL_ATTRIBUTES:
                scheme = url_scheme(value)
                assert scheme is None or scheme in SAFE_SCHEMES, f"{name}={value!r} on <{tag}>"
                for bad in ("javascript:", "vbscript:", "data:"):
                    assert bad not in re.sub(r"[\t\n\r]", "", html.unescape(value or "")).lower(), (
                        f"{name}={value!r} on <{tag}>"
                    )


def test_the_corpus_is_large_enough():
    assert len(XSS_PAYLOADS) >= 30


@pytest.mark.parametrize("payload", XSS_PAYLOADS.values(), ids=XSS_PAYLOADS.keys())
def test_renderer_neutralises_xss_payload(payload):
    assert_safe_html(render_markdown(payload))


@pytest.mark.parametrize(
    "unsafe_html",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<p style="color:red">x</p>',
        '<iframe src="https://evil.example"></iframe>',
        '<img src="data:image/png;base64,AAAA">',
    ],
)
def test_the_safety_check_itself_catches_unsafe_html(unsafe_html):
    # Guards the guard: if assert_safe_html let these through, the corpus would prove nothing.
    with pytest.raises(AssertionError):
        assert_safe_html(unsafe_html)


def test_harmless_parts_of_a_payload_survive_as_text():
    html_out = render_markdown('Before <script>alert(1)</script> after <a href="javascript:x()">link</a>')

    assert html_out == '<p>Before  after <a rel="noopener noreferrer">link</a></p>'


# ---------------------------------------------------------------------------
# The same safety through the real paths


# NUL cannot be stored in PostgreSQL text, and Django's form fields refuse it before it
# could get there (ProhibitNullCharactersValidator), so those payloads are left out here.
STORABLE_PAYLOADS = {name: payload for name, payload in XSS_PAYLOADS.items() if "\x00" not in payload}


@pytest.mark.django_db
@pytest.mark.parametrize("payload", STORABLE_PAYLOADS.values(), ids=STORABLE_PAYLOADS.keys())
def test_saving_an_article_stores_sanitized_body_and_take(payload):
    article = ArticleFactory(body=f"Intro paragraph.\n\n{payload}", take=f"Our view.\n\n{payload}")

    stored = Article.objects.get(pk=article.pk)
    assert "Intro paragraph." in stored.body_html
    assert "Our view." in stored.take_html
    assert_safe_html(stored.body_html)
    assert_safe_html(stored.take_html)


@pytest.mark.django_db
@pytest.mark.parametrize("payload", XSS_PAYLOADS.values(), ids=XSS_PAYLOADS.keys())
def test_editor_preview_returns_sanitized_html(staff_client, payload):
    response = staff_client.post(settings.MARKDOWNX_URLS_PATH, {"content": f"Preview text.\n\n{payload}"})

    assert response.status_code == 200
    preview = response.content.decode()
    assert "Preview text." in preview
    assert_safe_html(preview)


@pytest.mark.django_db
def test_editor_preview_matches_what_readers_get(staff_client):
    markdown_text = "# Title\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n\n[x](https://example.com)[^n]\n\n[^n]: note"

    response = staff_client.post(settings.MARKDOWNX_URLS_PATH, {"content": markdown_text})

    assert response.content.decode() == render_markdown(markdown_text)
    assert response.content.decode() == ArticleFactory(body=markdown_text).body_html


@pytest.mark.django_db
def test_editor_preview_without_content_is_a_bad_request_not_an_error(staff_client):
    response = staff_client.post(settings.MARKDOWNX_URLS_PATH, {})

    assert response.status_code == 400


def test_headings_come_with_their_level_anchor_and_text():
    html_out, headings = render_markdown_with_headings("# Origins\n\n## Today & *now*\n\n### Detail")

    assert headings == [(2, "origins", "Origins"), (2, "today-now", "Today & now"), (3, "detail", "Detail")]
    for _level, anchor, _text in headings:
        assert f'id="{anchor}"' in html_out


def test_table_of_contents_links_each_heading_from_three_on():
    headings = [(2, "origins", "Origins"), (2, "today", "Today & <now>"), (3, "detail", "Detail")]

    assert table_of_contents(headings) == (
        '<ol class="toc__list">\n'
        '<li class="toc__item toc__item--h2"><a href="#origins">Origins</a></li>\n'
        '<li class="toc__item toc__item--h2"><a href="#today">Today &amp; &lt;now&gt;</a></li>\n'
        '<li class="toc__item toc__item--h3"><a href="#detail">Detail</a></li>\n'
        "</ol>"
    )
    assert table_of_contents(headings[:2]) == ""


# ---------------------------------------------------------------------------
# Re-rendering stored HTML


@pytest.mark.django_db
def test_rerender_articles_restores_tampered_html_without_touching_updated_at():
    article = ArticleFactory(body="# Heading\n\nSafe *text*.", take="A **take**.")
    untouched = ArticleFactory(body="Left alone.")
    expected_body, expected_take = article.body_html, article.take_html
    Article.objects.filter(pk=article.pk).update(
        body_html='<script>alert("stale")</script>', take_html="<p>old</p>", word_count=999
    )
    updated_at = Article.objects.get(pk=article.pk).updated_at
    untouched_updated_at = Article.objects.get(pk=untouched.pk).updated_at

    call_command("rerender_articles", stdout=(output := _Output()))

    article.refresh_from_db()
    assert article.body_html == expected_body
    assert article.take_html == expected_take
    assert article.word_count == 3
    assert article.updated_at == updated_at
    assert Article.objects.get(pk=untouched.pk).updated_at == untouched_updated_at
    assert "Re-rendered 2 articles; 1 changed." in output.text


@pytest.mark.django_db
def test_rerender_articles_records_links_to_articles_written_later():
    linking = ArticleFactory(body="See [the follow-up](/articles/follow-up/).")
    follow_up = ArticleFactory(slug="follow-up")
    assert list(follow_up.linked_from.all()) == []

    call_command("rerender_articles", stdout=_Output())

    assert list(follow_up.linked_from.all()) == [linking]


class _Output:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass
