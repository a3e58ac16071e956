"""Writes for coupons and the 贝里 ledger."""

import logging
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from course.models import Account
from pay import coupon_stock, coupon_throttle
from pay.models import (
    Coupon,
    CouponRecord,
    Order,
    RedemptionCode,
    TransactionRecord,
    normalize_public_code,
)
from pay.pricing import coupon_verdict
from pay.selectors import past_end_q
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
    account_locked: bool = False,
) -> TransactionRecord:
    """Move `amount` 贝里 into (收入/退款) or out of (支出/提现) the account, with its ledger row.

    Locks the account row (inside the caller's transaction when there is one), unless the caller
    says `account_locked`: it selected `account` for update in this transaction, so its balance
    is current. Refuses to go below zero (1042).
    """
    if amount <= 0:
        raise ValueError("amount must be positive")
    if account_locked:
        # Locked in the caller's transaction: that transaction makes the two writes one, so no
        # savepoint and no second lock (a payment's statements, bench/README.md).
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("account_locked needs the caller's transaction")
        return _ledger_write(
            account, account, amount, transaction_type=transaction_type, memo=memo, order=order
        )
    with transaction.atomic():
        locked = Account.objects.select_for_update().only("id", "balance").get(pk=account.pk)
        return _ledger_write(
            account, locked, amount, transaction_type=transaction_type, memo=memo, order=order
        )


def _ledger_write(
    account: Account,
    locked: Account,
    amount: int,
    *,
    transaction_type: int,
    memo: str,
    order: Order | None,
) -> TransactionRecord:
    """The balance moved and its ledger row (two statements), `locked` holding the current
    balance. 1042 below zero, before anything is written."""
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


def _next_claim_seq(*, coupon_id: int, account_id: int) -> int:
    current = CouponRecord.objects.filter(coupon_id=coupon_id, account_id=account_id).aggregate(
        top=Max("claim_seq")
    )["top"]
    return (current or 0) + 1


def _record_create(*, coupon: Coupon, account_id: int, limit: int | None) -> CouponRecord:
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


def _stock_take(*, coupon_id: int, issued: int = 0, codes: int = 0) -> bool:
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
    _validity_check(coupon, today)


def _validity_check(coupon: Coupon, today: date) -> None:
    if coupon.valid_end_date is not None and coupon.valid_end_date < today:
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
            record = _record_create(
                coupon=coupon, account_id=account.pk, limit=coupon.per_account_limit
            )
            if not _stock_take(coupon_id=coupon.pk, issued=1):
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
    ended = coupon.valid_end_date is not None and coupon.valid_end_date < today
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
                    record = _record_create(
                        coupon=coupon, account_id=account.pk, limit=coupon.per_account_limit
                    )
            except AppError:  # a claim took the account's last slot meanwhile
                result.skipped.append((account, "已达每人限领张数 / at the limit"))
                continue
            result.issued.append(record)
        # Last, as in a claim: the rule's row is locked only from here to the commit.
        if result.issued and not _stock_take(coupon_id=coupon.pk, issued=len(result.issued)):
            raise AppError(
                Codes.COUPON_SOLD_OUT,
                f"剩余不足 {len(result.issued)} 张 / fewer than {len(result.issued)} left",
            )
    transaction.on_commit(lambda: coupon_stock.forget(coupon.pk))
    return result


# --- Redemption codes (兑换码) -----------------------------------------------------------------

# Unambiguous when read aloud or off paper: no 0/O, no 1/I/L. 31 symbols, 16 of them drawn with
# `secrets`: about 79 bits, beyond guessing even without the throttle.
REDEMPTION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REDEMPTION_LENGTH = 16
REDEMPTION_MAX_BATCH = 10_000


def redemption_code_normalize(text: str) -> str:
    """What a person typed, as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in str(text).upper() if ch not in " -\t")


def redemption_code_format(code: str) -> str:
    """XXXX-XXXX-XXXX-XXXX, as printed."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _redemption_code_new() -> str:
    return "".join(secrets.choice(REDEMPTION_ALPHABET) for _ in range(REDEMPTION_LENGTH))


