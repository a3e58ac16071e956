"""Login tokens in Redis: `auth_token_<token>` → `<account id>:<stamp>`, with an expiry.

The stamp is an HMAC of the account's password hash and its `token_generation`, taken when the
token is made; authentication compares it with the account's current stamp (on the account row it
reads anyway). Changing the password (by any path: the admin, `changepassword`, a shell) or
`POST /api/logout/all/` (generation + 1) changes the stamp, so every older token of the account
ends at once, with no extra Redis round trip and no per-account index of tokens to keep in step.
"""

import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from utils import keys
from utils.redis import get_redis

MAX_TOKEN_LENGTH = 128
_STAMP_SALT = "utils.token_store.stamp"


def account_stamp(account) -> str:
    """What every valid token of `account` carries: it changes with the password or generation."""
    value = f"{account.password}\x00{account.token_generation}"
    return salted_hmac(_STAMP_SALT, value, algorithm="sha256").hexdigest()[:32]


def token_create(*, account) -> str:
    token = secrets.token_hex(20)
    value = f"{account.pk}:{account_stamp(account)}"
    get_redis().set(keys.auth_token(token), value, ex=settings.TOKEN_TTL_SECONDS)
    return token


def token_lookup(token: str) -> tuple[int, str] | None:
    """(account id, stamp) of a live token; None for an unknown, expired or malformed one."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    value = get_redis().get(keys.auth_token(token))
    if not isinstance(value, str):  # None: unknown or expired (the client decodes responses)
        return None
    account_id, _, stamp = value.partition(":")
    if not account_id.isdigit() or not stamp:
        return None
    return int(account_id), stamp


def token_matches(account, stamp: str) -> bool:
    """Whether a token with `stamp` is still one of `account`'s (not ended by a change since)."""
    return constant_time_compare(account_stamp(account), stamp)


def token_delete(token: str) -> None:
    get_redis().delete(keys.auth_token(token))
