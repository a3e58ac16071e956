"""The single-page shop's one HTML page at / and its static files."""

import pytest
from django.contrib.staticfiles import finders


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
