"""GET /api/account/transactions/: the buyer's 贝里 history, paginated, newest first."""

import pytest

from pay.ledger import beili_change
from pay.models import TransactionRecord

pytestmark = pytest.mark.django_db

URL = "/api/account/transactions/"


def test_history_lists_each_change_newest_first_with_its_label_and_balance(auth_api, account, fund):
    fund(account, 500)
    beili_change(
        account=account, amount=120, transaction_type=TransactionRecord.TYPE_SPEND, memo="买课"
    )
    data = auth_api.get(URL).json()["data"]
    assert data["count"] == 2
    spend, income = data["results"]
    assert (spend["transaction_type_display"], spend["amount"], spend["change"]) == (
        "支出",
        120,
        -120,
    )
    assert (spend["balance"], spend["memo"], spend["order_number"]) == (380, "买课", None)
    assert (income["transaction_type_display"], income["change"], income["balance"]) == (
        "收入",
        500,
        500,
    )
    assert spend["date"] and spend["transaction_number"].startswith("T")


def test_a_payment_with_beili_shows_its_order_number(
    auth_api, account, fund, make_course, checkout
):
    fund(account, 2000)
    checkout(auth_api, make_course("Python", prices=[("30", "99.00")]))
    paid = auth_api.post("/api/payment/", {"balance": 2000, "price": "0.00"}, format="json").json()
    number = paid["data"]["order_number"]
    auth_api.post(f"/api/orders/{number}/cancel/")
    refund, spend, _ = auth_api.get(URL).json()["data"]["results"]
    assert (spend["transaction_type_display"], spend["amount"], spend["order_number"]) == (
        "支出",
        990,
        number,
    )
    assert (refund["transaction_type_display"], refund["change"], refund["balance"]) == (
        "退款",
        990,
        2000,
    )


def test_history_is_paginated_with_a_bounded_page_size(auth_api, account, fund):
    for _ in range(25):
        fund(account, 1)
    first = auth_api.get(URL).json()["data"]
    assert (first["count"], len(first["results"])) == (25, 20)
    assert first["previous"] is None and "page=2" in first["next"]
    second = auth_api.get(URL, {"page": 2}).json()["data"]
    assert [row["balance"] for row in second["results"]] == [5, 4, 3, 2, 1]
    assert second["next"] is None
    assert len(auth_api.get(URL, {"page_size": 1000}).json()["data"]["results"]) == 25
    assert len(auth_api.get(URL, {"page_size": 3}).json()["data"]["results"]) == 3


def test_history_caps_the_page_size_at_a_hundred(auth_api, account, fund):
    for _ in range(101):
        fund(account, 1)
    data = auth_api.get(URL, {"page_size": 500}).json()["data"]
    assert len(data["results"]) == 100


@pytest.mark.parametrize("page", ["0", "abc", "99"])
def test_a_page_that_does_not_exist_is_the_404_envelope(auth_api, account, fund, page):
    fund(account, 1)
    response = auth_api.get(URL, {"page": page})
    assert response.status_code == 404
    assert response.json()["code"] == 1006


def test_history_never_shows_another_accounts_rows(auth_api, make_account, fund):
    fund(make_account("other"), 100)
    assert auth_api.get(URL).json()["data"] == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_history_needs_a_token(api):
    assert api.get(URL).status_code == 401


def test_history_answers_in_a_bounded_number_of_queries(
    auth_api, account, fund, django_assert_max_num_queries
):
    for _ in range(30):
        fund(account, 1)
    with django_assert_max_num_queries(4):
        auth_api.get(URL)
