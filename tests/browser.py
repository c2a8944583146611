"""Real Chromium for the browser tests, through Playwright.

Debian's Chromium (/usr/bin/chromium) is used: Playwright cannot download its own
browser here. Where it is missing the tests skip with the reason, except in CI
(CI=true), where a skipped browser test is a failure.
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (setting up data) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    # This machine has no network; without these Chromium keeps trying to phone home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def require_chromium():
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (in CI a skipped browser test is a failure)")
        pytest.skip(reason)
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed: `make install`")


@pytest.fixture(scope="session")
def browser(django_db_setup):
    require_chromium()
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # The migrated data that serialized_rollback restores, kept by the test database setup
    # on this thread's connections.
    serialized = {
        alias: getattr(connections[alias], "_test_serialized_contents", None) for alias in connections
    }
    with sync_playwright() as playwright:
        # Playwright's sync API runs an event loop in this thread, so from now on Django
        # (asgiref's Local) hands the tests new connection objects: they need it too.
        for alias, contents in serialized.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name, viewport=None):
    SCREENSHOTS.mkdir(exist_ok=True)
    if viewport:
        page.set_viewport_size(viewport)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000
    return path


def screenshot_of(locator, name):
    """A screenshot of one element (a video's poster, say), beside the page screenshots."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    locator.screenshot(path=str(path))
    assert path.stat().st_size > 1000
    return path
