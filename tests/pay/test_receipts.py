"""Receipts: a paid, cancelled, timed-out or refunded order emails its buyer after the commit,
never blocking or failing the change."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from pay import receipts
from pay.models import Order
from pay.order_services import order_cancel, order_refund_approve, orders_time_out_due
from tests.pay.order_fixtures import mark_paid

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(account):
    account.email = "alex@example.com"
    account.save(update_fields=["email"])
    return account


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run the block, then what it queued for after the commit; returns the mails sent."""

    class Block:
        def __enter__(self):
            mail.outbox.clear()
            self.inner = django_capture_on_commit_callbacks(execute=True)
            self.inner.__enter__()
            return mail.outbox

        def __exit__(self, *exc):
            return self.inner.__exit__(*exc)

    return Block


def test_an_order_paid_at_once_with_beili_sends_a_paid_receipt(buyer, place_order, after_commit):
    with after_commit() as sent:
        order = place_order(beili=990)
    assert [m.subject for m in sent] == [f"订单 {order.order_number} 支付成功"]
    assert sent[0].to == ["alex@example.com"]
    assert "Python" in sent[0].body and "贝里: 990" in sent[0].body


def test_a_gateway_payment_sends_a_paid_receipt(buyer, place_order, after_commit):
    order = place_order()
    with after_commit() as sent:
        mark_paid(order)
    assert [m.subject for m in sent] == [f"订单 {order.order_number} 支付成功"]


def test_an_unpaid_order_sends_nothing_until_it_is_paid(buyer, place_order, after_commit):
    with after_commit() as sent:
        place_order()
    assert sent == []


def test_a_cancel_sends_a_cancelled_receipt(buyer, place_order, after_commit):
    order = place_order()
    with after_commit() as sent:
        order_cancel(account_id=buyer.pk, order_number=order.order_number)
    assert [m.subject for m in sent] == [f"订单 {order.order_number} 已取消"]
    assert receipts.GIVEN_BACK in sent[0].body


def test_a_timeout_sends_a_timed_out_receipt(buyer, place_order, after_commit, settings):
    order = place_order()
    Order.objects.filter(pk=order.pk).update(
        date=timezone.now() - timedelta(seconds=settings.ORDER_PAY_TIMEOUT + 1)
    )
    with after_commit() as sent:
        orders_time_out_due(account_id=buyer.pk)
    assert [m.subject for m in sent] == [f"订单 {order.order_number} 超时未支付,已取消"]


def test_a_refund_sends_a_refunded_receipt(buyer, place_order, auth_api, after_commit):
    order = mark_paid(place_order())
    auth_api.post(f"/api/orders/{order.order_number}/refund/")
    with after_commit() as sent:
        order_refund_approve(order_number=order.order_number)
    assert [m.subject for m in sent] == [f"订单 {order.order_number} 已退费"]


def test_an_account_without_email_gets_no_receipt(account, place_order, after_commit):
    with after_commit() as sent:
        place_order(beili=990)
    assert sent == []


def test_a_payment_by_an_account_without_email_queues_no_receipt_work(
    account, place_order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        place_order(beili=990)
    assert [c for c in queued if c.__qualname__.startswith("receipt_on_commit")] == []


def test_a_change_rolled_back_sends_nothing(buyer, place_order, after_commit):
    order = place_order()
    with after_commit() as sent:
        with pytest.raises(RuntimeError):
            from django.db import transaction

            with transaction.atomic():
                order_cancel(account_id=buyer.pk, order_number=order.order_number)
                raise RuntimeError("rolled back")
    assert sent == []
    order.refresh_from_db()
    assert order.status == Order.STATUS_UNPAID


def test_a_broken_mail_server_neither_fails_nor_undoes_the_payment(
    buyer, place_order, after_commit, settings, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    with after_commit():
        order = place_order(beili=990)  # asserts the payment answered 1000
    assert Order.objects.get(pk=order.pk).status == Order.STATUS_PAID
    assert "was not sent" in caplog.text


def test_receipts_go_out_on_a_background_thread_by_default(settings, monkeypatch):
    settings.RECEIPTS_IN_BACKGROUND = True
    queued = []

    class Executor:
        def submit(self, fn, *args):
            queued.append((fn, args))

    monkeypatch.setattr(receipts, "_executor", Executor())
    receipts._dispatch(7, receipts.PAID)
    assert queued == [(receipts._send_in_background, (7, receipts.PAID))]
