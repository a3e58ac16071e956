"""The settlement's Redis shapes (API.md, "Redis layout"); key names come from utils/keys.py.

- `settlement_<user>_<course>`: hash with the seed's fields (`id`, `title`, `img_src`, `price`,
  `period_display`, `valid_period`, `price_policy_id`, `course_coupons` as JSON keyed by
  CouponRecord id, `default_course_coupon_id` when chosen) and `price_policy_dict`, so that a
  course leaving the settlement goes back to the cart with its policies.
- `global_coupon_<user>`: hash, one field per global CouponRecord id (JSON), and
  `default_coupon_id` when chosen.
- `settlement_index_<user>`: set of the course ids in the settlement, so reading never scans.
- `settlement_version_<user>`: `<checkout>.<state>`, two random tokens. Every write replaces the
  state (but offering one more coupon, which changes nothing that would be paid); writers WATCH
  it, so two requests of one user that read, check and write cannot both land on the same state.
  A new settlement (POST) starts a new checkout; changing it (PATCH, DELETE) keeps its checkout.
  An order records the checkout it paid, so one checkout is paid at most once, whatever was
  changed in it while a payment ran.
- `settlement_checked_<user>`: JSON, expiring after `COUPON_CHECK_SECONDS`: what the database
  last said of the settlement's coupons (`GoneCheck`, with a GET's rendered answer), read with
  the settlement and the account's coupon-records version (pay/records_version.py) in one script,
  so that a read or change while nothing has changed skips the query.
- `settlement_permit_<user>`: hash, expiring after `COUPON_CHECK_SECONDS`: what a PATCH may
  choose on the settlement (`Permit`, made by pricing), so that a choice is checked and written
  by one script in the token's round trip (`queue_choose_with_token`).
- `settlement_answers_<user>`: hash, expiring with the permit: the answers PATCHes rendered on
  the permit's settlement (`<content>:<code>:<choices>` -> the answer's JSON), so that a choice
  going back to a state already shown is answered as it was (`keep_answer`).

Writes only queue commands on a caller's MULTI pipeline (`queue_*`); the services decide what is
written together.
"""

import json
import logging
import secrets
import types
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import get_args, get_type_hints

import orjson
from django.conf import settings
from redis.exceptions import RedisError

from pay.pricing import CouponTerms
from utils import keys
from utils.ids import parse_id
from utils.money import money_text
from utils.redis import UNAVAILABLE, get_redis
from utils.redis_store import READ_INDEXED_LUA, IndexedRead, repair
from utils.token_store import TOKEN_CHECK_LUA, token_check_keys

DEFAULT_GLOBAL_FIELD = "default_coupon_id"
logger = logging.getLogger("settlement")


@dataclass(frozen=True)
class StoredCoupon:
    """A held coupon as the settlement keeps it: display fields plus the terms pricing needs."""

    id: int
    coupon_id: int
    number: str
    name: str
    coupon_type: int
    coupon_type_display: str
    money_equivalent_value: Decimal | None
    off_percent: int | None
    minimum_consume: Decimal
    valid_begin: date
    valid_end: date

    @cached_property
    def terms(self) -> CouponTerms:
        """What pricing needs of it, made once (a decoded coupon is shared: `_decode_coupons`)."""
        return CouponTerms.of(self)

    @classmethod
    def from_held(cls, held) -> "StoredCoupon":
        """From a held coupon (pay.selectors.HeldCoupon): the fields the settlement keeps."""
        return cls(**{name: getattr(held, name) for name in cls.__dataclass_fields__})

    def encode(self) -> dict:
        """JSON-able: its fields in order, money as two-decimal strings, dates in ISO."""
        return {name: _encode_value(getattr(self, name)) for name, _ in _COUPON_READERS}

    @classmethod
    def decode(cls, raw: dict) -> "StoredCoupon":
        """The inverse of `encode`, led by the fields' types; KeyError, ValueError, TypeError or
        ArithmeticError when `raw` does not decode."""
        return cls(**{name: read(raw, name) for name, read in _COUPON_READERS})


def _encode_value(value):
    if isinstance(value, Decimal):
        return money_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _finite(value) -> Decimal:
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return number


def _reader(kind):
    """How one field of the stored coupon is read back, from its type (once, at import): a
    required field raises KeyError when missing and TypeError when null; an optional one is None
    for both."""
    kinds = get_args(kind) if isinstance(kind, types.UnionType) else (kind,)
    optional = type(None) in kinds
    base = next(k for k in kinds if k is not type(None))
    convert = {Decimal: _finite, date: date.fromisoformat}.get(base, base)

    def read(raw: dict, name: str):
        value = raw.get(name) if optional else raw[name]
        if value is None:
            if optional:
                return None
            raise TypeError(f"{name} is null")
        return convert(value)

    return read


