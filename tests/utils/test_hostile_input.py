"""What a hostile client can send (JSON nested without end, a NUL byte in a URL, OPTIONS) is
answered in the envelope with a registry code, never a 500 or a page outside the envelope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from utils.parsers import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db

ABYSS = "[" * 100_000 + "]" * 100_000  # the decoder's RecursionError
TOO_DEEP = '{"a":' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1)  # decodes fine

PATH_PARAMETERS = {"{id}": "1", "{order_number}": "O1"}


def json_operations():
    """(method, path) of every operation whose schema takes a JSON body (the development
    gateway, outside the schema, is tested in tests/pay/test_payment_api.py)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in schema["paths"].items():
        for name, value in PATH_PARAMETERS.items():
            path = path.replace(name, value)
        for method, operation in operations.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                found.append((method, path))
    return found


def assert_envelope(response, code, status):
    assert response.status_code == status, response.content[:300]
    assert response.json()["code"] == code


@pytest.mark.parametrize("body", [ABYSS, TOO_DEEP], ids=["100000-levels", "too-deep"])
def test_deeply_nested_json_to_login_is_1002_without_a_token(api, body):
    response = api.post("/api/login/", body, content_type="application/json")
    assert_envelope(response, 1002, 400)


def test_every_json_endpoint_refuses_deeply_nested_json_with_1002(auth_api):
    operations = json_operations()
    assert len(operations) >= 8
    for method, path in operations:
        for body in (ABYSS, TOO_DEEP):
            response = getattr(auth_api, method)(path, body, content_type="application/json")
            assert response.status_code == 400, (method, path, response.content[:200])
            assert response.json()["code"] == 1002, (method, path)


def test_json_nested_as_deep_as_allowed_is_still_read(api, db):
    body = '{"username": "alex", "password": "x", "extra":' + "[" * (MAX_JSON_DEPTH - 1)
    body += "]" * (MAX_JSON_DEPTH - 1) + "}"
    assert api.post("/api/login/", body, content_type="application/json").json()["code"] == 1005


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/orders/a%00b/"),
        ("post", "/api/orders/a%00b/cancel/"),
        ("get", "/api/orders/%E2%80%AE%20x/"),
        ("get", "/api/orders/a%00/cancel/"),
    ],
)
def test_an_order_number_no_order_can_have_is_1050_and_never_queried(auth_api, method, path):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(auth_api, method)(path)
    assert_envelope(response, 1050, 404)
    assert not [q for q in queries.captured_queries if "pay_order" in q["sql"]]


def test_a_post_to_an_api_url_that_names_nothing_is_the_404_envelope_not_a_csrf_page(db):
    client = APIClient(enforce_csrf_checks=True)  # as a browser or curl meets it: CSRF enforced
    for path in ("/api/payment/dev_gateway/a%00b/", "/api/no-such-thing/"):
        assert_envelope(client.post(path), 1006, 404)
    assert_envelope(client.post("/api/orders/a%00b/cancel/"), 1050, 404)


def test_options_on_an_api_route_answers_the_envelope(auth_api):
    response = auth_api.options("/api/settlement/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"code", "data", "error"} and body["code"] == 1000
    assert "application/json" in body["data"]["parses"]
    assert "OPTIONS" in response["Allow"]


def test_options_without_a_token_answers_the_envelope(api):
    assert api.options("/api/courses/").json()["code"] == 1000
    assert_envelope(api.options("/api/settlement/"), 1001, 401)
