"""The lease of a payment's `Idempotency-Key` in Redis (`idempotency_lease_<user>_<sha256>`): set
while a request with that key runs, so that a repeat meanwhile is 1046 at once.

The key's answer itself is a row (pay.models.IdempotencyKey) written in the payment's own
transaction; the lease only says "running". It expires after IDEMPOTENCY_LEASE_SECONDS (a worker
that died mid-way holds nothing longer), and the payment releases it in the script that clears
its settlement after the commit (no round trip of its own). Losing a lease (Redis restarted or
failed over) loses nothing: a repeat then waits for the first's lock on the account and finds its
answer row (pay/payment_services.py).
"""

import logging

from django.conf import settings
from redis.exceptions import RedisError

from utils import keys
from utils.redis import UNAVAILABLE, get_redis

logger = logging.getLogger("settlement")


def lease_take(user_id: int, key: str, digest: str) -> bool:
    """Take the lease for this request (`digest`: its body's fingerprint, kept in the lease);
    False when another request with the key holds it."""
    name = keys.idempotency_lease(user_id, key)
    ms = settings.IDEMPOTENCY_LEASE_SECONDS * 1000
    return bool(get_redis().set(name, digest, nx=True, px=ms))


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
