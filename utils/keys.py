"""Every Redis key name the service uses, in one place (API.md, "Redis layout").

The stores call these functions and never build a key by hand. Keys that belong to one user
put the user id through `user()`: the seed's plain id (`shopping_car_7_3`) on one Redis or
Sentinel, and a hash tag (`shopping_car_{7}_3`) when `REDIS_CLUSTER` is on, so that Redis Cluster
puts every key of one user in one slot and one user's WATCH/MULTI never spans two slots (which
Redis Cluster refuses with CROSSSLOT).

Adding a key: one function here. A key of one user is built with `user(user_id)`, wherever the
user id sits in the name (a login token's too, so that it is read with its account's stamp in
one MGET); a key that no single user owns (a coupon rule's counter) is not tagged and must never
be written in one MULTI with another key.
"""

import hashlib

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# settings.REDIS_CLUSTER, read once (a request builds a dozen keys) and again when a test changes it
_cluster: bool | None = None


def user(user_id: int | str) -> str:
    """The user id as it appears in a key: `{7}` (a hash tag) in Cluster mode, else `7`."""
    global _cluster
    if _cluster is None:
        _cluster = bool(settings.REDIS_CLUSTER)
    return f"{{{user_id}}}" if _cluster else str(user_id)


@receiver(setting_changed)
def _forget_cluster(*, setting: str, **kwargs) -> None:
    global _cluster
    if setting == "REDIS_CLUSTER":
        _cluster = None


# --- the cart (shopping/cart_store.py) ------------------------------------------------------


def cart(user_id: int, course_id: int | str) -> str:
    """Hash: one course in the cart (the seed's name)."""
    return f"shopping_car_{user(user_id)}_{course_id}"


def cart_index(user_id: int) -> str:
    """Set: the course ids in the cart."""
    return f"shopping_car_index_{user(user_id)}"


def cart_version(user_id: int) -> str:
    """String: a token every cart write replaces (a settlement POST decided on the cart it read
    writes only if it still holds the same, `shopping/cart_store.py`)."""
    return f"shopping_car_version_{user(user_id)}"


# --- the settlement (pay/settlement_store.py) -----------------------------------------------


def settlement(user_id: int, course_id: int | str) -> str:
    """Hash: one course in the settlement (the seed's name)."""
    return f"settlement_{user(user_id)}_{course_id}"


def global_coupon(user_id: int) -> str:
    """Hash: the settlement's global coupons and the chosen one (the seed's name)."""
    return f"global_coupon_{user(user_id)}"


def settlement_index(user_id: int) -> str:
    """Set: the course ids in the settlement."""
    return f"settlement_index_{user(user_id)}"


def settlement_version(user_id: int) -> str:
    """String: a token every settlement write replaces (writers WATCH it)."""
    return f"settlement_version_{user(user_id)}"


def settlement_checked(user_id: int) -> str:
    """String (JSON, expiring): what the database last said of the settlement's coupons, valid for
    one settlement version, one coupon-records version and one day (pay/settlement_store.py)."""
    return f"settlement_checked_{user(user_id)}"


def settlement_permit(user_id: int) -> str:
    """Hash (expiring): what a PATCH may choose on the settlement's current state, so that the
    choice is decided and written in one script (pay/settlement_store.py `Permit`)."""
    return f"settlement_permit_{user(user_id)}"


def settlement_answers(user_id: int) -> str:
    """Hash (expiring with the permit): answers a PATCH rendered on the permit's settlement, by
    its `content` and the stored choices they show, given again when a choice returns to one
    (pay/settlement_store.py `keep_answer`)."""
    return f"settlement_answers_{user(user_id)}"


# --- coupon records (pay/records_version.py) ------------------------------------------------


def coupon_records_version(user_id: int) -> str:
    """String: a random token that every change of the user's coupon records' status or end replaces."""
    return f"coupon_records_version_{user(user_id)}"


def coupon_records_moving(user_id: int) -> str:
    """String (expiring): a change of the user's coupon records moved their version on before
    its commit (a buyer's order cancel); while it lives no coupon check is kept."""
    return f"coupon_records_moving_{user(user_id)}"


# --- payments' Idempotency-Keys (pay/idempotency_store.py) ----------------------------------


def idempotency_lease(user_id: int, key: str) -> str:
    """String (expiring): a payment with this Idempotency-Key is running. The key as the client
    sent it can be anything up to 255 characters, so the name carries its SHA-256."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"idempotency_lease_{user(user_id)}_{digest}"


# --- login tokens (utils/token_store.py) ----------------------------------------------------


def auth_token(token: str) -> str:
    """String: a login token -> `<account id>:<stamp>`. A token is `<account id>.<secret>`, and
    its key carries the id like every key of one user (`auth_token_7_<secret>`, in Cluster mode
    `auth_token_{7}_<secret>`), so the token and its account's `auth_stamp` share one slot and
    are read in one MGET. A token without an id (made before ids were in tokens: 40 hex digits)
    keeps its old untagged name `auth_token_<token>`."""
    account_id, dot, secret = token.partition(".")
    if dot and account_id.isdigit():
        return f"auth_token_{user(account_id)}_{secret}"
    return f"auth_token_{token}"


def auth_stamp(account_id: int) -> str:
    """String: the account's current token stamp, `inactive`, or a tombstone `!<nonce>` that
    every change of its password, token generation or active flag writes (utils/token_store.py)."""
    return f"auth_stamp_{user(account_id)}"


# --- coupon rules (pay/coupon_stock.py) -----------------------------------------------------


def coupon_stock(rule_id: int) -> str:
    """Hash: a limited rule's claim gate (remaining, limit, per-account counts). No user owns it,
    so it is not tagged; one key per Lua call."""
    return f"coupon_stock_{rule_id}"