def redemption_codes_generate(*, coupon: Coupon, count: int) -> list[RedemptionCode]:
    """`count` new one-time codes for a rule. With a total_quantity, each code is promised a
    coupon at once (counted as outstanding), so every printed code can be honoured.

    :raises AppError: 1033 when fewer than `count` coupons are left.
    """
    if not 1 <= count <= REDEMPTION_MAX_BATCH:
        raise ValueError(f"count must be 1..{REDEMPTION_MAX_BATCH}")
    with transaction.atomic():
        if not _stock_take(coupon_id=coupon.pk, codes=count):
            raise AppError(Codes.COUPON_SOLD_OUT, f"剩余不足 {count} 张 / fewer than {count} left")
        codes: set[str] = set()
        while len(codes) < count:  # a clash is about 2**-79 per code: checked, not expected
            fresh = {_redemption_code_new() for _ in range(count - len(codes))} - codes
            fresh -= set(
                RedemptionCode.objects.filter(code__in=fresh).values_list("code", flat=True)
            )
            codes |= fresh
        created = RedemptionCode.objects.bulk_create(
            [RedemptionCode(coupon=coupon, code=code) for code in sorted(codes)]
        )
    transaction.on_commit(lambda: coupon_stock.forget(coupon.pk))
    return created


def coupon_redeem(*, account: Account, code: str, today: date | None = None) -> CouponRecord:
    """Redeem a one-time code into a new record for the account.

    A printed code is honoured whatever the rule's claim window (open/close dates) and
    per-account limit say, but not once the rule's validity has ended (1031): the coupon could
    not be used. Its coupon was counted against total_quantity when the code was generated.
    Racing redemptions of one code: the code's row is locked, the first commits, the others
    then see it redeemed (1034). A wrong code counts against the account's guesses
    (pay.coupon_throttle).

    :raises AppError: 1034 unknown or already redeemed, 1031 the rule's validity has ended.
    """
    today = today or timezone.localdate()
    normalized = redemption_code_normalize(code)
    with transaction.atomic():
        entry = (
            RedemptionCode.objects.select_for_update(of=("self",))
            .select_related("coupon")
            .filter(code=normalized, redeemed_by__isnull=True)
            .first()
            if 0 < len(normalized) <= 32
            else None
        )
        if entry is None:
            coupon_throttle.wrong_guess(account_id=account.pk)
            raise AppError(Codes.COUPON_CODE_INVALID)
        coupon = entry.coupon
        _validity_check(coupon, today)
        record = _record_create(coupon=coupon, account_id=account.pk, limit=None)
        if not _stock_take(coupon_id=coupon.pk, issued=1, codes=-1):
            raise AppError(Codes.COUPON_SOLD_OUT)  # only if the counters were changed by hand
        RedemptionCode.objects.filter(pk=entry.pk).update(
            redeemed_by=account, redeemed_at=record.get_time, record=record
        )
    coupon_stock.note_record(rule_id=coupon.pk, account_id=account.pk)
    return record


def coupons_expire(*, today: date | None = None, batch_size: int = 1000) -> tuple[int, int]:
    """Write 已过期 on unused records past their end; returns (expired, failed). Each update
    re-checks status=0, so several hosts may run it at once, and a record used meanwhile is never
    touched. A record whose end cannot be computed (bad data) is logged, counted and skipped."""
    today = today or timezone.localdate()
    expired = failed = 0
    by_dates = CouponRecord.objects.filter(past_end_q(today))
    expired += by_dates.update(status=CouponRecord.STATUS_EXPIRED)

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
    return CouponRecord.objects.filter(pk__in=ids, status=CouponRecord.STATUS_UNUSED).update(
        status=CouponRecord.STATUS_EXPIRED
    )
