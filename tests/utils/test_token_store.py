"""utils/token_store.py: a token names its account, and is checked against the account's stamp in
Redis with one round trip; the stamp is read from the row only when Redis has none, and stored only
if no change came in between."""

from typing import cast

import pytest
from django.test import override_settings
from redis.cluster import PIPELINE_BLOCKED_COMMANDS
from redis.crc import key_slot
from redis.exceptions import RedisClusterException
from rest_framework.test import APIClient

from course.models import Account
from tests.redis_counting import count_round_trips
from utils import keys
from utils.redis import get_redis
from utils.token_store import (
    INACTIVE,
    STAMP_TTL_SECONDS,
    account_stamp,
    account_tokens_changed,
    current_stamp,
    stamp_remember,
    token_create,
    token_lookup,
    token_matches,
)

pytestmark = pytest.mark.django_db


def stamp_key_of(account) -> str | None:
    return cast("str | None", get_redis().get(keys.auth_stamp(account.pk)))


def test_a_token_is_the_account_id_a_dot_and_40_hex_digits(account):
    account_id, dot, secret = token_create(account=account).partition(".")
    assert (int(account_id), dot, len(secret)) == (account.pk, ".", 40)
    assert int(secret, 16) >= 0


def test_two_tokens_of_one_account_differ(account):
    assert token_create(account=account) != token_create(account=account)


def test_making_a_token_stores_the_accounts_stamp_in_the_same_round_trip(account):
    with count_round_trips() as trips:
        token = token_create(account=account)
    assert trips.count == 1
    assert stamp_key_of(account) == account_stamp(account)
    assert 0 < get_redis().ttl(keys.auth_stamp(account.pk)) <= STAMP_TTL_SECONDS
    assert get_redis().get(keys.auth_token(token)) == f"{account.pk}:{account_stamp(account)}"


def test_making_a_token_never_replaces_a_tombstone(account):
    account_tokens_changed(account.pk)
    tombstone = stamp_key_of(account)
    token_create(account=account)
    assert stamp_key_of(account) == tombstone


def test_a_login_over_a_stamp_that_is_not_its_rows_works_at_once(account):
    # Redis holds a stamp this row never had (the database restored from a backup, or another
    # deployment's account of the same id sharing the Redis db): the login, which has just read
    # the row, must not leave its tokens refused as "ended" until that stamp expires. It writes
    # a tombstone (never a stamp: its row may be older than a change committing now).
    get_redis().set(keys.auth_stamp(account.pk), "f" * 32, ex=STAMP_TTL_SECONDS)
    token = token_create(account=account)
    assert stamp_key_of(account).startswith("!")
    response = APIClient().get("/api/shopping_car/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.json()["code"] == 1000


def test_a_login_over_its_rows_own_stamp_leaves_it(account):
    token_create(account=account)
    with count_round_trips() as trips:
        token_create(account=account)
    assert trips.count == 1
    assert stamp_key_of(account) == account_stamp(account)


def cluster_like(pipe):
    """`pipe` refusing what redis-py's ClusterPipeline refuses (MGET, EVAL among them)."""

    def blocked(*args, **kwargs):
        raise RedisClusterException("blocked when running redis in cluster mode")

    for name in (*PIPELINE_BLOCKED_COMMANDS, "eval"):
        setattr(pipe, name.replace(" ", "_").lower(), blocked)
    return pipe


def test_a_lookup_with_a_views_reads_sends_nothing_a_cluster_pipeline_refuses(account, monkeypatch):
    # Under REDIS_CLUSTER every claim by coupon_id answered 1003: its token lookup pipelined an
    # MGET, which redis-py's cluster pipeline refuses.
    token = token_create(account=account)
    client = get_redis()
    pipeline = client.pipeline
    monkeypatch.setattr(client, "pipeline", lambda *a, **kw: cluster_like(pipeline(*a, **kw)))
    with count_round_trips() as trips:
        # a read of the user's own slot: one round trip under Cluster too
        entry = token_lookup(
            token, also=lambda pipe, account_id: pipe.get(keys.auth_stamp(account_id))
        )
    assert trips.count == 1
    stamp = account_stamp(account)
    assert entry is not None and (entry.current, entry.also) == (stamp, [stamp])


def test_making_a_token_sends_nothing_a_cluster_pipeline_refuses(account, monkeypatch):
    client = get_redis()
    pipeline = client.pipeline
    monkeypatch.setattr(client, "pipeline", lambda *a, **kw: cluster_like(pipeline(*a, **kw)))
    token = token_create(account=account)
    assert token_lookup(token) is not None


def test_lookup_reads_the_token_and_the_stamp_in_one_round_trip(account):
    token = token_create(account=account)
    with count_round_trips() as trips:
        entry = token_lookup(token)
    assert trips.count == 1
    assert (entry.account_id, entry.stamp, entry.current) == (
        account.pk,
        account_stamp(account),
        account_stamp(account),
    )
    assert token_matches(entry.current, entry.stamp)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "7." + "a" * 39, "07." + "a" * 40, "7." + "A" * 40, "7:" + "a" * 40, "x" * 129],
)
def test_a_token_of_no_known_shape_is_unknown_without_asking_redis(token):
    with count_round_trips() as trips:
        assert token_lookup(token) is None
    assert trips.count == 0


