"""The claim-rush gate in Redis: what a limited coupon rule has left, answered without the database.

One hash per rule, `coupon_stock_<rule id>` (the name is built by `utils.keys.coupon_stock`):

| field | value |
|---|---|
| `remaining` | coupons still claimable (an integer), or `-1` for a rule without `total_quantity` |
| `limit` | the rule's `per_account_limit` |
| `a<account id>` | records of the rule the account holds (or has reserved) |

A claim first reserves here with one Lua script: it answers "sold out" or "limit reached" with a
single read (no write, no database), or takes one from `remaining` and one for the account. The
database stays the truth: the claim's transaction then takes the coupon with a conditional UPDATE
(pay.coupon_records), and a claim that fails there gives its reservation back (`release`).

The hash is a cache of the database. It is rebuilt from the database when missing (`_rebuild`),
forgotten when staff change the rule or hand out coupons (`forget`), and expires after
`STOCK_TTL` seconds so that a reservation lost with a killed worker heals by itself. A rebuild
never shows fewer coupons than the database has left (reservations in flight are not counted
as taken), so an error here can only send more claims to the database, never refuse one that
the database would have accepted — except for a lost reservation, until the hash expires.

It is one key per rule (not per user): under Redis Cluster it needs no hash tag.
"""

import hashlib
from dataclasses import dataclass

from django.db.models import Count
from redis.exceptions import NoScriptError

from utils import keys
from utils.errors import AppError, Codes
from utils.redis import get_redis

STOCK_TTL = 300  # seconds

RESERVED, SOLD_OUT, LIMIT, UNLIMITED, MISSING = 1, 0, -1, -2, -3


def _account_field(account_id: int) -> str:
    return f"a{account_id}"


# KEYS[1] the rule's hash; ARGV[1] the account's field. Reads only, unless it reserves.
_RESERVE = """
local v = redis.call('HMGET', KEYS[1], 'remaining', 'limit', ARGV[1])
if not v[1] then return -3 end
local remaining = tonumber(v[1])
if remaining < 0 then return -2 end
if tonumber(v[3] or '0') >= tonumber(v[2]) then return -1 end
if remaining <= 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'remaining', -1)
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
"""

# ARGV[1] the account's field; ARGV[2] '1' when the database said sold out (remaining becomes 0).
_RELEASE = """
local v = redis.call('HMGET', KEYS[1], 'remaining', ARGV[1])
if not v[1] then return 0 end
if tonumber(v[2] or '0') > 0 then redis.call('HINCRBY', KEYS[1], ARGV[1], -1) end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'remaining', 0)
elseif tonumber(v[1]) >= 0 then
  redis.call('HINCRBY', KEYS[1], 'remaining', 1)
end
return 1
"""

# ARGV: remaining, limit, ttl, then field/value pairs (accounts' counts). Writes only if missing.
_BUILD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'remaining', ARGV[1], 'limit', ARGV[2])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""

# ARGV[1] the account's field: one more record held (a redeemed code), if the hash exists.
_NOTE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
"""


def _run(script: str, rule_id: int, *args) -> int:
    """EVALSHA, and EVAL when Redis does not know the script yet (after a restart)."""
    client = get_redis()
    sha = _SHAS.get(script) or _SHAS.setdefault(script, hashlib.sha1(script.encode()).hexdigest())
    try:
        return int(client.evalsha(sha, 1, keys.coupon_stock(rule_id), *args))
    except NoScriptError:
        return int(client.eval(script, 1, keys.coupon_stock(rule_id), *args))


_SHAS: dict[str, str] = {}


@dataclass
class Reservation:
    """What `reserve` took; `release` gives it back if the database refused the claim."""

    rule_id: int
    account_id: int
    held: bool  # False: nothing was taken here (an unlimited rule, or no gate)

    def release(self, *, sold_out: bool = False) -> None:
        if self.held:
            self.held = False
            _run(_RELEASE, self.rule_id, _account_field(self.account_id), "1" if sold_out else "0")


def reserve(*, rule_id: int, account_id: int) -> Reservation:
    """Take one of the rule's coupons for the account, or refuse at once.

    :raises AppError: 1033 when none is left, 1032 when the account holds its limit, 1030 when
        there is no such rule. None of these writes anything.
    """
    field = _account_field(account_id)
    for _ in range(2):
        answer = _run(_RESERVE, rule_id, field)
        if answer == RESERVED:
            return Reservation(rule_id, account_id, held=True)
        if answer == SOLD_OUT:
            raise AppError(Codes.COUPON_SOLD_OUT)
        if answer == LIMIT:
            raise AppError(Codes.COUPON_LIMIT)
        if answer == UNLIMITED:
            break
        if not _rebuild(rule_id):
            raise AppError(Codes.COUPON_NOT_FOUND)
    return Reservation(rule_id, account_id, held=False)  # the database decides alone


def peek(pipe, *, rule_id: int, account_id: int) -> None:
    """Queue on `pipe` the read that `refuse_from_peek` answers from (one HMGET, no write): the
    claim view sends it in the token's round trip (utils/authentication.py), so that a sold-out
    answer costs that one round trip."""
    pipe.hmget(keys.coupon_stock(rule_id), "remaining", "limit", _account_field(account_id))


def refuse_from_peek(values) -> None:
    """What `_RESERVE` would refuse, read from `peek`'s reply: 1032 when the account holds its
    limit, 1033 when none is left (in that order, as the script). Returns when the rule may still
    be claimed, is unlimited or has no hash: then `reserve` decides as usual.

    :raises AppError: 1032, 1033.
    """
    remaining, limit, held = (list(values) + [None] * 3)[:3]
    if remaining is None or limit is None or int(remaining) < 0:
        return
    if int(held or 0) >= int(limit):
        raise AppError(Codes.COUPON_LIMIT)
    if int(remaining) <= 0:
        raise AppError(Codes.COUPON_SOLD_OUT)


def forget(rule_id: int) -> None:
    """Drop the rule's hash; the next claim rebuilds it from the database."""
    get_redis().delete(keys.coupon_stock(rule_id))


def note_record(*, rule_id: int, account_id: int) -> None:
    """An account got a record outside a claim (a redeemed code): count it for its limit."""
    _run(_NOTE, rule_id, _account_field(account_id))


def _rebuild(rule_id: int) -> bool:
    """Write the hash from the database unless another process did; False if no such rule."""
    from pay.models import Coupon, CouponRecord

    rule = Coupon.objects.filter(pk=rule_id).first()
    if rule is None:
        return False
    args: list = [-1 if rule.remaining is None else rule.remaining, rule.per_account_limit]
    args.append(STOCK_TTL)
    if rule.total_quantity is not None:
        held = (
            CouponRecord.objects.filter(coupon_id=rule_id)
            .order_by()
            .values_list("account_id")
            .annotate(n=Count("id"))
        )
        for account_id, count in held:
            args += [_account_field(account_id), count]
    _run(_BUILD, rule_id, *args)
    return True
