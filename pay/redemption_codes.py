"""Redemption codes (兑换码): generating one-time codes for a rule, and redeeming one."""

import secrets
from datetime import date

from django.db import transaction
from django.utils import timezone

from course.models import Account
from pay import coupon_stock, coupon_throttle
from pay.coupon_records import record_create, stock_take, validity_check
from pay.models import Coupon, CouponRecord, RedemptionCode
from utils.errors import AppError, Codes

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
        if not stock_take(coupon_id=coupon.pk, codes=count):
            raise AppError(Codes.COUPON_SOLD_OUT, f"剩余不足 {count} 张 / fewer than {count} left")
        codes: set[str] = set()
        while len(codes) < count:  # a clash is about 2**-79 per code: checked, not expected
            fresh = {_redemption_code_new() for _ in range(count - len(codes))} - codes
            fresh -= set(
                RedemptionCode.objects.filter(code__in=fresh).values_list("code", flat=True)
            )
            codes |= fresh
        created = RedemptionCode.objects.bulk_create(
            [RedemptionCode(coupon=coupon, code=code) for code in sorted(codes)],
            batch_size=2000,  # bound values per statement well under PostgreSQL's 65,535
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
        validity_check(coupon, today)
        record = record_create(coupon=coupon, account_id=account.pk, limit=None)
        if not stock_take(coupon_id=coupon.pk, issued=1, codes=-1):
            raise AppError(Codes.COUPON_SOLD_OUT)  # only if the counters were changed by hand
        RedemptionCode.objects.filter(pk=entry.pk).update(
            redeemed_by=account, redeemed_at=record.get_time, record=record
        )
    coupon_stock.note_record(rule_id=coupon.pk, account_id=account.pk)
    return record
