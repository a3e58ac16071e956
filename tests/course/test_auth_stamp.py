"""Authentication without SQL: the token and its account's stamp come from Redis in one round trip,
and every way an account's tokens end (password, logout-all, deactivation, deletion) ends them at
once, also when the stamp is already kept in Redis."""

import pytest
import redis
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from rest_framework.test import APIClient

from course.models import Account
from tests.redis_counting import count_round_trips
from utils import keys
from utils.redis import get_redis, set_redis
from utils.token_store import (
    account_stamp,
    current_stamp,
    stamp_remember,
    token_create,
    token_lookup,
)

pytestmark = pytest.mark.django_db


def login(username="alex", password="secret-pass-1") -> str:
    body = (
        APIClient()
        .post("/api/login/", {"username": username, "password": password}, format="json")
        .json()
    )
    assert body["code"] == 1000, body
    return body["data"]["access_token"]


def code_with(token, path="/api/shopping_car/") -> int:
    return APIClient().get(path, HTTP_AUTHORIZATION=f"Token {token}").json()["code"]


def warm(*tokens):
    """Each token used once, so the account's stamp is surely in Redis."""
    assert [code_with(t) for t in tokens] == [1000] * len(tokens)


def test_a_request_that_needs_only_the_account_id_runs_no_sql(auth_api, django_assert_num_queries):
    with django_assert_num_queries(0), count_round_trips() as trips:
        assert auth_api.get("/api/shopping_car/").json()["code"] == 1000
    assert trips.count == 2  # one MGET: the token and its stamp; then the (empty) cart index


def test_the_first_request_after_a_login_runs_no_sql(account, django_assert_num_queries):
    token = login()
    with django_assert_num_queries(0):
        assert code_with(token, "/api/settlement/") == 1000


def test_without_a_stamp_in_redis_the_row_is_read_once_and_the_stamp_kept(
    auth_api, account, django_assert_num_queries
):
    get_redis().delete(keys.auth_stamp(account.pk))  # expired, or Redis lost it
    with django_assert_num_queries(1):
        assert auth_api.get("/api/account/").json()["code"] == 1000  # the row serves the view
    assert get_redis().get(keys.auth_stamp(account.pk)) == account_stamp(account)
    with django_assert_num_queries(0):
        assert auth_api.get("/api/shopping_car/").json()["code"] == 1000


def test_a_view_that_needs_the_row_reads_it_once(auth_api, django_assert_num_queries):
    with django_assert_num_queries(1):
        body = auth_api.get("/api/account/").json()
    assert (body["code"], body["data"]["username"]) == (1000, "alex")


# --- every way tokens end, with the stamp already in Redis -------------------------------------


def test_a_password_change_ends_every_older_token_at_once(account, make_account):
    first, second, other = login(), login(), token_create(account=make_account("bob"))
    warm(first, second, other)
    account.set_password("a-new-pass-2")
    account.save()
    assert [code_with(first), code_with(second), code_with(other)] == [1001, 1001, 1000]
    assert code_with(login(password="a-new-pass-2")) == 1000


def test_a_password_saved_with_update_fields_ends_the_tokens(account):
    token = login()
    warm(token)
    account.set_password("a-new-pass-2")
    account.save(update_fields=["password"])
    assert code_with(token) == 1001


def test_changepassword_ends_the_tokens(account, monkeypatch):
    token = login()
    warm(token)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "changed-by-cli-4")
    call_command("changepassword", "alex", stdout=open("/dev/null", "w"))
    assert code_with(token) == 1001


