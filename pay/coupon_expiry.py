"""Writing 已过期 on unused coupon records past their end (the scheduled job expire_coupons)."""

import logging
from datetime import date

from django.utils import timezone

from pay.models import CouponRecord
from pay.pricing import coupon_verdict
from pay.records_version import records_changed
from pay.selectors import past_end_q

logger = logging.getLogger("settlement.jobs")


def coupons_expire(*, today: date | None = None, batch_size: int = 1000) -> tuple[int, int]:
    """Write 已过期 on unused records past their end; returns (expired, failed). Each update
    re-checks status=0, so several hosts may run it at once, and a record used meanwhile is never
    touched. A record whose end cannot be computed (bad data) is logged, counted and skipped."""
    today = today or timezone.localdate()
    expired = failed = 0
    expired += _expire(CouponRecord.objects.filter(past_end_q(today)))

    candidates = (
        CouponRecord.objects.filter(
            status=CouponRecord.STATUS_UNUSED,
            coupon__valid_end_date__isnull=True,
            coupon__coupon_valid_days__isnull=False,
        )
        .select_related("coupon")
        .only(
            "id",
            "status",
            "get_time",
            "coupon__coupon_valid_days",
            "coupon__valid_begin_date",
            "coupon__valid_end_date",
        )
    )
    batch: list[int] = []
    for record in candidates.iterator(chunk_size=batch_size):
        try:
            verdict = coupon_verdict(status=record.status, valid_end=record.valid_end, today=today)
            past_end = verdict.status == CouponRecord.STATUS_EXPIRED
        except Exception:
            failed += 1
            logger.exception("could not check coupon record %s", record.pk)
            continue
        if past_end:
            batch.append(record.pk)
        if len(batch) >= batch_size:
            expired += _expire_ids(batch)
            batch = []
    if batch:
        expired += _expire_ids(batch)
    return expired, failed


def _expire_ids(ids: list[int]) -> int:
    return _expire(CouponRecord.objects.filter(pk__in=ids, status=CouponRecord.STATUS_UNUSED))


def _expire(records) -> int:
    """Write 已过期 on these records; their accounts' coupon-records versions move on."""
    accounts = list(records.values_list("account_id", flat=True).distinct())
    expired = records.update(status=CouponRecord.STATUS_EXPIRED)
    records_changed(accounts)
    return expired
