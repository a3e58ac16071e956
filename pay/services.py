"""Writes for coupons and the 贝里 ledger."""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from course.models import Account
from pay.models import Coupon, CouponRecord, Order, TransactionRecord
from utils.errors import AppError, Codes

logger = logging.getLogger("settlement.jobs")


def new_serial(prefix: str) -> str:
    """A unique, sortable-by-day serial number (coupon record numbers, ledger and order numbers)."""
    return f"{prefix}{timezone.localtime():%Y%m%d%H%M%S}{uuid.uuid4().hex[:12].upper()}"


# --- 贝里 ledger -------------------------------------------------------------------------------


def beili_change(
    *,
    account: Account,
    amount: int,
    transaction_type: int,
    memo: str = "",
    order: Order | None = None,
) -> TransactionRecord:
    """Move `amount` 贝里 into (收入/退款) or out of (支出/提现) the account, with its ledger row.

    Locks the account row (inside the caller's transaction when there is one). Refuses to go
    below zero (1042).
    """
    if amount <= 0:
        raise ValueError("amount must be positive")
    with transaction.atomic():
        locked = Account.objects.select_for_update().only("id", "balance").get(pk=account.pk)
        delta = amount if transaction_type in TransactionRecord.CREDITS else -amount
        if locked.balance + delta < 0:
            raise AppError(Codes.PAYMENT_NOT_ENOUGH_BEILI)
        Account.objects.filter(pk=locked.pk).update(balance=F("balance") + delta)
        new_balance = locked.balance + delta
        account.balance = new_balance
        return TransactionRecord.objects.create(
            account_id=locked.pk,
            amount=amount,
            balance=new_balance,
            transaction_type=transaction_type,
            transaction_number=new_serial("T"),
            order=order,
            memo=memo[:128] or None,
        )


# The largest balance an account may hold (the column is a 32-bit integer).
MAX_BALANCE = 2_147_483_647


def beili_adjust(*, account_id: int, amount: int, memo: str) -> TransactionRecord:
    """Staff credit (amount > 0, 收入) or debit (amount < 0, 支出) 贝里 with a memo (admin action).

    One ledger row like every change; a debit below zero is 1042 and a credit past the largest
    balance is 1002, and neither changes anything."""
    memo = (memo or "").strip()
    if not memo:
        raise AppError(Codes.MALFORMED, "须填写备注 / a memo is required")
    if not amount:
        raise AppError(Codes.MALFORMED, "数量不能为0 / amount must not be 0")
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account_id)
        if account.balance + amount > MAX_BALANCE:
            raise AppError(Codes.MALFORMED, "余额将超出上限 / the balance would be too large")
        return beili_change(
            account=account,
            amount=abs(amount),
            transaction_type=TransactionRecord.TYPE_INCOME
            if amount > 0
            else TransactionRecord.TYPE_SPEND,
            memo=f"人工调整: {memo}",
        )


# --- Coupons -----------------------------------------------------------------------------------


def _next_claim_seq(*, coupon: Coupon, account_id: int) -> int:
    current = CouponRecord.objects.filter(coupon=coupon, account_id=account_id).aggregate(
        top=Max("claim_seq")
    )["top"]
    return (current or 0) + 1


def coupon_claim(*, account: Account, coupon_id: int, today: date | None = None) -> CouponRecord:
    """Claim one record of a rule, within its claim window and the per-account limit.

    The limit holds under races: each record takes a numbered slot (claim_seq) that is unique per
    rule and account, so two racing claims for the last slot cannot both commit.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        coupon = Coupon.objects.select_for_update().filter(pk=coupon_id).first()
        if coupon is None:
            raise AppError(Codes.COUPON_NOT_FOUND)
        if not coupon.open_date <= today <= coupon.close_date:
            raise AppError(Codes.COUPON_NOT_CLAIMABLE)
        if coupon.valid_end_date is not None and coupon.valid_end_date < today:
            raise AppError(Codes.COUPON_NOT_CLAIMABLE, "优惠券已过有效期 / coupon already expired")
        seq = _next_claim_seq(coupon=coupon, account_id=account.pk)
        if seq > coupon.per_account_limit:
            raise AppError(Codes.COUPON_LIMIT)
        try:
            with transaction.atomic():
                return CouponRecord.objects.create(
                    coupon=coupon,
                    account=account,
                    number=new_serial("C"),
                    get_time=timezone.now(),
                    claim_seq=seq,
                )
        except IntegrityError as exc:  # another claim took this slot first
            raise AppError(Codes.COUPON_LIMIT) from exc


@dataclass
class IssueResult:
    """What an issue to chosen accounts did: the records made, and who was skipped and why."""

    issued: list[CouponRecord] = field(default_factory=list)
    skipped: list[tuple[Account, str]] = field(default_factory=list)


def coupon_issue(
    *, coupon: Coupon, accounts, include_staff: bool = False, today: date | None = None
) -> IssueResult:
    """Staff hand a rule to chosen accounts (admin action): one new record each, within the
    rule's `per_account_limit`. Skipped, with the reason: staff accounts (unless
    `include_staff`), inactive accounts, accounts at the limit; everyone when the rule's
    validity has already ended."""
    today = today or timezone.localdate()
    result = IssueResult()
    with transaction.atomic():
        coupon = Coupon.objects.select_for_update().get(pk=coupon.pk)
        ended = coupon.valid_end_date is not None and coupon.valid_end_date < today
        for account in accounts:
            if ended:
                reason = "优惠券已过有效期 / the rule's validity has ended"
            elif not account.is_active:
                reason = "账户已停用 / inactive account"
            elif account.is_staff and not include_staff:
                reason = "员工账户 / staff account"
            else:
                seq = _next_claim_seq(coupon=coupon, account_id=account.pk)
                if seq > coupon.per_account_limit:
                    reason = f"已达每人限领张数 {coupon.per_account_limit} / at the limit"
                else:
                    reason = None
            if reason:
                result.skipped.append((account, reason))
                continue
            result.issued.append(
                CouponRecord.objects.create(
                    coupon=coupon,
                    account=account,
                    number=new_serial("C"),
                    get_time=timezone.now(),
                    claim_seq=seq,
                )
            )
    return result


def coupons_expire(*, today: date | None = None, batch_size: int = 1000) -> tuple[int, int]:
    """Write 已过期 on unused records past their end; returns (expired, failed). Each update
    re-checks status=0, so several hosts may run it at once, and a record used meanwhile is never
    touched. A record whose end cannot be computed (bad data) is logged, counted and skipped."""
    today = today or timezone.localdate()
    expired = failed = 0
    by_dates = CouponRecord.objects.filter(
        status=CouponRecord.STATUS_UNUSED, coupon__valid_end_date__lt=today
    )
    expired += by_dates.update(status=CouponRecord.STATUS_EXPIRED)

    candidates = (
        CouponRecord.objects.filter(
            status=CouponRecord.STATUS_UNUSED,
            coupon__valid_end_date__isnull=True,
            coupon__coupon_valid_days__isnull=False,
        )
        .select_related("coupon")
        .only("id", "get_time", "coupon__coupon_valid_days", "coupon__valid_end_date")
    )
    batch: list[int] = []
    for record in candidates.iterator(chunk_size=batch_size):
        try:
            past_end = record.valid_end < today
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
    return CouponRecord.objects.filter(pk__in=ids, status=CouponRecord.STATUS_UNUSED).update(
        status=CouponRecord.STATUS_EXPIRED
    )
