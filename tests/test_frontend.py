"""The single-page shop's one HTML page at / and its static files."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from utils.errors import REGISTRY, Codes


def test_the_shop_page_is_served_at_the_root_and_never_cached(client, settings):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "no-cache" in response["Cache-Control"]
    page = response.content.decode()
    assert 'type="module"' in page and "frontend/js/main.js" in page


def test_the_shop_page_allows_scripts_from_this_site_only(client):
    policy = client.get("/")["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    assert "script-src" not in policy  # falls back to default-src 'self': no inline script


@pytest.mark.parametrize("debug, shown", [(True, True), (False, False)])
def test_the_demo_accounts_hint_is_only_offered_with_debug(client, settings, debug, shown):
    settings.DEBUG = debug
    assert ('data-demo="1"' in client.get("/").content.decode()) is shown


def test_the_shop_page_only_answers_reads(client):
    assert client.post("/").status_code == 405


def test_unknown_api_urls_still_answer_the_envelope_not_the_shop(client):
    response = client.get("/api/nothing-here/")
    assert response.status_code == 404
    assert response.json()["code"] == 1006


@pytest.mark.parametrize(
    "path",
    [
        "frontend/app.css",
        "frontend/js/main.js",
        "frontend/js/api.js",
        "frontend/js/money.js",
        "frontend/js/views/settlement.js",
        "demo/course_1.svg",
    ],
)
def test_the_static_files_the_page_needs_exist(path):
    assert finders.find(path), path


def _shop_messages() -> dict[int, str]:
    """The codes messages.js words, read from its MESSAGES table (`1001: "…",`)."""
    found = finders.find("frontend/js/messages.js")
    assert isinstance(found, str), "messages.js is not among the static files"
    source = Path(found).read_text(encoding="utf-8")
    table = source.split("const MESSAGES = {", 1)[1].split("};", 1)[0]
    return {int(code): text for code, text in re.findall(r'^\s*(\d{4}): "([^"]+)",', table, re.M)}


def test_the_shop_has_words_for_every_code_of_the_registry():
    worded = _shop_messages()
    missing = sorted(code for code in REGISTRY if code != Codes.SUCCESS.code and code not in worded)
    assert not missing, f"frontend/js/messages.js has no message for {missing}"


def test_the_shop_words_no_code_the_registry_does_not_have():
    assert not set(_shop_messages()) - set(REGISTRY)


def test_every_module_the_shop_imports_is_there():
    """Each `import … from "./x.js"` of the shop's modules names a file that exists (a typo would
    only show in a browser otherwise)."""
    folder = Path(finders.find("frontend/js/main.js")).parent
    modules = sorted(folder.rglob("*.js"))
    assert len(modules) > 10
    for module in modules:
        for target in re.findall(r'from "(\.{1,2}/[^"]+)"', module.read_text(encoding="utf-8")):
            assert (module.parent / target).resolve().is_file(), f"{module.name} imports {target}"
