"""pay.order_services, called directly (the API tests go through HTTP): cancel, give back, time
out, mark paid and refunds, each read from the rows it leaves."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from course.models import Account
from pay.ledger import MAX_BALANCE
from pay.models import CouponRecord, Order, TransactionRecord
from pay.order_services import (
    order_cancel,
    order_mark_paid,
    order_refund_approve,
    order_refund_late_payment,
    order_refund_reject,
    order_refund_request,
    orders_cancel_expired,
    orders_time_out_due,
)
from tests.pay.order_fixtures import mark_paid
from utils.errors import AppError

pytestmark = pytest.mark.django_db


def _code(call) -> int:
    with pytest.raises(AppError) as raised:
        call()
    return raised.value.error.code


def _overdue(order: Order, settings) -> Order:
    Order.objects.filter(pk=order.pk).update(
        date=timezone.now() - timedelta(seconds=settings.ORDER_PAY_TIMEOUT + 1)
    )
    order.refresh_from_db()
    return order


def _refunds(order: Order) -> int:
    return TransactionRecord.objects.filter(
        order=order, transaction_type=TransactionRecord.TYPE_REFUND
    ).count()


# --- cancel and give back ----------------------------------------------------------------------


def test_cancelling_an_unpaid_order_gives_back_its_coupon_and_beili(
    account, place_order, course_coupon
):
    order = place_order(beili=100, coupon=course_coupon)

    cancelled = order_cancel(account_id=account.pk, order_number=order.order_number)

    course_coupon.refresh_from_db()
    account.refresh_from_db()
    assert cancelled.status == Order.STATUS_CANCELLED and cancelled.cancel_time is not None
    assert (course_coupon.status, course_coupon.order, course_coupon.used_time) == (0, None, None)
    assert account.balance == 100
    assert _refunds(order) == 1


def test_cancelling_twice_gives_back_once(account, place_order, course_coupon):
    order = place_order(beili=100, coupon=course_coupon)
    order_cancel(account_id=account.pk, order_number=order.order_number)

    assert _code(lambda: order_cancel(account_id=account.pk, order_number=order.order_number)) == (
        1051
    )

    account.refresh_from_db()
    assert account.balance == 100 and _refunds(order) == 1


def test_a_coupon_past_its_end_comes_back_expired_on_cancel(
    account, place_order, course_coupon, monkeypatch
):
    order = place_order(coupon=course_coupon)
    later = timezone.localdate() + timedelta(days=60)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: later)

    order_cancel(account_id=account.pk, order_number=order.order_number)

    course_coupon.refresh_from_db()
    assert (course_coupon.status, course_coupon.order) == (CouponRecord.STATUS_EXPIRED, None)


def test_an_order_paid_with_money_cannot_be_cancelled_1051(account, paid_order):
    assert (
        _code(lambda: order_cancel(account_id=account.pk, order_number=paid_order.order_number))
        == 1051
    )
    paid_order.refresh_from_db()
    assert paid_order.status == Order.STATUS_PAID


def test_another_accounts_order_is_1050(place_order, make_account):
    order = place_order()
    other = make_account("other")

    assert _code(lambda: order_cancel(account_id=other.pk, order_number=order.order_number)) == (
        1050
    )
    order.refresh_from_db()
    assert order.status == Order.STATUS_UNPAID


def test_a_cancel_whose_beili_would_pass_the_largest_balance_is_1002_and_changes_nothing(
    account, place_order, course_coupon
):
    # Staff credited the account to just under the column's limit after it paid with 贝里: the
    # 贝里 given back would not fit (PostgreSQL: "integer out of range", a 500 before).
    order = place_order(beili=100, coupon=course_coupon)
    full = MAX_BALANCE - 50
    Account.objects.filter(pk=account.pk).update(balance=full)

    assert (
        _code(lambda: order_cancel(account_id=account.pk, order_number=order.order_number)) == 1002
    )

    order.refresh_from_db()
    course_coupon.refresh_from_db()
    account.refresh_from_db()
    assert order.status == Order.STATUS_UNPAID and course_coupon.order == order
    assert account.balance == full and _refunds(order) == 0


def test_staff_cancel_any_accounts_order(place_order):
    order = place_order()

    assert order_cancel(account_id=None, order_number=order.order_number).status == (
        Order.STATUS_CANCELLED
    )


def test_cancelling_an_overdue_order_times_it_out_instead(account, place_order, settings):
    order = _overdue(place_order(beili=50), settings)

    assert (
        _code(lambda: order_cancel(account_id=account.pk, order_number=order.order_number)) == 1051
    )

    order.refresh_from_db()
    account.refresh_from_db()
    assert order.status == Order.STATUS_TIMED_OUT and account.balance == 50


# --- timeouts ----------------------------------------------------------------------------------


def test_timing_out_due_orders_touches_only_the_overdue_unpaid_ones(account, place_order, settings):
    overdue = _overdue(place_order(), settings)
    fresh = place_order()

    assert orders_time_out_due(account_id=account.pk) == 1

    overdue.refresh_from_db()
    fresh.refresh_from_db()
    assert (overdue.status, fresh.status) == (Order.STATUS_TIMED_OUT, Order.STATUS_UNPAID)


def test_timing_out_due_orders_with_nothing_due_changes_nothing(
    account, place_order, django_assert_num_queries
):
    order = place_order()

    with django_assert_num_queries(1):
        assert orders_time_out_due(account_id=account.pk) == 0

    order.refresh_from_db()
    assert order.status == Order.STATUS_UNPAID


def test_the_scheduled_timeout_gives_back_and_counts_every_overdue_order(
    account, place_order, course_coupon, settings
):
    order = _overdue(place_order(beili=30, coupon=course_coupon), settings)

    assert orders_cancel_expired() == (1, 0)

    order.refresh_from_db()
    course_coupon.refresh_from_db()
    account.refresh_from_db()
    assert order.status == Order.STATUS_TIMED_OUT
    assert course_coupon.status == CouponRecord.STATUS_UNUSED and account.balance == 30
    assert orders_cancel_expired() == (0, 0)  # nothing left, nothing given back twice
    assert _refunds(order) == 1


# --- the gateway's word ------------------------------------------------------------------------


def test_marking_paid_twice_changes_nothing_the_second_time(place_order):
    order = place_order()
    first = mark_paid(order)

    again = mark_paid(order, payment_number="ANOTHER")

    assert again.status == Order.STATUS_PAID
    assert (again.pay_time, again.payment_number) == (first.pay_time, first.payment_number)


def test_marking_paid_with_another_amount_is_1045(place_order):
    order = place_order()

    assert (
        _code(
            lambda: order_mark_paid(
                order_number=order.order_number,
                amount=order.actual_amount + Decimal("0.01"),
                payment_number="X",
            )
        )
        == 1045
    )
    order.refresh_from_db()
    assert order.status == Order.STATUS_UNPAID


def test_a_payment_after_the_deadline_times_the_order_out_and_flags_the_money(
    place_order, settings
):
    order = _overdue(place_order(), settings)

    order = mark_paid(order, payment_number="LATE")

    assert (order.status, order.refund_flagged, order.payment_number) == (
        Order.STATUS_TIMED_OUT,
        True,
        "LATE",
    )


# --- refunds -----------------------------------------------------------------------------------


def test_asking_a_refund_of_a_paid_order_sets_status_2_with_the_reason(account, paid_order):
    order = order_refund_request(
        account_id=account.pk, order_number=paid_order.order_number, reason="  not for me  "
    )

    assert (order.status, order.refund_reason) == (Order.STATUS_REFUNDING, "not for me")
    assert order.refund_request_time is not None


def test_approving_a_refund_gives_back_beili_and_coupons_and_sets_status_3(
    account, paid_order, course_coupon
):
    order_refund_request(account_id=account.pk, order_number=paid_order.order_number, reason="")

    order = order_refund_approve(order_number=paid_order.order_number, memo="ok")

    course_coupon.refresh_from_db()
    account.refresh_from_db()
    assert (order.status, order.refund_memo) == (Order.STATUS_REFUNDED, "ok")
    assert course_coupon.status == CouponRecord.STATUS_UNUSED and account.balance == 100
    assert _refunds(order) == 1


def test_approving_a_refund_nobody_asked_for_is_1052(paid_order):
    assert _code(lambda: order_refund_approve(order_number=paid_order.order_number)) == 1052


def test_rejecting_a_refund_sets_status_0_with_the_memo_and_gives_nothing_back(account, paid_order):
    order_refund_request(account_id=account.pk, order_number=paid_order.order_number, reason="")

    order = order_refund_reject(order_number=paid_order.order_number, memo=" no ")

    account.refresh_from_db()
    assert (order.status, order.refund_memo) == (Order.STATUS_PAID, "no")
    assert account.balance == 0 and _refunds(order) == 0
    assert (
        _code(
            lambda: order_refund_request(
                account_id=account.pk, order_number=paid_order.order_number, reason=""
            )
        )
        == 1052
    )


def test_returning_a_late_payment_clears_its_flag_once(place_order, settings):
    order = mark_paid(_overdue(place_order(), settings), payment_number="LATE")

    returned = order_refund_late_payment(order_number=order.order_number)

    assert (returned.refund_flagged, returned.refund_time is not None) == (False, True)
    assert _code(lambda: order_refund_late_payment(order_number=order.order_number)) == 1052
