"""Pure settlement arithmetic over Decimal: coupons, the global coupon's split, and 贝里.

No Django, no Redis: plain values in, plain values out, so that the invariants can be tested with
thousands of generated cases (tests/pay/test_pricing.py).

Order of application (API.md, "Money"): each course's coupon on that course's price; then the
global coupon on the sum of the discounted course prices; then 贝里. Every computed amount is
rounded half up to the cent once; a discount never makes a price negative.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

GENERAL, THRESHOLD, DISCOUNT = 0, 1, 2  # Coupon.coupon_type


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CouponTerms:
    """What pricing needs to know of a held coupon."""

    id: int
    coupon_type: int
    value: Decimal | None = None  # money_equivalent_value (通用券, 满减券)
    off_percent: int | None = None  # 折扣券: 79 means 7.9折
    minimum_consume: Decimal = ZERO  # 满减券's threshold
    valid_begin: date | None = None
    valid_end: date | None = None

    @classmethod
    def of(cls, coupon) -> "CouponTerms":
        """The terms of any coupon-shaped object (a held record, a stored settlement coupon)."""
        return cls(
            id=coupon.id,
            coupon_type=coupon.coupon_type,
            value=coupon.money_equivalent_value,
            off_percent=coupon.off_percent,
            minimum_consume=coupon.minimum_consume,
            valid_begin=coupon.valid_begin,
            valid_end=coupon.valid_end,
        )


@dataclass(frozen=True)
class Verdict:
    usable: bool
    reason: str | None = None


@dataclass(frozen=True)
class Line:
    course_id: int
    price: Decimal
    coupon: CouponTerms | None = None


@dataclass(frozen=True)
class LineQuote:
    course_id: int
    price: Decimal  # the policy's price
    discounted_price: Decimal  # after the course coupon
    global_share: Decimal  # this line's part of the global discount
    payable: Decimal  # discounted_price - global_share: what the order line charges


@dataclass(frozen=True)
class Quote:
    lines: list[LineQuote]
    total_price: Decimal
    course_discount: Decimal
    global_discount: Decimal
    payable: Decimal


def check_coupon(coupon: CouponTerms, price: Decimal, today: date | None = None) -> Verdict:
    """Whether `coupon` can be used on `price` (on `today`, when given), and why not."""
    if today is not None:
        if coupon.valid_begin is not None and today < coupon.valid_begin:
            return Verdict(False, f"{coupon.valid_begin.isoformat()} 起可用 / not valid yet")
        if coupon.valid_end is not None and today > coupon.valid_end:
            return Verdict(False, "已过期 / expired")
    if coupon.coupon_type == THRESHOLD and price < coupon.minimum_consume:
        return Verdict(
            False,
            f"未满{coupon.minimum_consume:.2f}元 / under the minimum of {coupon.minimum_consume:.2f}",
        )
    return Verdict(True)


def apply_coupon(coupon: CouponTerms | None, price: Decimal) -> Decimal:
    """The price after `coupon`, rounded once, never below zero (an unusable coupon does nothing)."""
    if coupon is None or not check_coupon(coupon, price).usable:
        return to_cents(price)
    if coupon.coupon_type in (GENERAL, THRESHOLD):
        discounted = price - (coupon.value or ZERO)
    elif coupon.coupon_type == DISCOUNT:
        discounted = price * Decimal(coupon.off_percent or 100) / Decimal(100)
    else:
        raise ValueError(f"unknown coupon type {coupon.coupon_type}")
    return max(to_cents(discounted), ZERO)


def split_discount(discount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `discount` over lines in proportion to `weights`, to the cent, adding up exactly.

    Largest remainder: every line gets its share floored to the cent, then the cents left over go
    to the lines with the largest remainders (earlier lines first on ties). No share exceeds its
    weight when `discount <= sum(weights)`.
    """
    total = sum(weights, ZERO)
    if not weights:
        return []
    if total <= 0 or discount <= 0:
        return [ZERO for _ in weights]
    exact = [discount * weight / total for weight in weights]
    floors = [share.quantize(CENT, rounding=ROUND_FLOOR) for share in exact]
    left = int((discount - sum(floors, ZERO)) / CENT)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += CENT
    return floors


def price_settlement(lines: list[Line], global_coupon: CouponTerms | None = None) -> Quote:
    discounted = [apply_coupon(line.coupon, line.price) for line in lines]
    subtotal = sum(discounted, ZERO)
    after_global = apply_coupon(global_coupon, subtotal)
    global_discount = subtotal - after_global
    shares = split_discount(global_discount, discounted)
    total = to_cents(sum((line.price for line in lines), ZERO))
    quotes = [
        LineQuote(
            course_id=line.course_id,
            price=to_cents(line.price),
            discounted_price=price,
            global_share=share,
            payable=price - share,
        )
        for line, price, share in zip(lines, discounted, shares, strict=True)
    ]
    return Quote(
        lines=quotes,
        total_price=total,
        course_discount=total - subtotal,
        global_discount=global_discount,
        payable=after_global,
    )


# --- 贝里 ---------------------------------------------------------------------------------------


def beili_value(beili: int, per_yuan: int) -> Decimal:
    """What `beili` 贝里 are worth in money (rounded down: 贝里 never buy more than they are)."""
    return (Decimal(beili) / Decimal(per_yuan)).quantize(CENT, rounding=ROUND_FLOOR)


@dataclass(frozen=True)
class BeiliSplit:
    beili: int  # 贝里 actually spent
    money: Decimal  # what is left to pay by the gateway


def split_payment(payable: Decimal, offered_beili: int, per_yuan: int) -> BeiliSplit:
    """Spend up to `offered_beili` on `payable`.

    Enough 贝里 for the whole amount spends just what covers it (rounded up to a whole 贝里, so a
    贝里-only payment is always possible); otherwise every offered 贝里 is spent and the rest is
    money.
    """
    if payable <= 0 or offered_beili <= 0:
        return BeiliSplit(0, max(payable, ZERO))
    needed = int((payable * per_yuan).to_integral_value(rounding=ROUND_CEILING))
    if offered_beili >= needed:
        return BeiliSplit(needed, ZERO)
    return BeiliSplit(offered_beili, payable - beili_value(offered_beili, per_yuan))
