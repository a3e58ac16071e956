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


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The app reports its own bugs (not API refusals) with console.error; so does Chromium for a
    # failed load (a missing module or image).
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    yield page
    context.close()
    assert not errors, f"errors in the page: {errors}"


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