# The coupon's stored shape is StoredCoupon's fields: encode and decode follow them.
_COUPON_READERS = tuple(
    (name, _reader(kind)) for name, kind in get_type_hints(StoredCoupon).items()
)


@dataclass(frozen=True)
class SettlementLine:
    course_id: int
    title: str
    img_src: str
    price: Decimal
    period_display: str
    valid_period: int
    price_policy_id: int
    price_policy_dict: dict
    course_coupons: dict[int, StoredCoupon] = field(default_factory=dict)
    default_course_coupon_id: int | None = None


@dataclass(frozen=True)
class GoneCheck:
    """What the database said of a settlement's coupons (pay.selectors.records_gone: record id ->
    why it is no longer usable), for one settlement version, the account's coupon-records version
    read before asking, one day, and these record ids; and, once a GET has priced and rendered
    that state, its answer (the `data` of GET /api/settlement/, plain JSON) with the digest of
    the code that rendered it (`answer_code`: a deploy that changes pricing or the answer's shape
    renders again)."""

    version: str
    records_version: str | None
    day: date
    ids: frozenset[int]
    gone: dict[int, str]
    answer: dict | None = None
    answer_code: str | None = None

    def holds(self, version: str | None, records_version: str | None, today: date) -> bool:
        """Whether nothing it depends on has moved: the settlement's version, the coupon records'
        version and the day are those it was made for."""
        return version is not None and (self.version, self.records_version, self.day) == (
            version,
            records_version,
            today,
        )

    def moved_to(self, version: str) -> "GoneCheck":
        """The same coupon check for the state a writer makes: the coupons it offers are the same
        (or fewer), but its answer is not (a writer changed what a GET would show)."""
        return replace(self, version=version, answer=None, answer_code=None)

    def encode(self) -> str:
        return orjson.dumps(
            {
                "version": self.version,
                "records": self.records_version,
                "day": self.day.isoformat(),
                "ids": sorted(self.ids),
                "gone": {str(k): v for k, v in self.gone.items()},
                "answer": self.answer,
                "answer_code": self.answer_code,
            }
        ).decode()

    @classmethod
    def decode(cls, raw: str | None) -> "GoneCheck | None":
        """None when there is none or it does not decode (then the database is asked)."""
        if raw is None:
            return None
        try:
            data = orjson.loads(raw)
            records, answer = data["records"], data.get("answer")
            return cls(
                version=str(data["version"]),
                records_version=None if records is None else str(records),
                day=date.fromisoformat(data["day"]),
                ids=frozenset(_id(i) for i in data["ids"]),
                gone={_id(k): str(v) for k, v in data["gone"].items()},
                answer=answer if isinstance(answer, dict) else None,
                answer_code=data.get("answer_code"),
            )
        except (*_BROKEN, AttributeError):
            return None


@dataclass(frozen=True)
class Settlement:
    lines: list[SettlementLine]
    global_coupons: dict[int, StoredCoupon]
    default_global_coupon_id: int | None
    version: str | None = None
    records_version: str | None = None  # the account's coupon records, read with it
    gone_check: GoneCheck | None = None

    @property
    def record_ids(self) -> frozenset[int]:
        """Every coupon record the settlement offers (course and global)."""
        ids = {rid for line in self.lines for rid in line.course_coupons}
        return frozenset(ids.union(self.global_coupons))

    def gone_check_for(self, today: date) -> GoneCheck | None:
        """The kept check of its coupons if nothing has changed since: same settlement state,
        same coupon-records version, same day, and every record it offers was checked. None:
        ask the database."""
        check = self.gone_check
        if (
            check is None
            or not check.holds(self.version, self.records_version, today)
            or not self.record_ids <= check.ids
        ):
            return None
        return check

    @property
    def course_ids(self) -> list[int]:
        return [line.course_id for line in self.lines]

    @property
    def checkout(self) -> str | None:
        """The checkout this state belongs to (what an order records); None when none."""
        return None if self.version is None else self.version.split(".", 1)[0]

    def line(self, course_id: int) -> SettlementLine | None:
        return next((line for line in self.lines if line.course_id == course_id), None)


def watch_keys(user_id: int) -> list[str]:
    """The key whose change means a concurrent settlement write (for utils.redis.transact)."""
    return [guard_key(user_id)]


def guard_key(user_id: int) -> str:
    """The version: every write of the settlement replaces it (utils.redis.transact_from)."""
    return keys.settlement_version(user_id)


def _bump(pipe, user_id: int, checkout: str | None = None) -> str:
    """A new version (returned): the same `checkout` (a change of the settlement) or a new one."""
    version = f"{checkout or secrets.token_hex(16)}.{secrets.token_hex(16)}"
    pipe.set(keys.settlement_version(user_id), version)
    return version


