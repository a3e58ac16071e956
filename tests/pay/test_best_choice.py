"""pay/pricing.py best_choice: the pre-selected coupons (API.md, POST /api/settlement/).

Table tests for the cases that catch a greedy search, then hypothesis: on generated settlements
the search's choice is exactly the brute-force optimum over every combination, by the same rank.
"""

import itertools
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pay.pricing import (
    DISCOUNT,
    GENERAL,
    THRESHOLD,
    CouponTerms,
    Line,
    Offer,
    apply_coupon,
    best_choice,
    check_coupon,
    price_settlement,
)

D = Decimal
DAY = date(2026, 6, 1)


def coupon(id, kind, value=None, off=None, minimum="0", end=None, begin=None):
    return CouponTerms(
        id=id,
        coupon_type=kind,
        value=None if value is None else D(value),
        off_percent=off,
        minimum_consume=D(minimum),
        valid_begin=begin,
        valid_end=end,
    )


def test_no_coupons_means_nothing_chosen():
    best = best_choice([Offer(1, D("99.00"))], [])
    assert best.course_coupons == {1: None}
    assert best.global_coupon is None
    assert best.payable == D("99.00")


def test_lines_without_a_usable_coupon_still_get_the_best_global_coupon():
    # nothing to search on the lines (an expired course coupon is no option): the global decides
    expired = coupon(1, GENERAL, "50", end=DAY - timedelta(days=1))
    offers = [Offer(1, D("120.00"), (expired,)), Offer(2, D("80.00"))]
    globals_ = [
        coupon(2, THRESHOLD, "30", minimum="250"),
        coupon(3, THRESHOLD, "20", minimum="200"),
    ]
    best = best_choice(offers, globals_, today=DAY)
    assert best.course_coupons == {1: None, 2: None}
    assert best.global_coupon == 3
    assert best.payable == D("180.00")


def test_the_largest_course_coupon_is_chosen_without_a_global_coupon():
    offers = [Offer(1, D("100.00"), (coupon(1, GENERAL, "10"), coupon(2, GENERAL, "30")))]
    assert best_choice(offers).course_coupons == {1: 2}


def test_a_smaller_course_coupon_wins_when_it_keeps_a_threshold_global_coupon_usable():
    # 30 off leaves 170 < 180: the 满200减50 global is lost (payable 170).
    # 10 off leaves 190 >= 180: 190 - 50 = 140.
    offers = [Offer(1, D("200.00"), (coupon(1, GENERAL, "10"), coupon(2, GENERAL, "30")))]
    best = best_choice(offers, [coupon(9, THRESHOLD, "50", minimum="180")])
    assert (best.course_coupons, best.global_coupon, best.payable) == ({1: 1}, 9, D("140.00"))


def test_no_course_coupon_wins_when_any_would_drop_under_the_global_minimum():
    offers = [
        Offer(1, D("120.00"), (coupon(1, GENERAL, "5"),)),
        Offer(2, D("90.00"), (coupon(2, DISCOUNT, off=90),)),
    ]
    best = best_choice(offers, [coupon(9, THRESHOLD, "60", minimum="210")])
    # with any course coupon the sum is under 210 and the 60 off is lost
    assert (best.course_coupons, best.global_coupon, best.payable) == (
        {1: None, 2: None},
        9,
        D("150.00"),
    )


def test_the_threshold_is_reached_across_courses_by_the_least_sum_above_it():
    # Sums with one coupon each: 100-20 + 100-5 = 175, 100-20+100 = 180, 100+100-5 = 195...
    # the least sum >= 180 is 180 (coupon 1 only), paying 180 - 40.
    offers = [
        Offer(1, D("100.00"), (coupon(1, GENERAL, "20"),)),
        Offer(2, D("100.00"), (coupon(2, GENERAL, "5"),)),
    ]
    best = best_choice(offers, [coupon(9, THRESHOLD, "40", minimum="180")])
    assert (best.course_coupons, best.global_coupon, best.payable) == (
        {1: 1, 2: None},
        9,
        D("140.00"),
    )


def test_an_equal_payable_goes_to_fewer_coupons():
    # A 通用券 worth more than everything pays 0 alone; the course coupon would change nothing.
    offers = [Offer(1, D("50.00"), (coupon(1, GENERAL, "10"),))]
    best = best_choice(offers, [coupon(9, GENERAL, "100")])
    assert (best.course_coupons, best.global_coupon, best.payable) == ({1: None}, 9, D("0.00"))


