"""An order's detail shows what checkout showed: each line's price, course coupon, share of the
global coupon, and the order's 贝里 and money; unpaid orders carry their pay deadline."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from pay.models import Order, OrderDetail

pytestmark = pytest.mark.django_db


@pytest.fixture
def bought(auth_api, account, make_course, checkout, fund, make_coupon, give_coupon):
    """Python 99.00 with 20 off, Django 199.00, a global 10 off; 2000 贝里 (200.00) offered, so
    68.00 is left to pay with money. Returns (checkout data, order data)."""
    fund(account, 2000)
    python = make_course("Python", prices=[("30", "99.00")])
    django = make_course("Django", prices=[("30", "199.00")])
    course_coupon = give_coupon(
        account, make_coupon(course=python, name="Python减20", money_equivalent_value=Decimal(20))
    )
    global_coupon = give_coupon(account, make_coupon(name="全场减10"))
    shown = checkout(
        auth_api,
        python,
        django,
        course_coupons={python: course_coupon},
        global_coupon=global_coupon,
    )
    paid = auth_api.post("/api/payment/", {"balance": 2000, "price": "68.00"}, format="json")
    number = paid.json()["data"]["order_number"]
    order = auth_api.get(f"/api/orders/{number}/").json()["data"]
    return shown, order, course_coupon, global_coupon


def test_each_line_shows_its_price_course_coupon_and_global_share(auth_api, bought):
    _, order, course_coupon, _ = bought
    python, django = order["details"]  # in the settlement's order
    assert python["original_price"] == "99.00"
    assert python["course_coupon"]["id"] == course_coupon.pk
    assert python["course_coupon"]["name"] == "Python减20"
    assert python["course_discount"] == "20.00"
    assert django["course_coupon"] is None
    assert django["course_discount"] == "0.00"
    # 10.00 over 79.00 and 199.00: 2.84 and 7.16 (largest remainder), as checkout priced it
    assert (python["global_discount"], django["global_discount"]) == ("2.84", "7.16")
    assert (python["price"], django["price"]) == ("76.16", "191.84")


def test_each_lines_discounted_price_is_checkouts(auth_api, bought):
    shown, order, _, _ = bought
    assert [line["discounted_price"] for line in order["details"]] == [
        line["discounted_price"] for line in shown["settlement_list"]
    ]


def test_the_orders_amount_is_checkouts_with_beili_and_money(auth_api, bought):
    shown, order, _, global_coupon = bought
    assert order["amount"] == {
        **shown["amount"],
        "beili_used": 2000,
        "beili_money": "200.00",
        "actual_amount": "68.00",
    }
    assert order["global_coupon"]["id"] == global_coupon.pk
    assert order["amount"]["payable"] == "268.00"


def test_the_lines_add_up_to_the_amount(auth_api, bought):
    _, order, _, _ = bought
    for line in order["details"]:
        parts = Decimal(line["course_discount"]) + Decimal(line["global_discount"])
        assert Decimal(line["original_price"]) - parts == Decimal(line["price"])
    assert sum(Decimal(line["price"]) for line in order["details"]) == Decimal(
        order["amount"]["payable"]
    )


def test_a_cancelled_order_keeps_its_breakdown(auth_api, bought):
    _, order, course_coupon, _ = bought
    number = order["order_number"]
    assert auth_api.post(f"/api/orders/{number}/cancel/").json()["code"] == 1000
    after = auth_api.get(f"/api/orders/{number}/").json()["data"]
    assert after["coupons"] == []  # given back
    assert after["details"][0]["course_coupon"]["id"] == course_coupon.pk
    assert after["details"][0]["course_coupon"]["status"] == 0  # unused again
    assert after["amount"] == order["amount"]


def test_an_order_made_before_the_breakdown_was_kept_shows_null_discounts(auth_api, bought):
    _, order, _, _ = bought
    OrderDetail.objects.update(course_discount=None, global_discount=None, course_coupon=None)
    old = auth_api.get(f"/api/orders/{order['order_number']}/").json()["data"]
    assert old["details"][0]["discounted_price"] is None
    assert (old["amount"]["course_discount"], old["amount"]["global_discount"]) == (None, None)
    assert old["amount"]["payable"] == "268.00"


def test_an_unpaid_order_carries_its_pay_deadline(auth_api, bought, settings):
    _, order, _, _ = bought
    assert order["status"] == Order.STATUS_UNPAID
    made = Order.objects.get(order_number=order["order_number"]).date
    deadline = datetime.fromisoformat(order["pay_deadline"])
    assert deadline == made + timedelta(seconds=settings.ORDER_PAY_TIMEOUT)


def test_a_paid_order_has_no_pay_deadline(auth_api, bought):
    _, order, _, _ = bought
    Order.objects.filter(order_number=order["order_number"]).update(status=Order.STATUS_PAID)
    paid = auth_api.get(f"/api/orders/{order['order_number']}/").json()["data"]
    assert paid["pay_deadline"] is None


def test_orders_list_shows_the_breakdown_in_a_bounded_number_of_queries(
    auth_api, bought, django_assert_max_num_queries
):
    # as the orders page test counts (tests/pay/test_orders_api.py), plus the breakdown's coupons
    with django_assert_max_num_queries(9):
        [listed] = auth_api.get("/api/orders/").json()["data"]["results"]
    assert listed["amount"]["payable"] == "268.00"


def test_staff_see_the_breakdown_read_only_in_the_admin(bought, django_user_model):
    from django.test import Client

    _, order, _, _ = bought
    staff = Client()
    staff.force_login(django_user_model.objects.create_superuser("admin", "a@example.com", "pw"))
    pk = Order.objects.get(order_number=order["order_number"]).pk
    page = staff.get(f"/admin/pay/order/{pk}/change/").content.decode()
    assert "20.00" in page and "7.16" in page
    assert 'name="details-0-course_coupon"' not in page  # no editable select of every record
    assert 'name="global_coupon"' not in page
