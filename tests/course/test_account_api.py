"""GET /api/account/: the logged-in account and its 贝里."""

import pytest

pytestmark = pytest.mark.django_db


def test_account_shows_the_username_the_balance_and_the_beili_rate(auth_api, account, settings):
    settings.BEILI_PER_YUAN = 10
    account.balance = 120
    account.save(update_fields=["balance"])
    body = auth_api.get("/api/account/").json()
    assert body == {
        "code": 1000,
        "data": {"username": "alex", "balance": 120, "beili_per_yuan": 10},
        "error": None,
    }


def test_account_costs_only_the_authentication_query(auth_api, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert auth_api.get("/api/account/").json()["code"] == 1000


def test_account_without_a_token_is_1001(api, db):
    response = api.get("/api/account/")
    assert response.status_code == 401
    assert response.json()["code"] == 1001
