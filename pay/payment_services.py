"""Payment: a settlement becomes an order, with coupons and 贝里, in one locked transaction.

The server recomputes everything from the settlement (Redis) and the database; the client's
`price` is only compared. Row locks (`select_for_update`) on the account (once) and the chosen
coupon records, never their rules' rows, make racing payments of one account serialize while other
accounts' payments with the same rule go on; the order records the checkout it paid (the
settlement's, whatever PATCH or DELETE changed in it), unique per account, so one checkout is
paid at most once however many requests race.
"""

import hashlib
import json
import logging
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from course.models import Account, Course, PricePolicy
from course.selectors import on_sale_among, policies_with_course_status
from pay import gateways, idempotency_store, receipts, records_version, settlement_store
from pay.ledger import beili_change
from pay.models import CouponRecord, IdempotencyKey, Order, OrderDetail, TransactionRecord
from pay.pricing import BeiliSplit, split_payment
from pay.selectors import held_coupon, records_gone_among, records_with_rules
from pay.serializers import payment_result
from pay.serials import new_serial
from pay.settlement_services import PricedSettlement, settlement_price
from pay.settlement_store import Settlement, StoredCoupon
from utils import sql
from utils.authentication import account_inactive
from utils.errors import AppError, Codes
from utils.money import money_text
from utils.redis import UNAVAILABLE, ConcurrentUpdate, transact, transact_from

IDEMPOTENCY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255  # pay.models.IdempotencyKey.key
logger = logging.getLogger("settlement")


MOBILE_AGENT = re.compile(r"Mobile|Android|iPhone|iPad|iPod|HarmonyOS|MicroMessenger", re.I)


@dataclass(frozen=True)
class PaymentRequest:
    beili: int  # 贝里 to spend
    price: Decimal  # what the client expects to pay with money after 贝里
    gateway: str = gateways.DEFAULT  # who takes the money left after 贝里
    channel: str = gateways.DESKTOP  # desktop: a code to scan; mobile: the gateway's phone page


@dataclass
class KeyClaim:
    """A payment request's Idempotency-Key, leased to it (pay/idempotency_store.py)."""

    key: str
    digest: str  # the body's fingerprint
    released: bool = False  # the lease was released with the settlement's clearing


def channel_of(user_agent: str) -> str:
    """A phone's browser pays on the gateway's mobile page (WeChat H5), any other shows a code."""
    return gateways.MOBILE if MOBILE_AGENT.search(user_agent or "") else gateways.DESKTOP


