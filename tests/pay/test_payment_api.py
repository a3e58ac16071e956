"""POST /api/payment/ (codes 1040-1046), orders, cancel and timeout, on any database."""

import time
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from course.models import Account
from pay import idempotency_store, payment_services
from pay.gateways import dev
from pay.models import CouponRecord, IdempotencyKey, Order, OrderDetail, TransactionRecord
from pay.order_services import order_mark_paid
from pay.payment_services import fingerprint
from pay.settlement_store import settlement_read
from tests.helpers import pay
from tests.redis_counting import count_round_trips
from utils import keys

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ledgers_stay_consistent")]


@pytest.fixture
def django_course(make_course):
    return make_course("Django", prices=[("30", "199.00")])


BODY_99 = {"balance": 0, "price": "99.00"}  # what pay(api, price="99.00") sends


def test_paying_an_empty_settlement_is_1040(auth_api):
    assert pay(auth_api).json()["code"] == 1040


def test_a_wrong_price_is_1041_with_the_servers_price(auth_api, account, python, checkout):
    checkout(auth_api, python)
    body = pay(auth_api, price="1.00").json()
    assert body["code"] == 1041
    assert body["data"] == {"price": "99.00"}
    assert not Order.objects.exists()


def test_offering_more_beili_than_held_is_1042(auth_api, account, python, checkout, fund):
    fund(account, 100)
    checkout(auth_api, python)
    assert pay(auth_api, balance=101, price="88.90").json()["code"] == 1042
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{"balance": -1, "price": "1.00"}, {"balance": "x", "price": "1"}, {"price": "1.001"},
     {"price": "abc"}, {"price": None}, {"balance": True, "price": "1"}, {"price": "NaN"}, {}],
)  # fmt: skip
def test_malformed_payment_bodies_are_1002(auth_api, python, checkout, body):
    checkout(auth_api, python)
    response = auth_api.post("/api/payment/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == 1002


@pytest.mark.parametrize(
    "raw_price",
    ['"1e30"', "1e+30", '"1E+27"', '"' + "9" * 5000 + '"', '"NaN"', '"Infinity"', '"-Infinity"',
     "1e400", '"-0"', '"-0.00"', "-0.0", '"9.9E+1"', '"+99.00"', '"100000000.00"', "100000000",
     '"٩٩"', '" "', '"0x63"', "0.30000000000000004", "[99]"],
)  # fmt: skip
def test_a_price_beyond_what_money_columns_hold_or_not_plain_digits_is_1002(
    auth_api, python, checkout, raw_price
):
    checkout(auth_api, python)
    raw = f'{{"balance": 0, "price": {raw_price}}}'
    response = auth_api.generic("POST", "/api/payment/", raw, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, 1002)
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "raw_balance",
    ["2147483648", "1" + "0" * 30, '"1' + "0" * 30 + '"', "1e30", "3.0", "true", "false",
     '"3.0"', '"-1"', '"٣"', "null", "{}"],
)  # fmt: skip
def test_a_balance_that_is_not_a_holdable_integer_is_1002(auth_api, python, checkout, raw_balance):
    checkout(auth_api, python)
    raw = f'{{"balance": {raw_balance}, "price": "99.00"}}'
    response = auth_api.generic("POST", "/api/payment/", raw, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, 1002)
    assert not Order.objects.exists()


@pytest.mark.parametrize("price", ["99", "99.0", " 99.00 ", 99, 99.0, "00099.00"])
def test_a_price_in_plain_digits_as_string_or_number_is_accepted(auth_api, python, checkout, price):
    checkout(auth_api, python)
    body = auth_api.post("/api/payment/", {"price": price}, format="json").json()
    assert body["code"] == 1000
    assert body["data"]["actual_amount"] == "99.00"


def test_an_account_deactivated_around_its_tokens_cannot_pay_and_nothing_is_written(
    auth_api, account, python, checkout, fund
):
    fund(account, 2000)
    checkout(auth_api, python)
    # an update around the admin (whose save ends the account's tokens): the lock still sees it
    Account.objects.filter(pk=account.pk).update(is_active=False)
    response = pay(auth_api, balance=990, key="k-inactive")
    assert response.json()["code"] == 1001
    assert not Order.objects.exists()
    assert not IdempotencyKey.objects.exists()
    assert TransactionRecord.objects.filter(account=account).count() == 1  # the funding alone


