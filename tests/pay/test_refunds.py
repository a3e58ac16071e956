"""Refunds (退费): the buyer asks (POST /api/orders/<n>/refund/), staff approve or reject."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from pay.gateways.dev import DevGateway
from pay.models import CouponRecord, Order, TransactionRecord
from pay.order_services import order_refund_approve, order_refund_reject
from tests.pay.order_fixtures import mark_paid
from utils.errors import AppError, Codes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ledgers_stay_consistent")]


def ask(api, order, reason="不想学了"):
    return api.post(f"/api/orders/{order.order_number}/refund/", {"reason": reason}, format="json")


def test_asking_a_refund_of_an_order_paid_with_money_sets_status_2(auth_api, paid_order):
    body = ask(auth_api, paid_order).json()
    assert body["code"] == 1000
    data = body["data"]
    assert (data["status"], data["status_display"], data["can_refund"]) == (2, "退费申请中", False)
    assert data["refund_reason"] == "不想学了"
    assert data["refund_request_time"] is not None
    paid_order.refresh_from_db()
    assert paid_order.status == Order.STATUS_REFUNDING


def test_a_paid_order_offers_the_refund_in_its_answer(auth_api, paid_order):
    data = auth_api.get(f"/api/orders/{paid_order.order_number}/").json()["data"]
    assert (data["can_refund"], data["can_cancel"], data["pay_deadline"]) == (True, False, None)


def test_a_refund_may_be_asked_without_a_reason(auth_api, paid_order):
    body = auth_api.post(f"/api/orders/{paid_order.order_number}/refund/").json()
    assert body["code"] == 1000


@pytest.mark.parametrize("reason", [123, ["x"], {"a": 1}, "x" * 256, "a\x00b"])
def test_a_reason_that_is_not_a_short_string_is_1002(auth_api, paid_order, reason):
    response = auth_api.post(
        f"/api/orders/{paid_order.order_number}/refund/", {"reason": reason}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, 1002)
    paid_order.refresh_from_db()
    assert paid_order.status == Order.STATUS_PAID


def test_an_order_paid_with_beili_alone_is_not_refundable_1052(auth_api, place_order):
    order = place_order(beili=990)
    assert order.status == Order.STATUS_PAID and order.actual_amount == 0
    assert ask(auth_api, order).json()["code"] == 1052


def test_an_unpaid_order_is_not_refundable_1052(auth_api, place_order):
    order = place_order()
    assert ask(auth_api, order).json()["code"] == 1052
    order.refresh_from_db()
    assert order.status == Order.STATUS_UNPAID


def test_a_refund_past_the_window_is_1052(auth_api, paid_order, settings):
    settings.REFUND_WINDOW_DAYS = 7
    Order.objects.filter(pk=paid_order.pk).update(
        pay_time=timezone.now() - timedelta(days=7, seconds=1)
    )
    assert ask(auth_api, paid_order).json()["code"] == 1052


def test_a_refund_just_inside_the_window_is_taken(auth_api, paid_order, settings):
    settings.REFUND_WINDOW_DAYS = 7
    Order.objects.filter(pk=paid_order.pk).update(
        pay_time=timezone.now() - timedelta(days=6, hours=23)
    )
    assert ask(auth_api, paid_order).json()["code"] == 1000


def test_asking_twice_is_1052(auth_api, paid_order):
    ask(auth_api, paid_order)
    assert ask(auth_api, paid_order).json()["code"] == 1052


def test_another_accounts_order_is_1050(paid_order, make_account, client_for):
    stranger = client_for(make_account("mallory"))
    response = ask(stranger, paid_order)
    assert (response.status_code, response.json()["code"]) == (404, 1050)


def test_an_order_cancelled_before_it_was_paid_is_not_refundable(auth_api, place_order):
    order = place_order()
    auth_api.post(f"/api/orders/{order.order_number}/cancel/")
    mark_paid(order)  # the late payment is flagged for staff, not refundable by the buyer
    order.refresh_from_db()
    assert order.refund_flagged
    assert ask(auth_api, order).json()["code"] == 1052


# --- staff decide ----------------------------------------------------------------------------


def test_approving_gives_back_money_beili_and_coupons_and_sets_status_3(
    auth_api, account, paid_order, course_coupon
):
    ask(auth_api, paid_order)
    order_refund_approve(order_number=paid_order.order_number)
    paid_order.refresh_from_db()
    course_coupon.refresh_from_db()
    account.refresh_from_db()
    assert (paid_order.status, paid_order.get_status_display()) == (3, "已退费")
    assert paid_order.refund_time is not None
    assert "开发支付网关" in paid_order.refund_memo
    assert account.balance == 100
    refund = TransactionRecord.objects.get(order=paid_order, transaction_type=2)
    assert (refund.amount, refund.get_transaction_type_display()) == (100, "退款")
    assert (course_coupon.status, course_coupon.order) == (CouponRecord.STATUS_UNUSED, None)


def test_a_coupon_past_its_end_comes_back_expired_on_approval(
    auth_api, paid_order, course_coupon, monkeypatch
):
    ask(auth_api, paid_order)
    later = timezone.localdate() + timedelta(days=60)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: later)
    order_refund_approve(order_number=paid_order.order_number)
    course_coupon.refresh_from_db()
    assert course_coupon.status == CouponRecord.STATUS_EXPIRED


def test_approving_twice_refunds_once(auth_api, account, paid_order):
    ask(auth_api, paid_order)
    order_refund_approve(order_number=paid_order.order_number)
    with pytest.raises(AppError) as second:
        order_refund_approve(order_number=paid_order.order_number)
    assert second.value.error.code == 1052
    assert TransactionRecord.objects.filter(order=paid_order, transaction_type=2).count() == 1


def test_approving_an_order_nobody_asked_to_refund_is_1052(paid_order):
    with pytest.raises(AppError) as refused:
        order_refund_approve(order_number=paid_order.order_number)
    assert refused.value.error.code == 1052
    paid_order.refresh_from_db()
    assert paid_order.status == Order.STATUS_PAID


def test_a_gateway_failure_is_1048_and_leaves_status_2_with_nothing_given_back(
    auth_api, account, paid_order, course_coupon, monkeypatch
):
    ask(auth_api, paid_order)

    def refuse(self, **kwargs):
        raise AppError(Codes.PAYMENT_GATEWAY_FAILED, "down")

    monkeypatch.setattr(DevGateway, "refund", refuse)
    with pytest.raises(AppError) as failed:
        order_refund_approve(order_number=paid_order.order_number)
    assert (failed.value.error.code, failed.value.error.http_status) == (1048, 502)
    paid_order.refresh_from_db()
    course_coupon.refresh_from_db()
    account.refresh_from_db()
    assert paid_order.status == Order.STATUS_REFUNDING
    assert (account.balance, course_coupon.status) == (0, CouponRecord.STATUS_USED)
    assert not TransactionRecord.objects.filter(order=paid_order, transaction_type=2).exists()
    monkeypatch.undo()
    order_refund_approve(order_number=paid_order.order_number)  # another try succeeds
    paid_order.refresh_from_db()
    assert paid_order.status == Order.STATUS_REFUNDED


def test_an_order_paid_through_alipay_is_not_refunded_once_alipay_is_not_configured(
    auth_api, place_order, settings
):
    settings.ALIPAY_APP_ID = ""
    order = mark_paid(place_order(), payment_number="2026112522001")
    ask(auth_api, order)
    settings.DEBUG = False  # no development gateway stands in
    with pytest.raises(AppError) as failed:
        order_refund_approve(order_number=order.order_number)
    assert failed.value.error.code == 1048
    order.refresh_from_db()
    assert order.status == Order.STATUS_REFUNDING


def test_rejecting_returns_to_status_0_with_the_staff_memo(auth_api, paid_order):
    ask(auth_api, paid_order)
    order_refund_reject(order_number=paid_order.order_number, memo="课程已学完 80%")
    data = auth_api.get(f"/api/orders/{paid_order.order_number}/").json()["data"]
    assert (data["status"], data["refund_memo"], data["can_refund"]) == (0, "课程已学完 80%", False)
    assert ask(auth_api, paid_order).json()["code"] == 1052  # one request per order


def test_approval_emails_the_buyer_a_refund_receipt(
    auth_api, account, paid_order, django_capture_on_commit_callbacks
):
    account.email = "alex@example.com"
    account.save(update_fields=["email"])
    ask(auth_api, paid_order)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order_refund_approve(order_number=paid_order.order_number)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alex@example.com"]
    assert "已退费" in mail.outbox[0].subject
    assert "¥79.00" in mail.outbox[0].body


def test_a_refund_answer_keeps_money_as_two_decimal_strings(auth_api, paid_order):
    data = ask(auth_api, paid_order).json()["data"]
    assert data["actual_amount"] == "79.00"
    assert Decimal(data["actual_amount"]) == paid_order.actual_amount
