"""An Accept header naming nothing the service renders still gets the JSON envelope."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "accept", ["application/xml", "text/csv", "text/plain", "application/vnd.api+json"]
)
def test_an_accept_header_the_service_cannot_serve_gets_the_json_envelope(api, accept):
    response = api.get("/api/courses/", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == 1000


def test_an_unservable_accept_header_on_an_error_still_gets_the_envelope(api):
    response = api.get("/api/orders/", HTTP_ACCEPT="application/xml")
    assert (response.status_code, response.json()["code"]) == (401, 1001)