def test_a_coupon_that_saves_nothing_is_not_chosen():
    offers = [Offer(1, D("0.00"), (coupon(1, GENERAL, "10"),))]
    assert best_choice(offers).course_coupons == {1: None}


def test_an_equal_saving_goes_to_the_coupon_that_ends_first():
    soon, later = DAY + timedelta(days=3), DAY + timedelta(days=30)
    offers = [
        Offer(
            1,
            D("100.00"),
            (coupon(1, GENERAL, "10", end=later), coupon(2, GENERAL, "10", end=soon)),
        )
    ]
    assert best_choice(offers, today=DAY).course_coupons == {1: 2}


def test_equal_ends_go_to_the_smaller_record_id():
    offers = [Offer(1, D("100.00"), (coupon(7, GENERAL, "10"), coupon(3, GENERAL, "10")))]
    assert best_choice(offers).course_coupons == {1: 3}


def test_a_global_coupon_ending_first_beats_an_equal_course_coupon():
    soon, later = DAY + timedelta(days=1), DAY + timedelta(days=9)
    # Either alone makes 10.00 free; both would be two coupons for the same 0.00.
    offers = [Offer(1, D("10.00"), (coupon(1, GENERAL, "10", end=later),))]
    best = best_choice(offers, [coupon(9, GENERAL, "10", end=soon)], today=DAY)
    assert (best.course_coupons, best.global_coupon) == ({1: None}, 9)


def test_a_discount_that_rounds_to_the_same_payable_takes_fewer_coupons():
    # 50% of 0.03 and of 0.02 both round to 0.02 / 0.01: 0.03*0.5 = 0.015 -> 0.02, 0.04 -> 0.02
    offers = [Offer(1, D("0.04"), (coupon(1, GENERAL, "0.01"),))]
    best = best_choice(offers, [coupon(9, DISCOUNT, off=50)])
    assert (best.course_coupons, best.global_coupon, best.payable) == ({1: None}, 9, D("0.02"))


def test_coupons_outside_their_days_are_never_chosen():
    expired = coupon(1, GENERAL, "50", end=DAY - timedelta(days=1))
    early = coupon(9, GENERAL, "50", begin=DAY + timedelta(days=1), end=DAY + timedelta(days=5))
    best = best_choice([Offer(1, D("100.00"), (expired,))], [early], today=DAY)
    assert (best.course_coupons, best.global_coupon) == ({1: None}, None)


def test_a_course_threshold_coupon_under_its_minimum_is_never_chosen():
    offers = [Offer(1, D("99.00"), (coupon(1, THRESHOLD, "20", minimum="100"),))]
    assert best_choice(offers).course_coupons == {1: None}


def test_fifty_courses_with_five_coupons_each_are_searched_without_the_product():
    # 6**50 choices. Without a 满减 the best is each course's largest coupon, then the global.
    offers = [
        Offer(
            course_id,
            D("99.00") + course_id,
            tuple(coupon(course_id * 10 + k, GENERAL, str(k + 1)) for k in range(5)),
        )
        for course_id in range(1, 51)
    ]
    best = best_choice(offers, [coupon(1000, DISCOUNT, off=95)])
    assert best.course_coupons == {o.course_id: o.course_id * 10 + 4 for o in offers}
    subtotal = sum((o.price - 5 for o in offers), D(0))
    assert (best.global_coupon, best.payable) == (1000, (subtotal * D("0.95")).quantize(D("0.01")))


# --- against brute force --------------------------------------------------------------------


def rank_of(offers, globals_, course_pick, global_pick, today):
    """The rank (API.md's order) of one full choice, priced by price_settlement; None if any
    chosen coupon cannot be used."""
    lines = []
    for offer, picked in zip(offers, course_pick, strict=True):
        if picked is not None and not check_coupon(picked, offer.price, today).usable:
            return None
        lines.append(Line(offer.course_id, offer.price, picked))
    if global_pick is not None:
        subtotal = price_settlement(lines).payable
        if not check_coupon(global_pick, subtotal, today).usable:
            return None
    payable = price_settlement(lines, global_pick).payable
    used = [c for c in (*course_pick, global_pick) if c is not None]
    end_days = sum((c.valid_end or date.max).toordinal() for c in used)
    ids = tuple(c.id if c else 0 for c in (global_pick, *course_pick))
    return (payable, len(used), end_days, ids)