def test_a_token_naming_another_account_is_unknown(make_account):
    alex, bob = make_account("alex"), make_account("bob")
    secret = token_create(account=alex).partition(".")[2]
    assert token_lookup(f"{bob.pk}.{secret}") is None


def test_a_stored_token_whose_value_names_another_account_is_unknown(make_account):
    alex, bob = make_account("alex"), make_account("bob")
    token = token_create(account=alex)
    get_redis().set(keys.auth_token(token), f"{bob.pk}:{account_stamp(bob)}")
    assert token_lookup(token) is None


def test_a_missing_stamp_or_a_tombstone_asks_for_the_row(account):
    token = token_create(account=account)
    get_redis().delete(keys.auth_stamp(account.pk))
    assert token_lookup(token).current is None
    account_tokens_changed(account.pk)
    entry = token_lookup(token)
    assert entry.current is None
    assert entry.seen.startswith("!")


def test_the_row_stamp_is_stored_when_nothing_changed_since_the_lookup(account):
    token = token_create(account=account)
    account_tokens_changed(account.pk)
    entry = token_lookup(token)
    assert stamp_remember(entry, current_stamp(account))
    assert stamp_key_of(account) == account_stamp(account)


def test_the_row_stamp_is_not_stored_over_a_change_made_after_the_lookup(account):
    # A request read the row before a password change committed; the change's tombstone after
    # the commit must win, or the old tokens would live on.
    old_token = token_create(account=account)
    get_redis().delete(keys.auth_stamp(account.pk))
    entry = token_lookup(old_token)
    old_stamp = current_stamp(Account.objects.get(pk=account.pk))  # the row before the change
    account.set_password("a-new-pass-2")
    account.save()  # the signal's tombstone
    assert not stamp_remember(entry, old_stamp)
    assert stamp_key_of(account).startswith("!")


def test_every_change_writes_a_new_tombstone(account):
    account_tokens_changed(account.pk)
    first = stamp_key_of(account)
    account_tokens_changed(account.pk)
    assert stamp_key_of(account) != first


def test_an_inactive_or_missing_account_has_the_inactive_stamp(account):
    assert current_stamp(None) == INACTIVE
    account.is_active = False
    assert current_stamp(account) == INACTIVE
    assert not token_matches(INACTIVE, INACTIVE)


def test_cluster_mode_puts_a_token_and_its_stamp_in_one_slot(account):
    with override_settings(REDIS_CLUSTER=True):
        token = f"{account.pk}.{'b' * 40}"
        assert keys.auth_token(token) == f"auth_token_{{{account.pk}}}_{'b' * 40}"
        assert keys.auth_stamp(account.pk) == f"auth_stamp_{{{account.pk}}}"
        slots = {
            key_slot(k.encode()) for k in (keys.auth_token(token), keys.auth_stamp(account.pk))
        }
        assert len(slots) == 1


def test_a_token_made_before_tokens_named_their_account_keeps_its_key():
    assert keys.auth_token("c" * 40) == "auth_token_" + "c" * 40


@pytest.mark.django_db
def test_a_token_key_of_another_type_is_an_unknown_token_on_a_view_that_reads_with_it():
    account = Account.objects.create_user(username="typed", password="secret-pass-1")
    token = token_create(account=account)
    name = keys.auth_token(token)
    get_redis().delete(name)
    get_redis().hset(name, "planted", "1")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    for method in ("get", "patch"):
        response = getattr(client, method)("/api/settlement/", {}, format="json")
        assert (response.status_code, response.json()["code"]) == (401, 1001)
