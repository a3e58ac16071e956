"""The shopping cart in Redis: the only code that knows its encodings (key names: utils/keys.py).

Layout (API.md, "Redis layout"), kept from the seed:

- `shopping_car_<user>_<course>`: a hash with `id`, `title`, `img_src`, `price_policy_dict` (JSON:
  policy id -> `{"valid_period", "valid_period_text", "price"}`, price a string such as "99.00")
  and `default_policy` (the chosen policy id).
- `shopping_car_index_<user>`: a set of the course ids in the cart, so that reading a cart never
  scans the keyspace. A hash and its index member are always written and removed together
  (MULTI/EXEC), and the index is the source of truth for "is this course in the cart".
- `shopping_car_version_<user>`: a random token that every write of the cart replaces (in the
  same script or MULTI/EXEC), so that a settlement POST that read the cart in its token's round
  trip writes only if the cart is still as it read it (`guard_key`).

Carts have no expiry: one lives until its user changes it.

Kept the one way the stores keep Redis (utils/redis_store.py): readers decode and validate
everything; an entry that does not decode (a corrupt hash, or an index member whose hash is gone)
is skipped, and removed if it is still broken when re-checked under WATCH, so that it stops
counting against the cart's limit. Adding and replacing a course is one Lua script (the check on
the index and the write, atomic); other writes are MULTI/EXEC.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from redis.client import Pipeline

from utils import keys
from utils.ids import parse_id
from utils.redis import get_redis
from utils.redis_store import IndexedRead, repair

_FIELDS = ("id", "title", "img_src", "price_policy_dict", "default_policy")


@dataclass(frozen=True)
class CartItem:
    """One course in a cart, as the cart stores it (a snapshot taken when it was added).

    `price_policy_dict` maps a policy id (as a string, as in JSON) to
    `{"valid_period": int, "valid_period_text": str, "price": str}`; `default_policy` is the chosen
    policy's id and is always one of its keys.
    """

    course_id: int
    title: str
    img_src: str
    price_policy_dict: dict[str, dict]
    default_policy: int

    @property
    def price(self) -> str:
        """The chosen (default) policy's price, a string with two decimals such as "99.00"."""
        return self.price_policy_dict[str(self.default_policy)]["price"]


# --- encoding -------------------------------------------------------------------------------


def _encode(item: CartItem) -> dict[str, str]:
    return {
        "id": str(item.course_id),
        "title": item.title,
        "img_src": item.img_src,
        "price_policy_dict": json.dumps(
            item.price_policy_dict, ensure_ascii=False, separators=(",", ":"), sort_keys=True
        ),
        "default_policy": str(item.default_policy),
    }


def _decode_policy(value) -> dict:
    if not isinstance(value, dict):
        raise ValueError("a policy must be an object")
    period, text, price = (
        value.get("valid_period"),
        value.get("valid_period_text"),
        value.get("price"),
    )
    if isinstance(period, bool) or not isinstance(period, int) or not isinstance(text, str):
        raise ValueError("bad policy period")
    if not isinstance(price, str):
        raise ValueError("a price must be a string")
    try:
        amount = Decimal(price)
    except InvalidOperation as exc:
        raise ValueError("bad price") from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError("bad price")
    return {"valid_period": period, "valid_period_text": text, "price": price}


def _build(*, course_id: int, title, img_src, policies, default_policy) -> CartItem:
    """A validated CartItem from loosely typed parts; ValueError when anything is off."""
    if not isinstance(title, str) or not isinstance(img_src, str):
        raise ValueError("title and img_src must be strings")
    if not isinstance(policies, dict) or not policies:
        raise ValueError("price_policy_dict must be a non-empty object")
    decoded: dict[str, dict] = {}
    for key, value in policies.items():
        policy_id = parse_id(key)
        if policy_id is None:
            raise ValueError("bad policy id")
        decoded[str(policy_id)] = _decode_policy(value)
    default = parse_id(default_policy)
    if default is None or str(default) not in decoded:
        raise ValueError("default_policy is not one of the policies")
    return CartItem(
        course_id=course_id,
        title=title,
        img_src=img_src,
        price_policy_dict=decoded,
        default_policy=default,
    )


def _decode(course_id: int, raw: dict[str, str]) -> CartItem | None:
    """The CartItem stored in a hash, or None if the hash is missing, partial or corrupt."""
    if not raw or any(field not in raw for field in _FIELDS):
        return None
    if parse_id(raw["id"]) != course_id:
        return None
    try:
        policies = json.loads(raw["price_policy_dict"])
        return _build(
            course_id=course_id,
            title=raw["title"],
            img_src=raw["img_src"],
            policies=policies,
            default_policy=raw["default_policy"],
        )
    except (ValueError, TypeError):  # json.JSONDecodeError is a ValueError
        return None


