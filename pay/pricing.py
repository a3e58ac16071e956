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


# --- Best coupons by default ---------------------------------------------------------------
#
# API.md, POST /api/settlement/: pre-select the choice (one usable coupon or none per course, one
# usable global coupon or none) that makes `payable` smallest; ties go to fewer coupons, then to
# the coupons whose valid_end comes first. The order on choices, total and deterministic:
#
#   rank(choice) = (payable, number of coupons, valid_ends sorted ascending, record ids sorted)
#
# compared left to right, tuples lexicographically (a coupon without an end counts as never
# ending). Smallest rank wins. Two different choices never share a rank: their sorted id tuples
# differ (a record id is one coupon, and each coupon fits one course or the global slot).
#
# The search. For a global coupon g (or none), payable is f_g(S), S being the sum of the
# discounted course prices: f_g is apply_coupon(g, S), non-decreasing in S, defined (g usable)
# for S >= m_g (a 满减券's minimum_consume, else 0). Courses interact only through S. So:
#   1. S* = the least reachable S >= m_g  (then the least payable with g is f_g(S*));
#   2. every S with f_g(S) == f_g(S*) ties on payable; they form an interval [S*, hi];
#   3. among choices with S in [S*, hi], the least (count, ends, ids).
# Both are a dynamic programme over the courses keyed by partial sums in cents: a partial choice
# matters to the rest only through its sum, and for (3) the better of two partial choices with
# the same sum stays the better one whatever the remaining courses add (adding the same coupons
# to two sorted tuples of equal length keeps their order). Partial sums that cannot end in the
# window (given the least and the greatest the remaining courses can add) are dropped, and in (1)
# a partial sum that reaches m_g even with the cheapest rest is finished at once. Cost per global
# candidate: O(options x kept sums); kept sums are bounded by the distinct sums inside the window,
# never by the product of all choices (tests/pay/test_best_choice.py checks it against brute
# force and counts the states).


@dataclass(frozen=True)
class Offer:
    """A settlement line for the search: its price and the course coupons the user holds."""

    course_id: int
    price: Decimal
    coupons: tuple[CouponTerms, ...] = ()


@dataclass(frozen=True)
class BestChoice:
    course_coupons: dict[int, int | None]  # course id -> record id, or None
    global_coupon: int | None
    payable: Decimal
    rank: tuple


def _cents(amount: Decimal) -> int:
    return int(to_cents(amount) * 100)


def _end_key(coupon: CouponTerms) -> int:
    return (coupon.valid_end or date.max).toordinal()


def _merge(sorted_tuple: tuple, value) -> tuple:
    """`sorted_tuple` with `value` inserted in order."""
    i = 0
    while i < len(sorted_tuple) and sorted_tuple[i] <= value:
        i += 1
    return (*sorted_tuple[:i], value, *sorted_tuple[i:])


@dataclass(frozen=True)
class _Option:
    coupon: CouponTerms | None
    cents: int  # the course's discounted price, in cents


def _options(offer: Offer, today: date | None) -> list[_Option]:
    options = [_Option(None, _cents(offer.price))]
    for coupon in offer.coupons:
        if check_coupon(coupon, offer.price, today).usable:
            options.append(_Option(coupon, _cents(apply_coupon(coupon, offer.price))))
    return options


def _least_sum_from(per_line: list[list[_Option]], minimum: int) -> int | None:
    """The least reachable sum >= minimum (None if none is), without enumerating choices."""
    rest_min, rest_max = [0], [0]
    for options in reversed(per_line):
        rest_min.insert(0, rest_min[0] + min(o.cents for o in options))
        rest_max.insert(0, rest_max[0] + max(o.cents for o in options))
    best = None
    sums = {0}
    for i, options in enumerate(per_line):
        grown = set()
        for s in sums:
            for option in options:
                t = s + option.cents
                if t + rest_max[i + 1] < minimum:
                    continue  # cannot reach the minimum any more
                if t + rest_min[i + 1] >= minimum:  # reaches it even with the cheapest rest
                    if best is None or t + rest_min[i + 1] < best:
                        best = t + rest_min[i + 1]
                    continue
                grown.add(t)
        sums = grown
    if not per_line and minimum <= 0:
        best = 0
    return best


def _best_in_window(per_line: list[list[_Option]], low: int, high: int):
    """The least (count, ends, ids) choice whose sum lies in [low, high], as a list of options."""
    rest_min, rest_max = [0], [0]
    for options in reversed(per_line):
        rest_min.insert(0, rest_min[0] + min(o.cents for o in options))
        rest_max.insert(0, rest_max[0] + max(o.cents for o in options))
    # sum -> (count, ends, ids, chosen options)
    states: dict[int, tuple] = {0: (0, (), (), ())}
    for i, options in enumerate(per_line):
        grown: dict[int, tuple] = {}
        for s, (count, ends, ids, chosen) in states.items():
            for option in options:
                t = s + option.cents
                if t + rest_min[i + 1] > high or t + rest_max[i + 1] < low:
                    continue
                if option.coupon is None:
                    state = (count, ends, ids, (*chosen, option))
                else:
                    state = (
                        count + 1,
                        _merge(ends, _end_key(option.coupon)),
                        _merge(ids, option.coupon.id),
                        (*chosen, option),
                    )
                kept = grown.get(t)
                if kept is None or state[:3] < kept[:3]:
                    grown[t] = state
        states = grown
    return states


def _tie_window(coupon: CouponTerms, least: int) -> tuple[Decimal, int]:
    """payable with `coupon` at the least sum, and the greatest sum (cents) paying the same."""
    payable = apply_coupon(coupon, Decimal(least) / 100)
    low, high = least, least
    step = 1
    while apply_coupon(coupon, Decimal(high + step) / 100) == payable:  # gallop, then bisect
        low, high, step = high + step, high + step, step * 2
        if high > 10**14:
            break
    lo, hi = low, low + step  # apply(lo) == payable, apply(hi) > payable (or unbounded)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if apply_coupon(coupon, Decimal(mid) / 100) == payable:
            lo = mid
        else:
            hi = mid
    return payable, lo


def best_choice(
    offers: list[Offer], global_coupons: list[CouponTerms] = (), today: date | None = None
) -> BestChoice:
    """The choice of coupons with the least rank (see above): exact, deterministic."""
    per_line = [_options(offer, today) for offer in offers]
    candidates: list[CouponTerms | None] = [None]
    for coupon in global_coupons:
        if check_coupon(coupon, Decimal("Infinity"), today).usable:  # dates only here
            candidates.append(coupon)

    best: BestChoice | None = None
    for g in candidates:
        minimum = _cents(g.minimum_consume) if g and g.coupon_type == THRESHOLD else 0
        least = _least_sum_from(per_line, minimum)
        if least is None:
            continue
        if g is None:
            payable, high = Decimal(least) / 100, least
        else:
            payable, high = _tie_window(g, least)
        states = _best_in_window(per_line, least, high)
        count, ends, ids, chosen = min(states.values(), key=lambda state: state[:3])
        if g is not None:
            count, ends, ids = count + 1, _merge(ends, _end_key(g)), _merge(ids, g.id)
        rank = (to_cents(payable), count, ends, ids)
        if best is None or rank < best.rank:
            best = BestChoice(
                course_coupons={
                    offer.course_id: option.coupon.id if option.coupon else None
                    for offer, option in zip(offers, chosen, strict=True)
                },
                global_coupon=g.id if g else None,
                payable=to_cents(payable),
                rank=rank,
            )
    return best
