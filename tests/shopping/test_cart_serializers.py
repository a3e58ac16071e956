"""The cart's wire shapes: the answers render through CartLineSerializer / CartSerializer, the
same serializers the schema is made from, and say what DRF would."""

import pytest

from shopping.serializers import CartLineSerializer, CartSerializer, cart_line_payload, cart_payload
from tests.shopping.conftest import CART_URL, make_item
from tests.utils.test_schema import conforms, openapi  # noqa: F401  (fixtures)


def test_a_cart_line_is_its_item_with_the_chosen_policys_price():
    item = make_item(course_id=4, default_index=1)
    assert cart_line_payload(item) == {
        "id": 4,
        "title": "课程 4",
        "img_src": "img/4.png",
        "price_policy_dict": {
            "400": {"valid_period": 30, "valid_period_text": "1个月", "price": "99.00"},
            "401": {"valid_period": 60, "valid_period_text": "2个月", "price": "100.00"},
        },
        "default_policy": 401,
        "price": "100.00",
    }


def test_the_cart_renders_as_drf_renders_it():
    items = [make_item(course_id=1), make_item(course_id=2, default_index=1)]
    assert cart_payload(items) == CartSerializer().to_representation(
        {"cart": items, "total_count": 2}
    )
    assert cart_line_payload(items[0]) == CartLineSerializer().to_representation(items[0])


@pytest.mark.django_db
def test_the_carts_answers_conform_to_the_schema(auth_api, two_policy_course, conforms):  # noqa: F811
    from tests.shopping.conftest import policy_ids

    body = {"course_id": two_policy_course.pk, "price_policy_id": policy_ids(two_policy_course)[0]}
    conforms(auth_api.post(CART_URL, body, format="json").json(), CART_URL, "post")
    body["price_policy_id"] = policy_ids(two_policy_course)[1]
    conforms(auth_api.put(CART_URL, body, format="json").json(), CART_URL, "put")
    answer = conforms(auth_api.get(CART_URL).json(), CART_URL, "get")
    assert answer["data"]["total_count"] == 1
