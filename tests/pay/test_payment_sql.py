"""A payment's SQL statements (bench/README.md, "A payment's statements"): at most 10 whatever
the number of courses, counted at the service (the request's authentication is not the
payment's). In a test the transaction's BEGIN and COMMIT are a SAVEPOINT and its RELEASE, so the
count is the one a request sends. On PostgreSQL the order, its lines, the coupons used, the 贝里
spent with their ledger row and the key's answer are one statement (utils.sql.Writes)."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection

from pay import payment_services
from pay.models import CouponRecord, IdempotencyKey, Order, TransactionRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(auth_api, account, make_course, make_coupon, give_coupon, checkout, fund):
    """`n` courses settled with a course coupon on the first and a global coupon chosen."""

    def settle(n: int):
        courses = [make_course(f"sql-{n}-{i}", prices=[("30", "100.00")]) for i in range(n)]
        course_coupon = give_coupon(account, make_coupon(course=courses[0], name="c"))
        global_coupon = give_coupon(
            account, make_coupon(name="g", money_equivalent_value=Decimal("1.00"))
        )
        fund(account, 100_000)
        data = checkout(
            auth_api,
            *courses,
            course_coupons={courses[0]: course_coupon},
            global_coupon=global_coupon,
        )
        return data, [course_coupon, global_coupon]

    return settle


def _beili_for(data) -> int:
    return int(Decimal(data["amount"]["payable"]) * 100)


def pay_with_key(account, body: dict) -> dict:
    return payment_services.idempotent(
        account=account,
        key="k-1",
        body=body,
        run=lambda claim: payment_services.payment_create(
            account=account, beili=body["balance"], price=Decimal(body["price"]), claim=claim
        ),
    )


def writes_together() -> bool:
    return connection.vendor == "postgresql"


@pytest.mark.parametrize("courses", [1, 3, 10])
def test_a_payment_with_beili_and_coupons_takes_six_statements_on_postgresql_ten_elsewhere(
    settled, account, django_assert_num_queries, courses
):
    data, coupons = settled(courses)

    # BEGIN, the account's lock, the policies with whether it was paid, the coupons' lock, then
    # the order, its lines, the coupons used, the 贝里 and the ledger row (one statement or five),
    # COMMIT
    with django_assert_num_queries(6 if writes_together() else 10):
        answer = payment_services.payment_create(
            account=account, beili=_beili_for(data), price=Decimal("0.00")
        )

    order = Order.objects.get(order_number=answer["order_number"])
    assert order.status == Order.STATUS_PAID and order.details.count() == courses
    assert {c.pk for c in CouponRecord.objects.filter(order=order)} == {c.pk for c in coupons}
    assert TransactionRecord.objects.filter(order=order).count() == 1


@pytest.mark.parametrize("courses", [1, 3, 10])
def test_a_payment_without_beili_or_coupons_takes_fewer(
    auth_api, account, make_course, checkout, django_assert_max_num_queries, courses
):
    checkout(auth_api, *(make_course(f"free-{i}", prices=[("30", "0.00")]) for i in range(courses)))

    with django_assert_max_num_queries(7):  # no coupon UPDATE, no 贝里 UPDATE and ledger row
        payment_services.payment_create(account=account, beili=0, price=Decimal("0.00"))

    assert Order.objects.get().status == Order.STATUS_PAID


@pytest.mark.parametrize("courses", [1, 3, 10])
def test_a_keyed_payment_adds_the_key_and_its_answer(
    settled, account, django_assert_num_queries, courses
):
    data, _ = settled(courses)
    body = {"balance": _beili_for(data), "price": "0.00"}

    # the payment's and the key's answer in its transaction (the lease is in Redis, and the
    # check for an answer rides on the policies' statement): with the order's writes on
    # PostgreSQL, one more statement elsewhere
    with django_assert_num_queries(6 if writes_together() else 11):
        pay_with_key(account, body)

    assert IdempotencyKey.objects.get().response["status"] == Order.STATUS_PAID


def test_a_keyed_payment_leaving_money_to_a_gateway_keeps_the_answer_after_asking_it(
    settled, account, django_assert_num_queries
):
    data, _ = settled(1)
    beili = int(Decimal(data["amount"]["payable"]) * settings.BEILI_PER_YUAN)
    body = {"balance": beili - settings.BEILI_PER_YUAN, "price": "1.00"}  # 1.00 left to pay

    # the gateway's answer is part of the key's, so the key is kept in a statement of its own
    with django_assert_num_queries(7 if writes_together() else 11):
        pay_with_key(account, body)

    kept = IdempotencyKey.objects.get().response
    assert kept["status"] == Order.STATUS_UNPAID and kept["pay_url"]
