"""The one way the stores keep data in Redis (shopping/cart_store.py, pay/settlement_store.py).

- An index set of members and one hash per member, read with whatever else the store needs in
  one round trip whatever the size: one Lua script, atomic, so all of one state (`IndexedRead`).
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
from dataclasses import dataclass

from redis.client import Pipeline

from utils.ids import parse_id
from utils.redis import ConcurrentUpdate, get_redis, read_only_script, transact


def member_order(member: str) -> tuple[int, int, str]:
    """Ids in numeric order; members that are not ids (broken) last."""
    number = parse_id(member)
    return (0, number, "") if number is not None else (1, 0, member)


# One EVAL reads an index, every hash it names and the caller's other keys, atomically (one state,
# one round trip). The hashes' keys are built in the script from a prefix; every key of one user
# shares its hash tag (utils/keys.py), so a Redis Cluster runs it on the one slot.
# `read_indexed(index, prefix, k, a)`: the other keys are KEYS[k..], their commands ARGV[a..]; a
# script that writes as well (pay/settlement_store.py, a PATCH's choice) ends with it too.
READ_INDEXED_LUA = """
local function read_indexed(index, prefix, k, a)
  local members = redis.call('SMEMBERS', index)
  local hashes = {}
  for i, member in ipairs(members) do
    hashes[i] = redis.call('HGETALL', prefix .. member)
  end
  local more = {}
  for i = k, #KEYS do
    -- a key of another type (planted, or left by an old deploy) reads as absent, never an error
    local value = redis.pcall(ARGV[a + i - k], KEYS[i])
    if type(value) == 'table' and value.err then value = false end
    more[i - k + 1] = value
  end
  return {members, hashes, more}
end
"""
_READ_INDEXED = read_only_script(READ_INDEXED_LUA + "return read_indexed(KEYS[1], ARGV[1], 2, 2)")


def _pairs(flat: list) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


@dataclass(frozen=True)
class IndexedRead:
    """An index set, one hash per member (`hash_prefix` + member), and `more` keys read with
    them: (command, key) pairs, the command "GET" or "HGETALL".

    `read()` sends it alone; `queue(pipe)` puts it on a pipeline that has other reads (the
    token's round trip) and `parse(reply)` decodes its reply there. Either way: (members ordered
    by `member_order`, their hashes as dicts, the replies of `more`), all of one state, in one
    round trip whatever the size."""

    index: str
    hash_prefix: str
    more: tuple[tuple[str, str], ...] = ()

    def _args(self) -> tuple:
        names = [self.index, *(key for _, key in self.more)]
        return (_READ_INDEXED, len(names), *names, self.hash_prefix, *(c for c, _ in self.more))

    def queue(self, pipe) -> None:
        # the command itself: a cluster pipeline has no eval() method, but routes EVAL by its keys
        pipe.execute_command("EVAL", *self._args())

    def send(self):
        """Its reply, not parsed yet."""
        return get_redis().eval(*self._args())

    def read(self) -> tuple[list[str], list[dict[str, str]], list]:
        return self.parse(self.send())

    def parse(self, reply) -> tuple[list[str], list[dict[str, str]], list]:
        members, hashes, more = reply
        ordered = sorted(
            zip(members, map(_pairs, hashes), strict=True), key=lambda pair: member_order(pair[0])
        )
        replies = [
            _pairs(value or []) if command == "HGETALL" else value
            for (command, _), value in zip(self.more, more, strict=True)
        ]
        return [m for m, _ in ordered], [h for _, h in ordered], replies


def repair(watch: list[str], build: Callable[[Pipeline], None]) -> None:
    """Remove what did not decode, once, as an optimistic transaction on `watch`: `build(pipe)`
    re-reads the entries, then calls `pipe.multi()` and queues the removal of those still broken.
    A concurrent write of one of them (a re-add) aborts it, so a good entry is never removed; the
    next read tries again."""
    try:
        transact(watch, build, attempts=1)
    except ConcurrentUpdate:
        pass
