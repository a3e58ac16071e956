"""A WeChat Pay notification racing the pay timeout, and racing itself, with real threads on
PostgreSQL (row locks are no-ops on SQLite): one outcome each time, as with Alipay."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from pay import order_services, payment_services
from pay.models import CouponRecord, Order, TransactionRecord
from tests.pay import wechat_fakes as fakes
from tests.pay.test_payment_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("ledgers_stay_consistent"),
]
NOTIFY = "/api/payment/wechat/notify/"


def wechat_order(account, wechat_server):
    """An unpaid WeChat order of ¥79.00 (100 贝里 and a ¥10 coupon spent), already past its
    pay deadline but not yet timed out by the scheduled job."""
    wechat_server.reply(200, {"code_url": "weixin://wxpay/bizpayurl?pr=race"})
    answer = payment_services.payment_create(
        account=account,
        beili=100,
        price=Decimal("79.00"),
        gateway="wechat",
        channel="desktop",
    )
    order = Order.objects.get(order_number=answer["order_number"])
    Order.objects.filter(pk=order.pk).update(date=order.date - timedelta(hours=2))
    return order


def test_a_notification_racing_the_timeout_ends_in_one_outcome(
    auth_api,
    account,
    make_course,
    checkout,
    fund,
    make_coupon,
    give_coupon,
    wechat_server,
    platform,
):
    for attempt in range(5):
        fund(account, 100)
        record = give_coupon(account, make_coupon(name=f"c{attempt}"))
        checkout(
            auth_api,
            make_course(f"course {attempt}", prices=[("30", "99.00")]),
            global_coupon=record,
        )
        order = wechat_order(account, wechat_server)
        resource = fakes.transaction(order.order_number, 7900)
        body, headers = fakes.notification(platform, resource)
        answers = []

        def work(i, body=body, headers=headers, answers=answers):
            if i == 0:
                order_services.orders_cancel_expired()
            else:
                response = Client().generic(
                    "POST", NOTIFY, body, content_type="application/json", **headers
                )
                answers.append(response.status_code)

        outcomes = race(2, work)

        assert outcomes == ["ok", "ok"] and answers == [204]
        order.refresh_from_db()
        record.refresh_from_db()
        refunds = TransactionRecord.objects.filter(order=order, transaction_type=2).count()
        assert order.payment_number == resource["transaction_id"]
        if order.status == Order.STATUS_PAID:  # the notification won; the timeout skipped it
            assert not order.refund_flagged
            assert record.status == CouponRecord.STATUS_USED and refunds == 0
        else:  # the timeout won; the money is kept and flagged for a refund
            assert order.status == Order.STATUS_TIMED_OUT and order.refund_flagged
            assert record.status == CouponRecord.STATUS_UNUSED and refunds == 1


def test_ten_copies_of_one_notification_mark_the_order_paid_once(
    auth_api, account, make_course, checkout, fund, wechat_server, platform
):
    fund(account, 100)
    checkout(auth_api, make_course("Python", prices=[("30", "89.00")]))
    wechat_server.reply(200, {"code_url": "weixin://wxpay/bizpayurl?pr=copies"})
    answer = payment_services.payment_create(
        account=account,
        beili=100,
        price=Decimal("79.00"),
        gateway="wechat",
        channel="desktop",
    )
    number = answer["order_number"]
    body, headers = fakes.notification(platform, fakes.transaction(number, 7900))
    answers = []

    def work(i):
        response = Client().generic(
            "POST", NOTIFY, body, content_type="application/json", **headers
        )
        answers.append(response.status_code)

    race(10, work)

    assert answers == [204] * 10
    order = Order.objects.get(order_number=number)
    assert order.status == Order.STATUS_PAID
    assert TransactionRecord.objects.filter(order=order).count() == 1  # the 贝里 spent, once
