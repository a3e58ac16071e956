"""Token authentication: the account row read at once, or lazily where only its id is needed."""

import pytest
from rest_framework.exceptions import AuthenticationFailed

from utils.authentication import LazyAccount
from utils.token_store import token_create

pytestmark = pytest.mark.django_db


def test_lazy_account_knows_its_id_without_a_query(account, django_assert_num_queries):
    with django_assert_num_queries(0):
        lazy = LazyAccount(account.pk)
        assert lazy.pk == lazy.id == account.pk
        assert lazy.is_authenticated and bool(lazy)


def test_lazy_account_reads_the_row_once_when_asked_for_more(account, django_assert_num_queries):
    lazy = LazyAccount(account.pk)
    with django_assert_num_queries(1):
        assert lazy.username == account.username
        assert lazy.balance == account.balance


def test_lazy_account_of_an_inactive_account_refuses_when_the_row_is_read(account):
    account.is_active = False
    account.save()
    lazy = LazyAccount(account.pk)
    with pytest.raises(AuthenticationFailed):
        lazy.username  # noqa: B018


def test_settlement_and_cart_ask_the_database_nothing_for_the_token(
    auth_api, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert auth_api.get("/api/settlement/").json()["code"] == 1000
        assert auth_api.get("/api/shopping_car/").json()["code"] == 1000


def test_views_that_need_the_row_still_refuse_an_inactive_account(api, account):
    token = token_create(account_id=account.pk)
    account.is_active = False
    account.save()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    for response in (api.get("/api/account/"), api.get("/api/orders/")):
        assert response.status_code == 401
        assert response.json()["code"] == 1001
    response = api.post("/api/payment/", {"price": "0.00"}, format="json")
    assert response.json()["code"] == 1001
