"""axe-core in real Chromium: no serious or critical accessibility violations on reader pages."""

import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.browser import PHONE

pytestmark = [pytest.mark.browser]

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"

PAGES = {
    "home": "/",
    "article": "/articles/renault-nissan-mitsubishi-alliance-from-start-to-future/",
    "search": "/search/?q=battery",
    "topic": "/topics/batteries/",
}


@pytest.fixture
def axe_source():
    if not AXE.exists():
        reason = "axe-core is not installed: run `npm ci` (make test does it when npm is present)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (in CI a skipped browser test is a failure)")
        pytest.skip(reason)
    return AXE.read_text()


def serious_violations(page, axe_source):
    # Evaluated by the browser's devtools protocol, which the page's CSP does not govern (an
    # injected <script> would be blocked, as any inline script is).
    page.evaluate(axe_source + "\n;true")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_reader_pages_have_no_serious_accessibility_violations(live_server, page, axe_source, name, scheme):
    """In both colour schemes (prefers-color-scheme): the launch article has a title card
    cover and the take box, so both are checked in dark mode too."""
    call_command("load_launch", verbosity=0)
    page.emulate_media(color_scheme=scheme)
    for viewport in (None, PHONE):
        if viewport:
            page.set_viewport_size(viewport)
        response = page.goto(live_server.url + PAGES[name])
        assert response.status == 200
        violations = serious_violations(page, axe_source)
        assert violations == [], f"{name} at {viewport or 'desktop'}, {scheme}:\n" + json.dumps(
            violations, indent=2
        )


@pytest.mark.django_db(transaction=True)
def test_the_dark_scheme_really_is_dark(live_server, page):
    call_command("load_launch", verbosity=0)
    backgrounds = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto(live_server.url + PAGES["article"])
        backgrounds[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert backgrounds == {"light": "rgb(255, 255, 255)", "dark": "rgb(18, 20, 24)"}


def test_the_check_itself_catches_a_bad_page(page, axe_source):
    page.set_content('<html><body><img src="x.png"><button></button><input type="text"></body></html>')
    found = {violation["id"] for violation in serious_violations(page, axe_source)}
    assert {"image-alt", "button-name"} <= found