# --- reads ----------------------------------------------------------------------------------


def cart_items(user_id: int) -> list[CartItem]:
    """The whole cart ordered by course id, in one round trip whatever its size (the index and
    its hashes in one script, utils.redis_store.IndexedRead). Entries that do not decode are
    skipped (and cleaned up: a few more round trips, only when there is something broken).
    """
    members, raws, _ = IndexedRead(keys.cart_index(user_id), keys.cart(user_id, "")).read()
    items: list[CartItem] = []
    broken: list[str] = []
    for member, raw in zip(members, raws, strict=True):
        course_id = parse_id(member)
        item = _decode(course_id, raw) if course_id is not None else None
        if item is None:
            broken.append(member)
        else:
            items.append(item)
    if broken:
        _discard_broken(user_id, broken)
    return items


def cart_get_many(user_id: int, course_ids: Iterable[int]) -> dict[int, CartItem]:
    """The cart items of these courses, in one round trip; courses not in the cart are absent.

    A course counts as in the cart when it is in the index and its hash decodes.
    """
    ids = _ids(course_ids)
    if not ids:
        return {}
    with get_redis().pipeline(transaction=False) as pipe:
        queue_get_many(pipe, user_id, ids)
        return cart_from_replies(ids, pipe.execute())


def queue_get_many(pipe: Pipeline, user_id: int, course_ids: Iterable[int]) -> None:
    """`cart_get_many`'s commands, queued on a pipeline of other reads; `cart_from_replies`
    decodes their replies (the first 2 × len(set(course_ids)) of the pipeline's)."""
    index = keys.cart_index(user_id)
    for course_id in _ids(course_ids):
        pipe.sismember(index, str(course_id))
        pipe.hgetall(keys.cart(user_id, course_id))


def cart_from_replies(course_ids: Iterable[int], replies: list) -> dict[int, CartItem]:
    found: dict[int, CartItem] = {}
    for position, course_id in enumerate(_ids(course_ids)):
        is_member, raw = replies[2 * position], replies[2 * position + 1]
        item = _decode(course_id, raw) if is_member else None
        if item is not None:
            found[course_id] = item
    return found


def _ids(course_ids: Iterable[int]) -> list[int]:
    return sorted({int(course_id) for course_id in course_ids})


def cart_count(user_id: int) -> int:
    """How many courses the cart holds (the index's size; one round trip)."""
    return int(get_redis().scard(keys.cart_index(user_id)))


def cart_count_and_members(user_id: int, course_ids: Iterable[int]) -> tuple[int, set[int]]:
    """How many courses the cart holds, and which of these it holds (the index; one round trip).

    For a caller that adds courses in its own transaction (courses going back from the
    settlement) and must keep the cart's limit: WATCH `watch_keys(user_id, ...)` first.
    """
    ids = sorted({int(course_id) for course_id in course_ids})
    index = keys.cart_index(user_id)
    with get_redis().pipeline(transaction=False) as pipe:
        pipe.scard(index)
        for course_id in ids:
            pipe.sismember(index, str(course_id))
        count, *present = pipe.execute()
    return int(count), {
        course_id for course_id, is_member in zip(ids, present, strict=True) if is_member
    }


# --- writes for a caller's transaction ------------------------------------------------------


def guard_key(user_id: int) -> str:
    """The cart's version: every write of the cart replaces it (utils.redis.transact_from)."""
    return keys.cart_version(user_id)


def queue_version_read(pipe: Pipeline, user_id: int) -> None:
    """Queue the read of the cart's version on a pipeline of other reads; its reply is the `seen`
    value of `guard_key` (None when the cart was never written)."""
    pipe.get(guard_key(user_id))


def _queue_bump(pipe: Pipeline, user_id: int) -> None:
    pipe.set(guard_key(user_id), secrets.token_hex(16))


def watch_keys(user_id: int, course_ids: Iterable[int]) -> list[str]:
    """The keys a caller's optimistic transaction should WATCH before reading these courses of the
    cart (the index and the courses' hashes), so that its EXEC fails if the cart changed."""
    members = sorted({str(course_id) for course_id in course_ids})
    return [keys.cart_index(user_id), *(keys.cart(user_id, member) for member in members)]


