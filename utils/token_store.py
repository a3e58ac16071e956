"""Login tokens in Redis, and the account's stamp that ends them, checked in one round trip.

A token is `<account id>.<secret>` (40 hex digits of `secrets`). Its key (`utils.keys.auth_token`:
`auth_token_<id>_<secret>`) holds `<account id>:<stamp>` with an expiry (`TOKEN_TTL_SECONDS`). The
stamp is an HMAC of the account's password hash and its `token_generation`, taken when the token is
made: changing the password (by any path) or `POST /api/logout/all/` (generation + 1) changes the
account's stamp, so every older token of the account ends at once, with no per-account index of
tokens to keep in step.

The account's current stamp is kept in Redis beside its tokens, `auth_stamp_<id>`; both keys carry
the account id (one hash tag, one slot under Cluster), so a request reads them with one MGET and no
SQL (`token_lookup`). The stamp key holds:

- the current stamp: a token with the same stamp is live, its account active; another is ended;
- `inactive`: the account is inactive or deleted: every token is refused;
- a tombstone `!<nonce>` (or nothing): the row must be read. Authentication then reads it, compares,
  and stores what it found (`stamp_remember`) only if the key still holds what the MGET saw
  (compare-and-set in one Lua call).

Every change of the password, the token generation or `is_active`, and a deletion, writes a *new*
tombstone (`account_tokens_changed`): at the change and again after its commit (course/signals.py
for model saves: the admin, `changepassword`, a shell, which also write one before the row changes,
so that a save Redis cannot hear of fails instead of leaving the old stamp in place; `POST
/api/logout/all/` calls it after its `UPDATE`, in the same transaction). A tombstone rather than a
DEL, because a request that read the row before the change committed can store what it read only
over the value its MGET saw, which the tombstone written after the commit has replaced; and the
login's stamp (stored only if the key is missing; a stamp not its row's becomes a tombstone) cannot
replace a tombstone either. A change that bypasses the model (`QuerySet.update()` on those fields,
raw SQL) must call `account_tokens_changed` itself; the stamp key's expiry (`STAMP_TTL_SECONDS`)
bounds what a forgotten call leaves behind.

Tokens made before tokens carried their account id (40 hex digits, `auth_token_<token>`) still work
until they expire: their stamp is compared with the account row, read as before (one GET, one SQL).
"""

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from functools import partial
from typing import cast

from django.conf import settings
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from redis.exceptions import NoScriptError

from utils import keys
from utils.redis import get_redis

MAX_TOKEN_LENGTH = 128
STAMP_TTL_SECONDS = 3600
INACTIVE = "inactive"
_STAMP_SALT = "utils.token_store.stamp"
_TOKEN = re.compile(r"([1-9][0-9]{0,18})\.([0-9a-f]{40})")
_LEGACY_TOKEN = re.compile(r"[0-9a-f]{40}")


def account_stamp(account) -> str:
    """What every valid token of `account` carries: it changes with the password or generation."""
    value = f"{account.password}\x00{account.token_generation}"
    return salted_hmac(_STAMP_SALT, value, algorithm="sha256").hexdigest()[:32]


def current_stamp(account) -> str:
    """The stamp key's value for this account row (None: the account is gone)."""
    if account is None or not account.is_active:
        return INACTIVE
    return account_stamp(account)


# KEYS: the token's key, the account's stamp key (one slot under Cluster). ARGV: the token's value
# and TTL, the login's stamp, a new tombstone, the stamp's TTL, '1' if the account is active. A
# missing stamp key takes the login's stamp; a tombstone stays; a stamp that is not the login's
# row's becomes a tombstone.
_LOGIN = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
if ARGV[6] ~= '1' then return 0 end
local v = redis.call('GET', KEYS[2])
if not v then
  redis.call('SET', KEYS[2], ARGV[3], 'EX', tonumber(ARGV[5]))
elseif v ~= ARGV[3] and string.sub(v, 1, 1) ~= '!' then
  redis.call('SET', KEYS[2], ARGV[4], 'EX', tonumber(ARGV[5]))
