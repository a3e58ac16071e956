"""End-to-end fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

The browser is the machine's own (`/usr/bin/chromium`, or $CHROMIUM); Playwright never downloads
one. Without it these tests skip, unless E2E_REQUIRED is set (CI sets it): then they fail.
Screenshots of each step go to test-results/e2e/<test name>/.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The flags a root, offline, headless machine needs (see the environment notes in the README).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "e2e"


@pytest.fixture(scope="session")
def browser():
    if not (shutil.which(CHROMIUM) or os.access(CHROMIUM, os.X_OK)):
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("E2E_REQUIRED"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # shared, noisy CI machines: wait longer than 5 s

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # between browser steps are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _is_a_fault(message) -> bool:
    """The app reports its own bugs with console.error, and Chromium a failed load (a missing
    module or image). An API answer with an error status (404 for a missing order, 401) is the
    envelope the page shows in words, so it is not one."""
    if message.type != "error":
        return False
    failed_load = message.text.startswith("Failed to load resource")
    return not (failed_load and "/api/" in message.location.get("url", ""))


# The two sizes the shop is checked at: a laptop, and a phone (an iPhone 14's CSS pixels).
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


def _open_page(browser, live_server, **options):
    """A fresh context and page; yields the page, then fails on any error the page logged."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: _is_a_fault(msg) and errors.append(msg.text))
    yield page
    context.close()
    assert not errors, f"errors in the page: {errors}"


@pytest.fixture
def page(browser, live_server):
    yield from _open_page(browser, live_server, viewport={"width": 1280, "height": 900})


@pytest.fixture(params=list(VIEWPORTS))
def sized_page(request, browser, live_server):
    """The page at each of VIEWPORTS in turn (the test's id names the size)."""
    yield from _open_page(browser, live_server, **VIEWPORTS[request.param])


@pytest.fixture
def shot(request, page):
    """shot("settlement") saves test-results/e2e/<test>/NN-settlement.png (full page)."""
    folder = RESULTS / re.sub(r"[^\w.-]", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    taken = []

    def take(name: str) -> Path:
        taken.append(name)
        path = folder / f"{len(taken):02d}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take
