"""A Sentinel failover in the middle of a stream of cart and settlement requests.

Runs against the Sentinel group of scripts/redis_topologies.sh (REDIS_SENTINELS set); skipped
otherwise. Three users add courses to their carts and settle some of them, one request after the
other, while `SENTINEL FAILOVER` promotes the replica. Every answer must be 1000, or 1003 while
the master changes; every change answered 1000 must still be there once the old master has become
the new master's replica (it then drops whatever it took that the new master never saw).
"""

import time
from dataclasses import dataclass, field

import pytest
import redis
from django.conf import settings
from redis.sentinel import Sentinel
from rest_framework.test import APIClient

from tests.helpers import policies_of

pytestmark = [
    pytest.mark.sentinel,
    pytest.mark.django_db,
    pytest.mark.skipif(not settings.REDIS_SENTINELS, reason="needs REDIS_SENTINELS"),
]

CART, SETTLED, UNKNOWN = "cart", "settlement", "unknown"


@dataclass
class Shopper:
    """One user's client and what the answers said about each course: in the cart, in the
    settlement, or unknown (its last request was answered 1003: it may or may not have landed)."""

    api: APIClient
    courses: list
    state: dict = field(default_factory=dict)

    def known(self, where: str) -> list[int]:
        return sorted(cid for cid, state in self.state.items() if state == where)


def sentinel() -> Sentinel:
    addresses = [
        (a.rpartition(":")[0], int(a.rpartition(":")[2])) for a in settings.REDIS_SENTINELS
    ]
    return Sentinel(addresses, socket_timeout=1)


def role(address) -> str:
    try:
        return redis.Redis(host=address[0], port=address[1], socket_timeout=1).role()[0].decode()
    except redis.exceptions.RedisError:
        return "down"


def step(shopper: Shopper, n: int) -> int:
    """One request, and what its answer tells: add a course never used to the cart; settle up to
    two courses known to be in the cart (every third step, or when every course was used); or,
    when nothing is known to be in the cart, send the whole settlement back to the cart."""
    fresh = [course for course in shopper.courses if course.pk not in shopper.state]
    in_cart = shopper.known(CART)
    if in_cart and (n % 3 == 2 or not fresh):
        listed, previous = in_cart[:2], shopper.known(SETTLED)
        body = shopper.api.post("/api/settlement/", {"course_list": listed}, format="json").json()
        if body["code"] == 1000:
            shopper.state.update(dict.fromkeys(previous, CART))  # the old settlement goes back
            shopper.state.update(dict.fromkeys(listed, SETTLED))
        else:
            shopper.state.update(dict.fromkeys([*previous, *listed], UNKNOWN))
        return body["code"]
    if fresh:
        course = fresh[0]
        policy = policies_of(course)[0]
        body = shopper.api.post(
            "/api/shopping_car/",
            {"course_id": course.pk, "price_policy_id": policy.pk},
            format="json",
        ).json()
        shopper.state[course.pk] = CART if body["code"] == 1000 else UNKNOWN
        return body["code"]
    previous = shopper.known(SETTLED)
    body = shopper.api.delete("/api/settlement/").json()
    shopper.state.update(dict.fromkeys(previous, CART if body["code"] == 1000 else UNKNOWN))
    return body["code"]


def test_a_failover_during_cart_and_settlement_writes_costs_only_1003_and_loses_nothing_acknowledged(
    make_account, make_course, client_for
):
    courses = [make_course(prices=[("30", "10.00")]) for _ in range(40)]
    shoppers = [
        Shopper(client_for(make_account(f"shopper{i}")), courses[i::3][:13]) for i in range(3)
    ]
    watcher = sentinel()
    old_master = watcher.discover_master(settings.REDIS_SENTINEL_MASTER)
    codes: list[int] = []
    failover_at = None
    settled_after = 0
    deadline = time.monotonic() + 90
    n = 0
    # when requests stream in while Sentinel promotes the replica
    while time.monotonic() < deadline:
        for shopper in shoppers:
            codes.append(step(shopper, n))
        n += 1
        if n == 6:
            failover_at = len(codes)
            watcher.sentinels[0].execute_command(
                "SENTINEL FAILOVER", settings.REDIS_SENTINEL_MASTER
            )
        if failover_at is not None and role(old_master) == "slave":
            settled_after += 1  # the old master took its new role; keep going a little
            if settled_after >= 6:
                break
    new_master = watcher.discover_master(settings.REDIS_SENTINEL_MASTER)
    print(  # shown with -s: how the switch looked from the clients
        f"failover {old_master} -> {new_master}: {len(codes)} requests, "
        f"{codes.count(1003)} answered 1003, from request {failover_at}"
    )

    # then the master changed while requests kept coming
    assert failover_at is not None and new_master != old_master
    assert role(old_master) == "slave" and role(new_master) == "master"
    # and every answer was 1000, or 1003 during the switch
    assert set(codes) <= {1000, 1003}, codes
    assert codes.count(1000) > len(codes) // 2
    # and every change answered 1000 is there, read from the new master
    for shopper in shoppers:
        cart = {line["id"] for line in shopper.api.get("/api/shopping_car/").json()["data"]["cart"]}
        settlement = shopper.api.get("/api/settlement/").json()["data"]["settlement_list"]
        settled = {line["id"] for line in settlement}
        assert set(shopper.known(CART)) <= cart, shopper.state
        assert not set(shopper.known(CART)) & settled
        assert set(shopper.known(SETTLED)) == settled - set(shopper.known(UNKNOWN))
        assert not set(shopper.known(SETTLED)) & cart
