"""The claim rush (抢券) and racing redemptions, with real threads on PostgreSQL."""

import threading
from collections import Counter

import pytest
import redis
from django.db import connection
from redis.cluster import RedisCluster

from pay.coupon_records import coupon_claim
from pay.models import Coupon, CouponRecord, RedemptionCode
from pay.redemption_codes import coupon_redeem, redemption_codes_generate
from utils.errors import AppError
from utils.redis import set_redis

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _redis_for_many_threads(redis_client, settings):
    """200 threads of one process share the client: redis-py's default pool refuses a 101st
    connection (MaxConnectionsError); a server process has a few threads, this test has 200."""
    if settings.REDIS_URL and settings.REDIS_CLUSTER:  # a Cluster client pools per node
        set_redis(
            RedisCluster.from_url(settings.REDIS_URL, max_connections=250, decode_responses=True)
        )
    elif settings.REDIS_URL:
        pool = redis.BlockingConnectionPool.from_url(
            settings.REDIS_URL, max_connections=250, timeout=30, decode_responses=True
        )
        set_redis(redis.Redis(connection_pool=pool))
    yield
    set_redis(None)


def race(calls) -> Counter:
    """Run each call in its own thread, all released at once; count the outcomes by code."""
    start = threading.Barrier(len(calls))
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def run(call):
        start.wait()
        try:
            call()
            outcome = "ok"
        except AppError as error:
            outcome = str(error.error.code)
        except Exception as error:  # a crash is an outcome the test must see
            outcome = f"crash: {error!r}"
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes


def test_two_hundred_racing_claims_issue_exactly_the_total_one_per_account(
    make_account, make_coupon
):
    rule = make_coupon(total_quantity=20, per_account_limit=1)
    accounts = [make_account(f"buyer{i}") for i in range(50)]
    calls = [
        (lambda account=account: coupon_claim(account=account, coupon_id=rule.pk))
        for _ in range(4)
        for account in accounts
    ]

    outcomes = race(calls)

    assert outcomes["ok"] == 20, outcomes
    assert set(outcomes) <= {"ok", "1032", "1033"}, outcomes
    records = CouponRecord.objects.filter(coupon=rule)
    assert records.count() == 20
    per_account = Counter(records.values_list("account_id", flat=True))
    assert max(per_account.values()) == 1
    assert Coupon.objects.get(pk=rule.pk).issued_count == 20


def test_racing_claims_by_code_and_by_id_never_pass_the_total(make_account, make_coupon):
    rule = make_coupon(total_quantity=7, per_account_limit=3, code="RUSH")
    accounts = [make_account(f"buyer{i}") for i in range(10)]
    calls = [
        (lambda a=account: coupon_claim(account=a, code="rush"))
        if i % 2
        else (lambda a=account: coupon_claim(account=a, coupon_id=rule.pk))
        for i, account in enumerate(accounts * 4)
    ]

    outcomes = race(calls)

    assert outcomes["ok"] == 7, outcomes
    assert CouponRecord.objects.filter(coupon=rule).count() == 7


def test_fifty_racing_redemptions_of_one_code_make_one_record(make_account, make_coupon):
    rule = make_coupon(total_quantity=5)
    [entry] = redemption_codes_generate(coupon=rule, count=1)
    accounts = [make_account(f"guest{i}") for i in range(50)]
    calls = [(lambda a=a: coupon_redeem(account=a, code=entry.code)) for a in accounts]

    outcomes = race(calls)

    assert outcomes == Counter({"ok": 1, "1034": 49}), outcomes
    assert CouponRecord.objects.filter(coupon=rule).count() == 1
    entry = RedemptionCode.objects.get(pk=entry.pk)
    assert entry.record.account_id == entry.redeemed_by_id
    rule.refresh_from_db()
    assert (rule.issued_count, rule.codes_outstanding) == (1, 0)


def test_one_account_redeeming_many_codes_of_a_rule_at_once_gets_each(account, make_coupon):
    rule = make_coupon(per_account_limit=1)
    codes = redemption_codes_generate(coupon=rule, count=10)
    calls = [(lambda c=entry.code: coupon_redeem(account=account, code=c)) for entry in codes]

    outcomes = race(calls)

    assert outcomes == Counter({"ok": 10}), outcomes
    assert CouponRecord.objects.filter(account=account, coupon=rule).count() == 10