def payment_create(
    *,
    account: Account,
    beili: int,
    price: Decimal,
    gateway: str = gateways.DEFAULT,
    channel: str | None = None,
    user_agent: str = "",
    client_ip: str | None = None,
    settlement: Settlement | None = None,
    claim: KeyClaim | None = None,
) -> dict:
    """Pay the account's settlement (POST /api/payment/); returns the answer's data.

    `beili`, `price` and `channel` come parsed and bounded (pay.serializers.PaymentSerializer);
    `gateway` is a name, 1047 unless it is "alipay" or "wechat"; without `channel`, the
    User-Agent says whether the buyer is on a phone. `settlement`: as read with the token
    (`payment_submit`), else it is read here. What decides is in the database under the account's lock (an order
    of this checkout, prices, coupons, the Idempotency-Key's answer), not when the settlement was
    read. `claim`: the request's Idempotency-Key, leased by `idempotent`: its answer is kept in
    the payment's own transaction, and a repeat gets it."""
    if gateway not in gateways.NAMES:
        raise AppError(
            Codes.PAYMENT_NO_GATEWAY, f"不支持的支付方式 / unknown gateway {gateway[:32]!r}"
        )
    request = PaymentRequest(
        beili=beili, price=price, gateway=gateway, channel=channel or channel_of(user_agent)
    )
    if settlement is None:
        settlement = settlement_store.settlement_read(account.pk)
    if not settlement.lines:
        # a repeat of a payment whose settlement is cleared gets its first answer
        if claim is not None and (answer := _kept_answer(account.pk, claim)) is not None:
            return answer
        raise AppError(Codes.PAYMENT_EMPTY)
    try:
        with transaction.atomic():
            order, answer = _pay(
                account=account, settlement=settlement, request=request, claim=claim
            )
            if answer is None:  # money is left to pay
                # Asked of the gateway before the commit: if it refuses (1048), nothing was
                # written. WeChat's answer comes back within WECHAT_TIMEOUT; only this account's
                # row waits.
                action = _start_payment(order, request=request, client_ip=client_ip)
                answer = payment_result(order, action)
                if claim is not None:  # committed with the order, or not at all
                    sql.execute(*_keeping_answer(account.pk, claim, answer))
    except _Answered as kept:  # this key was answered already (nothing was written)
        return kept.answer
    except (IntegrityError, _AlreadyPaid) as exc:
        # This very checkout was paid (by a racing request, or earlier by one whose clearing
        # failed or found it changed meanwhile): clear it now, and point at its order, so the
        # next read is empty instead of a stale settlement that can never be paid.
        _clear_settlement(account.pk, settlement.checkout)
        paid = Order.objects.filter(account=account, settlement_token=settlement.checkout).first()
        raise AppError(
            Codes.PAYMENT_EMPTY,
            "该结算已支付,已清空 / this settlement was paid; it is cleared now",
            data={"order_number": paid.order_number if paid else None},
        ) from exc
    _clear_settlement(account.pk, settlement.checkout, paid=True, read=settlement, claim=claim)
    return answer


def payment_submit(
    *, account: Account, key: str | None, body, read=None, leased=None, **payment
) -> dict:
    """POST /api/payment/: the settlement (its reply `read` with the token, pay.settlement_services
    .queue_settlement_read; read here without one) paid once per Idempotency-Key (`idempotent`;
    `leased`: the reply of `queue_lease_with_token` when the token's round trip carried it);
    `payment`: `payment_create`'s other arguments. An empty settlement with a key is most likely
    a repeat of a payment that cleared it: its answer is looked for first, without a lease."""
    settlement = (
        settlement_store.settlement_read(account.pk)
        if read is None
        else settlement_store.settlement_from_reply(account.pk, read)
    )
    return idempotent(
        account=account,
        key=key,
        body=body,
        repeat_likely=not settlement.lines,
        leased=idempotency_store.lease_with_token(leased),
        run=lambda claim: payment_create(
            account=account, settlement=settlement, claim=claim, **payment
        ),
    )


class _AlreadyPaid(Exception):
    """An order already holds this checkout."""


class _Answered(Exception):
    """The request's Idempotency-Key has its answer already (raised to roll back)."""

    def __init__(self, answer: dict):
        super().__init__()
        self.answer = answer


def _pay(
    *,
    account: Account,
    settlement: Settlement,
    request: PaymentRequest,
    claim: KeyClaim | None = None,
) -> tuple[Order, dict | None]:
    """The payment's steps, in the caller's transaction: at most 4 SQL statements on PostgreSQL
    whatever the number of courses, the order's writes being one (9 elsewhere; one more to read
    an earlier row of `claim`'s key, past its day; the caller's BEGIN and COMMIT add two;
    tests/pay/test_payment_sql.py). Returns the order and, when nothing is left for a gateway,
    the answer (kept for `claim`'s key with the order's writes).

    :raises _Answered: the Idempotency-Key of `claim` was answered (by a request that held the
        lock before this one).
    :raises _AlreadyPaid: this checkout has an order.
    :raises AppError: 1042, 1040, 1043, 1041 (see each step).
    """
    locked = _lock_account(account)
    rows, already_paid, key_used = _read_policies_and_paid(settlement, account=locked, claim=claim)
    if claim is not None and key_used and (answer := _kept_answer(locked.pk, claim)) is not None:
        raise _Answered(answer)
    _check_payable(locked, already_paid=already_paid, request=request)
    policies = _policies_on_sale(settlement, rows=rows)
    records = _lock_chosen_coupons(account=locked, settlement=settlement)
    today, now = timezone.localdate(), timezone.now()
    priced, gone = _price(settlement, policies=policies, records=records, today=today)
    split = _split(priced, request=request, gone=gone)
    order = _new_order(
        locked, settlement=settlement, priced=priced, split=split, request=request, now=now
    )
    writes = sql.Writes(order)  # one statement on PostgreSQL: the order and what it takes
    _add_order_lines(writes, settlement=settlement, priced=priced, policies=policies)
    _use_coupons(writes, priced=priced, now=now)
    _spend_beili(writes, locked, split=split)
    if order.status != Order.STATUS_PAID:
        writes.run()
        return order, None
    answer = payment_result(order, None)
    if claim is not None:
        writes.execute(*_keeping_answer(locked.pk, claim, answer))
    writes.run()
    receipts.receipt_on_commit(order.pk, receipts.PAID, email=locked.email)
    return order, answer


