"""Payment: a settlement becomes an order, with coupons and 贝里, in one locked transaction.

The server recomputes everything from the settlement (Redis) and the database; the client's
`price` is only compared. Row locks (`select_for_update`) on the account and the chosen coupon
records make racing payments serialize; the order records the settlement state it paid, unique
per account, so one settlement is paid at most once however many requests race.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from course.models import Account, Course
from course.selectors import courses_with_policies
from pay import alipay_gateway, settlement_store
from pay.models import CouponRecord, IdempotencyKey, Order, OrderDetail, TransactionRecord
from pay.pricing import Line, check_coupon, price_settlement, split_payment
from pay.selectors import held_coupon
from pay.services import beili_change, new_serial
from pay.settlement_services import settlement_price
from pay.settlement_store import Settlement
from utils.errors import AppError, Codes
from utils.redis import UNAVAILABLE, ConcurrentUpdate, transact

IDEMPOTENCY_TTL = timedelta(hours=24)
logger = logging.getLogger("settlement")


@dataclass(frozen=True)
class PaymentRequest:
    beili: int
    price: Decimal


def parse_payment(body: dict) -> PaymentRequest:
    """`balance`: 贝里 to spend (an integer >= 0, default 0); `price`: what the client expects to
    pay with money after 贝里, as a string or number with at most two decimals."""
    beili = body.get("balance", 0)
    if isinstance(beili, str) and beili.strip().isdecimal():
        beili = int(beili)
    if isinstance(beili, bool) or not isinstance(beili, int) or not 0 <= beili <= 10**12:
        raise AppError(Codes.MALFORMED, "balance 须为非负整数 / balance must be an integer >= 0")
    raw_price = body.get("price")
    if isinstance(raw_price, bool) or not isinstance(raw_price, str | int | float):
        raise AppError(Codes.MALFORMED, "price 须为金额 / price must be an amount")
    try:
        price = Decimal(str(raw_price).strip())
    except InvalidOperation as exc:
        raise AppError(Codes.MALFORMED, "price 须为金额 / price must be an amount") from exc
    if not price.is_finite() or price < 0 or price != price.quantize(Decimal("0.01")):
        raise AppError(Codes.MALFORMED, "price 须为两位小数以内的金额 / at most two decimals")
    if price > Decimal("99999999.99"):
        raise AppError(Codes.MALFORMED, "price 过大 / price too large")
    return PaymentRequest(beili=beili, price=price)


def payment_create(*, account: Account, body: dict) -> dict:
    """Pay the account's settlement (POST /api/payment/); returns the answer's data."""
    request = parse_payment(body)
    settlement = settlement_store.settlement_read(account.pk)
    if not settlement.lines:
        raise AppError(Codes.PAYMENT_EMPTY)
    try:
        with transaction.atomic():
            order = _pay(account=account, settlement=settlement, request=request)
    except IntegrityError as exc:
        # Another request paid this very settlement state first (order_one_per_settlement_state).
        raise AppError(Codes.PAYMENT_EMPTY, "该结算已支付 / this settlement was paid") from exc
    _clear_settlement(account.pk, settlement.version)
    return _answer(order)


def _pay(*, account: Account, settlement: Settlement, request: PaymentRequest) -> Order:
    locked = Account.objects.select_for_update().get(pk=account.pk)
    # Under the account lock: a settlement state already paid is gone, whatever else changed.
    # (The unique order_one_per_settlement_state constraint backs this up.)
    if Order.objects.filter(account=locked, settlement_token=settlement.version).exists():
        raise AppError(Codes.PAYMENT_EMPTY, "该结算已支付 / this settlement was paid")
    if request.beili > locked.balance:
        raise AppError(Codes.PAYMENT_NOT_ENOUGH_BEILI, data={"balance": locked.balance})

    course_ids = settlement.course_ids
    courses = courses_with_policies(course_ids)
    priced = settlement_price(settlement)
    chosen = {cid: rid for cid, rid in priced.course_choices.items() if rid is not None}
    chosen_ids = [*chosen.values(), *([priced.global_choice] if priced.global_choice else [])]
    records = {
        r.pk: r
        for r in CouponRecord.objects.select_for_update()
        .filter(pk__in=chosen_ids, account=locked)
        .select_related("coupon")
    }
    today = timezone.localdate()
    for rid in chosen_ids:
        record = records.get(rid)
        if record is None or record.effective_status(today) != CouponRecord.STATUS_UNUSED:
            raise AppError(Codes.PAYMENT_COUPON_GONE)

    policies, lines = {}, []
    for settled in settlement.lines:
        course = courses.get(settled.course_id)
        policy = None
        if course is not None and course.status == Course.STATUS_ON_SALE:
            policy = next(
                (p for p in course.price_policy.all() if p.pk == settled.price_policy_id), None
            )
        if policy is None:
            raise AppError(Codes.SETTLEMENT_OFF_SALE, f"课程 {settled.course_id} 已下线")
        policies[settled.course_id] = policy
        rid = chosen.get(settled.course_id)
        coupon = held_coupon(records[rid], today).terms if rid else None
        if coupon and not check_coupon(coupon, policy.price, today).usable:
            raise AppError(Codes.PAYMENT_COUPON_GONE)
        lines.append(Line(settled.course_id, policy.price, coupon))

    global_coupon = None
    if priced.global_choice:
        global_coupon = held_coupon(records[priced.global_choice], today).terms
        subtotal = price_settlement(lines).payable
        if not check_coupon(global_coupon, subtotal, today).usable:
            raise AppError(Codes.PAYMENT_COUPON_GONE)
    quote = price_settlement(lines, global_coupon)

    split = split_payment(quote.payable, request.beili, settings.BEILI_PER_YUAN)
    if split.money != request.price:
        raise AppError(Codes.PAYMENT_PRICE_MISMATCH, data={"price": f"{split.money:.2f}"})

    now = timezone.now()
    paid = split.money == 0
    order = Order.objects.create(
        payment_type=Order.PAY_BEILI if paid else Order.PAY_ALIPAY,
        order_number=new_serial("O"),
        account=locked,
        actual_amount=split.money,
        beili_used=split.beili,
        status=Order.STATUS_PAID if paid else Order.STATUS_UNPAID,
        pay_time=now if paid else None,
        settlement_token=settlement.version,
        global_coupon_id=priced.global_choice,
    )
    course_type = ContentType.objects.get_for_model(Course)
    OrderDetail.objects.bulk_create(
        OrderDetail(
            order=order,
            content_type=course_type,
            object_id=line_quote.course_id,
            original_price=line_quote.price,
            price=line_quote.payable,
            valid_period_display=policies[line_quote.course_id].get_valid_period_display(),
            valid_period=policies[line_quote.course_id].valid_period,
            memo=settlement.line(line_quote.course_id).title[:255],
            course_coupon_id=chosen.get(line_quote.course_id),
            course_discount=line_quote.price - line_quote.discounted_price,
            global_discount=line_quote.global_share,
        )
        for line_quote in quote.lines
    )
    CouponRecord.objects.filter(pk__in=chosen_ids).update(
        status=CouponRecord.STATUS_USED, used_time=now, order=order
    )
    if split.beili:
        beili_change(
            account=locked,
            amount=split.beili,
            transaction_type=TransactionRecord.TYPE_SPEND,
            memo=f"订单 {order.order_number}",
            order=order,
        )
    return order


def _clear_settlement(account_id: int, version: str | None) -> None:
    """Clear the paid settlement unless the user changed it meanwhile (then keep their change)."""

    def build(pipe):
        current = settlement_store.settlement_read(account_id)
        pipe.multi()
        if current.version == version:
            settlement_store.queue_clear_all(pipe, account_id, current.course_ids)

    try:
        transact(settlement_store.watch_keys(account_id), build)
    except ConcurrentUpdate:
        pass  # the user is changing the settlement; the paid state can no longer be paid again
    except UNAVAILABLE:
        # The order is committed and is the answer; the stale settlement cannot be paid twice
        # (its version is taken) and the user may settle again once Redis is back.
        logger.warning("could not clear the paid settlement of account %s", account_id)


def _answer(order: Order) -> dict:
    return {
        "order_number": order.order_number,
        "status": order.status,
        "actual_amount": f"{order.actual_amount:.2f}",
        "pay_url": alipay_gateway.order_pay_url(order),
    }


# --- Idempotency-Key ----------------------------------------------------------------------


def fingerprint(body) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(*, account: Account, key: str | None, body, run):
    """Run `run()` once per (account, key): a repeat with the same body gets the first answer,
    another body is 1044, a repeat while the first still runs is 1046. Business refusals are not
    kept, so a corrected retry with the same key runs again. Keys live 24 hours."""
    if not key:
        return run()
    if len(key) > 255:
        raise AppError(Codes.MALFORMED, "Idempotency-Key 过长 / too long")
    digest = fingerprint(body)
    IdempotencyKey.objects.filter(
        account=account, key=key, created__lt=timezone.now() - IDEMPOTENCY_TTL
    ).delete()
    try:
        with transaction.atomic():
            entry = IdempotencyKey.objects.create(account=account, key=key, fingerprint=digest)
    except IntegrityError:
        existing = IdempotencyKey.objects.filter(account=account, key=key).first()
        if existing is None:  # expired and deleted between our two statements
            raise AppError(Codes.PAYMENT_IN_PROGRESS) from None
        if existing.fingerprint != digest:
            raise AppError(Codes.PAYMENT_IDEMPOTENCY_MISMATCH) from None
        if existing.response is None:
            raise AppError(Codes.PAYMENT_IN_PROGRESS) from None
        return existing.response
    try:
        result = run()
    except BaseException:
        entry.delete()
        raise
    IdempotencyKey.objects.filter(pk=entry.pk).update(response=result)
    return result