def queue_put(pipe: Pipeline, user_id: int, item: CartItem) -> None:
    """Queue the writes that put `item` in the cart (its hash, replaced whole, and the index).

    Only queues commands on the caller's pipeline (open it with `transaction=True` so that the hash
    and the index change together); the caller executes it.
    """
    key = keys.cart(user_id, item.course_id)
    _queue_bump(pipe, user_id)
    pipe.delete(key)  # no stale field survives a replacement
    # redis-py's stub types `mapping` with an invariant key union that refuses any dict[str, str]
    pipe.hset(key, mapping=_encode(item))  # type: ignore[arg-type]
    pipe.sadd(keys.cart_index(user_id), str(item.course_id))


def queue_remove(pipe: Pipeline, user_id: int, course_ids: Iterable[int | str]) -> None:
    """Queue the writes that remove these courses from the cart: DEL of their hashes, then one SREM
    of the index (whose reply is the number of courses that were in the cart).

    Only queues commands on the caller's pipeline; queues nothing when `course_ids` is empty.
    """
    members = sorted({str(course_id) for course_id in course_ids})
    if not members:
        return
    _queue_bump(pipe, user_id)
    pipe.delete(*(keys.cart(user_id, member) for member in members))
    pipe.srem(keys.cart_index(user_id), *members)


# --- writes of the cart API -----------------------------------------------------------------


# KEYS: the index, the course's hash, the cart's version. ARGV: the course id, the limit ('' for
# none), '1' if the course must already be in the cart, the new version, then the hash's fields
# and values.
_PUT_CHECKED = """
local present = redis.call('SISMEMBER', KEYS[1], ARGV[1])
if ARGV[3] == '1' and present == 0 then return 0 end
if ARGV[2] ~= '' and present == 0 and redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('SET', KEYS[3], ARGV[4])
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], unpack(ARGV, 5))
redis.call('SADD', KEYS[1], ARGV[1])
return 1
"""


def _write_checked(user_id: int, item: CartItem, *, limit: int | None, must_exist: bool) -> bool:
    """Put `item` (its hash replaced whole, and the index) if the check on the index passes, in
    one script: check and write are one atomic step, one round trip. False when the check fails
    (nothing written)."""
    fields = [part for pair in _encode(item).items() for part in pair]
    written = get_redis().eval(
        _PUT_CHECKED,
        3,
        keys.cart_index(user_id),
        keys.cart(user_id, item.course_id),
        guard_key(user_id),
        str(item.course_id),
        "" if limit is None else str(limit),
        "1" if must_exist else "0",
        secrets.token_hex(16),
        *fields,
    )
    return bool(written)


def cart_add(user_id: int, item: CartItem, *, limit: int) -> bool:
    """Add `item` to the cart, or replace it if its course is already there.

    A course already in the cart does not count against `limit`. False (and nothing written) when
    the cart already holds `limit` other courses. Holds under concurrency: two racing adds cannot
    both take the last place.
    """
    return _write_checked(user_id, item, limit=limit, must_exist=False)


def cart_replace(user_id: int, item: CartItem) -> bool:
    """Replace the cart's entry for `item`'s course; False (and nothing written) if the course is
    not in the cart, even when a concurrent removal lands in between."""
    return _write_checked(user_id, item, limit=None, must_exist=True)


def cart_remove(user_id: int, course_ids: Iterable[int]) -> int:
    """Remove these courses from the cart in one MULTI/EXEC; the number that were in it."""
    course_ids = list(course_ids)
    if not course_ids:
        return 0
    with get_redis().pipeline(transaction=True) as pipe:
        queue_remove(pipe, user_id, course_ids)
        replies = pipe.execute()
    return int(replies[-1])


def _discard_broken(user_id: int, members: list[str]) -> None:
    """Remove entries that did not decode, if they still do not decode when re-read under WATCH
    (utils.redis_store.repair: a re-add meanwhile keeps the entry)."""
    index = keys.cart_index(user_id)
    hashes = [keys.cart(user_id, member) for member in members]

    def build(pipe: Pipeline) -> None:
        with get_redis().pipeline(transaction=False) as read:
            for key in hashes:
                read.hgetall(key)
            raws = read.execute()
        still_broken = [
            member
            for member, raw in zip(members, raws, strict=True)
            if (course_id := parse_id(member)) is None or _decode(course_id, raw) is None
        ]
        pipe.multi()
        queue_remove(pipe, user_id, still_broken)

    repair([index, *hashes], build)
