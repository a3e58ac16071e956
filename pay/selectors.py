"""Reads of coupons: the wallet, claimable rules, and the coupons a settlement may use."""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.utils import timezone

from course.models import Course
from pay.models import Coupon, CouponRecord
from pay.pricing import Verdict, coupon_verdict
from pay.settlement_store import StoredCoupon
from utils import sql


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
    begin, end = rule.validity_for(record.get_time)
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
        valid_begin=begin,
        valid_end=end,
        course_id=rule.object_id,
        status=record.effective_status(today),
        get_time=record.get_time,
        used_time=record.used_time,
    )


def held_verdict(held: HeldCoupon, today: date) -> Verdict:
    """Whether a held coupon can be used today, whatever the amount (status and dates)."""
    return coupon_verdict(
        status=held.status, valid_begin=held.valid_begin, valid_end=held.valid_end, today=today
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
        .filter(rule_running_q(today))
        .annotate(held=Count("couponrecord", filter=Q(couponrecord__account_id=account_id)))
        .order_by("close_date", "id")
    )
    return [{"rule": rule, "held": rule.held} for rule in rules]


def records_gone(*, account_id: int, record_ids) -> dict[int, str]:
    """Of these coupon records, those the account can no longer use: used by an order, expired
    (written 已过期, or past the end the rule gives it now: staff may have shortened a validity
    after the settlement copied it), or no longer its own: record id -> why. One SQL query
    whatever their number.

    A settlement keeps copies of its coupons in Redis; this is what the database says now
    (status and end: the settlement checks the rest with its copies).
    """
    ids = {int(record_id) for record_id in record_ids}
    if not ids:
        return {}
    records = CouponRecord.objects.filter(pk__in=ids, account_id=account_id).select_related(
        "coupon"
    )
    return records_gone_among({record.pk: record for record in records}, ids)


def records_gone_among(
    records: dict[int, CouponRecord], ids, today: date | None = None
) -> dict[int, str]:
    """`records_gone` over records already read (id -> record; an id missing is not held)."""
    today = today or timezone.localdate()
    gone: dict[int, str] = {}
    for record_id in ids:
        record = records.get(record_id)
        verdict = (
            coupon_verdict(status=record.status, valid_end=record.valid_end, today=today)
            if record is not None
            else coupon_verdict(status=None)
        )
        if not verdict.usable and verdict.reason is not None:
            gone[record_id] = verdict.reason
    return gone


def rule_running_q(today: date) -> Q:
    """Rules whose dates have not ended before `today` (or that count days from each claim): in
    the database, the rules `pay.coupon_records.rule_ended` does not call ended."""
    return Q(valid_end_date__isnull=True) | Q(valid_end_date__gte=today)


def past_end_q(today: date) -> Q:
    """Unused records whose rule's dates ended before `today`: in the database, what
    `coupon_verdict` calls 已过期 for rules with dates (a validity in days runs from each
    record's claim day and is checked record by record; tests/pay/test_coupon_verdict.py holds
    the two together)."""
    return Q(status=CouponRecord.STATUS_UNUSED, coupon__valid_end_date__lt=today)


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
    per_course: dict[int, list[HeldCoupon]] = {course_id: [] for course_id in course_ids}
    global_coupons: list[HeldCoupon] = []
    for record in _usable_records(account_id, course_type.pk, course_ids, record_ids):
        held = held_coupon(record, today)
        if not held_verdict(held, today).usable:
            continue
        if held.course_id is None:
            global_coupons.append(held)
        else:
            per_course[held.course_id].append(held)
    return per_course, global_coupons


def _usable_records(
    account_id: int, course_type_id: int, course_ids: list[int], record_ids
) -> list[CouponRecord]:
    """The account's unused records (with their rule) of rules bound to one of these courses or
    to nothing (and among `record_ids` when given), by id: one statement written once
    (utils/sql.py: the ORM's building of it cost twenty times its run)."""
    where = ["r.account_id = %s", "r.status = %s"]
    params: list = [account_id, CouponRecord.STATUS_UNUSED]
    bound = "(c.content_type_id IS NULL AND c.object_id IS NULL)"
    if course_ids:
        bound += (
            f" OR (c.content_type_id = %s AND c.object_id IN ({sql.placeholders(len(course_ids))}))"
        )
        params += [course_type_id, *course_ids]
    where.append(f"({bound})")
    if record_ids is not None:
        ids = [int(rid) for rid in record_ids]
        if not ids:
            return []
        where.append(f"r.id IN ({sql.placeholders(len(ids))})")
        params += ids
    return records_with_rules(where, params)


def records_with_rules(where: list[str], params: list, *, lock: bool = False) -> list[CouponRecord]:
    """Coupon records (`r`) with their rule (`c`) read into `record.coupon`, by id, where every
    condition of `where` holds: one statement written once (utils/sql.py). `lock`: the records'
    rows locked for the caller's transaction, not their rules' (FOR UPDATE OF r)."""
    rows = _RECORD_READ.rows(
        f"SELECT {sql.columns(CouponRecord, 'r')}, {sql.columns(Coupon, 'c')}"
        " FROM pay_coupon_record r INNER JOIN pay_coupon c ON c.id = r.coupon_id"
        f" WHERE {' AND '.join(where)} ORDER BY r.id{sql.for_update(of='r') if lock else ''}",
        params,
    )
    split = len(_RECORD_FIELDS)
    records = []
    for row in rows:
        record = sql.instance(CouponRecord, row[:split])
        record.coupon = sql.instance(Coupon, row[split:])
        records.append(record)
    return records


_RECORD_FIELDS = sql.model_fields(CouponRecord)
_RECORD_READ = sql.Read([*_RECORD_FIELDS, *sql.model_fields(Coupon)])
