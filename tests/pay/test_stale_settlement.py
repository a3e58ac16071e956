"""A settlement left behind by a payment (its clearing failed): what reading and paying it do.

The payment commits first and clears the settlement in Redis afterwards; when that clearing fails
(Redis down, or the user changed the settlement meanwhile) the settlement still shows coupons the
order used. Reading it re-checks its coupons in the database whenever they changed since the last
check (pay/records_version.py), and paying it never loops on 1043.

Staff's and the services' changes go through the models (`save()`, as the admin does) or call
`records_changed`; `expire` below is such a change.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from pay import payment_services
from pay.models import Coupon, CouponRecord, Order
from pay.settlement_store import settlement_read
from tests import helpers
from tests.helpers import add_to_cart
from utils import keys

pytestmark = pytest.mark.django_db


def pay(api, price, balance=0) -> dict:
    return helpers.pay(api, balance=balance, price=price).json()


def expire(record: CouponRecord) -> None:
    """Write 已过期 on the record as staff in the admin would (a model save)."""
    record.refresh_from_db()
    record.status = CouponRecord.STATUS_EXPIRED
    record.save()


@pytest.fixture
def paid_but_not_cleared(
    auth_api, account, python, checkout, make_coupon, give_coupon, monkeypatch
):
    """Python (99.00) with a 10.00 global coupon, paid (an unpaid order of 89.00 holding the
    coupon), the settlement left in Redis as it was: its clearing found it changed (it only
    moved the coupon records' version on)."""
    record = give_coupon(account, make_coupon())
    checkout(auth_api, python, global_coupon=record)
    monkeypatch.setattr(payment_services.settlement_store, "queue_clear_all", lambda *a: None)
    assert pay(auth_api, "89.00")["code"] == 1000
    monkeypatch.undo()
    assert settlement_read(account.pk).lines
    return record


def test_reading_a_settlement_shows_a_chosen_coupon_used_since_as_unusable_and_not_chosen(
    auth_api, paid_but_not_cleared
):
    data = auth_api.get("/api/settlement/").json()["data"]
    coupon = data["global_coupon_info"][str(paid_but_not_cleared.pk)]
    assert (coupon["usable"], coupon["reason"]) == (False, "已使用 / used")
    assert data["global_coupon_info"]["default_coupon_id"] is None
    assert data["amount"]["payable"] == "99.00"


def test_a_chosen_coupon_whose_rule_staff_ended_since_is_shown_expired_and_not_chosen(
    auth_api, account, python, checkout, make_coupon, give_coupon
):
    record = give_coupon(account, make_coupon())
    checkout(auth_api, python, global_coupon=record)
    auth_api.get("/api/settlement/")  # read once while it was usable: the check is kept
    yesterday = timezone.localdate() - timedelta(days=1)
    rule = Coupon.objects.get(pk=record.coupon_id)
    rule.valid_begin_date, rule.valid_end_date = yesterday - timedelta(days=30), yesterday
    rule.save()
    data = auth_api.get("/api/settlement/").json()["data"]
    coupon = data["global_coupon_info"][str(record.pk)]
    assert (coupon["usable"], coupon["reason"]) == (False, "已过期 / expired")
    assert data["global_coupon_info"]["default_coupon_id"] is None
    assert data["amount"]["payable"] == "99.00"
    assert pay(auth_api, "99.00")["code"] == 1000  # paying what reading shows goes through


def test_a_course_coupon_used_elsewhere_is_shown_unusable_and_not_chosen(
    auth_api, account, python, checkout, make_coupon, give_coupon
):
    record = give_coupon(account, make_coupon(course=python))
    checkout(auth_api, python, course_coupons={python: record})
    expire(record)
    [line] = auth_api.get("/api/settlement/").json()["data"]["settlement_list"]
    coupon = line["course_coupons"][str(record.pk)]
    assert (coupon["usable"], coupon["reason"]) == (False, "已过期 / expired")
    assert (line["default_course_coupon_id"], line["discounted_price"]) == (None, "99.00")


def test_paying_the_same_stale_settlement_again_is_1040_naming_its_order_and_clears_it(
    auth_api, account, paid_but_not_cleared
):
    order = Order.objects.get()
    body = pay(auth_api, "99.00")
    assert (body["code"], body["data"]) == (1040, {"order_number": order.order_number})
    assert auth_api.get("/api/settlement/").json()["data"]["settlement_list"] == []
    assert Order.objects.count() == 1


def test_a_stale_settlement_changed_since_pays_at_the_price_reading_it_shows(
    auth_api, account, paid_but_not_cleared, redis_client
):
    # Given the user changed the stale settlement (a new state, not the one paid)
    redis_client.set(keys.settlement_version(account.pk), "changed-since")
    payable = auth_api.get("/api/settlement/").json()["data"]["amount"]["payable"]
    # When they pay what they were shown
    body = pay(auth_api, payable)
    # Then it is paid without the used coupon, instead of 1043 on every attempt
    assert (body["code"], payable) == (1000, "99.00")
    assert Order.objects.count() == 2
    assert (
        CouponRecord.objects.get(pk=paid_but_not_cleared.pk).order.order_number
        != (body["data"]["order_number"])
    )


def test_choosing_a_coupon_written_expired_since_is_refused(
    auth_api, account, python, checkout, make_coupon, give_coupon
):
    record = give_coupon(account, make_coupon(course=python))
    checkout(auth_api, python)
    auth_api.patch("/api/settlement/", {"course_id": python.pk, "coupon_id": None}, format="json")
    expire(record)
    body = auth_api.patch(
        "/api/settlement/", {"course_id": python.pk, "coupon_id": record.pk}, format="json"
    ).json()
    assert (body["code"], body["error"]) == (1028, "已过期 / expired")


def test_returning_a_course_drops_a_global_choice_gone_since(
    auth_api, account, python, make_course, make_coupon, give_coupon, checkout
):
    record = give_coupon(account, make_coupon())
    go = make_course("Go", prices=[("30", "50.00")])
    checkout(auth_api, python, go, global_coupon=record)
    expire(record)
    data = auth_api.delete("/api/settlement/", {"course_id": go.pk}, format="json").json()["data"]
    assert data["global_coupon_info"]["default_coupon_id"] is None
    assert settlement_read(account.pk).default_global_coupon_id is None


def test_reading_after_a_coupon_changed_costs_one_query_whatever_the_number_of_courses(
    auth_api, account, make_course, make_coupon, give_coupon, settings, django_assert_num_queries
):
    settings.SHOPPING_CAR_LIMIT = 100
    courses = [make_course(f"c{i}", prices=[("30", "10.00")]) for i in range(30)]
    records = [give_coupon(account, make_coupon(course=course)) for course in courses]
    for course in courses:
        add_to_cart(auth_api, course)
    auth_api.post("/api/settlement/", {"course_list": [c.pk for c in courses]}, format="json")
    expire(records[7])
    with django_assert_num_queries(1):  # the coupons' statuses (the token: Redis alone)
        data = auth_api.get("/api/settlement/").json()["data"]
    assert len(data["settlement_list"]) == 30
    with django_assert_num_queries(0):  # nothing changed since: the kept check
        again = auth_api.get("/api/settlement/").json()["data"]
    assert again == data