def _optional_int(value: str | None) -> int | None:
    return None if value in (None, "") else _id(value)


def _id(value) -> int:
    number = parse_id(value)
    if number is None:
        raise ValueError(f"not an id: {value!r}")
    return number


def _money(value: str) -> Decimal:
    number = Decimal(value)
    if not number.is_finite() or number < 0:
        raise ValueError(f"not an amount: {value!r}")
    return number


# Decoded coupons by the JSON text they were read from: a line's coupons read again unchanged (the
# next request of the same settlement) are not decoded again. StoredCoupon is immutable, and each
# reader gets its own dict of them. Bounded by the texts' size (the decoded objects take a few
# times as much): emptied when the next one would pass it; a text past a tenth of it is not kept.
_DECODED: dict[str, dict[int, StoredCoupon]] = {}
_DECODED_ONE: dict[str, StoredCoupon] = {}
_DECODED_BUDGET = 2 * 1024 * 1024  # characters of JSON, both caches together
_decoded_size = 0


def _keep(cache: dict, text: str, value) -> None:
    global _decoded_size
    if len(text) > _DECODED_BUDGET // 10:
        return
    if _decoded_size + len(text) > _DECODED_BUDGET:
        _DECODED.clear()
        _DECODED_ONE.clear()
        _decoded_size = 0
    cache[text] = value
    _decoded_size += len(text)


def _decode_coupons(text: str) -> dict[int, StoredCoupon]:
    """`course_coupons` JSON as {record id: StoredCoupon}; the errors of `StoredCoupon.decode`
    (AttributeError for JSON that is not an object)."""
    coupons = _DECODED.get(text)
    if coupons is None:
        coupons = {_id(k): StoredCoupon.decode(v) for k, v in orjson.loads(text).items()}
        _keep(_DECODED, text, coupons)
    return dict(coupons)


def _decode_coupon(text: str) -> StoredCoupon:
    """One coupon's JSON (a global coupon's field), kept like `_decode_coupons`'."""
    coupon = _DECODED_ONE.get(text)
    if coupon is None:
        coupon = StoredCoupon.decode(orjson.loads(text))
        _keep(_DECODED_ONE, text, coupon)
    return coupon


def _decode_line(raw: dict[str, str]) -> SettlementLine:
    coupons = _decode_coupons(raw["course_coupons"])
    return SettlementLine(
        course_id=_id(raw["id"]),
        title=raw["title"],
        img_src=raw.get("img_src", ""),
        price=_money(raw["price"]),
        period_display=raw["period_display"],
        valid_period=int(raw["valid_period"]),
        price_policy_id=int(raw["price_policy_id"]),
        price_policy_dict=orjson.loads(raw.get("price_policy_dict") or "{}"),
        course_coupons=coupons,
        default_course_coupon_id=_optional_int(raw.get("default_course_coupon_id")),
    )


def _encode_line(line: SettlementLine) -> dict[str, str]:
    encoded = {
        "id": str(line.course_id),
        "title": line.title,
        "img_src": line.img_src,
        "price": money_text(line.price),
        "period_display": line.period_display,
        "valid_period": str(line.valid_period),
        "price_policy_id": str(line.price_policy_id),
        "price_policy_dict": json.dumps(line.price_policy_dict, ensure_ascii=False),
        "course_coupons": json.dumps(
            {str(k): c.encode() for k, c in line.course_coupons.items()}, ensure_ascii=False
        ),
    }
    if line.default_course_coupon_id is not None:
        encoded["default_course_coupon_id"] = str(line.default_course_coupon_id)
    return encoded


def _indexed_read(user_id: int) -> IndexedRead:
    return IndexedRead(
        keys.settlement_index(user_id),
        keys.settlement(user_id, ""),
        more=(
            ("HGETALL", keys.global_coupon(user_id)),
            ("GET", keys.settlement_version(user_id)),
            ("GET", keys.coupon_records_version(user_id)),
            ("GET", keys.settlement_checked(user_id)),
            ("GET", keys.coupon_records_moving(user_id)),
        ),
    )


def read_reply(user_id: int):
    """`settlement_read`'s reply, not decoded yet (`kept_answer`, `settlement_from_reply`)."""
    return _indexed_read(user_id).send()


def queue_kept_read(pipe, user_id: int) -> None:
    """Queue what `kept_answer` needs (three GETs: the settlement's version, the coupon records'
    version, the kept check) on a pipeline of other reads (the token's round trip, sent with
    `raise_on_error=False`); `kept_values` takes their three replies."""
    pipe.get(keys.settlement_version(user_id))
    pipe.get(keys.coupon_records_version(user_id))
    pipe.get(keys.settlement_checked(user_id))


