"""Money under concurrency, with real threads on PostgreSQL (row locks are no-ops on SQLite)."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from pay import order_services, payment_services
from pay.ledger import beili_change
from pay.models import CouponRecord, IdempotencyKey, Order, TransactionRecord
from pay.settlement_store import settlement_read
from utils.errors import AppError

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("ledgers_stay_consistent"),
]


def race(n, work):
    """Run `work(i)` in n threads released together; returns each outcome ("ok" or the code)."""
    start = threading.Barrier(n)
    outcomes = [None] * n

    def run(i):
        start.wait()
        try:
            work(i)
            outcomes[i] = "ok"
        except AppError as error:
            outcomes[i] = error.error.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_twenty_concurrent_payments_of_one_settlement_make_one_order(
    auth_api, account, make_course, checkout, fund
):
    fund(account, 100_000)  # enough for every request: only the settlement can stop them
    checkout(auth_api, make_course("Python", prices=[("30", "99.00")]))

    def pay(i):
        payment_services.payment_create(account=account, beili=10_000, price=Decimal("0.00"))

    outcomes = race(20, pay)

    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} <= {1040}
    assert Order.objects.count() == 1
    account.refresh_from_db()
    assert account.balance == 100_000 - 990


def test_two_settlement_states_sharing_a_global_coupon_cannot_both_use_it(
    auth_api, account, make_course, checkout, make_coupon, give_coupon
):
    record = give_coupon(account, make_coupon())
    checkout(auth_api, make_course("Python", prices=[("30", "99.00")]), global_coupon=record)
    first = settlement_read(account.pk)
    checkout(auth_api, make_course("Go", prices=[("30", "50.00")]), global_coupon=record)
    second = settlement_read(account.pk)
    assert first.version != second.version
    states = [(first, "89.00"), (second, "40.00")]

    def pay(i):
        settlement, price = states[i]
        with payment_services.transaction.atomic():
            payment_services._pay(
                account=account,
                settlement=settlement,
                request=payment_services.PaymentRequest(beili=0, price=Decimal(price)),
            )

    outcomes = race(2, pay)

    assert sorted(outcomes, key=str) == sorted(["ok", 1043], key=str)
    assert CouponRecord.objects.get(pk=record.pk).status == CouponRecord.STATUS_USED
    assert Order.objects.count() == 1


def test_two_users_paying_with_records_of_one_rule_do_not_wait_on_each_other(
    make_account, client_for, make_course, checkout, make_coupon, give_coupon, fund
):
    # Given two users, each settling with their own record of one global rule
    rule = make_coupon()
    course = make_course("Python", prices=[("30", "99.00")])
    first, second = make_account("first"), make_account("second")
    for user in (first, second):
        fund(user, 1000)
        checkout(client_for(user), course, global_coupon=give_coupon(user, rule))
    held, release = threading.Event(), threading.Event()
    outcomes = {}

    def first_pays_and_holds_its_transaction_open():
        try:
            with payment_services.transaction.atomic():
                payment_services._pay(
                    account=first,
                    settlement=settlement_read(first.pk),
                    request=payment_services.PaymentRequest(beili=890, price=Decimal("0.00")),
                )
                held.set()
                release.wait(20)
            outcomes["first"] = "ok"
        finally:
            held.set()
            connection.close()

    def second_pays_meanwhile():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '3s'")  # a wait on the first's locks fails
            payment_services.payment_create(account=second, beili=890, price=Decimal("0.00"))
            outcomes["second"] = "ok"
        except Exception as exc:  # the outcome (a lock timeout before the fix) is what is read
            outcomes["second"] = repr(exc)
        finally:
            connection.close()

    holder = threading.Thread(target=first_pays_and_holds_its_transaction_open)
    holder.start()
    assert held.wait(20)
    # When the second pays while the first's transaction still holds its locks
    payer = threading.Thread(target=second_pays_meanwhile)
    payer.start()
    payer.join(30)
    finished_while_held = not release.is_set()
    release.set()
    holder.join(30)

    # Then the second did not wait for the first, and both paid with their own records
    assert outcomes == {"first": "ok", "second": "ok"} and finished_while_held
    assert Order.objects.filter(status=Order.STATUS_PAID).count() == 2
    assert CouponRecord.objects.filter(coupon=rule, status=CouponRecord.STATUS_USED).count() == 2


def test_concurrent_spends_never_take_the_balance_below_zero(account, fund):
    fund(account, 100)

    def spend(i):
        with payment_services.transaction.atomic():
            beili_change(account=account, amount=30, transaction_type=TransactionRecord.TYPE_SPEND)

    outcomes = race(10, spend)

    assert outcomes.count("ok") == 3
    assert outcomes.count(1042) == 7
    account.refresh_from_db()
    assert account.balance == 10


def test_cancel_racing_a_notification_ends_in_one_consistent_outcome(
    auth_api, account, make_course, checkout, fund, make_coupon, give_coupon
):
    for attempt in range(5):
        fund(account, 100)
        record = give_coupon(account, make_coupon(name=f"c{attempt}"))
        checkout(
            auth_api,
            make_course(f"course {attempt}", prices=[("30", "99.00")]),
            global_coupon=record,
        )
        answer = payment_services.payment_create(account=account, beili=100, price=Decimal("79.00"))
        number = answer["order_number"]
        outcomes = race(
            2, lambda i, number=number, attempt=attempt: _cancel_or_pay(i, number, attempt, account)
        )

        order = Order.objects.get(order_number=number)
        record.refresh_from_db()
        refunds = TransactionRecord.objects.filter(order=order, transaction_type=2).count()
        if order.status == Order.STATUS_PAID:  # the notification won; the cancel was refused
            assert outcomes == [1051, "ok"]
            assert record.status == CouponRecord.STATUS_USED and refunds == 0
        else:  # the cancel won; the payment is kept and flagged for a refund
            assert order.status == Order.STATUS_CANCELLED and outcomes == ["ok", "ok"]
            assert order.refund_flagged and order.payment_number == f"A{attempt}"
            assert record.status == CouponRecord.STATUS_UNUSED and refunds == 1


def _cancel_or_pay(i, number, attempt, account):
    if i == 0:
        order_services.order_cancel(account_id=account.pk, order_number=number)
    else:
        order_services.order_mark_paid(
            order_number=number, amount=Decimal("79.00"), payment_number=f"A{attempt}"
        )


def test_repeats_of_one_idempotency_key_racing_make_one_order_and_one_answer(
    auth_api, account, make_course, checkout, fund
):
    # Given a settlement paid all in 贝里, and ten requests with the same key and body
    fund(account, 2_000)
    checkout(auth_api, make_course("Python", prices=[("30", "99.00")]))
    body = {"balance": 990, "price": "0.00"}
    answers = []

    def repeat(i):
        answers.append(
            payment_services.idempotent(
                account=account,
                key="k-1",
                body=body,
                run=lambda claim: payment_services.payment_create(
                    account=account, beili=990, price=Decimal("0.00"), claim=claim
                ),
            )
        )

    # When they race
    outcomes = race(10, repeat)

    # Then one pays; the others are told it is running, or get its answer
    assert set(outcomes) <= {"ok", 1046}
    assert Order.objects.count() == 1
    assert answers and all(answer == answers[0] for answer in answers)
    assert IdempotencyKey.objects.get(key="k-1").response == answers[0]


def test_a_payment_that_waited_for_the_winners_lock_sees_its_order_and_answers_1040(
    auth_api, account, make_course, checkout, fund, make_coupon, give_coupon
):
    # Given a settlement with a coupon, paid all in 贝里, read by two payments before either pays
    fund(account, 2_000)
    python = make_course("Python", prices=[("30", "99.00")])
    record = give_coupon(account, make_coupon(course=python))
    checkout(auth_api, python, course_coupons={python: record})
    settlement = settlement_read(account.pk)
    request = payment_services.PaymentRequest(beili=890, price=Decimal("0.00"))
    holding, release = threading.Event(), threading.Event()
    outcomes = {}

    def winner_pays_and_holds_its_transaction_open():
        try:
            with payment_services.transaction.atomic():
                payment_services._pay(account=account, settlement=settlement, request=request)
                holding.set()
                release.wait(20)
        finally:
            holding.set()
            connection.close()

    def loser_pays_the_same_state():
        try:
            with payment_services.transaction.atomic():
                payment_services._pay(account=account, settlement=settlement, request=request)
            outcomes["loser"] = "ok"
        except payment_services._AlreadyPaid:
            outcomes["loser"] = "already paid"
        except AppError as error:
            outcomes["loser"] = error.error.code
        finally:
            connection.close()

    winner = threading.Thread(target=winner_pays_and_holds_its_transaction_open)
    winner.start()
    assert holding.wait(20)
    # When the loser asks for the account's lock while the winner holds it, and the winner commits
    loser = threading.Thread(target=loser_pays_the_same_state)
    loser.start()
    time.sleep(0.5)  # the loser is waiting on the account row by now
    release.set()
    winner.join(30)
    loser.join(30)

    # Then the loser sees the winner's order (not its used coupon, 1043, nor its spent 贝里, 1042)
    assert outcomes == {"loser": "already paid"}
    assert Order.objects.filter(account=account).count() == 1
