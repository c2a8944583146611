"""Content-Security-Policy: every response carries it, and no page breaks it.

The browser tests open every reader page and every newsroom screen in Chromium with the real
policy, and fail on any violation the browser reports (`securitypolicyviolation` events and
"Content Security Policy" console errors). A new screen joins them by adding its URL to
READER_PAGES or ADMIN_SCREENS below.
"""

import base64
import json
import re
import time

import pytest
from django.core.management import call_command
from django.test import override_settings

from articles import views
from articles.models import Article, Author, Topic
from articles.roles import EDITORS
from tests.factories import PASSWORD, ArticleFactory, newsroom_member


def policy_of(response):
    header = response["Content-Security-Policy"]
    return {
        directive.split()[0]: directive.split()[1:] for directive in header.split(";") if directive.strip()
    }


# Headers, without a browser ----------------------------------------------------------------


@pytest.mark.django_db
def test_reader_pages_carry_a_policy_with_no_unsafe_inline_and_no_nonce(client):
    article = ArticleFactory(published=True)

    for url in ["/", article.get_absolute_url(), "/search/?q=cars", "/archive/", "/no-such-page/"]:
        response = client.get(url)
        policy = policy_of(response)
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"], url
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], url
        assert "nonce" not in response.content.decode(), url


@pytest.mark.django_db
def test_a_page_from_the_page_cache_gets_the_policy_in_force_now(client, settings):
    ArticleFactory(published=True)
    assert client.get("/")["X-Page-Cache"] == "miss"

    settings.SECURE_CSP = {**settings.SECURE_CSP, "img-src": ["'self'", "https://media.example"]}
    response = client.get("/")

    assert response["X-Page-Cache"] == "hit"
    assert policy_of(response)["img-src"] == ["'self'", "https://media.example"]


@pytest.mark.django_db
def test_a_public_page_whose_render_used_the_nonce_is_not_stored(client, monkeypatch):
    """The nonce would be replayed to every reader: such a page is rendered each time."""
    ArticleFactory(published=True)
    real_get_context_data = views.ArticleListView.get_context_data

    def using_the_nonce(self, **kwargs):
        str(self.request._csp_nonce)  # what {{ csp_nonce }} in a template does
        return real_get_context_data(self, **kwargs)

    monkeypatch.setattr(views.ArticleListView, "get_context_data", using_the_nonce)

    first, second = client.get("/"), client.get("/")

    # Not stored, not answered from the cache: rendered for each reader, with its own nonce.
    assert "X-Page-Cache" not in first and "X-Page-Cache" not in second
    nonces = [
        re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        for response in (first, second)
    ]
    assert nonces[0] != nonces[1]


@pytest.mark.django_db
def test_the_admin_gets_a_fresh_nonce_for_its_own_scripts(client):
    page = client.get("/admin/login/")

    nonce = re.search(r"'nonce-([^']+)'", policy_of(page)["script-src"][1]).group(1)
    assert f'nonce="{nonce}"' in page.content.decode()
    assert nonce not in client.get("/admin/login/")["Content-Security-Policy"]


def test_the_server_error_page_styles_are_allowed_by_its_nonce(server_error_response):
    response = server_error_response

    assert response.status_code == 500
    nonce = re.search(r"'nonce-([^']+)'", " ".join(policy_of(response)["style-src"])).group(1)
    assert f'<style nonce="{nonce}">' in response.content.decode()


def test_no_template_or_static_file_has_inline_script_style_or_handlers(settings):
    """What the policy would block, found before a browser does: inline <script> (other than
    JSON-LD data), <style> without a nonce, style="" and on...="" attributes."""
    offenders = []
    roots = [settings.BASE_DIR / "templates", settings.BASE_DIR / "static"]
    for root in roots:
        for path in root.rglob("*"):
            if path.suffix not in {".html", ".js", ".txt", ".xml"} or not path.is_file():
                continue
            text = path.read_text()
            for match in re.finditer(r"<script\b[^>]*>", text):
                tag = match.group(0)
                if "src=" not in tag and "application/ld+json" not in tag and "nonce=" not in tag:
                    offenders.append(f"{path}: {tag}")
            for match in re.finditer(r"<style\b[^>]*>", text):
                if "nonce=" not in match.group(0):
                    offenders.append(f"{path}: {match.group(0)}")
            for match in re.finditer(r"<[a-z][^>]*\s(style|on[a-z]+)\s*=", text):
                offenders.append(f"{path}: {match.group(0)}")
    assert offenders == []


