"""An unpaid order past its deadline counts as timed out wherever it is read or paid, before any
scheduled command has run."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pay.models import CouponRecord, Order, TransactionRecord
from tests.pay.order_fixtures import mark_paid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ledgers_stay_consistent")]


@pytest.fixture
def overdue(place_order, course_coupon, settings):
    """An unpaid order (100 贝里 and the course coupon locked) one second past its deadline."""
    order = place_order(beili=100, coupon=course_coupon)
    Order.objects.filter(pk=order.pk).update(
        date=timezone.now() - timedelta(seconds=settings.ORDER_PAY_TIMEOUT + 1)
    )
    return order


def assert_given_back(order, account, coupon):
    order.refresh_from_db()
    account.refresh_from_db()
    coupon.refresh_from_db()
    assert (order.status, order.get_status_display()) == (5, "超时取消")
    assert order.cancel_time is not None
    assert account.balance == 100
    assert coupon.status == CouponRecord.STATUS_UNUSED


def test_an_unpaid_order_shows_its_pay_deadline(auth_api, place_order, settings):
    order = place_order()
    data = auth_api.get(f"/api/orders/{order.order_number}/").json()["data"]
    deadline = order.date + timedelta(seconds=settings.ORDER_PAY_TIMEOUT)
    assert data["pay_deadline"] is not None
    assert abs(timezone.datetime.fromisoformat(data["pay_deadline"]) - deadline) < timedelta(
        seconds=1
    )


def test_listing_orders_times_out_an_overdue_one_and_gives_everything_back(
    auth_api, account, overdue, course_coupon
):
    listed = auth_api.get("/api/orders/").json()["data"]["results"]
    assert [o["status"] for o in listed] == [5]
    assert listed[0]["can_pay"] is False and listed[0]["can_cancel"] is False
    assert_given_back(overdue, account, course_coupon)


def test_reading_one_order_times_it_out(auth_api, account, overdue, course_coupon):
    data = auth_api.get(f"/api/orders/{overdue.order_number}/").json()["data"]
    assert data["status"] == 5
    assert_given_back(overdue, account, course_coupon)


def test_cancelling_an_overdue_order_is_1051_and_it_is_timed_out(
    auth_api, account, overdue, course_coupon
):
    assert auth_api.post(f"/api/orders/{overdue.order_number}/cancel/").json()["code"] == 1051
    assert_given_back(overdue, account, course_coupon)


def test_a_payment_arriving_after_the_deadline_times_out_the_order_and_flags_a_refund(
    account, overdue, course_coupon
):
    mark_paid(overdue, payment_number="2026112522001")
    assert_given_back(overdue, account, course_coupon)
    assert overdue.refund_flagged and overdue.payment_number == "2026112522001"


def test_an_order_inside_its_deadline_is_left_alone(auth_api, place_order):
    order = place_order(beili=100)
    assert auth_api.get("/api/orders/").json()["data"]["results"][0]["status"] == 1
    assert auth_api.get(f"/api/orders/{order.order_number}/").json()["data"]["can_cancel"]


def test_a_timed_out_order_gives_its_beili_back_once_whoever_comes_first(
    auth_api, account, overdue, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    auth_api.get("/api/orders/")
    call_command("cancel_expired_orders")
    auth_api.get(f"/api/orders/{overdue.order_number}/")
    assert TransactionRecord.objects.filter(order=overdue, transaction_type=2).count() == 1


def test_reading_the_wallet_gives_back_the_coupon_of_an_overdue_order(
    auth_api, account, overdue, course_coupon
):
    wallet = auth_api.get("/api/coupons/?status=0").json()["data"]
    assert [c["id"] for c in wallet] == [course_coupon.pk]
    assert_given_back(overdue, account, course_coupon)
