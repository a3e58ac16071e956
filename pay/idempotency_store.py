"""The lease of a payment's `Idempotency-Key` in Redis (`idempotency_lease_<user>_<sha256>`): set
while a request with that key runs, so that a repeat meanwhile is 1046 at once.

The key's answer itself is a row (pay.models.IdempotencyKey) written in the payment's own
transaction; the lease only says "running". It expires after IDEMPOTENCY_LEASE_SECONDS (a worker
that died mid-way holds nothing longer), and the payment releases it in the script that clears
its settlement after the commit (no round trip of its own). A payment with a settlement to pay
takes it in the token's own round trip (`queue_lease_with_token`), so a keyed payment costs no
round trip more than one without a key. Losing a lease (Redis restarted or
failed over) loses nothing: a repeat then waits for the first's lock on the account and finds its
answer row (pay/payment_services.py).
"""

import logging

from django.conf import settings
from redis.exceptions import RedisError

from utils import keys
from utils.redis import UNAVAILABLE, get_redis
from utils.token_store import TOKEN_CHECK_LUA, token_check_keys

logger = logging.getLogger("settlement")


def lease_take(user_id: int, key: str, digest: str) -> bool:
    """Take the lease for this request (`digest`: its body's fingerprint, kept in the lease);
    False when another request with the key holds it."""
    name = keys.idempotency_lease(user_id, key)
    ms = settings.IDEMPOTENCY_LEASE_SECONDS * 1000
    return bool(get_redis().set(name, digest, nx=True, px=ms))


# KEYS: the token's and its stamp's (utils/token_store.py TOKEN_CHECK_LUA: nothing is written
# for a token that is not good), the settlement's index, the lease (one hash tag, one slot under
# Cluster: utils/keys.py). ARGV: the account id, the body's fingerprint, the lease's milliseconds.
# 1: taken; 0: another request holds it; -1: not decided here (no good token seen, or nothing
# to pay: a repeat of a payment that cleared its settlement looks for its answer first).
_LEASE_WITH_TOKEN = (
    TOKEN_CHECK_LUA
    + """
if redis.call('SCARD', KEYS[3]) == 0 then return -1 end
if redis.call('SET', KEYS[4], ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end
return 0
"""
)


def queue_lease_with_token(pipe, user_id: int, token: str, key: str, digest: str) -> None:
    """Queue the lease's taking on the token's round trip (utils/authentication.py
    `reads_with_token`): taken only if the token is good and the settlement has something to
    pay; its reply (`lease_with_token`) says whether it was decided there."""
    ms = settings.IDEMPOTENCY_LEASE_SECONDS * 1000
    names = (
        *token_check_keys(token, user_id),
        keys.settlement_index(user_id),
        keys.idempotency_lease(user_id, key),
    )
    # the command itself: a cluster pipeline has no eval() method, but routes EVAL by its keys
    pipe.execute_command("EVAL", _LEASE_WITH_TOKEN, len(names), *names, user_id, digest, ms)


def lease_with_token(reply) -> bool | None:
    """`queue_lease_with_token`'s reply: True taken, False held by another request, None not
    decided there (take it with `lease_take`)."""
    if reply == 1:
        return True
    if reply == 0:
        return False
    return None  # -1, or an error (a key of another type): decided the usual way


def lease_digest(user_id: int, key: str) -> str | None:
    """The body's fingerprint of the request holding the lease, or None when none holds it."""
    value = get_redis().get(keys.idempotency_lease(user_id, key))
    return value.decode() if isinstance(value, bytes) else value


def queue_release(pipe, user_id: int, key: str) -> None:
    """The lease's release, queued on a caller's pipeline or script (the settlement's clearing)."""
    pipe.delete(keys.idempotency_lease(user_id, key))


def lease_release(user_id: int, key: str) -> None:
    """Release the lease now (a request that ended without the clearing). Never raises: a lease
    left behind runs out by itself."""
    try:
        get_redis().delete(keys.idempotency_lease(user_id, key))
    except (RedisError, *UNAVAILABLE):
        logger.warning("Idempotency-Key lease of account %s not released: it runs out", user_id)