def kept_values(replies) -> list[str | None]:
    """`queue_kept_read`'s replies as [version, records version, kept check]: a key of another
    type (its GET's error) reads as absent, so the settlement is read and priced in full."""
    return [value if isinstance(value, str) else None for value in replies]


def kept_answer(
    version: str | None, records: str | None, raw: str | None, today: date, code: str
) -> dict | None:
    """The answer a GET kept for this very state, rendered by this `code`, or None. The state is
    the same when its check holds (`GoneCheck.holds`): every write replaces the version and the
    check together, and an offer (which keeps the version) replaces the check
    (`queue_add_coupon`). A check carries the version it was made for, so the three values need
    not be read atomically."""
    check = GoneCheck.decode(raw)
    if (
        check is None
        or check.answer is None
        or check.answer_code != code
        or not check.holds(version, records, today)
    ):
        return None
    return check.answer


def kept_raw(reply) -> str | None:
    """The kept check's raw value in a `read_reply` (what `keep_gone_check` expects to replace)."""
    return reply[2][3]


def settlement_read(user_id: int) -> Settlement:
    """The user's settlement, in one round trip whatever its size or Redis's
    (utils.redis_store.IndexedRead): lines, global coupons, version, the account's coupon-records
    version and the kept coupon check, all of one state.

    An entry that does not decode (an index member that is not an id or whose hash is gone, a
    corrupt line, a corrupt global coupon or choice) is skipped, as the cart's reader does, and
    removed if still broken when re-read under WATCH: it never fails a request.
    """
    return settlement_from_reply(user_id, read_reply(user_id))


def queue_read(pipe, user_id: int) -> None:
    """`settlement_read`'s one command, queued on a pipeline of other reads (the token's round
    trip); `settlement_from_reply` decodes its reply."""
    _indexed_read(user_id).queue(pipe)


def settlement_from_reply(user_id: int, reply) -> Settlement:
    return _decoded(user_id, *_indexed_read(user_id).parse(reply))


def _decoded(user_id: int, members, raw_lines, more) -> Settlement:
    raw_global, version, records, checked, moving = more
    if moving is not None:
        # the records' version was moved on before a change committed (pay/records_version.py):
        # a check made now is tagged with a version nothing matches, so it is never reused
        records = f"moving {secrets.token_hex(8)}"
    lines, broken_members = [], []
    for member, raw in zip(members, raw_lines, strict=True):
        line = _line_or_none(member, raw)
        if line is None:
            broken_members.append(member)
        else:
            lines.append(line)
    global_coupons, default_global, broken_fields = _global_coupons(raw_global)
    if broken_members or broken_fields:
        _discard_broken(user_id, broken_members, broken_fields)
    return Settlement(
        lines, global_coupons, default_global, version, records, GoneCheck.decode(checked)
    )


# what a corrupt entry raises (AttributeError: JSON that is not an object where one belongs)
_BROKEN = (KeyError, ValueError, TypeError, ArithmeticError, AttributeError)


def _line_or_none(member: str, raw: dict[str, str]) -> SettlementLine | None:
    """The line a hash holds, or None when the member is not an id or the hash is gone, partial,
    corrupt or of another course."""
    course_id = parse_id(member)
    if course_id is None:
        return None
    try:
        line = _decode_line(raw)
    except _BROKEN:
        return None
    return line if line.course_id == course_id else None


def _global_coupons(raw: dict[str, str]) -> tuple[dict[int, StoredCoupon], int | None, list[str]]:
    """(coupons by record id, the chosen one, the fields that do not decode)."""
    coupons: dict[int, StoredCoupon] = {}
    broken: list[str] = []
    default_global = None
    for name, value in raw.items():
        if name == DEFAULT_GLOBAL_FIELD:
            default_global = parse_id(value)
            if default_global is None:
                broken.append(name)
            continue
        record_id = parse_id(name)
        try:
            if record_id is None:
                raise ValueError(name)
            coupons[record_id] = _decode_coupon(value)
        except _BROKEN:
            broken.append(name)
    return coupons, default_global, broken


def _discard_broken(user_id: int, members: list[str], global_fields: list[str]) -> None:
    """Remove the lines and global fields that did not decode, if they still do not when re-read
    under WATCH (utils.redis_store.repair). The version stays: nothing that would be paid
    changes (a broken entry was never part of the settlement). The permit and its kept answers
    go: they were made when the entry still decoded, and would let a PATCH choose it or show
    it."""
    index, global_key = keys.settlement_index(user_id), keys.global_coupon(user_id)
    hashes = [keys.settlement(user_id, member) for member in members]

    def build(pipe) -> None:
        with get_redis().pipeline(transaction=False) as read:
            for key in hashes:
                read.hgetall(key)
            read.hgetall(global_key)
            *raws, raw_global = read.execute()
        still_broken = [
            member
            for member, raw in zip(members, raws, strict=True)
            if _line_or_none(member, raw) is None
        ]
        fields = [name for name in _global_coupons(raw_global)[2] if name in global_fields]
        pipe.multi()
        if still_broken:
            pipe.delete(*(keys.settlement(user_id, member) for member in still_broken))
            pipe.srem(index, *still_broken)
        if fields:
            pipe.hdel(global_key, *fields)
        if still_broken or fields:
            _queue_drop_permit(pipe, user_id)

    repair([index, global_key, *hashes], build)