def _lock_account(account: Account) -> Account:
    """The account row, locked for this transaction: racing payments of one account wait here,
    and its balance is current. One statement; the account as `.only("id", "balance", "email")`
    reads it (its other fields are read if asked for; the email says whether a receipt goes out).

    :raises AuthenticationFailed: 1001 when the account is gone or deactivated meanwhile (as
        the token's account read later in a request, utils/authentication.py)."""
    rows = _BALANCE_READ.rows(
        f"SELECT balance, email FROM course_account WHERE id = %s AND is_active{sql.for_update()}",
        [account.pk],
    )
    if not rows:
        raise account_inactive()
    balance, email = rows[0]
    return sql.deferred_instance(Account, {"id": account.pk, "balance": balance, "email": email})


_BALANCE_READ = sql.Read([None, None])


def _read_policies_and_paid(
    settlement: Settlement, *, account: Account, claim: KeyClaim | None = None
) -> tuple[dict[int, PricePolicy], bool, bool]:
    """The settled courses' policies with their course's status, whether this checkout already
    has an order, and whether the Idempotency-Key of `claim` has a row: one statement. It comes
    after the lock on purpose: in READ COMMITTED each statement reads what was committed when it
    starts, so it sees the order and the key's answer of a racing payment that held the lock (a
    subquery in the locking SELECT would not: that one reads as of before its wait)."""
    token = "settlement_token IS NULL" if settlement.checkout is None else "settlement_token = %s"
    also = {
        "paid": (
            f"EXISTS (SELECT 1 FROM pay_order WHERE account_id = %s AND {token})",
            [account.pk, *([] if settlement.checkout is None else [settlement.checkout])],
        )
    }
    if claim is not None:
        also["key_used"] = (
            'EXISTS (SELECT 1 FROM pay_idempotency_key WHERE account_id = %s AND "key" = %s)',
            [account.pk, claim.key],
        )
    rows = policies_with_course_status(
        [line.price_policy_id for line in settlement.lines], also=also
    )
    if rows:
        first = next(iter(rows.values()))
        return rows, first.paid, getattr(first, "key_used", False)  # type: ignore[attr-defined]
    # no policy left at all (then 1040): asked apart
    paid = Order.objects.filter(account_id=account.pk, settlement_token=settlement.checkout)
    key_used = claim is not None and (
        IdempotencyKey.objects.filter(account_id=account.pk, key=claim.key).exists()
    )
    return rows, paid.exists(), key_used


def _check_payable(account: Account, *, already_paid: bool, request: PaymentRequest) -> None:
    """:raises _AlreadyPaid: an order holds this checkout (the unique
        order_one_per_settlement_state constraint backs this up).
    :raises AppError: 1042 when the account holds fewer 贝里 than offered."""
    if already_paid:
        raise _AlreadyPaid
    if request.beili > account.balance:
        raise AppError(Codes.PAYMENT_NOT_ENOUGH_BEILI, data={"balance": account.balance})


