"""Reads of coupons: the wallet, claimable rules, and the coupons a settlement may use."""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from course.models import Course
from pay.models import Coupon, CouponRecord
from pay.settlement_store import StoredCoupon


@dataclass(frozen=True)
class HeldCoupon(StoredCoupon):
    """A coupon record with its rule's terms, as plain data: what the settlement stores
    (StoredCoupon) plus who holds it for what and since when (the wallet shows these)."""

    course_id: int | None  # None for a global coupon
    status: int
    get_time: datetime
    used_time: datetime | None


def held_coupon(record: CouponRecord, today: date | None = None) -> HeldCoupon:
    rule = record.coupon
    today = today or timezone.localdate()
    return HeldCoupon(
        id=record.pk,
        coupon_id=rule.pk,
        number=record.number,
        name=rule.name,
        coupon_type=rule.coupon_type,
        coupon_type_display=rule.get_coupon_type_display(),
        money_equivalent_value=rule.money_equivalent_value,
        off_percent=rule.off_percent,
        minimum_consume=rule.minimum_consume,
        valid_begin=rule.valid_begin_for(record.get_time),
        valid_end=rule.valid_end_for(record.get_time),
        course_id=rule.object_id,
        status=record.effective_status(today),
        get_time=record.get_time,
        used_time=record.used_time,
    )


def wallet(*, account_id: int, status: int | None = None, today: date | None = None):
    """The account's coupon records, newest first, with the effective status (已过期 past end)."""
    today = today or timezone.localdate()
    records = (
        CouponRecord.objects.filter(account_id=account_id)
        .select_related("coupon")
        .order_by("-get_time", "-id")
    )
    if status == CouponRecord.STATUS_USED:
        records = records.filter(status=CouponRecord.STATUS_USED)
    elif status is not None:
        records = records.filter(
            status__in=[CouponRecord.STATUS_UNUSED, CouponRecord.STATUS_EXPIRED]
        )
    held = [held_coupon(record, today) for record in records]
    return [h for h in held if status is None or h.status == status]


def claimable_rules(*, account_id: int, today: date | None = None) -> list[dict]:
    """Rules whose claim window includes today, with how many the account already holds."""
    today = today or timezone.localdate()
    rules = (
        Coupon.objects.filter(open_date__lte=today, close_date__gte=today)
        .filter(Q(valid_end_date__isnull=True) | Q(valid_end_date__gte=today))
        .annotate(held=Count("couponrecord", filter=Q(couponrecord__account_id=account_id)))
        .order_by("close_date", "id")
    )
    return [{"rule": rule, "held": rule.held} for rule in rules]


_GONE_REASONS = {
    CouponRecord.STATUS_USED: "已使用 / used",
    CouponRecord.STATUS_EXPIRED: "已过期 / expired",
}


def records_gone(*, account_id: int, record_ids) -> dict[int, str]:
    """Of these coupon records, those the account can no longer use: used by an order, expired
    (written 已过期, or past the end the rule gives it now: staff may have shortened a validity
    after the settlement copied it), or no longer its own: record id -> why. One SQL query
    whatever their number.

    A settlement keeps copies of its coupons in Redis; this is what the database says now.
    """
    ids = {int(record_id) for record_id in record_ids}
    if not ids:
        return {}
    today = timezone.localdate()
    statuses = {
        record.pk: record.effective_status(today)
        for record in CouponRecord.objects.filter(pk__in=ids, account_id=account_id).select_related(
            "coupon"
        )
    }
    gone = {}
    for record_id in ids:
        if (reason := gone_reason(statuses.get(record_id))) is not None:
            gone[record_id] = reason
    return gone


def gone_reason(status: int | None) -> str | None:
    """Why a held coupon of this status (None: not held) can no longer be used; None if unused."""
    if status is None:
        return "优惠券已不存在 / no longer held"
    if status != CouponRecord.STATUS_UNUSED:
        return _GONE_REASONS.get(status, "不可用 / not usable")
    return None


def usable_record_query(*, account_id: int) -> QuerySet[CouponRecord]:
    return CouponRecord.objects.filter(
        account_id=account_id, status=CouponRecord.STATUS_UNUSED
    ).select_related("coupon")


def settlement_coupons(
    *, account_id: int, course_ids, today: date | None = None, record_ids=None
) -> tuple[dict[int, list[HeldCoupon]], list[HeldCoupon]]:
    """The account's usable course coupons per course, and its usable global coupons, today.

    One SQL query whatever the number of courses: unused records whose rule is bound to one of
    these courses (content type *and* id) or to nothing, then validity by dates or by
    `coupon_valid_days` since the claim. Other accounts' records never appear.
    """
    today = today or timezone.localdate()
    course_ids = [int(course_id) for course_id in course_ids]
    course_type = ContentType.objects.get_for_model(Course)  # cached after the first call
    records = usable_record_query(account_id=account_id).filter(
        Q(coupon__content_type__isnull=True, coupon__object_id__isnull=True)
        | Q(coupon__content_type=course_type, coupon__object_id__in=course_ids)
    )
    if record_ids is not None:
        records = records.filter(pk__in=list(record_ids))
    per_course: dict[int, list[HeldCoupon]] = {course_id: [] for course_id in course_ids}
    global_coupons: list[HeldCoupon] = []
    for record in records.order_by("id"):
        held = held_coupon(record, today)
        if not held.valid_begin <= today <= held.valid_end:
            continue
        if held.course_id is None:
            global_coupons.append(held)
        else:
            per_course[held.course_id].append(held)
    return per_course, global_coupons