end
return 0
"""


def token_create(*, account) -> str:
    """A new token of `account` (one round trip: the token, and the account's stamp if Redis has
    none for it yet).

    A stamp in Redis that is not this row's (the database restored from a backup, another
    deployment sharing the Redis db) would refuse the new token as "ended" until it expires: it is
    replaced by a tombstone, never by the login's stamp, whose row may be older than a change
    committing now; the next request reads the row."""
    secret = secrets.token_hex(20)
    token = f"{account.pk}.{secret}"
    stamp = account_stamp(account)
    get_redis().eval(
        _LOGIN,
        2,
        keys.auth_token(token),
        keys.auth_stamp(account.pk),
        f"{account.pk}:{stamp}",
        settings.TOKEN_TTL_SECONDS,
        stamp,
        f"!{secrets.token_hex(8)}",
        STAMP_TTL_SECONDS,
        "1" if account.is_active else "0",
    )
    return token


@dataclass(frozen=True)
class TokenEntry:
    """A live token as Redis has it."""

    account_id: int
    stamp: str  # the token's
    current: str | None  # the account's stamp (or INACTIVE) in Redis; None: read the row
    seen: str | None  # the stamp key as the lookup read it ("" if missing); None: do not store
    also: list = field(default_factory=list)  # the replies to `also`'s reads, in order


def token_lookup(token: str, *, also=None) -> TokenEntry | None:
    """The token's entry (one MGET of the token and its account's stamp); None for an unknown,
    expired or malformed token, or one whose stored account is not the one it names.

    `also(pipe, account_id)` may queue reads of its own, sent in the same round trip (a view's
    data, used only once the token is found good); their replies are in `entry.also`, None for
    one that failed (a key of another type). A token of the old shape gets none (`also` is not
    called)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    match = _TOKEN.fullmatch(token)
    if match is None:
        return _legacy_lookup(token)
    account_id = int(match.group(1))
    names = (keys.auth_token(token), keys.auth_stamp(account_id))
    replies: list = []
    if also is None:
        # the client decodes responses: str or None
        value, stamp_key = cast("list[str | None]", get_redis().mget(*names))
    else:
        pipe = get_redis().pipeline(transaction=False)
        # two GETs, one round trip all the same: a cluster pipeline refuses MGET
        for name in names:
            pipe.get(name)
        also(pipe, account_id)
        # a reply that is an error (a key of another type) reads as absent: not the whole request
        value, stamp_key, *replies = (
            None if isinstance(reply, Exception) else reply
            for reply in pipe.execute(raise_on_error=False)
        )
    stored_id, stamp = _split(value)
    if stored_id != account_id:
        return None
    seen = stamp_key or ""
    current = None if not seen or seen.startswith("!") else seen
    return TokenEntry(account_id, stamp, current, seen, replies)


def _legacy_lookup(token: str) -> TokenEntry | None:
    if _LEGACY_TOKEN.fullmatch(token) is None:
        return None
    account_id, stamp = _split(cast("str | None", get_redis().get(keys.auth_token(token))))
    if account_id is None:
        return None
    return TokenEntry(account_id, stamp, current=None, seen=None)


def _split(value: str | None) -> tuple[int | None, str]:
    account_id, _, stamp = (value or "").partition(":")
    if not account_id.isdigit() or not stamp:
        return None, ""
    return int(account_id), stamp


# The token's check inside a Lua script that writes in the token's own round trip (sent before
# the token is known good here): KEYS[1] the token's key, KEYS[2] its account's stamp key, ARGV[1]
# the account id; the script returns -1 when the token is not good. The rule of `token_lookup`
# and `token_matches`: the token's value is `<id>:<stamp>` and the stamp key holds that stamp (a
# tombstone, `inactive` or no stamp key never equals a token's stamp: the script then leaves the
# decision to the request, which reads the row). Prepend it; `token_check_keys` gives the keys.
TOKEN_CHECK_LUA = """
local token = redis.call('GET', KEYS[1])
local stamp = redis.call('GET', KEYS[2])
if not token or not stamp or token ~= ARGV[1] .. ':' .. stamp then return -1 end
"""


def token_check_keys(token: str, account_id: int) -> tuple[str, str]:
    """KEYS[1] and KEYS[2] of a script that starts with TOKEN_CHECK_LUA (one hash tag)."""
    return keys.auth_token(token), keys.auth_stamp(account_id)


def token_matches(current: str, stamp: str) -> bool:
    """Whether a token with `stamp` is still one of the account whose stamp is `current`."""
    return current != INACTIVE and constant_time_compare(current, stamp)


# KEYS[1] the stamp key; ARGV: the value the lookup saw ('' for none), the new value, the TTL.
_REMEMBER = """
local v = redis.call('GET', KEYS[1])
if (v or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
"""
_REMEMBER_SHA = hashlib.sha1(_REMEMBER.encode()).hexdigest()


def stamp_remember(entry: TokenEntry, current: str) -> bool:
    """Store the stamp read from the row, unless the key changed since `entry` was read (then a
    change is under way and the next request reads the row again). True if stored."""
    if entry.seen is None:
        return False
    client = get_redis()
    args = (keys.auth_stamp(entry.account_id), entry.seen, current, STAMP_TTL_SECONDS)
    try:
        return bool(client.evalsha(_REMEMBER_SHA, 1, *args))
    except NoScriptError:
        return bool(client.eval(_REMEMBER, 1, *args))


def account_tokens_changed(account_id: int, *, using: str | None = None) -> None:
    """The account's password, token generation or active flag changed, or it was deleted: its
    stamp must be read from the row again. Writes a new tombstone now and another once the change
    is committed (at once outside a transaction; see the module docstring for why both)."""
    _tombstone(account_id)
    transaction.on_commit(partial(_tombstone, account_id), using=using)


def account_created(account_id: int) -> None:
    """A new account: no token of it exists, so whatever its id's stamp key holds (left by a deleted
    account whose id the database gave again) goes, and its first login stores its stamp."""
    get_redis().delete(keys.auth_stamp(account_id))


def _tombstone(account_id: int) -> None:
    tombstone = f"!{secrets.token_hex(8)}"
    get_redis().set(keys.auth_stamp(account_id), tombstone, ex=STAMP_TTL_SECONDS)


def token_delete(token: str) -> None:
    get_redis().delete(keys.auth_token(token))