def _policies_on_sale(
    settlement: Settlement, *, rows: dict[int, PricePolicy]
) -> dict[int, PricePolicy]:
    """Each settled course's policy as the database has it now.

    :raises AppError: 1040 when a course is no longer on sale with its policy.
    """
    choices = {line.course_id: line.price_policy_id for line in settlement.lines}
    policies = on_sale_among(choices, rows)
    for line in settlement.lines:
        if policies.get(line.course_id) is None:
            raise AppError(Codes.SETTLEMENT_OFF_SALE, f"课程 {line.course_id} 已下线 / off sale")
    return {course_id: policy for course_id, policy in policies.items() if policy is not None}


def _lock_chosen_coupons(*, account: Account, settlement: Settlement) -> dict[int, CouponRecord]:
    """The coupon records the settlement names as chosen, locked, with their rules: one
    statement (of=self: the records are the payment's; their rule's row is shared by every
    holder, and other accounts' payments with it go on)."""
    chosen = _stored_choices(settlement)
    if not chosen:
        return {}
    where = [f"r.id IN ({sql.placeholders(len(chosen))})", "r.account_id = %s"]
    records = records_with_rules(where, [*chosen, account.pk], lock=True)
    return {record.pk: record for record in records}


def _price(
    settlement: Settlement,
    *,
    policies: dict[int, PricePolicy],
    records: dict[int, CouponRecord],
    today: date,
) -> tuple[PricedSettlement, dict[int, str]]:
    """The settlement priced as GET and PATCH price it (`settlement_price`), twice: first as
    the buyer saw it (a chosen coupon the database says is used or expired is priced as not
    chosen, as reading the settlement shows it), then with the database's prices and coupon
    terms for those same choices. Returns the second, and the coupons gone.

    :raises AppError: 1043 when a coupon chosen and usable as seen cannot be used with what
        the database says now (its terms or the course's price changed).
    """
    gone = records_gone_among(records, _stored_choices(settlement), today)
    seen = settlement_price(settlement, today=today, gone=gone)
    in_database = _as_in_database(settlement, policies=policies, records=records, today=today)
    if in_database == settlement:  # nothing changed since it was settled: the same price
        return seen, gone
    current = settlement_price(
        in_database,
        today=today,
        course_choices=seen.course_choices,
        global_choice=seen.global_choice,
        gone=gone,
    )
    if (current.course_choices, current.global_choice) != (
        seen.course_choices,
        seen.global_choice,
    ):
        raise AppError(Codes.PAYMENT_COUPON_GONE)
    return current, gone


def _as_in_database(
    settlement: Settlement,
    *,
    policies: dict[int, PricePolicy],
    records: dict[int, CouponRecord],
    today: date,
) -> Settlement:
    """The settlement with each course's policy price and each locked coupon's terms as the
    database has them now (staff may have changed either since it was settled)."""

    def fresh(coupons: dict[int, StoredCoupon]) -> dict[int, StoredCoupon]:
        return {
            rid: StoredCoupon.from_held(held_coupon(records[rid], today)) if rid in records else c
            for rid, c in coupons.items()
        }

    lines = [
        replace(
            line,
            price=policies[line.course_id].price,
            course_coupons=fresh(line.course_coupons),
        )
        for line in settlement.lines
    ]
    return replace(settlement, lines=lines, global_coupons=fresh(settlement.global_coupons))


def _split(
    priced: PricedSettlement, *, request: PaymentRequest, gone: dict[int, str]
) -> BeiliSplit:
    """What 贝里 pay and what money is left, which must be the price the client expects.

    :raises AppError: 1043 when it is not and a coupon the settlement still names as chosen was
        used or expired in the database (the client priced with it; reading the settlement shows
        it dropped, and paying that price goes through: no 1043 loop); 1041 otherwise.
    """
    split = split_payment(priced.quote.payable, request.beili, settings.BEILI_PER_YUAN)
    if split.money != request.price:
        error = Codes.PAYMENT_COUPON_GONE if gone else Codes.PAYMENT_PRICE_MISMATCH
        raise AppError(error, data={"price": money_text(split.money)})
    return split


