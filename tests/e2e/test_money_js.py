"""The page's money arithmetic (frontend/static/frontend/js/money.js) agrees with pay/pricing.py,
so the `price` the settlement screen sends is the one the server computes (no 1041 by rounding)."""

import random
from decimal import Decimal

import pytest

from pay.pricing import beili_value, split_payment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def money_js(page):
    """money_js("toCents", [["1.00"], ["2.50"]]) → each call's result, computed in the browser."""
    page.goto("/static/frontend/app.css")  # a page of the live server: imports need its origin

    def call_each(function: str, calls: list[list]):
        return page.evaluate(
            """([name, calls]) => import("/static/frontend/js/money.js")
                .then((money) => calls.map((args) => money[name](...args)))""",
            [function, calls],
        )

    return call_each


def payment_cases(per_yuan: int) -> list[list[int]]:
    rng = random.Random(per_yuan)
    rows = [[0, 0], [1, 0], [0, 5], [9900, 990], [9900, 989], [10892, 1089], [10892, 1090]]
    rows += [[rng.randint(0, 10**7), rng.randint(0, 10**6)] for _ in range(300)]
    rows += [[cents, rng.randint(0, cents)] for cents in range(1, 200)]
    return [[cents, beili, per_yuan] for cents, beili in rows]


@pytest.mark.parametrize("per_yuan", [1, 3, 7, 10, 100])
def test_split_payment_matches_the_server(money_js, per_yuan):
    cases = payment_cases(per_yuan)
    for (cents, beili, _), js in zip(cases, money_js("splitPayment", cases), strict=True):
        server = split_payment(Decimal(cents) / 100, beili, per_yuan)
        assert (js["beili"], js["cents"]) == (server.beili, int(server.money * 100)), (cents, beili)


def test_beili_value_rounds_down_like_the_server(money_js):
    cases = [[beili, per_yuan] for beili in range(0, 400, 7) for per_yuan in (1, 3, 7, 10, 100)]
    for (beili, per_yuan), js in zip(cases, money_js("beiliValueCents", cases), strict=True):
        assert js == int(beili_value(beili, per_yuan) * 100), (beili, per_yuan)


def test_money_strings_round_trip_through_cents(money_js):
    texts = ["0.00", "0.01", "0.10", "99.00", "148.90", "12345678.99"]
    cents = money_js("toCents", [[text] for text in texts])
    assert cents == [int(Decimal(text) * 100) for text in texts]
    assert money_js("fromCents", [[c] for c in cents]) == texts
    assert money_js("toCents", [["1.5"], ["7"]]) == [150, 700]
