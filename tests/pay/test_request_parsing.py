"""Request serializers are the one parser of each body (utils.parsers.body / validated): what a
fuzzer sends (strings for ints, nulls, huge numbers, nested junk) is answered with 1002 or the
code the field carries, never a 500, and a field marked with `coded` keeps its registry code."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from pay.serializers import (
    OrderRefundSerializer,
    PaymentSerializer,
    SettlementCreateSerializer,
    SettlementDeleteSerializer,
    SettlementPatchSerializer,
)
from utils.errors import REGISTRY, AppError, Codes
from utils.ids import IdField
from utils.parsers import coded, validated

pytestmark = pytest.mark.django_db

JUNK = [
    None,
    "",
    "abc",
    "1e30",
    -1,
    0,
    1.5,
    True,
    10**40,
    -(10**40),
    "9" * 400,
    [],
    [None, "x", {"a": [1]}],
    {"a": {"b": [None]}},
    "\x00",
]
PATHS = {"{id}": "1", "{order_number}": "O1"}


def json_fields():
    """(method, path, field) of every field of every JSON request body in the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    found = []
    for path, operations in schema["paths"].items():
        for name, value in PATHS.items():
            path = path.replace(name, value)
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            ref = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            for field in components[ref].get("properties", {}):
                found.append((method, path, field))
    return found


def test_every_field_of_every_json_body_refuses_junk_with_a_registry_code(auth_api):
    fields = json_fields()
    assert len(fields) >= 12
    for method, path, field in fields:
        for junk in JUNK:
            response = getattr(auth_api, method)(path, {field: junk}, format="json")
            assert response.status_code < 500, (method, path, field, junk)
            code = response.json()["code"]
            assert code in REGISTRY and code != Codes.INTERNAL.code, (method, path, field, junk)


@pytest.mark.parametrize("body", [[], [1, 2], "text", 7])
def test_a_body_that_is_not_an_object_is_1002_on_every_json_endpoint(auth_api, body):
    for method, path, _ in {(m, p, None) for m, p, _ in json_fields()}:
        response = getattr(auth_api, method)(path, body, format="json")
        assert (response.status_code, response.json()["code"]) == (400, 1002), (method, path)


# --- the parse itself -------------------------------------------------------------------------


class _Two(serializers.Serializer):
    first = coded(IdField(), Codes.SETTLEMENT_COURSE_LIST, "first is wrong")
    second = coded(IdField(), Codes.SETTLEMENT_PATCH_FAILED)
    plain = IdField(required=False)


def test_the_first_failing_field_in_declared_order_decides_the_code():
    with pytest.raises(AppError) as caught:
        validated(_Two, {"first": "x", "second": "y"})
    assert (caught.value.error, caught.value.detail) == (
        Codes.SETTLEMENT_COURSE_LIST,
        "first is wrong",
    )


def test_a_coded_field_without_a_detail_answers_with_its_own_message():
    with pytest.raises(AppError) as caught:
        validated(_Two, {"first": 1, "second": "y"})
    assert caught.value.error == Codes.SETTLEMENT_PATCH_FAILED
    assert caught.value.detail == "不是合法的id / not a valid id"


def test_a_field_without_a_code_fails_as_validation_error_so_1002():
    with pytest.raises(ValidationError):
        validated(_Two, {"first": 1, "second": 2, "plain": "z"})


def test_course_list_folds_duplicates_and_keeps_order():
    assert validated(SettlementCreateSerializer, {"course_list": ["3", 1, 3]}) == {
        "course_list": [3, 1]
    }


@pytest.mark.parametrize("course_list", [None, [], "1", [None], ["abc"], {"a": 1}])
def test_a_malformed_course_list_is_1021_with_its_registry_message(course_list):
    with pytest.raises(AppError) as caught:
        validated(SettlementCreateSerializer, {"course_list": course_list})
    assert caught.value.error == Codes.SETTLEMENT_COURSE_LIST
    assert caught.value.detail == Codes.SETTLEMENT_COURSE_LIST.message


def test_a_course_list_longer_than_the_cart_limit_is_1021(settings):
    settings.SHOPPING_CAR_LIMIT = 2
    with pytest.raises(AppError) as caught:
        validated(SettlementCreateSerializer, {"course_list": [1, 2, 3]})
    assert caught.value.error == Codes.SETTLEMENT_COURSE_LIST


def test_patch_absent_keys_stay_absent_and_null_or_empty_clears():
    assert validated(SettlementPatchSerializer, {"global_coupon_id": ""}) == {
        "global_coupon_id": None
    }
    assert validated(SettlementPatchSerializer, {"course_id": "2", "coupon_id": None}) == {
        "course_id": 2,
        "coupon_id": None,
    }


@pytest.mark.parametrize(
    "patch, code",
    [
        ({}, 1026),
        ({"course_id": 1}, 1026),
        ({"course_id": "abc"}, 1026),  # nothing to change is said before the course id
        ({"course_id": "abc", "global_coupon_id": 3}, 1002),
        ({"coupon_id": "x", "course_id": "abc"}, 1002),
        ({"global_coupon_id": 1.5}, 1002),
    ],
)
def test_patch_refusals_keep_the_seed_order_of_codes(patch, code):
    with pytest.raises(AppError) as caught:
        validated(SettlementPatchSerializer, patch)
    assert caught.value.error.code == code


def test_patch_coupon_without_course_leaves_the_course_to_the_service():
    assert validated(SettlementPatchSerializer, {"coupon_id": 4}) == {
        "coupon_id": 4,
        "course_id": None,
    }


@pytest.mark.parametrize("course_id", [None, "abc", 0, True])
def test_delete_with_a_malformed_course_id_is_1002(course_id):
    with pytest.raises(AppError) as caught:
        validated(SettlementDeleteSerializer, {"course_id": course_id})
    assert caught.value.error == Codes.MALFORMED
    assert caught.value.detail == "course_id 须为课程id / course_id must be an id"


def test_delete_without_course_id_means_every_course():
    assert validated(SettlementDeleteSerializer, {}) == {}


def test_payment_balance_reaches_the_service_as_beili():
    assert validated(PaymentSerializer, {"balance": "30", "price": "1.5"}) == {
        "beili": 30,
        "price": __import__("decimal").Decimal("1.50"),
        "gateway": "alipay",
    }


@pytest.mark.parametrize(
    "reason, detail",
    [
        (7, "reason 须为255字以内的文字 / at most 255 characters"),
        (None, "reason 须为255字以内的文字 / at most 255 characters"),
        ("x" * 256, "reason 须为255字以内的文字 / at most 255 characters"),
        ("a\x00b", "reason 不能含空字符 / no NUL character"),
    ],
)
def test_refund_reason_refusals_are_1002_with_their_message(reason, detail):
    with pytest.raises(AppError) as caught:
        validated(OrderRefundSerializer, {"reason": reason})
    assert (caught.value.error, caught.value.detail) == (Codes.MALFORMED, detail)


def test_refund_reason_is_kept_as_sent():
    assert validated(OrderRefundSerializer, {"reason": "  slow  "}) == {"reason": "  slow  "}
    assert validated(OrderRefundSerializer, {}) == {"reason": ""}
