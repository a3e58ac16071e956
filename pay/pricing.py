"""Pure settlement arithmetic over Decimal: coupons, the global coupon's split, and 贝里.

No Django, no Redis: plain values in, plain values out, so that the invariants can be tested with
thousands of generated cases (tests/pay/test_pricing.py).

Order of application (API.md, "Money"): each course's coupon on that course's price; then the
global coupon on the sum of the discounted course prices; then 贝里. Every computed amount is
rounded half up to the cent once; a discount never makes a price negative.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from utils.money import money_text

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

GENERAL, THRESHOLD, DISCOUNT = 0, 1, 2  # Coupon.coupon_type
UNUSED, USED, EXPIRED = 0, 1, 2  # CouponRecord.status

NOT_HELD = "优惠券已不存在 / no longer held"
USED_REASON = "已使用 / used"
EXPIRED_REASON = "已过期 / expired"
NOT_USABLE = "不可用 / not usable"


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def whole_cents(amount: Decimal) -> int:
    """`amount` as an integer number of cents, rounded up (exact for an amount in cents; a
    threshold between two cents is reached only from the cent above): what the best choice sums
    and compares, and a Redis script too (pay/settlement_store.py `Permit`)."""
    return int((amount * 100).to_integral_value(rounding=ROUND_CEILING))


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
    """Whether a coupon can be used, and why not. `status` is the record's effective status
    (已过期 once unused past its end); it takes no part in equality."""

    usable: bool
    reason: str | None = None
    status: int | None = field(default=None, compare=False)


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


# --- Is this coupon usable? (the one rule) -----------------------------------------------------


def coupon_validity(
    *,
    claim_day: date,
    valid_begin_date: date | None,
    valid_end_date: date | None,
    valid_days: int | None,
) -> tuple[date, date]:
    """The first and last day a record claimed on `claim_day` can be used: the rule's dates when
    it has them, else `valid_days` from the claim day (never past date.max)."""
    begin = valid_begin_date if valid_begin_date is not None else claim_day
    if valid_end_date is not None:
        return begin, valid_end_date
    days = valid_days or 0
    if days > (date.max - claim_day).days:  # a row written before the bound: never past max
        return begin, date.max
    return begin, claim_day + timedelta(days=days)


def coupon_verdict(
    *,
    status: int | None = UNUSED,
    valid_begin: date | None = None,
    valid_end: date | None = None,
    today: date | None = None,
    coupon_type: int = GENERAL,
    minimum_consume: Decimal = ZERO,
    amount: Decimal | None = None,
) -> Verdict:
    """Whether a held coupon can be used, and why not: the one place this is decided.

    In order: held at all (`status` None: not, or no longer, the account's), its record's status
    (used; 已过期 written, or unused but past `valid_end` on `today`), not valid before
    `valid_begin`, and a 满减券's threshold on `amount`. Dates are checked only when `today` is
    given, the threshold only when `amount` is. The verdict carries the effective status.
    """
    if status is None:
        return Verdict(False, NOT_HELD, None)
    if status == UNUSED and today is not None and valid_end is not None and today > valid_end:
        status = EXPIRED
    if status == USED:
        return Verdict(False, USED_REASON, status)
    if status == EXPIRED:
        return Verdict(False, EXPIRED_REASON, status)
    if status != UNUSED:
        return Verdict(False, NOT_USABLE, status)
    if today is not None and valid_begin is not None and today < valid_begin:
        return Verdict(False, f"{valid_begin.isoformat()} 起可用 / not valid yet", status)
    if amount is not None and coupon_type == THRESHOLD and amount < minimum_consume:
        minimum = money_text(minimum_consume)
        return Verdict(False, f"未满{minimum}元 / under the minimum of {minimum}", status)
    return Verdict(True, None, status)


def check_coupon(coupon: CouponTerms, price: Decimal, today: date | None = None) -> Verdict:
    """Whether the terms of an unused coupon can be used on `price` (on `today`, when given)."""
    return coupon_verdict(
        valid_begin=coupon.valid_begin,
        valid_end=coupon.valid_end,
        today=today,
        coupon_type=coupon.coupon_type,
        minimum_consume=coupon.minimum_consume,
        amount=price,
    )


def usable_from(coupon: CouponTerms, today: date) -> Decimal | None:
    """The least amount `coupon` can be used on today (its threshold for a 满减券, else 0), or None
    when it cannot be used on any: `check_coupon(coupon, amount, today).usable` is exactly
    `usable_from(coupon, today) is not None and amount >= usable_from(coupon, today)` (pinned by
    tests/pay/test_pricing.py). What a PATCH decided in Redis compares a subtotal with
    (pay/settlement_store.py, the settlement's permit)."""
    verdict = coupon_verdict(
        valid_begin=coupon.valid_begin,
        valid_end=coupon.valid_end,
        today=today,
        coupon_type=coupon.coupon_type,
        minimum_consume=coupon.minimum_consume,
    )
    if not verdict.usable:
        return None
    return coupon.minimum_consume if coupon.coupon_type == THRESHOLD else ZERO


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


def subtotal(lines: list[Line]) -> Decimal:
    """What the lines cost after their own coupons, before the global one: the base a global
    coupon's threshold is checked on (`price_settlement(lines).payable`, without the quote)."""
    return to_cents(sum((apply_coupon(line.coupon, line.price) for line in lines), ZERO))


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
#   rank(choice) = (payable, number of coupons, sum of the chosen coupons' valid_end days,
#                   record ids: the global coupon's, then each course's in the settlement's order)
#
# compared left to right; the last item is a tuple compared lexicographically with 0 for "none"
# (a coupon without an end counts as ending on date.max). Smallest rank wins. Two different
# choices never share a rank: their id tuples differ.
#
# The search. For a global coupon g (or none), payable is f_g(S), S being the sum of the
# discounted course prices: f_g is apply_coupon(g, S), non-decreasing in S, defined (g usable)
# for S >= m_g (a 满减券's minimum_consume, else 0). Courses interact only through S. So:
#   1. S* = the least reachable S >= m_g (then the least payable with g is f_g(S*)): a set of
#      reachable sums in cents, course by course (a bitset: one big integer);
#   2. every S with f_g(S) == f_g(S*) ties on payable; they form an interval [S*, hi] (found by
#      bisection on f_g itself, so it cannot disagree with the pricing);
#   3. among choices with S in that interval, the least (count, end days, ids): a dynamic
#      programme over the courses keyed by partial sums. Count and end days add up, so the
#      better of two partial choices with the same sum stays the better one whatever is added;
#      the ids are compared course by course, so equal keys go to the smaller id at the course
#      that comes first (the programme runs from the last course to the first for that).
#      Partial sums that cannot end inside the interval (given the least and the greatest the
#      remaining courses can add) are never stored.
# Cost per global candidate: (options of all courses) x (width, in cents, of the sums that can
# still end in the interval), done as array operations (numpy); never the product of all choices.
# When that width is very large (more than DENSE_LIMIT cents of possible course savings) the same
# programme runs over the distinct partial sums instead (a dict): memory bounded by the sums
# actually reachable, not by the width (slow only if many large coupons make very many distinct
# sums). tests/pay/test_best_choice.py checks both against brute force.

DENSE_LIMIT = 1_000_000  # cents: 10 000 元 of possible course-coupon savings in one settlement
_COUNT = 1 << 40  # one coupon outweighs any sum of end days (51 x date.max < 2**28)
_INF = 1 << 62


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


@dataclass(frozen=True)
class _Option:
    coupon: CouponTerms | None
    cents: int  # the course's discounted price, in cents
    cost: int  # 0 for none, else _COUNT + its end day: count and end days in one integer
    id: int  # 0 for none, else the record id


def _end_day(coupon: CouponTerms) -> int:
    return (coupon.valid_end or date.max).toordinal()


def _options(offer: Offer, today: date | None) -> list[_Option]:
    """None first, then the usable coupons by record id."""
    options = [_Option(None, whole_cents(to_cents(offer.price)), 0, 0)]
    for coupon in sorted(offer.coupons, key=lambda c: c.id):
        if check_coupon(coupon, offer.price, today).usable:
            cents = whole_cents(apply_coupon(coupon, offer.price))
            options.append(_Option(coupon, cents, _COUNT + _end_day(coupon), coupon.id))
    return options


def _least_sum_from(per_line: list[list[_Option]], minimum: int) -> int | None:
    """The least reachable sum >= minimum, or None: reachable sums as bits of one integer (bit j
    is the sum `floor + j`)."""
    floor, bits = 0, 1
    for options in per_line:
        low = min(o.cents for o in options)
        grown = 0
        for cents in {o.cents for o in options}:
            grown |= bits << (cents - low)
        floor, bits = floor + low, grown
    above = bits >> max(minimum - floor, 0)
    if not above:
        return None
    return max(minimum, floor) + ((above & -above).bit_length() - 1)


def _bounds(per_line):
    """For each prefix length i: (least, greatest) sum of the lines from i on."""
    rest = [(0, 0)]
    for options in reversed(per_line):
        least, greatest = rest[0]
        rest.insert(
            0, (least + min(o.cents for o in options), greatest + max(o.cents for o in options))
        )
    return rest


def _best_in_window_dense(per_line: list[list[_Option]], low: int, high: int) -> list[_Option]:
    """Step 3 over arrays: lines from the last to the first, so that a tie on (count, end days)
    keeps the smaller option of the earliest line (options are in id order, none first)."""
    import numpy as np

    lines = per_line[::-1]
    rest = _bounds(lines)
    done_min = done_max = 0
    start, key = 0, np.zeros(1, dtype=np.int64)  # sums start..start+len-1 of the lines so far
    layers = []
    for i, options in enumerate(lines):
        done_min += min(o.cents for o in options)
        done_max += max(o.cents for o in options)
        new_start = max(done_min, low - rest[i + 1][1])
        new_end = min(done_max, high - rest[i + 1][0])
        new_key = np.full(new_end - new_start + 1, _INF, dtype=np.int64)
        pick = np.zeros(new_end - new_start + 1, dtype=np.uint16)
        for index, option in enumerate(options):
            first = max(start + option.cents, new_start)
            last = min(start + len(key) - 1 + option.cents, new_end)
            if first > last:
                continue
            source = key[first - option.cents - start : last - option.cents - start + 1]
            target = slice(first - new_start, last - new_start + 1)
            candidate = source + option.cost
            better = candidate < new_key[target]
            new_key[target] = np.where(better, candidate, new_key[target])
            pick[target] = np.where(better, index, pick[target])
        layers.append((new_start, pick))
        start, key = new_start, new_key

    best, best_ids = None, None
    for s in np.flatnonzero(key == key.min()).tolist():  # ties on (count, end days): by ids
        chosen, total = [], start + s
        for (layer_start, pick), options in zip(reversed(layers), reversed(lines), strict=True):
            option = options[pick[total - layer_start]]
            chosen.append(option)
            total -= option.cents
        ids = tuple(o.id for o in chosen)
        if best_ids is None or ids < best_ids:
            best, best_ids = chosen, ids
    assert best is not None  # key.min() is reached by at least one sum: the loop chose one
    return best


def _best_in_window_sparse(per_line: list[list[_Option]], low: int, high: int) -> list[_Option]:
    """Step 3 over the distinct partial sums (a dict), lines from the first to the last."""
    rest = _bounds(per_line)
    states: dict[int, tuple] = {0: (0, ())}  # sum -> (count and end days, chosen options)
    for i, options in enumerate(per_line):
        grown: dict[int, tuple] = {}
        for s, (cost, chosen) in states.items():
            for option in options:
                t = s + option.cents
                if t + rest[i + 1][0] > high or t + rest[i + 1][1] < low:
                    continue
                state = (cost + option.cost, (*chosen, option))
                kept = grown.get(t)
                if kept is None or _state_key(state) < _state_key(kept):
                    grown[t] = state
        states = grown
    return min(states.values(), key=_state_key)[1]


def _the_only_choice(per_line: list[list[_Option]], low: int, high: int) -> list[_Option]:
    """Step 3 when each line has one option (none): its sum is the least, inside the window."""
    return [options[0] for options in per_line]


def _state_key(state):
    cost, chosen = state
    return cost, tuple(o.id for o in chosen)


def _tie_window(coupon: CouponTerms, least: int) -> tuple[Decimal, int]:
    """payable with `coupon` at the least sum, and the greatest sum (cents) paying the same."""
    payable = apply_coupon(coupon, Decimal(least) / 100)
    low, step = least, 1
    while apply_coupon(coupon, Decimal(low + step) / 100) == payable and step < 1 << 50:
        low, step = low + step, step * 2  # gallop, then bisect
    high = low + step  # apply(low) == payable < apply(high)
    while high - low > 1:
        mid = (low + high) // 2
        if apply_coupon(coupon, Decimal(mid) / 100) == payable:
            low = mid
        else:
            high = mid
    return payable, low


def best_choice(
    offers: list[Offer], global_coupons=(), today: date | None = None, *, dense: bool | None = None
) -> BestChoice:
    """The choice of coupons with the least rank (see above): exact and deterministic.

    `dense` forces the array or the dict programme (tests); by default the width decides, and
    lines with one option each (no usable course coupon) take it without a search.
    """
    per_line = [_options(offer, today) for offer in offers]
    span = sum(
        max(o.cents for o in options) - min(o.cents for o in options) for options in per_line
    )
    fits = all(len(options) <= 1 << 16 for options in per_line)  # option indexes are uint16
    use_dense = (span <= DENSE_LIMIT and fits) if dense is None else dense
    search = _best_in_window_dense if use_dense else _best_in_window_sparse
    if dense is None and all(len(options) == 1 for options in per_line):
        search = _the_only_choice  # no course coupon usable on any line: nothing to search
    candidates: list[CouponTerms | None] = [None]
    for coupon in sorted(global_coupons, key=lambda c: c.id):
        if check_coupon(coupon, Decimal("Infinity"), today).usable:  # its dates only, here
            candidates.append(coupon)

    best: BestChoice | None = None
    for g in candidates:
        minimum = whole_cents(g.minimum_consume) if g and g.coupon_type == THRESHOLD else 0
        least = _least_sum_from(per_line, minimum)
        if least is None:
            continue
        if g is None:
            payable, high = Decimal(least) / 100, least
        else:
            payable, high = _tie_window(g, least)
        chosen = search(per_line, least, high)
        used = [o.coupon for o in chosen if o.coupon is not None] + ([g] if g else [])
        rank = (
            to_cents(payable),
            len(used),
            sum(_end_day(c) for c in used),
            (g.id if g else 0, *(o.id for o in chosen)),
        )
        if best is None or rank < best.rank:
            best = BestChoice(
                course_coupons={
                    offer.course_id: option.id or None
                    for offer, option in zip(offers, chosen, strict=True)
                },
                global_coupon=g.id if g else None,
                payable=to_cents(payable),
                rank=rank,
            )
    assert best is not None  # the no-global candidate (minimum 0) always reaches a sum
    return best