def queue_gone_check(pipe, user_id: int, check: GoneCheck) -> None:
    """Keep what the database said of the settlement's coupons for `check.version`: queued on a
    writer's MULTI that makes that version current, or on a plain pipeline by a reader."""
    pipe.set(keys.settlement_checked(user_id), check.encode(), ex=settings.COUPON_CHECK_SECONDS)


# KEYS[1] the kept check. ARGV: the value the reader saw ('' for none), the new value, its TTL.
_KEEP = """
local seen = redis.pcall('GET', KEYS[1])
if type(seen) ~= 'string' then seen = '' end  -- absent, or of another type: replaced
if seen ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""


def keep_gone_check(user_id: int, check: GoneCheck, seen: str | None) -> None:
    """A reader keeps `check` (with its answer) if the kept check is still the one it read
    (`seen`): a write since (a change, or an offer that keeps the version) is never overwritten
    by an older read. A failure is logged and never fails the read (the next read asks again)."""
    try:
        get_redis().eval(
            _KEEP,
            1,
            keys.settlement_checked(user_id),
            seen or "",
            check.encode(),
            settings.COUPON_CHECK_SECONDS,
        )
    except (RedisError, *UNAVAILABLE):
        logger.warning("coupon check of account %s not kept", user_id, exc_info=True)


def queue_clear(pipe, user_id: int, course_ids, checkout: str | None = None) -> str:
    """Remove these courses' lines (and the global coupons when `course_ids` is everything);
    `checkout`: the settlement's, when this changes it rather than ends it. Returns the new
    version."""
    version = _bump(pipe, user_id, checkout)
    course_ids = list(course_ids)
    if course_ids:
        pipe.delete(*(keys.settlement(user_id, course_id) for course_id in course_ids))
        pipe.srem(keys.settlement_index(user_id), *course_ids)
    return version


def queue_clear_all(pipe, user_id: int, course_ids, checkout: str | None = None) -> str:
    version = queue_clear(pipe, user_id, course_ids, checkout)
    pipe.delete(
        keys.settlement_index(user_id),
        keys.global_coupon(user_id),
        keys.settlement_checked(user_id),
        keys.settlement_permit(user_id),
        keys.settlement_answers(user_id),
    )
    return version


def queue_write(pipe, user_id: int, lines, global_coupons, default_global_coupon_id=None) -> str:
    """Write whole lines and the whole global coupon hash (replacing what was there). Returns the
    new version."""
    version = _bump(pipe, user_id)
    for line in lines:
        key = keys.settlement(user_id, line.course_id)
        pipe.delete(key)
        pipe.hset(key, mapping=_encode_line(line))
    if lines:
        pipe.sadd(keys.settlement_index(user_id), *(line.course_id for line in lines))
    global_key = keys.global_coupon(user_id)
    pipe.delete(global_key)
    mapping = {
        str(k): json.dumps(c.encode(), ensure_ascii=False) for k, c in global_coupons.items()
    }
    if default_global_coupon_id is not None:
        mapping[DEFAULT_GLOBAL_FIELD] = str(default_global_coupon_id)
    if mapping:
        pipe.hset(global_key, mapping=mapping)
    return version


def queue_choices(
    pipe,
    user_id: int,
    course_choices: dict[int, int | None],
    global_choice=...,
    checkout: str | None = None,
) -> str:
    """Set or clear chosen coupons: course id -> record id (None clears); the global choice
    likewise (omitted: unchanged). `checkout`: the settlement's (a change keeps it). Returns the
    new version."""
    version = _bump(pipe, user_id, checkout)
    for course_id, record_id in course_choices.items():
        key = keys.settlement(user_id, course_id)
        if record_id is None:
            pipe.hdel(key, "default_course_coupon_id")
        else:
            pipe.hset(key, "default_course_coupon_id", str(record_id))
    if global_choice is not ...:
        global_key = keys.global_coupon(user_id)
        if global_choice is None:
            pipe.hdel(global_key, DEFAULT_GLOBAL_FIELD)
        else:
            pipe.hset(global_key, DEFAULT_GLOBAL_FIELD, str(global_choice))
    return version


def queue_add_coupon(pipe, user_id: int, coupon: StoredCoupon, line: SettlementLine | None = None):
    """Offer one more coupon: to `line` (a course coupon) or, with no line, to the global
    coupons. Choices are left as they are.

    The version is kept: an offer changes nothing that would be paid, so a payment already
    running for this state neither conflicts with it nor sees it changed. The caller still
    WATCHes the version, so this write lands on the state it read; only POST rewrites the offers,
    and it reads the database afresh. The kept check (and answer) is replaced by a marker: the
    next read asks again, and a read that started before cannot keep its older answer."""
    pipe.set(keys.settlement_checked(user_id), f"offer {secrets.token_hex(16)}")
    _queue_drop_permit(pipe, user_id)
    if line is None:
        pipe.hset(
            keys.global_coupon(user_id),
            str(coupon.id),
            json.dumps(coupon.encode(), ensure_ascii=False),
        )
        return
    coupons = {**line.course_coupons, coupon.id: coupon}
    pipe.hset(
        keys.settlement(user_id, line.course_id),
        "course_coupons",
        json.dumps({str(k): c.encode() for k, c in coupons.items()}, ensure_ascii=False),
    )


# --- A PATCH decided in Redis: the settlement's permit --------------------------------------


@dataclass(frozen=True)
class Permit:
    """What a PATCH may choose on one settlement state, as pricing decided it
    (pay/settlement_services.py `choice_permit`): for each line, its price in cents with no coupon
    and with each coupon usable on it; for each global coupon usable on some amount, the least
    subtotal in cents it needs (`pricing.usable_from`). Made for the state's `version`, the
    coupon records' version its coupon check was made with, and one day. Choices do not change
    it (a choice changes neither prices, nor offers, nor what the database says of a coupon), so
    a choice written with it moves it to the new version."""

    version: str
    records_version: str | None
    day: date
    lines: dict[int, tuple[int, dict[int, int]]]  # course id -> (no coupon, record id -> cents)
    global_floors: dict[int, int]  # record id -> least subtotal in cents
    # a random token, new with each permit made (a choice moving the permit keeps it): the
    # answers kept for it (`keep_answer`) are named by it, so none is given on another permit
    content: str = field(default_factory=lambda: secrets.token_hex(16))

    def encode(self) -> dict[str, str]:
        fields = {
            "version": self.version,
            "records": self.records_version or "",
            "day": self.day.isoformat(),
            "content": self.content,
        }
        for course_id, (plain, options) in self.lines.items():
            prices = [f"-:{plain}", *(f"{rid}:{cents}" for rid, cents in options.items())]
            fields[f"line:{course_id}"] = " ".join(prices)
        for rid, floor in self.global_floors.items():
            fields[f"global:{rid}"] = str(floor)
        return fields


def _queue_drop_permit(pipe, user_id: int) -> None:
    """Delete the permit and the answers kept for it, one key a command (a Cluster pipeline
    outside MULTI refuses a DEL of several keys)."""
    pipe.delete(keys.settlement_permit(user_id))
    pipe.delete(keys.settlement_answers(user_id))


def queue_permit(pipe, user_id: int, permit: Permit) -> None:
    """Keep `permit` for `permit.version`: queued on the writer's MULTI that makes that version
    current. The answers kept for the permit it replaces go with it."""
    key = keys.settlement_permit(user_id)
    _queue_drop_permit(pipe, user_id)
    pipe.hset(key, mapping=permit.encode())
    pipe.expire(key, settings.COUPON_CHECK_SECONDS)


# KEYS: the token's key and its account's stamp key (TOKEN_CHECK_LUA), the permit, the answers
# kept for it, the settlement's index, then `_indexed_read`'s other keys (global coupons,
# version, coupon records' version, kept check, records' moving marker). ARGV: the account id,
# today, the course ('' for none), its coupon ('' to leave it, '-' to clear it), the global
# coupon (likewise), a new state token, the lines' key prefix, the answer's code, then the other
# keys' read commands.
# It writes the choice only when the permit was made for the current version, records' version
# and day (and no records' change is under way), the course's coupon is one the permit lists for
# it, and the global coupon chosen after the change is one it lists whose least subtotal the
# subtotal reaches (the lines' prices with their usable choices, in cents). The version moves to
# a new state of the same checkout, the permit and the kept check with it (the check without
# its answer, as `GoneCheck.moved_to`; dropped if it is not a check of the old version).
# Returns {1 if written else 0, the settlement as `_indexed_read` reads it after the writes (or
# false when an answer was kept for that state), the answer kept for it (`keep_answer`) or false,
# the permit's content or false}.
_CHOOSE = (
    READ_INDEXED_LUA
    + TOKEN_CHECK_LUA
    + """
