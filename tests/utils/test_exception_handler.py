"""Every error kind reaches the client as the envelope with a registry code."""

import pytest
from django.db import OperationalError

from course import catalogue


def assert_envelope(response, code, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "data", "error"}
    assert body["code"] == code
    assert body["error"]
    return body


@pytest.mark.django_db
def test_unknown_url_answers_the_404_envelope_not_html(api):
    response = api.get("/api/no-such-thing/")
    assert response["Content-Type"].startswith("application/json")
    assert_envelope(response, 1006, 404)


@pytest.mark.django_db
def test_unknown_api_url_answers_the_envelope_with_debug_on_too(api, settings):
    settings.DEBUG = True
    assert_envelope(api.get("/api/courses/null,null/"), 1006, 404)


@pytest.mark.django_db
def test_url_without_trailing_slash_is_served_by_its_view_not_redirected(api):
    # The view itself answers (its 1002 for a body without fields), no 301 and no 404.
    assert_envelope(api.post("/api/login", {}, format="json"), 1002, 400)


@pytest.mark.django_db
def test_unknown_url_posted_without_a_token_answers_the_404_envelope_not_the_csrf_page(api):
    response = api.post("/api/no-such-thing", {}, format="json")
    assert response["Content-Type"].startswith("application/json")
    assert_envelope(response, 1006, 404)


@pytest.mark.django_db
def test_body_that_is_not_json_is_1002(api):
    response = api.post("/api/login/", "{not json", content_type="application/json")
    assert_envelope(response, 1002, 400)


@pytest.mark.django_db
def test_wrong_field_types_are_1002(api):
    response = api.post("/api/login/", {"username": ["a"], "password": {}}, format="json")
    assert_envelope(response, 1002, 400)


@pytest.mark.django_db
def test_form_encoded_body_is_unsupported_media_type(api):
    response = api.post("/api/login/", "username=a&password=b", content_type="text/plain")
    assert_envelope(response, 1008, 415)


@pytest.mark.django_db
def test_missing_token_is_1001_with_401(api):
    response = api.post("/api/logout/")
    assert_envelope(response, 1001, 401)
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_wrong_method_is_1007_with_405(api):
    assert_envelope(api.delete("/api/courses/"), 1007, 405)


@pytest.mark.django_db
def test_unknown_object_is_1006_with_404(api):
    assert_envelope(api.get("/api/courses/999999/"), 1006, 404)


@pytest.mark.django_db
def test_database_unreachable_is_1003_with_503(api, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(catalogue, "build_catalogue", broken)
    assert_envelope(api.get("/api/courses/"), 1003, 503)