def _chosen_ids(priced: PricedSettlement) -> list[int]:
    chosen = [rid for rid in priced.course_choices.values() if rid is not None]
    return [*chosen, *([priced.global_choice] if priced.global_choice else [])]


def _new_order(
    account: Account,
    *,
    settlement: Settlement,
    priced: PricedSettlement,
    split: BeiliSplit,
    request: PaymentRequest,
    now: datetime,
) -> Order:
    """The order, paid when nothing is left for a gateway; written by `Writes.run`, which
    raises IntegrityError when this checkout was paid by a racing request meanwhile.

    :raises AppError: 1047 when money is left and the gateway is not available.
    """
    paid = split.money == 0
    return Order(
        payment_type=_payment_type(split, request=request, coupons_used=bool(_chosen_ids(priced))),
        order_number=new_serial("O"),
        account=account,
        actual_amount=split.money,
        beili_used=split.beili,
        status=Order.STATUS_PAID if paid else Order.STATUS_UNPAID,
        pay_time=now if paid else None,
        date=now,  # the answer is rendered before the write (whose auto_now_add sets it again)
        settlement_token=settlement.checkout,
        global_coupon_id=priced.global_choice,
    )


def _add_order_lines(
    writes: sql.Writes[Order],
    *,
    settlement: Settlement,
    priced: PricedSettlement,
    policies: dict[int, PricePolicy],
) -> None:
    """One line a course, with its coupon and its part of the global discount: one INSERT."""
    course_type = ContentType.objects.get_for_model(Course)  # cached after the first call
    titles = {line.course_id: line.title for line in settlement.lines}
    writes.insert(
        OrderDetail(
            order=writes.first,
            content_type=course_type,
            object_id=line_quote.course_id,
            original_price=line_quote.price,
            price=line_quote.payable,
            valid_period_display=policies[line_quote.course_id].get_valid_period_display(),
            valid_period=policies[line_quote.course_id].valid_period,
            memo=titles[line_quote.course_id][:255],
            course_coupon_id=priced.course_choices.get(line_quote.course_id),
            course_discount=line_quote.price - line_quote.discounted_price,
            global_discount=line_quote.global_share,
        )
        for line_quote in priced.quote.lines
    )


def _use_coupons(writes: sql.Writes[Order], *, priced: PricedSettlement, now: datetime) -> None:
    """The chosen coupon records (locked by `_lock_chosen_coupons`) used by the order: one
    UPDATE, none when no coupon is chosen."""
    if chosen := _chosen_ids(priced):
        writes.execute(
            "UPDATE pay_coupon_record SET status = %s, used_time = %s, order_id = %s"
            f" WHERE id IN ({sql.placeholders(len(chosen))})",
            [
                CouponRecord.STATUS_USED,
                sql.prepared(CouponRecord, "used_time", now),
                sql.NEW_ID,
                *chosen,
            ],
            rows=[("pay_coupon_record", rid) for rid in chosen],
        )


def _spend_beili(writes: sql.Writes[Order], account: Account, *, split: BeiliSplit) -> None:
    """The 贝里 spent, with their ledger row: two writes, none without 贝里. The account is
    locked by `_lock_account`, so no second lock and no savepoint."""
    if split.beili:
        order = writes.first
        beili_change(
            account=account,
            amount=split.beili,
            transaction_type=TransactionRecord.TYPE_SPEND,
            memo=f"订单 {order.order_number}",
            order=order,
            account_locked=True,
            writes=writes,
        )


