"""Backing services failing mid-flow: the client gets 1003/503 and nothing is half-changed.

Redis is made to fail from the n-th round trip of a request on (and stay down), for every n until
the request gets through; after each failure the user's Redis keys and the database are exactly
as before. The database is made unreachable by pointing the connection at a closed port.
"""

from contextlib import contextmanager

import pytest
import redis
from django.db import connection
from redis.connection import AbstractConnection

from course.models import Account
from pay.models import CouponRecord, Order, TransactionRecord
from tests.helpers import add_to_cart, policies_of
from tests.helpers import redis_dump as redis_state

pytestmark = pytest.mark.django_db


@contextmanager
def redis_down_after(n: int):
    """Every Redis round trip from the n-th (0-based) on fails as if the server were gone."""
    original = AbstractConnection.send_packed_command
    sent = [0]

    def failing(self, command, check_health=True):
        if check_health:
            if sent[0] >= n:
                raise redis.exceptions.ConnectionError("injected: Redis is down")
            sent[0] += 1
        return original(self, command, check_health)

    AbstractConnection.send_packed_command = failing  # type: ignore[method-assign]  # fault injection
    try:
        yield
    finally:
        AbstractConnection.send_packed_command = original  # type: ignore[method-assign]


def db_state() -> tuple:
    return (
        list(Account.objects.order_by("pk").values_list("pk", "balance")),
        list(CouponRecord.objects.order_by("pk").values_list("pk", "status", "order_id")),
        Order.objects.count(),
        TransactionRecord.objects.count(),
    )


def fail_at_each_step(call, redis_client, max_steps=30, least=2):
    """Call under Redis failing from step 0, 1, 2...; each failure must be 1003/503 with nothing
    changed. Returns the first successful answer, which must come no earlier than step `least`
    (past the token lookup)."""
    for n in range(max_steps):
        before = (redis_state(redis_client), db_state())
        with redis_down_after(n):
            response = call()
        if response.status_code == 200 and response.json()["code"] == 1000:
            assert n >= least, "the failure was never injected past the token lookup"
            return response.json()
        assert response.status_code == 503, (n, response.content)
        assert response.json()["code"] == 1003
        assert (redis_state(redis_client), db_state()) == before, f"half-changed at step {n}"
    raise AssertionError("the request never got through")


@pytest.fixture
def flow(auth_api, account, make_course, fund, make_coupon, give_coupon):
    fund(account, 1000)
    python = make_course("Python", prices=[("30", "99.00")])
    go = make_course("Go", prices=[("30", "50.00")])
    coupon = give_coupon(account, make_coupon())
    for course in (python, go):
        add_to_cart(auth_api, course)
    return {"python": python, "go": go, "coupon": coupon}


def test_cart_add_with_redis_failing_changes_nothing(auth_api, make_course, redis_client):
    course = make_course("Rust", prices=[("30", "10.00")])
    body = {"course_id": course.pk, "price_policy_id": policies_of(course)[0].pk}
    fail_at_each_step(
        lambda: auth_api.post("/api/shopping_car/", body, format="json"), redis_client
    )


def test_settlement_post_with_redis_failing_changes_nothing(auth_api, flow, redis_client):
    auth_api.post("/api/settlement/", {"course_list": [flow["python"].pk]}, format="json")
    answer = fail_at_each_step(
        lambda: auth_api.post("/api/settlement/", {"course_list": [flow["go"].pk]}, format="json"),
        redis_client,
    )
    assert [line["title"] for line in answer["data"]["settlement_list"]] == ["Go"]


def test_settlement_patch_with_redis_failing_changes_nothing(auth_api, flow, redis_client):
    auth_api.post("/api/settlement/", {"course_list": [flow["python"].pk]}, format="json")
    # the settlement's permit (kept by the POST) lets the choice be written in the token's own
    # round trip: the first step that can fail is the only one
    fail_at_each_step(
        lambda: auth_api.patch(
            "/api/settlement/", {"global_coupon_id": flow["coupon"].pk}, format="json"
        ),
        redis_client,
        least=1,
    )


def test_settlement_patch_decided_in_python_with_redis_failing_changes_nothing(
    auth_api, account, flow, redis_client
):
    from utils import keys

    auth_api.post("/api/settlement/", {"course_list": [flow["python"].pk]}, format="json")
    redis_client.delete(keys.settlement_permit(account.pk))  # no permit: read, decide, write
    fail_at_each_step(
        lambda: auth_api.patch(
            "/api/settlement/", {"global_coupon_id": flow["coupon"].pk}, format="json"
        ),
        redis_client,
    )


def test_payment_with_redis_failing_leaves_no_half_paid_state(
    auth_api, account, flow, redis_client
):
    auth_api.post("/api/settlement/", {"course_list": [flow["python"].pk]}, format="json")
    auth_api.patch("/api/settlement/", {"global_coupon_id": flow["coupon"].pk}, format="json")
    # The settlement is read with the token; past that the order commits, and clearing the
    # settlement afterwards (its only other step) may fail and is only logged, so the answer is
    # still the order.
    answer = fail_at_each_step(
        lambda: auth_api.post("/api/payment/", {"balance": 890, "price": "0.00"}, format="json"),
        redis_client,
        least=1,
    )
    assert answer["data"]["status"] == Order.STATUS_PAID
    assert Order.objects.count() == 1
    account.refresh_from_db()
    assert account.balance == 110


def test_cart_and_settlement_are_as_before_once_redis_is_back(auth_api, flow, redis_client):
    auth_api.post("/api/settlement/", {"course_list": [flow["python"].pk]}, format="json")
    cart = auth_api.get("/api/shopping_car/").json()["data"]
    settlement = auth_api.get("/api/settlement/").json()["data"]
    with redis_down_after(0):
        assert auth_api.get("/api/settlement/").status_code == 503
        assert auth_api.get("/api/shopping_car/").status_code == 503
    assert auth_api.get("/api/shopping_car/").json()["data"] == cart
    assert auth_api.get("/api/settlement/").json()["data"] == settlement


def _reconnect():
    """Close the connection (and the pool, when there is one) so that the next query connects
    with the current settings."""
    connection.close()
    if connection.settings_dict["OPTIONS"].get("pool"):
        connection.close_pool()


@pytest.mark.postgres("closing SQLite's in-memory test database would destroy it")
@pytest.mark.django_db(transaction=True)
def test_payment_with_the_database_unreachable_is_1003_and_changes_nothing(
    auth_api, account, flow, redis_client
):
    auth_api.post("/api/settlement/", {"course_list": [flow["python"].pk]}, format="json")
    before = (redis_state(redis_client), db_state())
    port = connection.settings_dict["PORT"]
    pool = connection.settings_dict["OPTIONS"].get("pool")
    _reconnect()
    connection.settings_dict["PORT"] = "1"
    if pool:  # a pool waits this long for a connection before it gives up
        connection.settings_dict["OPTIONS"]["pool"] = {**pool, "timeout": 1}
    try:
        response = auth_api.post("/api/payment/", {"balance": 990, "price": "0.00"}, format="json")
    finally:
        connection.settings_dict["PORT"] = port
        if pool:
            connection.settings_dict["OPTIONS"]["pool"] = pool
        _reconnect()
    assert response.status_code == 503
    assert response.json()["code"] == 1003
    assert (redis_state(redis_client), db_state()) == before
