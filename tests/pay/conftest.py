"""Coupon factories for the pay tests."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from course.models import Course
from pay.models import Coupon, CouponRecord
from pay.services import new_serial


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def make_coupon(db, today):
    """A valid rule: 通用券 of 10.00, claimable and valid for 30 days around today, global unless
    `course` is given."""

    def make(course: Course | None = None, **fields) -> Coupon:
        defaults = {
            "name": "coupon",
            "coupon_type": Coupon.TYPE_GENERAL,
            "money_equivalent_value": Decimal("10.00"),
            "open_date": today - timedelta(days=1),
            "close_date": today + timedelta(days=30),
            "valid_begin_date": today - timedelta(days=1),
            "valid_end_date": today + timedelta(days=30),
        }
        if course is not None:
            defaults["content_type"] = ContentType.objects.get_for_model(Course)
            defaults["object_id"] = course.pk
        defaults.update(fields)
        return Coupon.objects.create(**defaults)

    return make


@pytest.fixture
def give_coupon(db):
    """A record of `rule` held by `account`, claimed `days_ago` days ago."""

    def give(account, rule: Coupon, status=CouponRecord.STATUS_UNUSED, days_ago=0) -> CouponRecord:
        seq = CouponRecord.objects.filter(account=account, coupon=rule).count() + 1
        get_time = timezone.now() - timedelta(days=days_ago)
        return CouponRecord.objects.create(
            coupon=rule,
            account=account,
            number=new_serial("C"),
            status=status,
            get_time=get_time,
            used_time=get_time if status == CouponRecord.STATUS_USED else None,
            claim_seq=seq,
        )

    return give