def _payment_type(split, *, request: PaymentRequest, coupons_used: bool) -> int:
    """How the order is paid: through the gateway when money is left (1047, before anything is
    written, when that gateway is not available), else 贝里 when 贝里 were spent (with or without
    coupons), else 优惠码 when coupons alone covered it (a free course with neither: 贝里)."""
    if split.money > 0:
        return gateways.get(request.gateway).payment_type
    if split.beili == 0 and coupons_used:
        return Order.PAY_COUPON
    return Order.PAY_BEILI


def _start_payment(
    order: Order, *, request: PaymentRequest, client_ip: str | None
) -> gateways.PayAction | None:
    if order.status != Order.STATUS_UNPAID:
        return None
    action = gateways.get(request.gateway).pay(order, channel=request.channel, client_ip=client_ip)
    if action.keep_code and action.code_url != order.code_url:
        order.code_url = action.code_url
        order.save(update_fields=["code_url"])
    return action


def _stored_choices(settlement: Settlement) -> set[int]:
    chosen = {line.default_course_coupon_id for line in settlement.lines}
    return {rid for rid in (*chosen, settlement.default_global_coupon_id) if rid is not None}


def _clear_settlement(
    account_id: int,
    checkout: str | None,
    *,
    paid: bool = False,
    read: Settlement | None = None,
    claim: KeyClaim | None = None,
) -> None:
    """Clear the paid checkout, whatever was changed in it meanwhile (a PATCH or DELETE while
    the payment ran: its courses are paid); a new settlement made meanwhile stays. `paid`: this
    request's payment just committed, using coupons perhaps: the account's coupon-records version
    moves on in the same step (pay/records_version.py), so a settlement left behind shows them
    used at its next read. `read`: the settlement as the payment read it: while its version
    holds, the clearing is one script (utils.redis.transact_from), else a transaction from a
    fresh read. `claim`: the request's Idempotency-Key, whose lease goes with it."""
    prefetched = [read] if read is not None else []

    def build(pipe):
        current = prefetched.pop() if prefetched else settlement_store.settlement_read(account_id)
        pipe.multi()
        if paid:
            records_version.queue_changed(pipe, account_id)
        if current.checkout == checkout:
            settlement_store.queue_clear_all(pipe, account_id, current.course_ids)
        if claim is not None:
            idempotency_store.queue_release(pipe, account_id, claim.key)

    watch = settlement_store.watch_keys(account_id)
    try:
        if read is None:
            transact(watch, build)
        else:
            guards = {settlement_store.guard_key(account_id): read.version}
            transact_from(guards, build, watch_keys=watch)
        if claim is not None:
            claim.released = True
    except ConcurrentUpdate:
        # the user is changing the settlement; the paid state can no longer be paid again
        if paid:  # the coupon records' version still moves on, on its own
            records_version.records_changed([account_id])
    except UNAVAILABLE:
        # The order is committed and is the answer; the stale settlement cannot be paid twice
        # (its version is taken) and the user may settle again once Redis is back.
        logger.warning("could not clear the paid settlement of account %s", account_id)


# --- Idempotency-Key ----------------------------------------------------------------------


