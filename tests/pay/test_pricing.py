"""pay/pricing.py: examples, then the invariants over generated settlements (hypothesis)."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from pay.pricing import (
    DISCOUNT,
    GENERAL,
    THRESHOLD,
    CouponTerms,
    Line,
    apply_coupon,
    beili_value,
    check_coupon,
    price_settlement,
    split_discount,
    split_payment,
    subtotal,
    usable_from,
)

D = Decimal


def general(value, id=1):
    return CouponTerms(id=id, coupon_type=GENERAL, value=D(value))


def threshold(value, minimum, id=2):
    return CouponTerms(id=id, coupon_type=THRESHOLD, value=D(value), minimum_consume=D(minimum))


def discount(off, id=3):
    return CouponTerms(id=id, coupon_type=DISCOUNT, off_percent=off)


def test_general_coupon_takes_its_value_off():
    assert apply_coupon(general("20"), D("99.00")) == D("79.00")


def test_general_coupon_never_makes_a_price_negative():
    assert apply_coupon(general("50"), D("9.90")) == D("0.00")


def test_threshold_coupon_applies_only_from_its_minimum():
    assert apply_coupon(threshold("30", "150"), D("149.99")) == D("149.99")
    assert apply_coupon(threshold("30", "150"), D("150.00")) == D("120.00")


def test_threshold_coupon_under_its_minimum_is_unusable_with_a_reason():
    verdict = check_coupon(threshold("30", "150"), D("100"))
    assert not verdict.usable
    assert "150.00" in verdict.reason


def test_discount_coupon_multiplies_and_rounds_half_up_once():
    assert apply_coupon(discount(79), D("99.00")) == D("78.21")
    assert apply_coupon(discount(85), D("0.10")) == D("0.09")  # 0.085 -> 0.09


def test_coupon_outside_its_days_is_unusable():
    coupon = CouponTerms(
        id=1,
        coupon_type=GENERAL,
        value=D("5"),
        valid_begin=date(2026, 1, 2),
        valid_end=date(2026, 1, 3),
    )
    assert not check_coupon(coupon, D("10"), date(2026, 1, 1)).usable
    assert check_coupon(coupon, D("10"), date(2026, 1, 3)).usable
    assert not check_coupon(coupon, D("10"), date(2026, 1, 4)).usable


def test_global_coupon_applies_to_the_sum_after_course_coupons():
    quote = price_settlement(
        [Line(1, D("99.00"), general("20")), Line(2, D("199.00"))], threshold("50", "250")
    )
    assert quote.total_price == D("298.00")
    assert quote.course_discount == D("20.00")
    assert quote.global_discount == D("50.00")
    assert quote.payable == D("228.00")


def test_global_threshold_counts_the_sum_after_course_coupons():
    quote = price_settlement(
        [Line(1, D("99.00"), general("20")), Line(2, D("150.00"))], threshold("50", "250")
    )
    assert quote.global_discount == D("0.00")


def test_global_discount_split_adds_up_to_the_cent():
    quote = price_settlement([Line(i, D("33.33")) for i in range(3)], general("10"))
    assert [q.global_share for q in quote.lines] == [D("3.34"), D("3.33"), D("3.33")]
    assert sum(q.payable for q in quote.lines) == quote.payable


def test_split_discount_of_nothing_is_all_zero():
    assert split_discount(D("0"), [D("1"), D("2")]) == [D("0.00"), D("0.00")]


def test_beili_convert_at_the_configured_rate():
    assert beili_value(995, 10) == D("99.50")
    assert beili_value(1, 3) == D("0.33")


def test_enough_beili_pays_everything_rounded_up_to_a_whole_beili():
    assert split_payment(D("9.95"), 1000, 10).beili == 100
    assert split_payment(D("9.95"), 1000, 10).money == D("0.00")


def test_too_little_beili_leaves_money_to_pay():
    split = split_payment(D("9.95"), 50, 10)
    assert (split.beili, split.money) == (50, D("4.95"))


# --- invariants ---------------------------------------------------------------------------

prices = st.decimals(min_value=0, max_value=100000, places=2)
values = st.decimals(min_value=D("0.01"), max_value=100000, places=2)
coupons = st.one_of(
    st.none(),
    st.builds(general, values),
    st.builds(lambda v, extra: threshold(v, v + extra), values, values),
    st.builds(discount, st.integers(min_value=1, max_value=99)),
)
lines = st.lists(st.builds(Line, st.integers(1, 10**6), prices, coupons), min_size=1, max_size=30)


@given(lines)
def test_the_subtotal_is_what_the_lines_pay_without_a_global_coupon(settlement):
    assert subtotal(settlement) == price_settlement(settlement).payable


@given(lines, coupons)
def test_payable_is_never_negative_nor_above_the_total(settlement, global_coupon):
    quote = price_settlement(settlement, global_coupon)
    assert D("0") <= quote.payable <= quote.total_price


@given(lines, coupons)
def test_line_payables_add_up_exactly_to_the_payable(settlement, global_coupon):
    quote = price_settlement(settlement, global_coupon)
    assert sum(q.payable for q in quote.lines) == quote.payable
    assert sum(q.global_share for q in quote.lines) == quote.global_discount
    assert all(D("0") <= q.payable <= q.discounted_price <= q.price for q in quote.lines)


@given(lines, coupons)
def test_discounts_apply_in_order_course_then_global(settlement, global_coupon):
    quote = price_settlement(settlement, global_coupon)
    subtotal = sum(apply_coupon(line.coupon, line.price) for line in settlement)
    assert quote.course_discount == quote.total_price - subtotal
    assert quote.payable == apply_coupon(global_coupon, subtotal)
    assert quote.total_price - quote.course_discount - quote.global_discount == quote.payable


@given(
    st.decimals(min_value=0, max_value=10**6, places=2), st.lists(prices, min_size=1, max_size=40)
)
def test_split_discount_sums_exactly_and_no_share_exceeds_its_weight(discount_amount, weights):
    discount_amount = min(discount_amount, sum(weights))
    shares = split_discount(discount_amount, weights)
    assert sum(shares) == (discount_amount if sum(weights) > 0 else 0)
    assert all(D("0") <= s <= w for s, w in zip(shares, weights, strict=True))


@given(prices, st.integers(0, 10**7), st.sampled_from([1, 10, 100]))
def test_beili_split_never_overcharges_nor_goes_negative(payable, offered, per_yuan):
    split = split_payment(payable, offered, per_yuan)
    assert 0 <= split.beili <= max(offered, 0)
    assert D("0") <= split.money <= payable
    assert beili_value(split.beili, per_yuan) + split.money >= payable


def test_pricing_imports_neither_django_nor_redis():
    import ast
    import pathlib

    import pay.pricing

    tree = ast.parse(pathlib.Path(pay.pricing.__file__).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert imported.isdisjoint({"django", "redis", "rest_framework", "fakeredis"})


days = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))
dated = st.builds(
    lambda terms, begin, length: (
        CouponTerms(
            **{**terms.__dict__, "valid_begin": begin, "valid_end": begin + timedelta(days=length)}
        )
        if begin is not None
        else terms
    ),
    st.one_of(
        st.builds(general, values),
        st.builds(lambda v, extra: threshold(v, v + extra), values, values),
        st.builds(discount, st.integers(min_value=1, max_value=99)),
    ),
    st.one_of(st.none(), days),
    st.integers(0, 60),
)


@given(dated, prices, days)
def test_usable_from_says_exactly_when_check_coupon_accepts_an_amount(coupon, amount, today):
    floor = usable_from(coupon, today)
    assert check_coupon(coupon, amount, today).usable == (floor is not None and amount >= floor)
