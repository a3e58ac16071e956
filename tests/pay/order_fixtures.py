"""Orders in each state, made the way the product makes them (settle, pay, the gateway's word).

Import the fixtures a module needs: `from tests.pay.order_fixtures import paid_order, ...`.
"""

from decimal import Decimal

import pytest

from pay.models import CouponRecord, Order
from pay.order_services import order_mark_paid
from tests.helpers import pay


@pytest.fixture
def python(make_course):
    return make_course("Python", prices=[("30", "99.00")])


@pytest.fixture
def course_coupon(account, python, make_coupon, give_coupon) -> CouponRecord:
    """A 通用券 of 10.00 bound to Python, held by the account."""
    return give_coupon(account, make_coupon(course=python, name="Python 10"))


@pytest.fixture
def place_order(auth_api, account, python, checkout, fund):
    """An unpaid order of Python (99.00) with `beili` 贝里 and the account's course coupon if
    given; returns the Order."""

    def place(beili=0, coupon: CouponRecord | None = None) -> Order:
        if beili:
            fund(account, beili)
        checkout(auth_api, python, course_coupons={python: coupon} if coupon else None)
        payable = Decimal("99.00") - (Decimal("10.00") if coupon else 0)
        price = payable - Decimal(beili) / 10
        body = pay(auth_api, balance=beili, price=f"{price:.2f}").json()
        assert body["code"] == 1000, body
        return Order.objects.get(order_number=body["data"]["order_number"])

    return place


def mark_paid(order: Order, payment_number: str | None = None) -> Order:
    """The gateway's word that `order` was paid (the development gateway's number by default)."""
    order_mark_paid(
        order_number=order.order_number,
        amount=order.actual_amount,
        payment_number=payment_number or f"DEV{order.order_number}",
    )
    order.refresh_from_db()
    return order


@pytest.fixture
def paid_order(place_order, course_coupon):
    """Python paid with 100 贝里, the course coupon and 79.00 of money (status 0)."""
    return mark_paid(place_order(beili=100, coupon=course_coupon))