def fingerprint(body) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # a JSON body may carry a lone surrogate ("\ud800"): hashed as is, never a 500 (valid text
    # encodes as before, so kept fingerprints still match)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def idempotent(
    *,
    account: Account,
    key: str | None,
    body,
    run,
    repeat_likely: bool = False,
    leased: bool | None = None,
):
    """Run `run(claim)` once per (account, key) (`claim` None without a key): a repeat with the
    same body gets the first answer, another body is 1044, a repeat while the first still runs is
    1046, and a repeat after a request that died runs again. Business refusals are not kept, so a
    corrected retry with the same key runs again. Answers are kept 24 hours;
    `idempotency_keys_clear` (the `clear_idempotency_keys` command) deletes older keys.

    How: a lease in Redis says "running" (IDEMPOTENCY_LEASE_SECONDS, released after the
    request); the answer is a row written in the payment's own transaction, so it is committed
    with the order or not at all, and the payment reads it under the account's lock
    (`payment_create`): a repeat that got past a lost lease still finds the first's answer.
    `leased`: whether the lease was taken in the token's round trip (True), held by another
    request there (False), or not decided there (None: taken here). `repeat_likely`: look for
    the key's answer before taking the lease (no lease round trips for a repeat)."""
    if not key:
        return run(None)
    if len(key) > MAX_KEY_LENGTH:
        raise AppError(Codes.MALFORMED, "Idempotency-Key 过长 / too long")
    claim = KeyClaim(key=key, digest=fingerprint(body))
    if leased is None:
        if repeat_likely and (answer := _kept_answer(account.pk, claim)) is not None:
            return answer
        leased = idempotency_store.lease_take(account.pk, key, claim.digest)
    if not leased:
        answer = _kept_answer(account.pk, claim)
        if answer is not None:
            return answer
        if idempotency_store.lease_digest(account.pk, key) not in (None, claim.digest):
            raise AppError(Codes.PAYMENT_IDEMPOTENCY_MISMATCH)  # another body is running
        raise AppError(Codes.PAYMENT_IN_PROGRESS)
    try:
        return run(claim)
    finally:
        if not claim.released:
            idempotency_store.lease_release(account.pk, key)


def queue_lease_with_token(pipe, account_id: int, *, token: str, key: str, body) -> None:
    """A keyed payment's lease, queued on the token's round trip
    (`idempotency_store.queue_lease_with_token`: taken there only for a good token and a
    settlement with something to pay); `idempotent(leased=...)` reads what it did. A key too long
    is left to `idempotent` (1002)."""
    if key and len(key) <= MAX_KEY_LENGTH:
        idempotency_store.queue_lease_with_token(pipe, account_id, token, key, fingerprint(body))


def _kept_answer(account_id: int, claim: KeyClaim) -> dict | None:
    """The key's first answer, or None when it has none to repeat (no row, a row past
    IDEMPOTENCY_TTL, or a row left running by a request that died).

    :raises AppError: 1044 for another body; 1046 for a row the previous version of this service
        leased to a request that may still run (`lease_until` ahead)."""
    row = (
        IdempotencyKey.objects.filter(account_id=account_id, key=claim.key)
        .values_list("fingerprint", "response", "created", "lease_until")
        .first()
    )
    if row is None:
        return None
    digest, response, created, lease_until = row
    now = timezone.now()
    if created < now - IDEMPOTENCY_TTL:
        return None
    if digest != claim.digest:
        raise AppError(Codes.PAYMENT_IDEMPOTENCY_MISMATCH)
    if response is not None:
        return response
    if lease_until is not None and lease_until > now:
        raise AppError(Codes.PAYMENT_IN_PROGRESS)
    return None


def _keeping_answer(account_id: int, claim: KeyClaim, answer: dict) -> tuple[str, list]:
    """The statement that keeps the key's answer, to run in the payment's transaction. A row it
    replaces is one `_kept_answer` found nothing to repeat in (past a day, or left by a request
    that died)."""
    return (
        'INSERT INTO pay_idempotency_key (account_id, "key", fingerprint, response, created,'
        " owner, lease_until) VALUES (%s, %s, %s, %s, %s, '', NULL)"
        ' ON CONFLICT (account_id, "key") DO UPDATE SET fingerprint = excluded.fingerprint,'
        " response = excluded.response, created = excluded.created, owner = '',"
        " lease_until = NULL",
        [
            account_id,
            claim.key,
            claim.digest,
            sql.prepared(IdempotencyKey, "response", answer),
            sql.prepared(IdempotencyKey, "created", timezone.now()),
        ],
    )


def idempotency_keys_clear(*, now=None) -> int:
    """Delete keys older than IDEMPOTENCY_TTL (their answers are no longer repeated); the number
    deleted. Run on a schedule (`manage.py clear_idempotency_keys`); safe on several hosts."""
    now = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(created__lt=now - IDEMPOTENCY_TTL).delete()
    return deleted