local permit_key, answers_key, global_key, version_key = KEYS[3], KEYS[4], KEYS[6], KEYS[7]
local records_key, checked_key, moving_key = KEYS[8], KEYS[9], KEYS[10]
local today, course, coupon, wanted, state, prefix = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local code = ARGV[8]
local changes_course = course ~= '' and coupon ~= ''

local function settlement()
  return read_indexed(KEYS[5], prefix, 6, 9)
end

-- returns the current version, the stored choices after the change (`choice_key`) and the
-- permit's content, or nil when the permit does not allow the change
local function decide()
  if redis.call('EXISTS', moving_key) == 1 then return nil end
  local flat = redis.call('HGETALL', permit_key)
  local permit = {}
  for i = 1, #flat, 2 do permit[flat[i]] = flat[i + 1] end
  local version = redis.call('GET', version_key)
  if not version or permit['version'] ~= version or permit['day'] ~= today then return nil end
  if permit['records'] ~= (redis.call('GET', records_key) or '') then return nil end
  if changes_course and not permit['line:' .. course] then return nil end
  local subtotal, choices = 0, {}
  for field, prices in pairs(permit) do
    if string.sub(field, 1, 5) == 'line:' then
      local line = string.sub(field, 6)
      -- every key it may write is read first: one of another type fails it before any write
      local chosen = redis.call('HGET', prefix .. line, 'default_course_coupon_id') or '-'
      if chosen ~= '-' and not string.match(chosen, '^[1-9]%d*$') then return nil end
      if changes_course and line == course then chosen = coupon end
      local plain, cents
      for id, value in string.gmatch(prices, '(%S+):(%d+)') do
        if id == '-' then plain = tonumber(value) end
        if id == chosen then cents = tonumber(value) end
      end
      if not plain then return nil end
      if not cents then
        if changes_course and line == course then return nil end  -- not usable: the view says why
        cents = plain  -- a stored choice no longer usable is priced as none
      end
      subtotal = subtotal + cents
      choices[#choices + 1] = {tonumber(line), line .. '=' .. chosen}
    end
  end
  if redis.call('SCARD', KEYS[5]) ~= #choices then return nil end  -- the lines the permit knows
  local global = redis.call('HGET', global_key, 'default_coupon_id') or '-'
  if global ~= '-' and not string.match(global, '^[1-9]%d*$') then return nil end
  if wanted ~= '' then global = wanted end
  if global ~= '-' then
    local floor = permit['global:' .. global]
    if not floor or subtotal < tonumber(floor) then return nil end
  end
  table.sort(choices, function(a, b) return a[1] < b[1] end)
  local named = {}
  for i, choice in ipairs(choices) do named[i] = choice[2] end
  return version, table.concat(named, ',') .. '|' .. global, permit['content']
end

local old, choices, content = decide()
if not old then
  return {0, settlement(), false, false}
end
local dot = string.find(old, '.', 1, true)
local new = (dot and string.sub(old, 1, dot - 1) or old) .. '.' .. state
redis.call('SET', version_key, new)
if changes_course then
  if coupon == '-' then
    redis.call('HDEL', prefix .. course, 'default_course_coupon_id')
  else
    redis.call('HSET', prefix .. course, 'default_course_coupon_id', coupon)
  end
end
if wanted == '-' then
  redis.call('HDEL', global_key, 'default_coupon_id')
elseif wanted ~= '' then
  redis.call('HSET', global_key, 'default_coupon_id', wanted)
end
redis.call('HSET', permit_key, 'version', new)
local check = redis.pcall('GET', checked_key)
if type(check) == 'table' then
  redis.call('DEL', checked_key)  -- of another type: the next read asks the database
elseif check then
  local head = '{"version":"' .. old .. '",'
  if string.sub(check, 1, #head) == head then
    -- the rest up to its answer (the first `,"answer":` is the key: a quote inside a JSON
    -- string is escaped), or all of it when it has none
    local answer = string.find(check, ',"answer":', #head, true)
    local rest = answer and (string.sub(check, #head + 1, answer - 1) .. '}')
      or string.sub(check, #head + 1)
    redis.call('SET', checked_key, '{"version":"' .. new .. '",' .. rest, 'KEEPTTL')
  else
    redis.call('DEL', checked_key)
  end
end
if not content then  -- a permit made before answers were kept
  return {1, settlement(), false, false}
end
local kept = redis.pcall('HGET', answers_key, content .. ':' .. code .. ':' .. choices)
if type(kept) == 'string' then return {1, false, kept, content} end
return {1, settlement(), false, content}
"""
)


def _choice_word(value) -> str:
    """A choice as `_CHOOSE` takes it: '' to leave it (...), '-' to clear it (None), else the id."""
    if value is ...:
        return ""
    return "-" if value is None else str(value)


def choice_key(settlement: Settlement) -> str:
    """The settlement's stored choices as `_CHOOSE` names them: `<course>=<record>` for each line
    by course id ('-' for none), then `|` and the global coupon's (`1=12,3=-|17`). With the
    content of the permit they were stored under, they are all an answer depends on."""
    lines = sorted(settlement.lines, key=lambda line: line.course_id)
    named = ",".join(
        f"{line.course_id}={_choice_word(line.default_course_coupon_id)}" for line in lines
    )
    return f"{named}|{_choice_word(settlement.default_global_coupon_id)}"


def queue_choose_with_token(
    pipe,
    user_id: int,
    token: str,
    *,
    course_id,
    coupon_id=...,
    global_coupon_id=...,
    today: date,
    code: str,
) -> None:
    """Queue, on the token's round trip (utils/authentication.py `reads_with_token`), the script
    that checks the token, decides the choice on the settlement's permit and writes it when the
    permit allows it, then gives the answer kept for the state it leaves (rendered by `code`,
    `keep_answer`) or reads the settlement after it; `choose_reply` takes its reply.
    `coupon_id`/`global_coupon_id`: ... leaves the choice, None clears it."""
    read = _indexed_read(user_id)  # its other keys are KEYS[6..10] of the script, in this order
    names = (
        *token_check_keys(token, user_id),
        keys.settlement_permit(user_id),
        keys.settlement_answers(user_id),
        read.index,
        *(key for _, key in read.more),
    )
    course = "" if course_id is None or coupon_id is ... else str(course_id)
    args = (
        user_id,
        today.isoformat(),
        course,
        _choice_word(coupon_id) if course else "",
        _choice_word(global_coupon_id),
        secrets.token_hex(16),
        read.hash_prefix,
        code,
        *(command for command, _ in read.more),
    )
    # the command itself: a cluster pipeline has no eval() method, but routes EVAL by its keys
    pipe.execute_command("EVAL", _CHOOSE, len(names), *names, *args)


@dataclass(frozen=True)
class Chosen:
    """What the choose script did (`choose_reply`): whether it wrote the choice; the settlement's
    read reply after it (for `settlement_from_reply`), unless it gave the `answer` kept for the
    state it left (JSON); the `content` of the permit it decided on (`keep_answer`)."""

    written: bool = False
    read: object = None
    answer: str | None = None
    content: str | None = None


def choose_reply(reply) -> Chosen:
    """`queue_choose_with_token`'s reply; nothing read or written when the script decided
    nothing (the token not good there, or an error: a key of another type)."""
    if not isinstance(reply, list) or len(reply) != 4:
        return Chosen()
    written, read, answer, content = reply
    return Chosen(written == 1, read, answer, content)


# KEYS: the permit, the answers kept for it. ARGV: the permit's content the answer was rendered
# on, its field (`<content>:<code>:<choices>`), the answer, how many may be kept.
_KEEP_ANSWER = """
if redis.call('HGET', KEYS[1], 'content') ~= ARGV[1] then return 0 end
local ends = redis.call('PEXPIRETIME', KEYS[1])
if ends <= 0 then return 0 end  -- a permit always expires: the answers at the same moment
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[4]) and redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('PEXPIREAT', KEYS[2], ends)
return 1
"""

# answers kept for one permit (the states a user goes back to while comparing coupons), each of
# at most ANSWER_KEPT_BYTES of JSON (a settlement of a few courses takes a few KB): at most
# 8 x 32 KB per user with a settlement open, for COUPON_CHECK_SECONDS
ANSWERS_KEPT = 8
ANSWER_KEPT_BYTES = 32 * 1024


def keep_answer(user_id: int, content: str, code: str, settlement: Settlement, answer) -> None:
    """Keep `answer` (the `data` of PATCH /api/settlement/, rendered by `code`) for the stored
    choices of `settlement` (read after the choose script wrote them on the permit named
    `content`), while that permit is still the one: the script gives it again when a choice
    leaves these very choices stored (`queue_choose_with_token`). At most ANSWERS_KEPT are kept
    for one permit, each of at most ANSWER_KEPT_BYTES (a larger one is not kept); they expire
    with it. A failure is logged and never fails the PATCH."""
    raw = orjson.dumps(answer)
    if len(raw) > ANSWER_KEPT_BYTES:
        return
    field_name = f"{content}:{code}:{choice_key(settlement)}"
    try:
        get_redis().eval(
            _KEEP_ANSWER,
            2,
            keys.settlement_permit(user_id),
            keys.settlement_answers(user_id),
            content,
            field_name,
            raw,
            ANSWERS_KEPT,
        )
    except (RedisError, *UNAVAILABLE):
        logger.warning("answer of account %s not kept", user_id, exc_info=True)


def kept_answer_of(raw: str) -> dict | None:
    """An answer `keep_answer` kept, decoded; None when it does not decode (then it is priced)."""
    try:
        answer = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return answer if isinstance(answer, dict) else None
