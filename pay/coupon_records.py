"""New coupon records: a user's claim, a staff issue, and the rules they share (the account's
claim slots, the rule's stock, its claim window and validity)."""

from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from course.models import Account
from pay import coupon_stock
from pay.models import Coupon, CouponRecord, normalize_public_code
from pay.pricing import coupon_verdict
from pay.serials import new_serial
from utils.errors import AppError, Codes


def _next_claim_seq(*, coupon_id: int, account_id: int) -> int:
    current = CouponRecord.objects.filter(coupon_id=coupon_id, account_id=account_id).aggregate(
        top=Max("claim_seq")
    )["top"]
    return (current or 0) + 1


def record_create(*, coupon: Coupon, account_id: int, limit: int | None) -> CouponRecord:
    """A new record in the account's next free slot (claim_seq), at most `limit` (None: any).

    Slots are unique per rule and account, so racing claims for the last slot cannot both
    commit: the loser waits for the winner's commit, then tries the next slot.
    """
    seq = _next_claim_seq(coupon_id=coupon.pk, account_id=account_id)
    for _ in range(100):
        if limit is not None and seq > limit:
            break
        try:
            with transaction.atomic():
                return CouponRecord.objects.create(
                    coupon=coupon,
                    account_id=account_id,
                    number=new_serial("C"),
                    get_time=timezone.now(),
                    claim_seq=seq,
                )
        except IntegrityError:  # another claim took this slot first
            seq += 1
    raise AppError(Codes.COUPON_LIMIT)


def stock_take(*, coupon_id: int, issued: int = 0, codes: int = 0) -> bool:
    """Count `issued` more records and `codes` more (or, negative, fewer) outstanding codes on the
    rule, unless that would pass its total_quantity. One conditional UPDATE: the database decides,
    and the rule's row is locked only from here to the commit (the last step of a transaction)."""
    fits = Q(total_quantity__isnull=True) | Q(
        total_quantity__gte=F("issued_count") + F("codes_outstanding") + issued + codes
    )
    return bool(
        Coupon.objects.filter(fits, pk=coupon_id).update(
            issued_count=F("issued_count") + issued,
            codes_outstanding=F("codes_outstanding") + codes,
        )
    )


def _claim_window_check(coupon: Coupon, today: date) -> None:
    if not coupon.open_date <= today <= coupon.close_date:
        raise AppError(Codes.COUPON_NOT_CLAIMABLE)
    validity_check(coupon, today)


def rule_ended(coupon: Coupon, today: date) -> bool:
    """The rule's dates ended before `today`: any record of it would be 已过期 (pay.pricing)."""
    verdict = coupon_verdict(valid_end=coupon.valid_end_date, today=today)
    return verdict.status == CouponRecord.STATUS_EXPIRED


def validity_check(coupon: Coupon, today: date) -> None:
    if rule_ended(coupon, today):
        raise AppError(Codes.COUPON_NOT_CLAIMABLE, "优惠券已过有效期 / coupon already expired")


def coupon_rule_by_code(code: str) -> int:
    """The id of the rule whose public code this is (case-insensitive). :raises AppError: 1034"""
    rule_id = (
        Coupon.objects.filter(code=normalize_public_code(code)).values_list("pk", flat=True).first()
    )
    if rule_id is None:
        raise AppError(Codes.COUPON_CODE_INVALID, "没有这个优惠码 / no such coupon code")
    return rule_id


def coupon_claim(
    *,
    account: Account,
    coupon_id: int | None = None,
    code: str | None = None,
    today: date | None = None,
) -> CouponRecord:
    """Claim one record of a rule (by id, or by its public code) within its claim window, the
    per-account limit and the rule's total_quantity.

    First the Redis gate (pay.coupon_stock) reserves one: "sold out" (1033) and "limit reached"
    (1032) are answered there, with no row lock and no write. Then one transaction: the record in
    the account's next slot (the limit, enforced by a unique constraint) and, last, the rule's
    counter by a conditional UPDATE (the total, enforced by the database). A refusal there gives
    the reservation back.

    :raises AppError: 1030 no such rule, 1031 outside the window, 1032 limit, 1033 sold out,
        1034 no rule has this code.
    """
    today = today or timezone.localdate()
    if coupon_id is None:
        coupon_id = coupon_rule_by_code(code or "")
    reservation = coupon_stock.reserve(rule_id=coupon_id, account_id=account.pk)
    try:
        with transaction.atomic():
            coupon = Coupon.objects.filter(pk=coupon_id).first()
            if coupon is None:
                raise AppError(Codes.COUPON_NOT_FOUND)
            _claim_window_check(coupon, today)
            record = record_create(
                coupon=coupon, account_id=account.pk, limit=coupon.per_account_limit
            )
            if not stock_take(coupon_id=coupon.pk, issued=1):
                raise AppError(Codes.COUPON_SOLD_OUT)
    except AppError as error:
        reservation.release(sold_out=error.error is Codes.COUPON_SOLD_OUT)
        raise
    except BaseException:
        reservation.release()
        raise
    return record


@dataclass
class IssueResult:
    """What an issue to chosen accounts did: the records made, and who was skipped and why."""

    issued: list[CouponRecord] = field(default_factory=list)
    skipped: list[tuple[Account, str]] = field(default_factory=list)


def coupon_issue(
    *, coupon: Coupon, accounts, include_staff: bool = False, today: date | None = None
) -> IssueResult:
    """Staff hand a rule to chosen accounts (admin action): one new record each, within the
    rule's `per_account_limit` and its `total_quantity` (1033 for the whole batch when fewer are
    left than accounts to give to). Skipped, with the reason: staff accounts (unless
    `include_staff`), inactive accounts, accounts at the limit; everyone when the rule's
    validity has already ended."""
    today = today or timezone.localdate()
    result = IssueResult()
    ended = rule_ended(coupon, today)
    with transaction.atomic():
        eligible = []
        for account in accounts:
            if ended:
                reason = "优惠券已过有效期 / the rule's validity has ended"
            elif not account.is_active:
                reason = "账户已停用 / inactive account"
            elif account.is_staff and not include_staff:
                reason = "员工账户 / staff account"
            elif (
                _next_claim_seq(coupon_id=coupon.pk, account_id=account.pk)
                > coupon.per_account_limit
            ):
                reason = f"已达每人限领张数 {coupon.per_account_limit} / at the limit"
            else:
                eligible.append(account)
                continue
            result.skipped.append((account, reason))
        for account in eligible:
            try:
                with transaction.atomic():
                    record = record_create(
                        coupon=coupon, account_id=account.pk, limit=coupon.per_account_limit
                    )
            except AppError:  # a claim took the account's last slot meanwhile
                result.skipped.append((account, "已达每人限领张数 / at the limit"))
                continue
            result.issued.append(record)
        # Last, as in a claim: the rule's row is locked only from here to the commit.
        if result.issued and not stock_take(coupon_id=coupon.pk, issued=len(result.issued)):
            raise AppError(
                Codes.COUPON_SOLD_OUT,
                f"剩余不足 {len(result.issued)} 张 / fewer than {len(result.issued)} left",
            )
    transaction.on_commit(lambda: coupon_stock.forget(coupon.pk))
    return result
