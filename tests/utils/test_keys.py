"""utils/keys.py: the seed's key names on one Redis, one hash tag per user on a Cluster, and the
only place that builds a key."""

import ast
from pathlib import Path

import pytest
from django.test import override_settings
from redis.crc import key_slot

from utils import keys

ROOT = Path(__file__).resolve().parents[2]
STORES = [
    "shopping/cart_store.py",
    "pay/settlement_store.py",
    "utils/token_store.py",
    "pay/coupon_stock.py",
]


def every_key_of(user_id: int) -> list[str]:
    return [
        keys.cart(user_id, 3),
        keys.cart(user_id, 4),
        keys.cart_index(user_id),
        keys.settlement(user_id, 3),
        keys.settlement_index(user_id),
        keys.settlement_version(user_id),
        keys.global_coupon(user_id),
        keys.auth_token(f"{user_id}.{'a' * 40}"),
        keys.auth_stamp(user_id),
    ]


def test_one_redis_keeps_the_seeds_key_names():
    with override_settings(REDIS_CLUSTER=False):
        assert keys.cart(7, 3) == "shopping_car_7_3"
        assert keys.settlement(7, 3) == "settlement_7_3"
        assert keys.global_coupon(7) == "global_coupon_7"
        assert keys.cart_index(7) == "shopping_car_index_7"


def test_cluster_mode_tags_every_key_of_a_user_with_the_user_id():
    with override_settings(REDIS_CLUSTER=True):
        assert keys.cart(7, 3) == "shopping_car_{7}_3"
        assert keys.settlement(7, 3) == "settlement_{7}_3"
        assert keys.global_coupon(7) == "global_coupon_{7}"
        assert keys.settlement_version(7) == "settlement_version_{7}"
        assert all("{7}" in key for key in every_key_of(7))


@pytest.mark.parametrize("user_id", [1, 7, 12345, 10**9])
def test_cluster_mode_puts_every_key_of_one_user_in_one_slot(user_id):
    with override_settings(REDIS_CLUSTER=True):
        assert len({key_slot(key.encode()) for key in every_key_of(user_id)}) == 1


def test_cluster_mode_spreads_users_over_slots():
    with override_settings(REDIS_CLUSTER=True):
        slots = {key_slot(keys.cart_index(user_id).encode()) for user_id in range(1, 101)}
        assert len(slots) > 90


def test_one_redis_spreads_one_users_keys_over_slots_as_the_seed_did():
    # (why Cluster mode needs the tag: the seed's names of one user land in different slots)
    with override_settings(REDIS_CLUSTER=False):
        assert len({key_slot(key.encode()) for key in every_key_of(7)}) > 1


@pytest.mark.parametrize("path", STORES)
def test_stores_never_build_a_key_by_hand(path):
    prefixes = ("shopping_car_", "settlement_", "global_coupon_", "auth_token_", "auth_stamp_")
    tree = ast.parse((ROOT / path).read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    literals = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and node.value.startswith(prefixes)
    ]
    assert literals == []