def brute_force(offers, globals_, today):
    best = None
    for course_pick in itertools.product(*[(None, *offer.coupons) for offer in offers]):
        for global_pick in (None, *globals_):
            rank = rank_of(offers, globals_, course_pick, global_pick, today)
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, course_pick, global_pick)
    return best


amounts = st.integers(min_value=0, max_value=30000).map(lambda cents: D(cents) / 100)
ends = st.one_of(
    st.none(), st.integers(min_value=-2, max_value=6).map(lambda d: DAY + timedelta(d))
)


@st.composite
def coupons(draw, ids):
    kind = draw(st.sampled_from([GENERAL, THRESHOLD, DISCOUNT]))
    end = draw(ends)
    begin = draw(st.one_of(st.none(), st.just(DAY + timedelta(days=1)), st.just(DAY)))
    if end is not None and begin is not None and end < begin:
        begin = None
    terms = {"id": draw(ids), "coupon_type": kind, "valid_end": end, "valid_begin": begin}
    if kind == DISCOUNT:
        terms["off_percent"] = draw(st.integers(min_value=1, max_value=99))
    else:
        terms["value"] = draw(amounts.filter(lambda v: v > 0))
    if kind == THRESHOLD:
        terms["minimum_consume"] = draw(amounts)
    return CouponTerms(**terms)


@st.composite
def settlements(draw):
    counter = iter(range(1, 1000))
    ids = st.builds(lambda: next(counter))
    offers = [
        Offer(course_id, draw(amounts), tuple(draw(st.lists(coupons(ids), max_size=3))))
        for course_id in range(1, draw(st.integers(min_value=0, max_value=4)) + 1)
    ]
    globals_ = draw(st.lists(coupons(ids), max_size=3))
    return offers, globals_


@pytest.mark.parametrize("dense", [True, False], ids=["arrays", "dict"])
@settings(max_examples=300, deadline=None)
@given(case=settlements())
def test_the_choice_is_the_brute_force_optimum(case, dense):
    offers, globals_ = case
    rank, course_pick, global_pick = brute_force(offers, globals_, DAY)
    best = best_choice(offers, globals_, today=DAY, dense=dense)
    assert best.rank == rank
    assert best.course_coupons == {
        offer.course_id: (c.id if c else None) for offer, c in zip(offers, course_pick, strict=True)
    }
    assert best.global_coupon == (global_pick.id if global_pick else None)


@settings(max_examples=200, deadline=None)
@given(settlements())
def test_the_chosen_payable_is_what_price_settlement_charges(case):
    offers, globals_ = case
    best = best_choice(offers, globals_, today=DAY)
    by_id = {c.id: c for o in offers for c in o.coupons} | {c.id: c for c in globals_}
    lines = [
        Line(o.course_id, o.price, by_id.get(best.course_coupons[o.course_id])) for o in offers
    ]
    assert price_settlement(lines, by_id.get(best.global_coupon)).payable == best.payable


def test_fifty_courses_of_random_coupons_and_a_threshold_near_the_total_are_solved():
    # 5**50 choices, and so many distinct sums that only the array programme answers quickly.
    rng = random.Random(1)
    offers = [
        Offer(
            i,
            D(rng.randint(1000, 99900)) / 100,
            tuple(
                coupon(i * 10 + k, GENERAL, str(D(rng.randint(1, 8000)) / 100)) for k in range(4)
            ),
        )
        for i in range(1, 51)
    ]
    total = sum(o.price for o in offers)
    globals_ = [coupon(2000, THRESHOLD, "100", minimum=str(total - 500))]
    best = best_choice(offers, globals_)
    by_id = {c.id: c for o in offers for c in o.coupons} | {c.id: c for c in globals_}
    lines = [
        Line(o.course_id, o.price, by_id.get(best.course_coupons[o.course_id])) for o in offers
    ]
    assert price_settlement(lines, by_id.get(best.global_coupon)).payable == best.payable
    # no better than every course's largest coupon without the global one, or the 满减 kept
    largest = sum(min(apply_coupon(c, o.price) for c in o.coupons) for o in offers)
    assert best.payable <= largest
