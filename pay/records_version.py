"""A per-account version of its coupon records (`coupon_records_version_<user>`, a random token in
Redis that every move replaces).

Every change of a record's status or end moves its account's version on once the change has
committed: the payment's clearing of the settlement carries it in its MULTI (`queue_changed`); a
cancel, refund or time-out that gives coupons back, the expiry job, and staff's saves and deletes
of records and rules (pay/signals.py) call `records_changed`. A buyer's order cancel moves it
before, in its token's round trip, with a "moving" marker (`queue_move_with_token`) while which
no settlement read keeps a check. A settlement keeps what the
database last said of its coupons together with the version it read before asking
(pay/settlement_store.py, `GoneCheck`), so reading and changing a settlement skip that query
while nothing has changed.

A version that could not be moved on (Redis unreachable just after the commit) is logged; the
check it guards then stays stale for at most `COUPON_CHECK_SECONDS`, and payment re-checks every
coupon it uses under a lock anyway. A change made without these calls (a queryset `.update()` of
status or end elsewhere, raw SQL) is bounded the same way.
"""

import logging
import time
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from redis.exceptions import RedisError

from utils import keys
from utils.redis import UNAVAILABLE, get_redis, writes_wait_for_replicas
from utils.token_store import TOKEN_CHECK_LUA, token_check_keys

logger = logging.getLogger("settlement")


def records_changed(
    account_ids: Iterable[int], *, now: bool = True, moved_at: float | None = None
) -> None:
    """Move these accounts' versions on once the current transaction commits (at once outside
    one). `now`: also at once, before the commit (the models' signals and the expiry job; it costs
    one more round trip, and makes the change show even where no commit follows, as in a test's
    transaction). What makes it correct is the move after the commit: a reader between the two
    may have kept a check of the rows as they were before. Never raises: the change itself is,
    or will be, committed. `moved_at`: when the version was moved on with the marker
    (`queue_move_with_token`, by `clock()`): nothing more to do, unless the commit comes so late
    that the marker may have run out before it."""
    ids = sorted({int(account_id) for account_id in account_ids})
    if not ids:
        return
    if moved_at is not None:
        late = settings.COUPON_CHECK_SECONDS - _LATE

        def if_late() -> None:
            if clock() - moved_at > late:
                _bump(ids)

        transaction.on_commit(if_late)
        return
    in_transaction = transaction.get_connection().in_atomic_block
    if now or not in_transaction:
        _bump(ids)
    if in_transaction:
        transaction.on_commit(lambda: _bump(ids))


# KEYS: the token's and its stamp's (utils/token_store.py TOKEN_CHECK_LUA: nothing is written
# for a token that is not good), the records' version, the "moving" marker (one hash tag). ARGV:
# the account id, a new version, the marker's seconds. 1: moved.
_MOVE_WITH_TOKEN = (
    TOKEN_CHECK_LUA
    + """
redis.call('SET', KEYS[3], ARGV[2])
redis.call('SET', KEYS[4], '1', 'EX', ARGV[3])
return 1
"""
)


def clock() -> float:
    """Seconds on this host's monotonic clock (when a move with the token was sent)."""
    return time.monotonic()


# A cancel that commits later than this after its move (a long lock wait) also moves the version
# after its commit: its marker may have run out before the commit, and a read in between could
# have kept the coupons as they were under the moved version.
_LATE = 5  # seconds before the marker runs out


def queue_move_with_token(pipe, account_id: int, token: str) -> bool:
    """Move the account's version on, and mark it moving, in the token's round trip (a buyer's
    order cancel: no round trip of its own after the commit).

    Before the commit, a settlement read could ask the database for the rows as they still are
    and keep that check under the new version; so while the marker lives (COUPON_CHECK_SECONDS,
    the longest a kept check lives anyway) readers keep no check at all: a settlement read sees
    the marker with the version (pay/settlement_store.py) and tags its check with a version that
    nothing matches. `moved_with_token(reply)` says whether it happened. Not queued (False)
    where Redis waits for replicas to acknowledge writes (Sentinel): the token's round trip
    would then fail the whole request when they do not; the move comes after the commit there."""
    if writes_wait_for_replicas():
        return False
    names = (
        *token_check_keys(token, account_id),
        keys.coupon_records_version(account_id),
        keys.coupon_records_moving(account_id),
    )
    new = uuid.uuid4().hex
    pipe.execute_command(
        "EVAL", _MOVE_WITH_TOKEN, len(names), *names, account_id, new,
        settings.COUPON_CHECK_SECONDS,
    )  # fmt: skip
    return True


def moved_with_token(reply) -> bool:
    return reply == 1


def queue_changed(pipe, account_id: int) -> None:
    """Move the account's version on in a caller's MULTI sent after its change committed (the
    payment's clearing of the settlement: no round trip of its own)."""
    _queue_new_version(pipe, account_id)


def _queue_new_version(pipe, account_id: int) -> None:
    # A new random token, written over whatever the key holds: a counter's INCR fails on a value
    # that is not one (or a key of another type), which would fail a committed payment's answer
    # and leave the version stuck, every change unseen until the check expires.
    pipe.set(keys.coupon_records_version(account_id), uuid.uuid4().hex)


def _bump(account_ids: list[int]) -> None:
    try:
        with get_redis().pipeline(transaction=False) as pipe:
            for account_id in account_ids:
                _queue_new_version(pipe, account_id)
            pipe.execute()
    except (RedisError, *UNAVAILABLE):
        logger.warning(
            "coupon records version of accounts %s not moved on: their settlements' coupon "
            "checks may stay stale for up to COUPON_CHECK_SECONDS",
            account_ids,
            exc_info=True,
        )
