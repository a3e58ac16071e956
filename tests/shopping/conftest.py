"""Cart fixtures: the endpoint, cart items without a database, and API helpers."""

from typing import Any

import pytest

from course.models import Course, PricePolicy
from shopping.cart_store import CartItem
from tests.helpers import CART_URL, post_to_cart


def policy_ids(course: Course) -> list[int]:
    """The course's price policy ids, shortest period first."""
    return list(
        PricePolicy.objects.filter(object_id=course.pk)
        .order_by("valid_period")
        .values_list("pk", flat=True)
    )


def make_item(course_id: int = 1, policies: int = 2, default_index: int = 0, **fields) -> CartItem:
    """A valid cart item, no database needed: policy ids are `course_id * 100 + n`."""
    policy_dict = {
        str(course_id * 100 + n): {
            "valid_period": 30 * (n + 1),
            "valid_period_text": f"{n + 1}个月",
            "price": f"{99 + n}.00",
        }
        for n in range(policies)
    }
    values: dict[str, Any] = {
        "course_id": course_id,
        "title": f"课程 {course_id}",
        "img_src": f"img/{course_id}.png",
        "price_policy_dict": policy_dict,
        "default_policy": course_id * 100 + default_index,
    }
    values.update(fields)
    return CartItem(**values)


@pytest.fixture
def cart_limit(settings):
    """Set the cart's limit: `cart_limit(3)`."""

    def set_limit(limit: int) -> None:
        settings.SHOPPING_CAR_LIMIT = limit

    return set_limit


@pytest.fixture
def two_policy_course(make_course):
    """A course on sale with a 1-month policy at 99.00 and a 2-month one at 149.50."""
    return make_course("Python", prices=[("30", "99.00"), ("60", "149.50")])


@pytest.fixture
def add_to_cart(auth_api):
    """POST a course to the signed-in account's cart with one of its policies."""

    def add(course: Course, policy_index: int = 0, client=None):
        return post_to_cart(client or auth_api, course, policy_index)

    return add


@pytest.fixture
def read_cart(auth_api):
    """The `data` of GET /api/shopping_car/ for the signed-in account."""

    def read(client=None):
        response = (client or auth_api).get(CART_URL)
        assert response.status_code == 200
        return response.json()["data"]

    return read