def test_a_malformed_payment_does_not_take_its_idempotency_key(auth_api, python, checkout):
    checkout(auth_api, python)
    assert pay(auth_api, price="1e30", key="k-1").status_code == 400
    assert not IdempotencyKey.objects.exists()


def test_paying_all_with_beili_makes_a_paid_order(
    auth_api, account, python, django_course, checkout, fund, make_coupon, give_coupon
):
    fund(account, 5000)
    course_coupon = give_coupon(
        account, make_coupon(course=python, money_equivalent_value=Decimal("20"))
    )
    global_coupon = give_coupon(account, make_coupon(money_equivalent_value=Decimal("10")))
    data = checkout(
        auth_api,
        python,
        django_course,
        course_coupons={python: course_coupon},
        global_coupon=global_coupon,
    )
    assert data["amount"]["payable"] == "268.00"

    body = pay(auth_api, balance=5000, price="0.00").json()

    assert body["code"] == 1000
    assert body["data"]["status"] == Order.STATUS_PAID
    assert body["data"]["pay_url"] is None
    order = Order.objects.get(order_number=body["data"]["order_number"])
    assert (order.beili_used, order.actual_amount, order.payment_type) == (2680, Decimal("0"), 3)
    details = OrderDetail.objects.filter(order=order)
    assert sum(d.price for d in details) == Decimal("268.00")
    assert {d.object_id: d.original_price for d in details} == {
        python.pk: Decimal("99.00"),
        django_course.pk: Decimal("199.00"),
    }
    account.refresh_from_db()
    assert account.balance == 5000 - 2680
    spend = TransactionRecord.objects.get(order=order)
    assert (spend.transaction_type, spend.amount, spend.balance) == (1, 2680, 2320)
    used = CouponRecord.objects.filter(order=order)
    assert {r.pk for r in used} == {course_coupon.pk, global_coupon.pk}
    assert all(r.status == 1 and r.used_time for r in used)
    assert settlement_read(account.pk).lines == []


def test_money_left_to_pay_makes_an_unpaid_order_with_a_pay_url(
    auth_api, account, python, checkout, fund
):
    fund(account, 500)
    checkout(auth_api, python)
    body = pay(auth_api, balance=500, price="49.00").json()
    assert body["code"] == 1000
    assert body["data"]["status"] == Order.STATUS_UNPAID
    assert body["data"]["actual_amount"] == "49.00"
    assert body["data"]["gateway"] == "alipay"
    assert body["data"]["pay_url"].startswith(
        f"/api/payment/dev_gateway/{body['data']['order_number']}/?sign="
    )


def test_a_coupon_used_since_it_was_chosen_is_1043(
    auth_api, account, python, checkout, make_coupon, give_coupon
):
    record = give_coupon(account, make_coupon())
    checkout(auth_api, python, global_coupon=record)
    CouponRecord.objects.filter(pk=record.pk).update(status=1, used_time=timezone.now())
    body = pay(auth_api, price="89.00").json()
    assert (body["code"], body["data"]) == (1043, {"price": "99.00"})
    assert not Order.objects.exists()


def test_a_course_gone_off_sale_before_payment_is_1023(auth_api, python, checkout):
    from course.models import Course

    checkout(auth_api, python)
    Course.objects.filter(pk=python.pk).update(status=Course.STATUS_OFFLINE)
    assert pay(auth_api, price="99.00").json()["code"] == 1023


def test_the_same_idempotency_key_and_body_return_the_first_answer(
    auth_api, account, python, checkout
):
    checkout(auth_api, python)
    first = pay(auth_api, price="99.00", key="k-1").json()
    again = pay(auth_api, price="99.00", key="k-1").json()
    assert first == again
    assert Order.objects.count() == 1


