"""Writes for coupons and the 贝里 ledger."""

import uuid
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from course.models import Account
from pay.models import Coupon, CouponRecord, Order, TransactionRecord
from utils.errors import AppError, Codes


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
    account_locked: bool = False,
) -> TransactionRecord:
    """Move `amount` 贝里 into (收入/退款) or out of (支出/提现) the account, with its ledger row.

    Locks the account row (inside the caller's transaction when there is one), unless the caller
    says `account_locked`: it selected `account` for update in this transaction, so its balance
    is current. Refuses to go below zero (1042).
    """
    if amount <= 0:
        raise ValueError("amount must be positive")
    with transaction.atomic():
        if account_locked:
            locked = account
        else:
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


def coupon_issue(*, coupon: Coupon, accounts) -> list[CouponRecord]:
    """Staff hand a rule to accounts (admin action): one new record each, outside the limit."""
    issued = []
    with transaction.atomic():
        Coupon.objects.select_for_update().filter(pk=coupon.pk).first()
        for account in accounts:
            issued.append(
                CouponRecord.objects.create(
                    coupon=coupon,
                    account=account,
                    number=new_serial("C"),
                    get_time=timezone.now(),
                    claim_seq=_next_claim_seq(coupon=coupon, account_id=account.pk),
                )
            )
    return issued


def coupons_expire(*, today: date | None = None, batch_size: int = 1000) -> int:
    """Write 已过期 on unused records past their end. Each update re-checks status=0, so several
    hosts may run it at once, and a record used meanwhile is never touched."""
    today = today or timezone.localdate()
    expired = 0
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
        if record.valid_end < today:
            batch.append(record.pk)
        if len(batch) >= batch_size:
            expired += _expire_ids(batch)
            batch = []
    if batch:
        expired += _expire_ids(batch)
    return expired


def _expire_ids(ids: list[int]) -> int:
    return CouponRecord.objects.filter(pk__in=ids, status=CouponRecord.STATUS_UNUSED).update(
        status=CouponRecord.STATUS_EXPIRED
    )