@pytest.mark.django_db(transaction=True)  # saved in autocommit, as the admin's password form does
def test_a_password_change_that_cannot_reach_redis_is_not_made(account):
    # Redis is told before the row changes: a change committed without it would leave the old
    # stamp in Redis and every old token working for up to STAMP_TTL_SECONDS.
    token = login()
    warm(token)
    account.set_password("a-new-pass-2")
    set_redis(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    try:
        with pytest.raises(redis.exceptions.ConnectionError):
            account.save()
    finally:
        set_redis(None)
    assert Account.objects.get(pk=account.pk).check_password("secret-pass-1")
    assert code_with(token) == 1000


@pytest.mark.django_db(transaction=True)
def test_a_logout_all_that_cannot_reach_redis_changes_nothing(account, monkeypatch):
    token = login()
    warm(token)

    def redis_gone(account_id, **kwargs):
        raise redis.exceptions.ConnectionError("injected: Redis is down")

    monkeypatch.setattr("course.services.account_tokens_changed", redis_gone)
    response = APIClient().post("/api/logout/all/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.json()["code"] == 1003  # "nothing was changed, retry": and nothing was
    assert Account.objects.get(pk=account.pk).token_generation == 0
    monkeypatch.undo()
    assert code_with(token) == 1000


def test_logout_all_ends_every_token_at_once(account, make_account):
    first, second, other = login(), login(), token_create(account=make_account("bob"))
    warm(first, second, other)
    response = APIClient().post("/api/logout/all/", HTTP_AUTHORIZATION=f"Token {second}")
    assert response.json()["code"] == 1000
    assert [code_with(first), code_with(second), code_with(other)] == [1001, 1001, 1000]
    assert code_with(login()) == 1000


def test_deactivating_the_account_refuses_its_tokens_at_once(account, django_assert_num_queries):
    token = login()
    warm(token)
    account.is_active = False
    account.save()
    assert code_with(token) == 1001
    with django_assert_num_queries(0):  # known inactive now: refused from Redis alone
        assert code_with(token) == 1001
    for path in ("/api/settlement/", "/api/account/", "/api/orders/", "/api/coupons/"):
        assert code_with(token, path) == 1001


def test_a_reactivated_account_gets_its_unexpired_tokens_back_as_before(account):
    token = login()
    warm(token)
    account.is_active = False
    account.save()
    assert code_with(token) == 1001
    account.is_active = True
    account.save()
    assert code_with(token) == 1000


def test_deleting_the_account_refuses_its_tokens_never_a_500(account):
    token = login()
    warm(token)
    account.delete()
    response = APIClient().get("/api/account/", HTTP_AUTHORIZATION=f"Token {token}")
    assert (response.status_code, response.json()["code"]) == (401, 1001)


def test_an_account_gone_behind_the_signals_back_is_1001_when_its_row_is_needed(account):
    token = login()
    warm(token)
    with connection.cursor() as cursor:  # raw SQL: no signal, the stamp stays in Redis
        cursor.execute(f"DELETE FROM {Account._meta.db_table} WHERE id = %s", [account.pk])
    response = APIClient().get("/api/account/", HTTP_AUTHORIZATION=f"Token {token}")
    assert (response.status_code, response.json()["code"]) == (401, 1001)


def test_saving_other_fields_by_name_keeps_the_stamp(account, django_assert_num_queries):
    token = login()
    warm(token)
    account.email = "alex@example.cn"
    account.save(update_fields=["email"])
    with django_assert_num_queries(0):
        assert code_with(token) == 1000


def test_a_full_save_without_a_change_keeps_the_tokens(account):
    token = login()
    warm(token)
    account.first_name = "Alex"
    account.save()  # the stamp is read again from the row: the same
    assert code_with(token) == 1000


def test_an_account_created_with_the_id_of_a_deleted_one_starts_clean(account):
    get_redis().set(keys.auth_stamp(account.pk + 1), "inactive")  # left by a deleted account
    newcomer = get_user_model().objects.create_user(username="bob", password="bob-pass-5")
    assert newcomer.pk == account.pk + 1
    assert code_with(login("bob", "bob-pass-5")) == 1000


# --- forged tokens ------------------------------------------------------------------------------


def test_a_token_carrying_another_accounts_id_fails(make_account):
    alex, bob = make_account("alex"), make_account("bob")
    secret = login().partition(".")[2]
    warm(token_create(account=bob))
    assert code_with(f"{bob.pk}.{secret}") == 1001
    assert code_with(f"{alex.pk}.{'0' * 40}") == 1001


def test_a_token_stored_with_a_forged_stamp_fails(account):
    token = login()
    get_redis().set(keys.auth_token(token), f"{account.pk}:{'0' * 32}")
    assert code_with(token) == 1001


# --- tokens made before tokens named their account -----------------------------------------------


def test_a_token_of_the_old_shape_still_works_with_the_row_checked(
    account, django_assert_num_queries
):
    old = "d" * 40
    get_redis().set(keys.auth_token(old), f"{account.pk}:{account_stamp(account)}")
    with django_assert_num_queries(1):
        assert code_with(old) == 1000
    assert (
        APIClient().post("/api/logout/", HTTP_AUTHORIZATION=f"Token {old}").json()["code"] == 1000
    )
    assert not get_redis().exists(keys.auth_token(old))


def test_a_token_of_the_old_shape_ends_with_the_password(account):
    old = "e" * 40
    get_redis().set(keys.auth_token(old), f"{account.pk}:{account_stamp(account)}")
    account.set_password("a-new-pass-2")
    account.save()
    assert code_with(old) == 1001


def test_a_stamp_stored_while_a_change_commits_is_replaced_at_the_commit(
    account, django_capture_on_commit_callbacks
):
    token = login()
    warm(token)
    before = Account.objects.get(pk=account.pk)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            account.set_password("a-new-pass-2")
            account.save()  # the first tombstone
            # a request elsewhere read the row before this commit, and stores what it read
            assert stamp_remember(token_lookup(token), current_stamp(before))
            assert code_with(token) == 1000  # the old token, until the commit
    assert code_with(token) == 1001  # the commit's tombstone