def test_a_keyed_body_with_a_lone_surrogate_in_an_unknown_field_is_paid_not_a_500(
    auth_api, python, checkout
):
    checkout(auth_api, python)
    raw = '{"balance": 0, "price": "99.00", "note": "\\ud800"}'
    response = auth_api.generic(
        "POST", "/api/payment/", raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert response.json()["code"] == 1000
    again = auth_api.generic(
        "POST", "/api/payment/", raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert again.json() == response.json()
    assert Order.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_1044(auth_api, python, checkout):
    checkout(auth_api, python)
    pay(auth_api, price="99.00", key="k-1")
    response = pay(auth_api, price="98.00", key="k-1")
    assert response.status_code == 422
    assert response.json()["code"] == 1044


def test_a_retry_after_the_lease_of_a_killed_request_ran_out_runs(
    auth_api, account, python, checkout, redis_client
):
    # Given a request killed mid-way: its transaction rolled back, its lease left to run out
    checkout(auth_api, python)
    assert idempotency_store.lease_take(account.pk, "k-1", fingerprint(BODY_99))
    redis_client.pexpire(keys.idempotency_lease(account.pk, "k-1"), 1)
    time.sleep(0.01)
    # When the client retries with the same key and body
    body = pay(auth_api, price="99.00", key="k-1").json()
    # Then the payment runs, and its answer is the key's from now on
    assert body["code"] == 1000
    assert Order.objects.count() == 1
    assert IdempotencyKey.objects.get(key="k-1").response == body["data"]
    assert pay(auth_api, price="99.00", key="k-1").json() == body


@pytest.mark.parametrize(
    ("price", "status", "code"),
    [("99.00", 409, 1046), ("98.00", 422, 1044)],
    ids=["the same body is 1046", "another body is 1044"],
)
def test_a_repeat_while_the_first_request_holds_the_lease(
    auth_api, account, python, checkout, price, status, code
):
    checkout(auth_api, python)
    # the first request, still running
    assert idempotency_store.lease_take(account.pk, "k-1", fingerprint(BODY_99))
    response = pay(auth_api, price=price, key="k-1")
    assert response.status_code == status
    assert response.json()["code"] == code
    assert not Order.objects.exists()


def test_the_lease_lasts_idempotency_lease_seconds(account, settings, redis_client):
    settings.IDEMPOTENCY_LEASE_SECONDS = 5
    assert idempotency_store.lease_take(account.pk, "k-1", "d")
    assert 0 < redis_client.pttl(keys.idempotency_lease(account.pk, "k-1")) <= 5_000
    assert not idempotency_store.lease_take(account.pk, "k-1", "d")


def test_the_lease_is_released_once_the_payment_is_answered_or_refused(
    auth_api, account, python, checkout, redis_client
):
    checkout(auth_api, python)
    assert pay(auth_api, price="1.00", key="k-1").json()["code"] == 1041
    assert pay(auth_api, price="99.00", key="k-2").json()["code"] == 1000
    assert redis_client.exists(keys.idempotency_lease(account.pk, "k-1")) == 0
    assert redis_client.exists(keys.idempotency_lease(account.pk, "k-2")) == 0


def test_a_keyed_payment_holds_its_lease_to_its_body_while_it_runs(
    auth_api, account, python, checkout, redis_client, monkeypatch
):
    checkout(auth_api, python)
    held = []
    run = payment_services._pay

    def pay_and_look(**kwargs):
        held.append(redis_client.get(keys.idempotency_lease(account.pk, "k-1")))
        return run(**kwargs)

    monkeypatch.setattr(payment_services, "_pay", pay_and_look)
    assert pay(auth_api, price="99.00", key="k-1").json()["code"] == 1000
    assert held == [fingerprint(BODY_99)]
    assert redis_client.exists(keys.idempotency_lease(account.pk, "k-1")) == 0


def test_a_keyed_payment_takes_its_lease_in_the_tokens_round_trip_two_in_all(
    auth_api, python, checkout, settings
):
    checkout(auth_api, python)
    with count_round_trips() as trips:
        assert pay(auth_api, price="99.00", key="k-1").json()["code"] == 1000
    # the token with the settlement and the lease, and the clearing that releases it (Cluster:
    # a node is asked for the pipelined scripts' keys first)
    assert trips.count == (4 if settings.REDIS_CLUSTER else 2)


@pytest.mark.parametrize("token", ["another secret", "ended"])
def test_a_token_that_is_not_good_takes_no_lease(
    api, auth_api, account, python, checkout, redis_client, token
):
    checkout(auth_api, python)
    good = auth_api._credentials["HTTP_AUTHORIZATION"].split()[1]
    if token == "ended":  # logout on every device ends it
        assert auth_api.post("/api/logout/all/").json()["code"] == 1000
        sent = good
    else:
        sent = f"{account.pk}.{'0' * 40}"
    api.credentials(HTTP_AUTHORIZATION=f"Token {sent}")
    response = api.post("/api/payment/", BODY_99, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 401
    assert redis_client.exists(keys.idempotency_lease(account.pk, "k-1")) == 0


def test_a_keyed_body_that_does_not_parse_is_1002_with_the_parsers_message_and_no_lease(
    auth_api, account, python, checkout, redis_client
):
    checkout(auth_api, python)
    response = auth_api.generic(
        "POST", "/api/payment/", '{"price": "99.00",', content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (400, 1002)
    assert "JSON parse error" in response.json()["error"]  # as without a key
    assert redis_client.exists(keys.idempotency_lease(account.pk, "k-1")) == 0


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_another_method_with_a_key_takes_no_lease(
    auth_api, account, python, checkout, redis_client, method
):
    checkout(auth_api, python)
    response = getattr(auth_api, method)("/api/payment/", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 405
    assert redis_client.exists(keys.idempotency_lease(account.pk, "k-1")) == 0
    assert pay(auth_api, price="99.00", key="k-1").json()["code"] == 1000


def test_a_keyed_body_the_serializer_refuses_takes_no_lease_so_a_corrected_retry_runs(
    auth_api, account, python, checkout, redis_client
):
    checkout(auth_api, python)
    response = auth_api.post(
        "/api/payment/", {"balance": 0, "price": "abc"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert (response.status_code, response.json()["code"]) == (400, 1002)
    assert redis_client.exists(keys.idempotency_lease(account.pk, "k-1")) == 0
    assert pay(auth_api, price="99.00", key="k-1").json()["code"] == 1000


def test_a_key_too_long_is_1002_and_takes_no_lease(auth_api, account, python, checkout):
    checkout(auth_api, python)
    response = pay(auth_api, price="99.00", key="k" * 256)
    assert (response.status_code, response.json()["code"]) == (400, 1002)
    assert not Order.objects.exists()


def test_a_repeat_that_finds_no_lease_gets_the_first_answer_under_the_accounts_lock(
    auth_api, account, python, checkout
):
    # Given a paid key, and the same checkout's body settled again (its lease long released)
    checkout(auth_api, python)
    first = pay(auth_api, price="99.00", key="k-1").json()
    checkout(auth_api, python)
    # When the same key and body come again, the settlement not empty this time
    again = pay(auth_api, price="99.00", key="k-1").json()
    # Then the payment finds the key's answer after the lock, and nothing more is written
    assert again == first
    assert Order.objects.count() == 1


def test_a_repeat_after_the_settlement_was_cleared_reads_its_answer_without_a_lease(
    auth_api, account, python, checkout, redis_client, settings
):
    checkout(auth_api, python)
    first = pay(auth_api, price="99.00", key="k-1").json()
    with CaptureQueriesContext(connection) as queries, count_round_trips() as trips:
        again = pay(auth_api, price="99.00", key="k-1").json()
    assert again == first
    assert len(queries) == 1  # the key's answer
    # the token's round trip, with the (empty) settlement and the lease's script, which takes
    # none for an empty settlement (a Cluster pipeline first asks a node which keys each
    # script names: redis-py's COMMAND GETKEYS, two more)
    assert trips.count == (3 if settings.REDIS_CLUSTER else 1)
    assert redis_client.exists(keys.idempotency_lease(account.pk, "k-1")) == 0


@pytest.mark.parametrize(
    "paid_with",
    [{"price": "99.00"}, {"balance": 990, "price": "0.00"}],
    ids=["money left to a gateway", "贝里 alone: the answer kept with the order's writes"],
)
def test_the_keys_answer_is_committed_with_the_order_or_not_at_all(
    auth_api, account, python, checkout, fund, paid_with
):
    def keep_then_fail(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "INSERT INTO pay_idempotency_key" in sql:
            raise RuntimeError("the worker fails before the commit")
        return result

    fund(account, 2000)
    checkout(auth_api, python)
    with connection.execute_wrapper(keep_then_fail), pytest.raises(RuntimeError):
        pay(auth_api, key="k-1", **paid_with)
    assert not Order.objects.exists()
    assert not IdempotencyKey.objects.exists()
    assert Account.objects.get(pk=account.pk).balance == 2000


def test_a_key_left_running_by_the_previous_version_is_1046_until_its_lease_ends(
    auth_api, account, python, checkout
):
    from pay.payment_services import fingerprint

    checkout(auth_api, python)
    IdempotencyKey.objects.create(
        account=account,
        key="k-1",
        fingerprint=fingerprint({"balance": 0, "price": "99.00"}),
        owner="another-request",
        lease_until=timezone.now() + timedelta(seconds=30),
    )
    assert pay(auth_api, price="99.00", key="k-1").json()["code"] == 1046
    IdempotencyKey.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    assert pay(auth_api, price="99.00", key="k-1").json()["code"] == 1000


def test_a_keyed_payment_spends_no_query_on_deleting_expired_keys(auth_api, python, checkout):
    checkout(auth_api, python)
    with CaptureQueriesContext(connection) as queries:
        assert pay(auth_api, price="99.00", key="k-1").json()["code"] == 1000
    deletes = [q["sql"] for q in queries if q["sql"].startswith("DELETE")]
    assert deletes == []


def test_clear_idempotency_keys_deletes_only_keys_past_a_day(account, make_account):
    other = make_account("other")
    for owner, key, age in [(account, "old", 25), (other, "old", 48), (account, "new", 23)]:
        entry = IdempotencyKey.objects.create(account=owner, key=key, fingerprint="f")
        IdempotencyKey.objects.filter(pk=entry.pk).update(
            created=timezone.now() - timedelta(hours=age)
        )
    out = StringIO()
    call_command("clear_idempotency_keys", stdout=out)
    assert "deleted 2" in out.getvalue()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_a_refused_payment_does_not_keep_its_idempotency_key(auth_api, python, checkout):
    checkout(auth_api, python)
    assert pay(auth_api, price="1.00", key="k-1").json()["code"] == 1041
    assert pay(auth_api, price="99.00", key="k-2").json()["code"] == 1000
    assert not IdempotencyKey.objects.filter(key="k-1").exists()


def test_an_idempotency_key_older_than_a_day_is_forgotten(
    auth_api, account, python, checkout, make_course
):
    checkout(auth_api, python)
    pay(auth_api, price="99.00", key="k-1")
    IdempotencyKey.objects.update(created=timezone.now() - timedelta(hours=25))
    checkout(auth_api, make_course("Go", prices=[("30", "10.00")]))
    body = pay(auth_api, price="10.00", key="k-1").json()
    assert body["code"] == 1000
    assert Order.objects.count() == 2


# --- orders ------------------------------------------------------------------------------


def test_orders_list_and_detail_show_the_lines(auth_api, python, checkout):
    checkout(auth_api, python)
    number = pay(auth_api, price="99.00").json()["data"]["order_number"]
    [listed] = auth_api.get("/api/orders/").json()["data"]["results"]
    assert listed["order_number"] == number
    detail = auth_api.get(f"/api/orders/{number}/").json()["data"]
    assert detail["details"][0]["title"] == "Python"
    assert detail["details"][0]["price"] == "99.00"


def test_an_unpaid_order_can_be_paid_and_cancelled(auth_api, python, checkout, settings):
    settings.ALIPAY_APP_ID = ""
    checkout(auth_api, python)
    number = pay(auth_api, price="99.00").json()["data"]["order_number"]
    order = auth_api.get(f"/api/orders/{number}/").json()["data"]
    assert (order["can_pay"], order["can_cancel"]) == (True, True)
    paying = auth_api.post(f"/api/orders/{number}/pay/").json()
    assert paying["data"]["pay_url"] == dev.pay_url(number, Decimal("99.00"))


def test_an_unpaid_order_past_the_pay_timeout_reads_as_timed_out_without_the_command(
    auth_api, python, checkout, settings
):
    settings.ALIPAY_APP_ID = ""
    checkout(auth_api, python)
    number = pay(auth_api, price="99.00").json()["data"]["order_number"]
    Order.objects.filter(order_number=number).update(
        date=timezone.now() - timedelta(seconds=settings.ORDER_PAY_TIMEOUT + 1)
    )
    order = auth_api.get(f"/api/orders/{number}/").json()["data"]
    assert (order["status"], order["can_pay"], order["can_cancel"]) == (5, False, False)
    assert auth_api.post(f"/api/orders/{number}/pay/").json()["code"] == 1053


def test_an_order_paid_with_money_can_be_neither_paid_nor_cancelled(auth_api, python, checkout):
    checkout(auth_api, python)
    number = pay(auth_api, price="99.00").json()["data"]["order_number"]
    order_mark_paid(order_number=number, amount=Decimal("99.00"), payment_number="A1")
    order = auth_api.get(f"/api/orders/{number}/").json()["data"]
    assert (order["can_pay"], order["can_cancel"]) == (False, False)
    assert auth_api.post(f"/api/orders/{number}/pay/").json()["code"] == 1053


def test_an_order_paid_with_beili_only_can_be_cancelled(auth_api, account, python, checkout, fund):
    fund(account, 990)
    checkout(auth_api, python)
    number = pay(auth_api, balance=990, price="0.00").json()["data"]["order_number"]
    order = auth_api.get(f"/api/orders/{number}/").json()["data"]
    assert (order["status"], order["can_pay"], order["can_cancel"]) == (0, False, True)


def test_another_accounts_order_is_1050(auth_api, python, checkout, make_account, client_for):
    checkout(auth_api, python)
    number = pay(auth_api, price="99.00").json()["data"]["order_number"]
    other = client_for(make_account("other"))
    response = other.get(f"/api/orders/{number}/")
    assert response.status_code == 404
    assert response.json()["code"] == 1050
    assert other.post(f"/api/orders/{number}/cancel/").json()["code"] == 1050


def test_cancel_gives_back_coupons_and_beili_exactly_once(
    auth_api, account, python, checkout, fund, make_coupon, give_coupon
):
    fund(account, 1000)
    record = give_coupon(account, make_coupon())
    checkout(auth_api, python, global_coupon=record)
    number = pay(auth_api, balance=890, price="0.00").json()["data"]["order_number"]

    body = auth_api.post(f"/api/orders/{number}/cancel/").json()
    assert body["code"] == 1000
    assert body["data"]["status"] == Order.STATUS_CANCELLED
    again = auth_api.post(f"/api/orders/{number}/cancel/").json()
    assert again["code"] == 1051

    account.refresh_from_db()
    assert account.balance == 1000
    record.refresh_from_db()
    assert (record.status, record.order_id, record.used_time) == (0, None, None)
    assert (
        TransactionRecord.objects.filter(transaction_type=TransactionRecord.TYPE_REFUND).count()
        == 1
    )


def test_cancel_of_a_coupon_expired_meanwhile_gives_it_back_as_expired(
    auth_api, account, python, checkout, make_coupon, give_coupon, today, monkeypatch
):
    record = give_coupon(account, make_coupon(valid_end_date=today + timedelta(days=1)))
    checkout(auth_api, python, global_coupon=record)
    number = pay(auth_api, price="89.00").json()["data"]["order_number"]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today + timedelta(days=2))
    auth_api.post(f"/api/orders/{number}/cancel/")
    record.refresh_from_db()
    assert record.status == CouponRecord.STATUS_EXPIRED


def test_an_order_paid_with_money_cannot_be_cancelled(auth_api, python, checkout):
    checkout(auth_api, python)
    number = pay(auth_api, price="99.00").json()["data"]["order_number"]
    order_mark_paid(order_number=number, amount=Decimal("99.00"), payment_number="A1")
    assert auth_api.post(f"/api/orders/{number}/cancel/").json()["code"] == 1051


def test_unpaid_orders_time_out_and_give_back(auth_api, account, python, checkout, fund, settings):
    fund(account, 100)
    checkout(auth_api, python)
    number = pay(auth_api, balance=100, price="89.00").json()["data"]["order_number"]
    settings.ORDER_PAY_TIMEOUT = 60
    call_command("cancel_expired_orders")
    assert Order.objects.get(order_number=number).status == Order.STATUS_UNPAID
    Order.objects.update(date=timezone.now() - timedelta(seconds=61))
    call_command("cancel_expired_orders")
    call_command("cancel_expired_orders")
    assert Order.objects.get(order_number=number).status == Order.STATUS_TIMED_OUT
    account.refresh_from_db()
    assert account.balance == 100


# --- the gateway's notification ------------------------------------------------------------


def test_mark_paid_is_done_once_and_repeats_are_harmless(auth_api, python, checkout):
    checkout(auth_api, python)
    number = pay(auth_api, price="99.00").json()["data"]["order_number"]
    first = order_mark_paid(order_number=number, amount=Decimal("99.00"), payment_number="A1")
    paid_at = first.pay_time
    again = order_mark_paid(order_number=number, amount=Decimal("99.00"), payment_number="A1")
    assert again.status == Order.STATUS_PAID
    assert again.pay_time == paid_at


def test_mark_paid_with_another_amount_is_1045(auth_api, python, checkout):
    from utils.errors import AppError

    checkout(auth_api, python)
    number = pay(auth_api, price="99.00").json()["data"]["order_number"]
    with pytest.raises(AppError) as caught:
        order_mark_paid(order_number=number, amount=Decimal("9.90"), payment_number="A1")
    assert caught.value.error.code == 1045


def test_a_payment_for_a_cancelled_order_is_kept_and_flagged_for_refund(auth_api, python, checkout):
    checkout(auth_api, python)
    number = pay(auth_api, price="99.00").json()["data"]["order_number"]
    auth_api.post(f"/api/orders/{number}/cancel/")
    order = order_mark_paid(order_number=number, amount=Decimal("99.00"), payment_number="A1")
    assert order.status == Order.STATUS_CANCELLED
    assert order.refund_flagged and order.payment_number == "A1"


@pytest.fixture
def gateway_order(auth_api, python, checkout, settings):
    """An unpaid ¥99.00 order, with DEBUG on and no Alipay keys: the dev gateway is there.
    Returns the signed URL handed to its owner."""
    settings.DEBUG = True
    settings.ALIPAY_APP_ID = ""
    checkout(auth_api, python)
    return pay(auth_api, price="99.00").json()["data"]["pay_url"]


def number_of(url):
    return url.split("/")[-2]


def test_the_dev_gateway_completes_a_payment_when_debug(api, gateway_order):
    page = api.get(gateway_order)
    assert page.status_code == 200 and "99.00" in page.content.decode()
    assert api.post(gateway_order).json()["data"]["status"] == 0


def test_the_dev_gateway_refuses_deeply_nested_json_with_1002(api, gateway_order):
    body = "[" * 100_000 + "]" * 100_000
    url = gateway_order  # the signed page the owner was handed
    response = api.post(url, body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == 1002
    assert Order.objects.get(order_number=number_of(gateway_order)).status == Order.STATUS_UNPAID


def test_the_dev_gateway_page_form_pays_and_sends_the_browser_back_to_the_shop(api, gateway_order):
    number = number_of(gateway_order)
    assert 'name="back_to_shop"' in api.get(gateway_order).content.decode()
    response = api.post(
        gateway_order, "back_to_shop=1", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 302
    assert response["Location"] == f"/#/orders?order={number}"
    assert Order.objects.get(order_number=number).status == Order.STATUS_PAID


def test_the_dev_gateway_refuses_a_body_that_is_not_an_object_and_pays_nothing(api, gateway_order):
    response = api.post(gateway_order, [1], format="json")
    assert (response.status_code, response.json()["code"]) == (400, 1002)
    assert Order.objects.get(order_number=number_of(gateway_order)).status == Order.STATUS_UNPAID


def test_the_dev_gateway_does_not_exist_without_debug(api, gateway_order, settings):
    settings.DEBUG = False
    assert api.post(gateway_order).status_code == 404
    assert Order.objects.get(order_number=number_of(gateway_order)).status == Order.STATUS_UNPAID


def test_a_patch_landing_while_the_payment_runs_does_not_make_the_courses_payable_again(
    auth_api, account, python, checkout, fund, monkeypatch
):
    from pay import payment_services
    from tests.helpers import patch_settlement, read_settlement

    # Given a settlement of Python paid with 贝里, and a PATCH of it that lands after the
    # payment read the settlement but before it committed
    fund(account, 2000)
    checkout(auth_api, python)
    real_pay = payment_services._pay

    def pay_while_the_buyer_patches(**kwargs):
        assert patch_settlement(auth_api, course_id=python.pk, coupon_id=None)["code"] == 1000
        return real_pay(**kwargs)

    monkeypatch.setattr(payment_services, "_pay", pay_while_the_buyer_patches)
    first = pay(auth_api, balance=990, price="0.00").json()
    monkeypatch.setattr(payment_services, "_pay", real_pay)

    # When the buyer pays again
    again = pay(auth_api, balance=990, price="0.00").json()

    # Then the first payment bought the course once, the checkout is cleared, and the second is
    # 1040 with the first's order: one order, 贝里 spent once
    assert first["code"] == 1000
    assert read_settlement(auth_api)["settlement_list"] == []
    assert again["code"] == 1040
    assert Order.objects.count() == 1
    account.refresh_from_db()
    assert account.balance == 2000 - 990


# --- clearing the paid settlement ------------------------------------------------------------


def test_a_paid_settlement_is_cleared_in_one_round_trip_when_nothing_changed_it(
    auth_api, account, python, checkout, monkeypatch
):
    from pay import payment_services
    from tests.redis_counting import count_round_trips

    checkout(auth_api, python)
    clear = payment_services._clear_settlement
    trips = []

    def counted(*args, **kwargs):
        with count_round_trips() as counting:
            clear(*args, **kwargs)
        trips.append(counting.count)

    monkeypatch.setattr(payment_services, "_clear_settlement", counted)
    assert pay(auth_api, price="99.00").json()["code"] == 1000
    assert trips == [1]
    assert settlement_read(account.pk).lines == []


def test_a_settlement_changed_while_the_payment_ran_is_cleared_all_the_same(
    auth_api, account, python, checkout, monkeypatch
):
    from pay import payment_services, settlement_services

    checkout(auth_api, python)
    run = payment_services._pay

    def pay_while_the_user_patches(**kwargs):
        order = run(**kwargs)
        # another tab changes the settlement after the payment read it
        settlement_services.settlement_choose(
            account_id=account.pk, course_id=python.pk, coupon_id=None
        )
        return order

    monkeypatch.setattr(payment_services, "_pay", pay_while_the_user_patches)
    assert pay(auth_api, price="99.00").json()["code"] == 1000
    assert settlement_read(account.pk).lines == []  # the paid checkout, changed or not


def test_a_payment_reads_its_settlement_with_the_token_two_round_trips_in_all(
    auth_api, python, checkout, settings
):
    from tests.redis_counting import count_round_trips

    checkout(auth_api, python)
    with count_round_trips() as trips:
        assert pay(auth_api, price="99.00").json()["code"] == 1000
    # the token with the settlement, and the clearing (Cluster: a node is asked for the
    # pipelined script's keys first)
    assert trips.count == (3 if settings.REDIS_CLUSTER else 2)
