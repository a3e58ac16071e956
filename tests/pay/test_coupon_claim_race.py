"""The per-account claim limit holds when claims race (real threads, PostgreSQL)."""

import threading

import pytest
from django.db import connection

from pay.coupon_records import coupon_claim
from pay.models import CouponRecord
from utils.errors import AppError

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_claims_never_exceed_the_per_account_limit(account, make_coupon):
    rule = make_coupon(per_account_limit=3)
    start = threading.Barrier(10)
    outcomes: list[str] = []

    def claim():
        start.wait()
        try:
            coupon_claim(account=account, coupon_id=rule.pk)
            outcomes.append("ok")
        except AppError as error:
            outcomes.append(str(error.error.code))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ok") == 3
    assert outcomes.count("1032") == 7
    assert CouponRecord.objects.filter(account=account, coupon=rule).count() == 3