# In Chromium ----------------------------------------------------------------------------------

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber} ${event.sample}`
  );
});
"""


class ViolationWatch:
    """Collects what Chromium reports as CSP violations on every page it opens."""

    def __init__(self, page):
        self.page = page
        self.console = []
        page.add_init_script(WATCH_VIOLATIONS)
        page.on("console", self._on_console)

    def _on_console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def collect(self):
        """Every violation on the page now open, and the console's since the last call."""
        self.page.wait_for_timeout(150)  # events are dispatched asynchronously
        found = self.page.evaluate("() => window.__cspViolations || []") + self.console
        self.console = []
        return found

    def visit(self, url, *, expect_status=None):
        response = self.page.goto(url)
        if expect_status is not None:
            assert response.status == expect_status, url
        else:
            assert response.ok, f"{url}: {response.status}"
        self.page.wait_for_load_state("load")
        return self.collect()


def reader_pages(base):
    """Every kind of reader page, from the launch articles (covers, links, JSON-LD)."""
    article = Article.objects.published().order_by("-published_at").first()
    topic = Topic.objects.with_published_articles().first()
    author = Author.objects.with_published_articles().first()
    month = article.published_at
    return {
        "home": f"{base}/",
        "article": f"{base}{article.get_absolute_url()}",
        "topic": f"{base}{topic.get_absolute_url()}",
        "author": f"{base}{author.get_absolute_url()}",
        "archive": f"{base}/archive/",
        "month": f"{base}/archive/{month:%Y}/{month:%m}/",
        "search": f"{base}/search/?q=battery",
        "404": f"{base}/no-such-page/",
    }


def admin_screens(base, article):
    """The newsroom journey's screens for one article. Add new admin screens here."""
    history = article.history.order_by("history_date")
    return {
        "index": f"{base}/admin/",
        "article list": f"{base}/admin/articles/article/",
        "article list, filtered": f"{base}/admin/articles/article/?status__exact=published",
        "add article": f"{base}/admin/articles/article/add/",
        "change article": f"{base}/admin/articles/article/{article.pk}/change/",
        "staff preview": f"{base}/admin/articles/article/{article.pk}/preview/",
        "history": f"{base}/admin/articles/article/{article.pk}/history/",
        "compare": (
            f"{base}/admin/articles/article/{article.pk}/history/compare/"
            f"?from={history.first().history_id}&to={history.last().history_id}"
        ),
        "restore, confirmation": (
            f"{base}/admin/articles/article/{article.pk}/history/{history.first().history_id}/restore/"
        ),
        "my profile": f"{base}/admin/articles/author/mine/",
        "review": f"{base}/admin/articles/article/{article.pk}/review/",
        "authors": f"{base}/admin/articles/author/",
        "author": f"{base}/admin/articles/author/{article.author.pk}/change/",
        "topics": f"{base}/admin/articles/topic/",
        "add topic": f"{base}/admin/articles/topic/add/",
        "password change": f"{base}/admin/password_change/",
        "two-factor setting": f"{base}/admin/two-factor/",
        "access attempts (lockouts)": f"{base}/admin/axes/accessattempt/",
        "forgotten password": f"{base}/admin/password_reset/",
    }


STATUS = {"404": 404}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_reader_page_keeps_to_the_policy(live_server, page):
    call_command("load_launch", verbosity=0)
    watch = ViolationWatch(page)

    for name, url in reader_pages(live_server.url).items():
        # Twice: rendered, then from the page cache.
        for _ in range(2):
            assert watch.visit(url, expect_status=STATUS.get(name)) == [], name

    # The article page's JSON-LD is there, without a nonce, and the browser reports nothing.
    watch.visit(reader_pages(live_server.url)["article"])
    assert page.locator('script[type="application/ld+json"]').count() == 1
    assert page.locator('script[type="application/ld+json"]').get_attribute("nonce") is None


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_video_loads_its_player_within_the_policy(live_server, page):
    """The click-to-load player (static/js/video.js) frames only what frame-src allows."""
    article = ArticleFactory(
        published=True,
        body="A drive in the new van.\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\n\nMore text.",
    )
    watch = ViolationWatch(page)
    assert watch.visit(live_server.url + article.get_absolute_url()) == []

    page.click("a.video-embed__link")
    page.wait_for_selector("iframe.video-embed__frame")

    assert watch.collect() == []
    # The same page framing anything else is reported.
    page.evaluate(
        """() => {
        const frame = document.createElement("iframe");
        frame.src = "https://www.youtube.com/embed/dQw4w9WgXcQ";
        document.body.append(frame);
    }"""
    )
    page.wait_for_timeout(500)
    assert any(violation.startswith("frame-src") for violation in watch.collect())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_watch_sees_what_the_policy_blocks(live_server, page, caplog):
    """Guards the tests above: an inline script and a style attribute are reported."""
    ArticleFactory(published=True)
    watch = ViolationWatch(page)
    assert watch.visit(live_server.url + "/") == []

    page.evaluate(
        """() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true";
        document.body.append(script);
        document.body.insertAdjacentHTML("beforeend", '<p style="color: red">styled</p>');
    }"""
    )
    violations = watch.collect()

    assert page.evaluate("() => window.injected") is None
    assert any(v.startswith("script-src") for v in violations), violations
    assert any(v.startswith("style-src") for v in violations), violations

    # The browser also reported them to the site, which logged them for the operator.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any("CSP violation: script-src" in m for m in caplog.messages):
        time.sleep(0.2)
    assert any(
        "CSP violation: script-src-elem blocked inline on " + live_server.url in m for m in caplog.messages
    ), caplog.messages


# A 1x1 PNG, as an author would drop a photo into the editor.
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763"
        "f8cfc0f00000030101009c1d6b530000000049454e44ae426082"
    )
).decode()

DROP_IMAGE = """(png) => {
  const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
  const editor = document.querySelector("#id_body");
  editor.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_newsroom_journey_keeps_to_the_policy(live_server, page, settings, tmp_path):
    call_command("load_launch", verbosity=0)
    editor = newsroom_member(EDITORS, username="erin", byline="Erin Editor")
    article = Article.objects.published().order_by("-published_at").first()
    base = live_server.url
    watch = ViolationWatch(page)

    assert watch.visit(base + "/admin/login/") == []
    page.fill("#id_username", editor.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))
    assert watch.collect() == []

    for name, url in admin_screens(base, article).items():
        assert watch.visit(url) == [], name

    # Writing: the markdownx editor's live preview and an image dropped into it.
    watch.visit(base + "/admin/articles/article/add/")
    page.fill("#id_title", "Policy-proof writing")
    page.fill("#id_standfirst", "Written under the Content-Security-Policy.")
    page.fill("#id_body", "## Heading\n\nSome **bold** text.\n\n")
    page.wait_for_selector(".markdownx-preview strong", timeout=10_000)
    page.evaluate(DROP_IMAGE, PNG)
    # The editor (static/js/editor.js) asks for the alt text, then inserts the image.
    page.locator("dialog.editor-alt[open]").wait_for()
    page.fill("#editor-alt-text", "A single red pixel")
    page.click(".editor-alt__insert")
    page.wait_for_function("() => document.querySelector('#id_body').value.includes('![A single red pixel]')")
    preview_image = page.locator(".markdownx-preview img")
    preview_image.wait_for()
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=preview_image.element_handle(), timeout=10_000
    )
    assert watch.collect() == []

    # Saving it goes to its change form with the desk; then the history of it.
    page.click("input[name=_continue]")
    page.wait_for_load_state("load")
    assert page.locator(".errorlist").count() == 0, page.locator(".errornote, .errorlist").all_inner_texts()
    page.wait_for_selector(".newsroom-desk")
    assert watch.collect() == []
    saved = Article.objects.get(title="Policy-proof writing")
    assert watch.visit(f"{base}/admin/articles/article/{saved.pk}/history/") == []

    # Logging out.
    page.click("#logout-form button")
    page.wait_for_load_state("load")
    assert watch.collect() == []


# Reports ------------------------------------------------------------------------------------


def test_a_violation_report_is_logged_for_the_operator(client, caplog):
    report = {
        "csp-report": {
            "document-uri": "https://autotrendy.example/articles/x/",
            "effective-directive": "style-src-attr",
            "blocked-uri": "inline",
            "source-file": "https://autotrendy.example/static/js/new.js",
            "line-number": 12,
        }
    }
    with caplog.at_level("WARNING", logger="autotrendy.csp"):
        response = client.post("/csp-report/", json.dumps(report), content_type="application/csp-report")

    assert response.status_code == 204
    assert caplog.messages == [
        (
            "CSP violation: style-src-attr blocked inline on https://autotrendy.example/articles/x/ "
            "(https://autotrendy.example/static/js/new.js:12)"
        )
    ]


def test_reports_in_the_reporting_api_format_are_logged_too(client, caplog):
    reports = [
        {
            "type": "csp-violation",
            "body": {
                "effectiveDirective": "script-src-elem",
                "blockedURL": "https://evil.example/x.js",
                "documentURL": "https://autotrendy.example/",
            },
        },
        {"type": "deprecation", "body": {"id": "something"}},
    ]
    with caplog.at_level("WARNING", logger="autotrendy.csp"):
        response = client.post("/csp-report/", json.dumps(reports), content_type="application/reports+json")

    assert response.status_code == 204
    assert caplog.messages == [
        "CSP violation: script-src-elem blocked https://evil.example/x.js on https://autotrendy.example/ (-:-)"
    ]


def test_the_report_endpoint_refuses_junk_without_an_error(client, caplog):
    with caplog.at_level("WARNING", logger="autotrendy.csp"):
        assert client.get("/csp-report/").status_code == 405
        assert (
            client.post("/csp-report/", "not json", content_type="application/csp-report").status_code == 400
        )
        big = json.dumps({"csp-report": {"blocked-uri": "x" * 20_000}})
        assert client.post("/csp-report/", big, content_type="application/csp-report").status_code == 413
        long_field = json.dumps({"csp-report": {"blocked-uri": "y" * 5_000}})
        assert (
            client.post("/csp-report/", long_field, content_type="application/csp-report").status_code == 204
        )
    logged = [record.getMessage() for record in caplog.records if record.name == "autotrendy.csp"]
    assert len(logged) == 1 and "y" * 200 in logged[0] and "y" * 201 not in logged[0]


@override_settings(SECURE_CSP={})
def test_without_a_policy_no_header_is_sent(client, db):
    assert "Content-Security-Policy" not in client.get("/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_factor_and_the_lockout_keep_to_the_policy(live_server, page):
    """An editor turns on two-factor codes (QR code), logs in with a code; someone guessing
    passwords meets the lockout page. Screenshots: logins-*.png."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.browser import screenshot
    from tests.test_logins import code

    editor = newsroom_member(EDITORS, username="erin", byline="Erin Editor")
    base = live_server.url
    watch = ViolationWatch(page)

    watch.visit(base + "/admin/login/")
    page.fill("#id_username", "erin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))
    page.get_by_role("link", name="Two-factor login").click()
    page.wait_for_selector(".two-factor__qr svg")
    screenshot(page, "logins-1-two-factor-setup")
    device = TOTPDevice.objects.get(user=editor)
    page.fill("#id_otp_token", code(device))
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert "Two-factor login is on" in page.locator(".messagelist").inner_text()
    assert watch.collect() == []

    page.click("#logout-form button")
    page.wait_for_load_state("load")
    watch.visit(base + "/admin/login/")
    page.fill("#id_username", "erin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/login/code/$"))
    screenshot(page, "logins-2-code-step")
    page.fill("#id_otp_token", code(device, steps_ahead=1))
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))
    assert watch.collect() == []

    page.context.clear_cookies()
    watch.visit(base + "/admin/login/")
    for _ in range(5):
        page.fill("#id_username", "erin")
        page.fill("#id_password", "not the password")
        page.click("input[type=submit]")
        page.wait_for_load_state("load")
    assert (
        "Too many failed attempts: try again in 15 minutes or ask an editor to unlock you."
        in page.inner_text("body")
    )
    screenshot(page, "logins-3-locked-out")
    assert watch.collect() == []
