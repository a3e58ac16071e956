"""The one coupon verdict (pay.pricing.coupon_verdict): status x dates x threshold, and the
database filter that expires records agreeing with it."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pay.coupon_expiry import coupons_expire
from pay.coupon_records import rule_ended
from pay.models import Coupon, CouponRecord
from pay.pricing import (
    DISCOUNT,
    EXPIRED,
    GENERAL,
    THRESHOLD,
    UNUSED,
    USED,
    coupon_validity,
    coupon_verdict,
)
from pay.selectors import past_end_q, rule_running_q

BEGIN, END = date(2026, 3, 1), date(2026, 3, 31)
BEFORE, FIRST, INSIDE, LAST, AFTER = (
    date(2026, 2, 28),
    BEGIN,
    date(2026, 3, 15),
    END,
    date(2026, 4, 1),
)
NOT_YET = "2026-03-01 起可用 / not valid yet"
UNDER = "未满100.00元 / under the minimum of 100.00"

# status, today, coupon type, amount -> usable, reason, effective status
TABLE = [
    # not held: whatever the dates and the amount
    (None, INSIDE, GENERAL, D("50"), False, "优惠券已不存在 / no longer held", None),
    (None, AFTER, THRESHOLD, D("10"), False, "优惠券已不存在 / no longer held", None),
    # used: used, whatever the dates
    (USED, INSIDE, GENERAL, D("50"), False, "已使用 / used", USED),
    (USED, AFTER, GENERAL, D("50"), False, "已使用 / used", USED),
    (USED, BEFORE, THRESHOLD, D("10"), False, "已使用 / used", USED),
    # 已过期 written: expired, even inside the dates
    (EXPIRED, INSIDE, GENERAL, D("50"), False, "已过期 / expired", EXPIRED),
    # an unstated status is not usable
    (7, INSIDE, GENERAL, D("50"), False, "不可用 / not usable", 7),
    # unused: the dates (both ends count) ...
    (UNUSED, BEFORE, GENERAL, D("50"), False, NOT_YET, UNUSED),
    (UNUSED, FIRST, GENERAL, D("50"), True, None, UNUSED),
    (UNUSED, INSIDE, GENERAL, D("50"), True, None, UNUSED),
    (UNUSED, LAST, GENERAL, D("50"), True, None, UNUSED),
    (UNUSED, AFTER, GENERAL, D("50"), False, "已过期 / expired", EXPIRED),
    # ... then a 满减券's threshold (reached exactly is enough) ...
    (UNUSED, INSIDE, THRESHOLD, D("99.99"), False, UNDER, UNUSED),
    (UNUSED, INSIDE, THRESHOLD, D("100"), True, None, UNUSED),
    (UNUSED, INSIDE, THRESHOLD, D("150"), True, None, UNUSED),
    (UNUSED, INSIDE, THRESHOLD, None, True, None, UNUSED),  # no amount: threshold not asked
    (UNUSED, BEFORE, THRESHOLD, D("10"), False, NOT_YET, UNUSED),  # dates before threshold
    (UNUSED, AFTER, THRESHOLD, D("10"), False, "已过期 / expired", EXPIRED),
    # ... which other types do not have
    (UNUSED, INSIDE, GENERAL, D("1"), True, None, UNUSED),
    (UNUSED, INSIDE, DISCOUNT, D("1"), True, None, UNUSED),
    # no `today`: the dates are not asked
    (UNUSED, None, GENERAL, D("50"), True, None, UNUSED),
    (UNUSED, None, THRESHOLD, D("10"), False, UNDER, UNUSED),
]


def verdict_of(status, today, coupon_type, amount):
    """The verdict on a coupon valid from BEGIN to END, with a threshold of 100.00."""
    return coupon_verdict(
        status=status,
        valid_begin=BEGIN,
        valid_end=END,
        today=today,
        coupon_type=coupon_type,
        minimum_consume=D("100"),
        amount=amount,
    )


@pytest.mark.parametrize("status,today,coupon_type,amount,usable,reason,effective", TABLE)
def test_the_verdict_weighs_status_then_dates_then_threshold(
    status, today, coupon_type, amount, usable, reason, effective
):
    verdict = verdict_of(status, today, coupon_type, amount)

    assert (verdict.usable, verdict.reason, verdict.status) == (usable, reason, effective)


@given(
    status=st.sampled_from([None, UNUSED, USED, EXPIRED]),
    today=st.dates(date(2026, 1, 1), date(2026, 6, 1)),
    coupon_type=st.sampled_from([GENERAL, THRESHOLD, DISCOUNT]),
    amount=st.decimals(0, 300, places=2),
)
def test_a_coupon_is_usable_exactly_when_held_unused_in_its_dates_and_over_its_threshold(
    status, today, coupon_type, amount
):
    verdict = verdict_of(status, today, coupon_type, amount)

    reaches = coupon_type != THRESHOLD or amount >= D("100")
    assert verdict.usable == (status == UNUSED and BEGIN <= today <= END and reaches)
    assert (verdict.reason is None) == verdict.usable
    past_end = status == UNUSED and today > END
    assert verdict.status == (EXPIRED if past_end else status)


def test_validity_by_dates_ignores_the_claim_day():
    assert coupon_validity(
        claim_day=date(2026, 1, 5), valid_begin_date=BEGIN, valid_end_date=END, valid_days=None
    ) == (BEGIN, END)


def test_validity_by_days_runs_from_the_claim_day():
    assert coupon_validity(
        claim_day=date(2026, 1, 5), valid_begin_date=None, valid_end_date=None, valid_days=10
    ) == (date(2026, 1, 5), date(2026, 1, 15))


def test_validity_by_days_stops_at_the_last_date():
    assert coupon_validity(
        claim_day=date(9999, 12, 1), valid_begin_date=None, valid_end_date=None, valid_days=400
    ) == (date(9999, 12, 1), date.max)


# --- The database's filter and the verdict agree --------------------------------------------

# rule validity (begin, end offsets from today, or valid days), record status, claimed days ago
RECORD_CASES = [
    ((-10, -1), UNUSED, 0),
    ((-10, 0), UNUSED, 0),
    ((-10, 5), UNUSED, 0),
    ((1, 5), UNUSED, 0),
    ((-10, -1), USED, 0),
    ((-10, -1), EXPIRED, 0),
    ((-10, 5), EXPIRED, 0),
    (3, UNUSED, 0),
    (3, UNUSED, 3),
    (3, UNUSED, 4),
    (3, USED, 10),
]


@pytest.fixture
def records_of_every_case(make_coupon, give_coupon, account, today):
    records = []
    for validity, status, days_ago in RECORD_CASES:
        if isinstance(validity, tuple):
            rule = make_coupon(
                valid_begin_date=today + timedelta(days=validity[0]),
                valid_end_date=today + timedelta(days=validity[1]),
            )
        else:
            rule = make_coupon(
                valid_begin_date=None, valid_end_date=None, coupon_valid_days=validity
            )
        records.append(give_coupon(account, rule, status=status, days_ago=days_ago))
    return records


def _expires(record: CouponRecord, today: date) -> bool:
    """What the verdict says expiring should write: unused now, 已过期 by the verdict."""
    verdict = coupon_verdict(status=record.status, valid_end=record.valid_end, today=today)
    return record.status == UNUSED and verdict.status == EXPIRED


def test_the_past_end_filter_is_the_verdict_for_rules_with_dates(records_of_every_case, today):
    dated = [r for r in records_of_every_case if r.coupon.valid_end_date is not None]
    matched = set(CouponRecord.objects.filter(past_end_q(today)).values_list("pk", flat=True))

    assert {r.pk for r in dated if _expires(r, today)} == matched
    assert matched  # the table has such records


def test_expiring_writes_what_the_verdict_says(records_of_every_case, today):
    expected = {r.pk for r in records_of_every_case if _expires(r, today)}

    expired, failed = coupons_expire(today=today)

    now_expired = {
        r.pk
        for r in records_of_every_case
        if r.status == UNUSED
        and CouponRecord.objects.get(pk=r.pk).status == CouponRecord.STATUS_EXPIRED
    }
    assert (expired, failed) == (len(expected), 0)
    assert now_expired == expected


def test_a_records_effective_status_is_the_verdicts(records_of_every_case, today):
    for record in records_of_every_case:
        begin, end = record.coupon.validity_for(record.get_time)
        verdict = coupon_verdict(
            status=record.status, valid_begin=begin, valid_end=end, today=today
        )

        assert record.effective_status(today) == verdict.status
        assert record.verdict(today) == verdict


def test_a_rule_with_days_gives_each_record_its_own_end(make_coupon, give_coupon, account):
    rule = make_coupon(valid_begin_date=None, valid_end_date=None, coupon_valid_days=3)
    record = give_coupon(account, rule, days_ago=2)

    assert record.valid_end == timezone.localdate(record.get_time) + timedelta(days=3)


def test_the_running_rules_filter_is_the_verdict_on_the_rules_end(make_coupon, today):
    rules = [
        make_coupon(
            valid_begin_date=today - timedelta(days=10), valid_end_date=today + timedelta(days=d)
        )
        for d in (-2, -1, 0, 1)
    ] + [make_coupon(valid_begin_date=None, valid_end_date=None, coupon_valid_days=1)]

    running = set(Coupon.objects.filter(rule_running_q(today)).values_list("pk", flat=True))

    assert running == {rule.pk for rule in rules if not rule_ended(rule, today)}
    assert len(running) == 3
