"""Two app servers at once: two gunicorn processes on two ports over one PostgreSQL and one Redis.

One user's requests alternate between the servers through the whole flow (log in, cart,
settlement, coupon, payment, the order, cancel), and twenty payments of one settlement race
across both: exactly one order. Needs PostgreSQL and a real Redis (REDIS_URL or REDIS_SENTINELS,
a Cluster included); ports from APP_SERVER_PORTS (default 8861,8862).
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from pay.models import CouponRecord, Order
from tests.helpers import policies_of
from tests.pay.conftest import assert_ledgers_consistent
from utils.token_store import token_create

pytestmark = [
    pytest.mark.postgres("two servers share a database"),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
PORTS = [int(p) for p in os.environ.get("APP_SERVER_PORTS", "8861,8862").split(",")]


class Server:
    """A JSON client of one app server."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.token: str | None = None

    def call(self, method: str, path: str, body=None) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            return json.loads(error.read())

    def ok(self, method: str, path: str, body=None):
        answer = self.call(method, path, body)
        assert answer["code"] == 1000, (self.base, method, path, answer)
        return answer["data"]


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def servers(tmp_path):
    """Two gunicorn processes (two workers each) on the test database and the test run's Redis.
    Fresh for each test: a process keeps ContentType ids, which the flush between tests changes."""
    if not (settings.REDIS_URL or settings.REDIS_SENTINELS):
        pytest.skip("two servers share Redis: needs REDIS_URL or REDIS_SENTINELS")
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "1", "LOG_LEVEL": "WARNING"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    processes = []
    for port in PORTS:
        log = open(tmp_path / f"gunicorn-{port}.log", "wb")
        command = [
            *(sys.executable, "-m", "gunicorn", "settlement_project.wsgi"),
            *("-b", f"127.0.0.1:{port}", "-w", "2", "--threads", "4", "--timeout", "60"),
        ]
        processes.append(
            (subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log), log)
        )
    try:
        clients = [Server(port) for port in PORTS]
        deadline = time.monotonic() + 60
        for client, (process, _) in zip(clients, processes, strict=True):
            while True:
                assert process.poll() is None, f"an app server exited; logs in {tmp_path}"
                try:
                    if client.call("GET", "/api/courses/")["code"] == 1000:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "the app servers did not start"
                time.sleep(0.2)
        yield clients
    finally:
        for process, log in processes:
            process.terminate()
            process.wait(timeout=30)
            log.close()


@pytest.fixture
def shop(make_account, make_course, make_coupon, give_coupon, fund):
    account = fund(make_account("alex"), 5000)
    # hashed as the servers hash (the tests' own hasher is a fast one they do not know)
    account.password = PBKDF2PasswordHasher().encode("alex-pass-123", "two-servers-salt")
    account.save(update_fields=["password"])
    python = make_course("Python", prices=[("30", "99.00")])
    django = make_course("Django", prices=[("30", "120.00")])
    coupon = give_coupon(account, make_coupon(name="全场10元"))
    return account, python, django, coupon


def test_one_users_flow_alternating_between_two_servers_works_end_to_end(servers, shop):
    a, b = servers
    _, python, django, coupon = shop
    # a login on one server is a login on both
    token = a.ok("POST", "/api/login/", {"username": "alex", "password": "alex-pass-123"})
    a.token = b.token = token["access_token"]
    # the cart filled through both, read through either
    b.ok(
        "POST",
        "/api/shopping_car/",
        {"course_id": python.pk, "price_policy_id": policies_of(python)[0].pk},
    )
    a.ok(
        "POST",
        "/api/shopping_car/",
        {"course_id": django.pk, "price_policy_id": policies_of(django)[0].pk},
    )
    assert b.ok("GET", "/api/shopping_car/")["total_count"] == 2
    # settled on one, coupon chosen on the other
    a.ok("POST", "/api/settlement/", {"course_list": [python.pk, django.pk]})
    assert a.ok("GET", "/api/shopping_car/")["total_count"] == 0
    b.ok("PATCH", "/api/settlement/", {"global_coupon_id": ""})
    data = a.ok("PATCH", "/api/settlement/", {"global_coupon_id": coupon.pk})
    assert data["amount"]["payable"] == "209.00"
    assert b.ok("GET", "/api/settlement/")["amount"]["payable"] == "209.00"
    # paid partly with 贝里 on one (the rest left to the gateway)
    order = b.ok("POST", "/api/payment/", {"balance": 90, "price": "200.00"})
    assert order["status"] == Order.STATUS_UNPAID
    assert a.ok("GET", "/api/settlement/")["settlement_list"] == []
    assert a.ok("GET", "/api/account/")["balance"] == 4910
    assert a.ok("GET", f"/api/orders/{order['order_number']}/")["status"] == Order.STATUS_UNPAID
    # cancelled on the other: coupon and 贝里 back, seen from the first
    b.ok("POST", f"/api/orders/{order['order_number']}/cancel/")
    assert a.ok("GET", f"/api/orders/{order['order_number']}/")["status"] == Order.STATUS_CANCELLED
    assert a.ok("GET", "/api/account/")["balance"] == 5000
    assert CouponRecord.objects.get(pk=coupon.pk).status == CouponRecord.STATUS_UNUSED
    # and a logout on one is a logout on both
    b.ok("POST", "/api/logout/")
    assert a.call("GET", "/api/account/")["code"] == 1001
    assert_ledgers_consistent()


def test_payments_of_one_settlement_racing_across_two_servers_make_exactly_one_order(
    servers, shop, api
):
    account, python, django, _ = shop
    token = token_create(account=account)
    setup = api
    setup.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    for course in (python, django):
        body = {"course_id": course.pk, "price_policy_id": policies_of(course)[0].pk}
        assert setup.post("/api/shopping_car/", body, format="json").json()["code"] == 1000
    assert (
        setup.post(
            "/api/settlement/", {"course_list": [python.pk, django.pk]}, format="json"
        ).json()["code"]
        == 1000
    )
    for server in servers:
        server.token = token
    payable = setup.get("/api/settlement/").json()["data"]["amount"]["payable"]
    beili = int(Decimal(payable) * settings.BEILI_PER_YUAN)
    # when twenty payments of that settlement, all of it in 贝里, arrive at once at both servers
    n = 20
    start = threading.Barrier(n)
    codes = [None] * n

    def pay(i):
        start.wait()
        answer = servers[i % 2].call("POST", "/api/payment/", {"balance": beili, "price": "0.00"})
        codes[i] = answer["code"]

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then exactly one order, paid once, and every other answer says the settlement is gone
    assert codes.count(1000) == 1, codes
    assert set(codes) == {1000, 1040}, codes
    assert Order.objects.filter(account=account).count() == 1
    account.refresh_from_db()
    assert account.balance == 5000 - beili
    assert_ledgers_consistent()
