"""Refunds under races, with real threads on PostgreSQL: each ends in one outcome."""

from decimal import Decimal

import pytest

from pay import order_services
from pay.gateways.dev import DevGateway
from pay.models import CouponRecord, Order, TransactionRecord
from tests.pay.order_fixtures import mark_paid
from tests.pay.test_payment_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("ledgers_stay_consistent"),
]


@pytest.fixture
def refunding(auth_api, paid_order):
    assert auth_api.post(f"/api/orders/{paid_order.order_number}/refund/").json()["code"] == 1000
    return paid_order


def refunds_of(order) -> int:
    return TransactionRecord.objects.filter(
        order=order, transaction_type=TransactionRecord.TYPE_REFUND
    ).count()


def test_ten_staff_approving_one_refund_refund_it_once(refunding, account, monkeypatch):
    calls = []
    real = DevGateway.refund

    def counting_refund(self, **kwargs):
        calls.append(kwargs["order_number"])
        return real(self, **kwargs)

    monkeypatch.setattr(DevGateway, "refund", counting_refund)
    outcomes = race(
        10, lambda i: order_services.order_refund_approve(order_number=refunding.order_number)
    )
    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} == {1052}
    assert calls == [refunding.order_number]
    refunding.refresh_from_db()
    account.refresh_from_db()
    assert refunding.status == Order.STATUS_REFUNDED
    assert (refunds_of(refunding), account.balance) == (1, 100)


def test_approve_racing_reject_ends_in_one_of_them(refunding):
    def work(i):
        if i % 2:
            order_services.order_refund_approve(order_number=refunding.order_number)
        else:
            order_services.order_refund_reject(order_number=refunding.order_number, memo="no")

    outcomes = race(6, work)
    assert outcomes.count("ok") == 1
    refunding.refresh_from_db()
    assert refunding.status in (Order.STATUS_REFUNDED, Order.STATUS_PAID)
    assert refunds_of(refunding) == (1 if refunding.status == Order.STATUS_REFUNDED else 0)


def test_approve_racing_a_late_notification_refunds_once_and_stays_refunded(refunding, account):
    def work(i):
        if i % 2:
            order_services.order_refund_approve(order_number=refunding.order_number)
        else:
            order_services.order_mark_paid(
                order_number=refunding.order_number,
                amount=refunding.actual_amount,
                payment_number=refunding.payment_number,
            )

    outcomes = race(8, work)
    assert outcomes.count("ok") == 4 + 1  # every notification is harmless, one approval wins
    refunding.refresh_from_db()
    account.refresh_from_db()
    assert (refunding.status, refunds_of(refunding), account.balance) == (3, 1, 100)
    assert not refunding.refund_flagged


def test_refund_requests_racing_cancels_of_a_paid_order_end_in_one_request(
    paid_order, account, client_for
):
    def work(i):
        if i % 2:
            order_services.order_refund_request(
                account_id=account.pk, order_number=paid_order.order_number, reason=str(i)
            )
        else:
            order_services.order_cancel(account_id=account.pk, order_number=paid_order.order_number)

    outcomes = race(10, work)
    assert outcomes.count("ok") == 1
    assert sorted(set(outcomes) - {"ok"}) == [1051, 1052]
    paid_order.refresh_from_db()
    assert paid_order.status == Order.STATUS_REFUNDING


def test_an_unpaid_order_raced_by_payment_cancel_and_refund_ends_consistent(
    place_order, course_coupon, account
):
    order = place_order(beili=100, coupon=course_coupon)

    def work(i):
        if i % 3 == 0:
            mark_paid(order)
        elif i % 3 == 1:
            order_services.order_cancel(account_id=account.pk, order_number=order.order_number)
        else:
            order_services.order_refund_request(
                account_id=account.pk, order_number=order.order_number, reason="r"
            )

    race(9, work)
    order.refresh_from_db()
    account.refresh_from_db()
    course_coupon.refresh_from_db()
    if order.status == Order.STATUS_CANCELLED:  # the cancel came first; the payment is flagged
        assert order.refund_flagged
        assert (account.balance, course_coupon.status, refunds_of(order)) == (100, 0, 1)
    else:  # paid first; then a refund may have been asked, never a cancel
        assert order.status in (Order.STATUS_PAID, Order.STATUS_REFUNDING)
        assert (account.balance, course_coupon.status, refunds_of(order)) == (0, 1, 0)
    assert order.actual_amount == Decimal("79.00")
    assert CouponRecord.objects.filter(order=order).count() == (
        0 if order.status == Order.STATUS_CANCELLED else 1
    )
