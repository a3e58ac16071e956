"""The OpenAPI schema and the offline Swagger UI."""

import pytest

pytestmark = pytest.mark.django_db


def test_schema_is_served_as_openapi_3(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/login/" in schema["paths"]
    assert "/api/courses/{id}/" in schema["paths"]


def test_swagger_ui_uses_the_bundled_sidecar_not_a_cdn(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
