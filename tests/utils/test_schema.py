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


# --- Real payloads against the schema -------------------------------------------------------
#
# The schema is OpenAPI 3.0; turned into JSON Schema (nullable -> a null alternative) and made
# strict (an object with listed properties allows no others), so a field the code renders but the
# schema does not name fails, as does one the schema requires but the code leaves out.


def _strict_json_schema(node):
    if isinstance(node, list):
        return [_strict_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _strict_json_schema(value) for key, value in node.items()}
    if node.get("type") == "object" and "properties" in node:
        node.setdefault("additionalProperties", False)
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture(scope="module")
def openapi():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def conforms(openapi):
    """conforms(body, "/api/settlement/", "get"): the body is valid for that operation's 200."""
    import jsonschema

    components = _strict_json_schema(openapi["components"])

    def check(body, path, method, status="200"):
        operation = openapi["paths"][path][method]
        media = operation["responses"][status]["content"]["application/json"]
        schema = {**_strict_json_schema(media["schema"]), "components": components}
        jsonschema.Draft202012Validator(schema).validate(body)
        return body

    def component(body, name):
        schema = {"$ref": f"#/components/schemas/{name}", "components": components}
        jsonschema.Draft202012Validator(schema).validate(body)
        return body

    check.component = component
    return check


def test_the_strict_check_refuses_a_field_the_schema_does_not_name(conforms):
    import jsonschema

    from pay.serializers import COUPON_EXAMPLE

    conforms.component(COUPON_EXAMPLE, "Coupon")
    with pytest.raises(jsonschema.ValidationError):
        conforms.component({**COUPON_EXAMPLE, "coupon_type_display": "满减券"}, "Coupon")
    with pytest.raises(jsonschema.ValidationError):
        conforms.component({**COUPON_EXAMPLE, "coupon_type": 1}, "Coupon")
    without_object_id = {k: v for k, v in COUPON_EXAMPLE.items() if k != "object_id"}
    with pytest.raises(jsonschema.ValidationError):
        conforms.component(without_object_id, "Coupon")


def test_the_components_examples_conform_to_their_components(openapi, conforms):
    schemas = openapi["components"]["schemas"]
    assert schemas["Coupon"]["example"] and schemas["Settlement"]["example"]
    conforms.component(schemas["Coupon"]["example"], "Coupon")
    conforms.component(schemas["Settlement"]["example"], "Settlement")


def test_the_settlement_operations_examples_conform_to_the_schema(openapi, conforms):
    for method in ("get", "post", "patch"):
        operation = openapi["paths"]["/api/settlement/"][method]
        examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
        assert examples
        for example in examples.values():
            conforms(example["value"], "/api/settlement/", method)


def test_global_coupon_info_is_flat_coupons_by_record_id_in_the_schema(openapi):
    info = openapi["components"]["schemas"]["GlobalCouponInfo"]
    assert set(info["properties"]) == {"default_coupon_id"}
    assert info["additionalProperties"] == {"$ref": "#/components/schemas/Coupon"}


def test_real_settlement_wallet_and_order_payloads_conform_to_the_schema(
    conforms,
    account,
    auth_api,
    make_course,
    make_coupon,
    give_coupon,
    fund,
):
    from decimal import Decimal

    from pay.models import Coupon
    from tests.helpers import add_to_cart

    fund(account, 5000)
    python = make_course("Python", prices=[("30", "120.00")])
    django = make_course("Django", prices=[("30", "60.00")])
    course_coupon = give_coupon(account, make_coupon(course=python, name="Python减20"))
    give_coupon(
        account,
        make_coupon(
            course=django,
            name="Django 8折",
            coupon_type=Coupon.TYPE_DISCOUNT,
            money_equivalent_value=None,
            off_percent=80,
        ),
    )
    global_coupon = give_coupon(account, make_coupon(name="全场减10"))
    give_coupon(  # unusable on this total: a reason to render
        account,
        make_coupon(
            name="满1000减100",
            coupon_type=Coupon.TYPE_THRESHOLD,
            money_equivalent_value=Decimal("100.00"),
            minimum_consume=Decimal("1000.00"),
        ),
    )
    add_to_cart(auth_api, python)
    add_to_cart(auth_api, django)
    url = "/api/settlement/"

    created = auth_api.post(url, {"course_list": [python.pk, django.pk]}, format="json").json()
    conforms(created, url, "post")
    body = {"course_id": python.pk, "coupon_id": course_coupon.pk, "global_coupon_id": None}
    conforms(auth_api.patch(url, body, format="json").json(), url, "patch")
    body = {"global_coupon_id": str(global_coupon.pk)}
    chosen = conforms(auth_api.patch(url, body, format="json").json(), url, "patch")
    assert chosen["data"]["global_coupon_info"]["default_coupon_id"] == global_coupon.pk
    reasons = [c["reason"] for k, c in chosen["data"]["global_coupon_info"].items() if k.isdigit()]
    assert any(reasons)
    conforms(auth_api.get(url).json(), url, "get")

    conforms(auth_api.get("/api/coupons/").json(), "/api/coupons/", "get")
    conforms(auth_api.get("/api/coupons/available/").json(), "/api/coupons/available/", "get")

    payable = Decimal(chosen["data"]["amount"]["payable"])
    body = {"balance": int(payable * 10), "price": "0.00"}
    paid = conforms(
        auth_api.post("/api/payment/", body, format="json").json(), "/api/payment/", "post"
    )
    number = paid["data"]["order_number"]
    order = conforms(
        auth_api.get(f"/api/orders/{number}/").json(), "/api/orders/{order_number}/", "get"
    )
    assert len(order["data"]["coupons"]) == 3  # and the Django 8折 the server pre-selected
    conforms(auth_api.get("/api/orders/").json(), "/api/orders/", "get")
    conforms(auth_api.delete(url).json(), url, "delete")
