"""The one way the stores keep data in Redis (shopping/cart_store.py, pay/settlement_store.py).

- An index set of members and one hash per member, read in two round trips whatever the size:
  SMEMBERS of the index, then one pipeline of HGETALLs (`read_indexed`).
- A reader decodes and validates every entry; one that does not decode (a corrupt hash, an index
  member whose hash is gone or that is not an id) is skipped, and removed if it is still broken
  when re-read under WATCH (`repair`), so it stops counting and never fails a request.
- Every read-check-write is one optimistic transaction, `utils.redis.transact` (WATCH, read,
  check, MULTI/EXEC, retried when a watched key changed). When the keys keep changing it raises
  ConcurrentUpdate, which the API answers with the one "busy" code, 1003 (nothing was changed;
  retry), in utils/exception_handler.py.

Key names come from utils/keys.py only.
"""

from collections.abc import Callable
from typing import cast

from redis.client import Pipeline

from utils.ids import parse_id
from utils.redis import ConcurrentUpdate, get_redis, transact


def member_order(member: str) -> tuple[int, int, str]:
    """Ids in numeric order; members that are not ids (broken) last."""
    number = parse_id(member)
    return (0, number, "") if number is not None else (1, 0, member)


def read_indexed(
    index: str,
    hash_key: Callable[[str], str],
    *,
    more: Callable[[Pipeline], None] | None = None,
    transaction: bool = False,
) -> tuple[list[str], list[dict[str, str]], list]:
    """(members ordered by `member_order`, their hashes, the replies of `more`), in two round
    trips: SMEMBERS, then one pipeline of the HGETALLs and whatever `more` queues after them.

    `transaction=True` reads the hashes and `more` in one MULTI, so they belong to one state. An
    empty index with nothing `more` to read costs one round trip.
    """
    client = get_redis()
    # the stores' client decodes responses: members are str
    members = sorted(cast(set[str], client.smembers(index)), key=member_order)
    if not members and more is None:
        return [], [], []
    with client.pipeline(transaction=transaction) as pipe:
        for member in members:
            pipe.hgetall(hash_key(member))
        if more is not None:
            more(pipe)
        replies = pipe.execute()
    return members, replies[: len(members)], replies[len(members) :]


def repair(watch: list[str], build: Callable[[Pipeline], None]) -> None:
    """Remove what did not decode, once, as an optimistic transaction on `watch`: `build(pipe)`
    re-reads the entries, then calls `pipe.multi()` and queues the removal of those still broken.
    A concurrent write of one of them (a re-add) aborts it, so a good entry is never removed; the
    next read tries again."""
    try:
        transact(watch, build, attempts=1)
    except ConcurrentUpdate:
        pass
