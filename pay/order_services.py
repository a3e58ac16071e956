"""Orders after payment: paying what is left, the gateway's notification, cancelling, timing
out, refunds.

Each locks the order row first, so a cancel racing a notification (or two staff approving one
refund) ends in one consistent outcome, and coupons and 贝里 come back exactly once (the ledger's
unique (order, type) backs it). An unpaid order past its deadline counts as timed out wherever it
is read or paid: `orders_time_out_due` times it out on the spot, before the scheduled command.
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from pay import gateways, receipts
from pay.gateways import dev
from pay.gateways.base import Gateway
from pay.gateways.dev import DevGateway
from pay.ledger import beili_change
from pay.models import CouponRecord, Order, TransactionRecord
from pay.pricing import coupon_verdict
from pay.records_version import records_changed
from pay.serializers import order_pay_result
from utils.errors import AppError, Codes

logger = logging.getLogger("settlement.orders")


def _give_back(order: Order, *, status: int, records_moved_at: float | None = None) -> None:
    """Cancel `order` (locked by the caller): coupons back (or 已过期), 贝里 refunded.
    `records_moved_at`: when the account's coupon-records version was moved on, before
    (see `order_cancel`)."""
    _return_coupons_and_beili(
        order, memo=f"订单 {order.order_number} 取消退回", records_moved_at=records_moved_at
    )
    order.status = status
    order.cancel_time = timezone.now()
    order.save(update_fields=["status", "cancel_time"])
    event = receipts.CANCELLED if status == Order.STATUS_CANCELLED else receipts.TIMED_OUT
    receipts.receipt_on_commit(order.pk, event)


def _return_coupons_and_beili(
    order: Order, *, memo: str, records_moved_at: float | None = None
) -> None:
    """The order's coupon records back to the account (已过期 if past their end), and its 贝里
    back with a 退款 ledger row. The order is locked by the caller. `records_moved_at`:
    when the account's coupon-records version was moved on, and marked moving, before this
    transaction (pay/records_version.py `queue_move_with_token`): no move after the commit
    unless it comes late."""
    today = timezone.localdate()
    by_status: dict[int, list[int]] = {}
    for record in (
        CouponRecord.objects.select_for_update(of=("self",))
        .filter(order=order)
        .select_related("coupon")
    ):
        back = coupon_verdict(
            status=CouponRecord.STATUS_UNUSED, valid_end=record.valid_end, today=today
        )
        assert back.status is not None  # a held status in, a held status out
        by_status.setdefault(back.status, []).append(record.pk)
    for status, ids in by_status.items():
        CouponRecord.objects.filter(pk__in=ids).update(status=status, used_time=None, order=None)
    if by_status:
        # once committed: a settlement left behind offers them again at its next read
        records_changed([order.account_id], now=False, moved_at=records_moved_at)
    if order.beili_used:
        beili_change(
            account=order.account,
            amount=order.beili_used,
            transaction_type=TransactionRecord.TYPE_REFUND,
            memo=memo,
            order=order,
        )


def order_pay(*, account_id: int, order_number: str, client_ip: str | None = None) -> dict:
    """POST /api/orders/<n>/pay/: where the buyer pays their own unpaid order, asked of its
    gateway now (an Alipay URL is signed, a WeChat code is the one the order keeps).

    The one place that signs for an existing order: a signature costs tens of milliseconds, so
    nothing signs while a list renders. 1050 for no such order of this account; 1053 when it
    cannot be paid (paid, cancelled, past its pay deadline, or its gateway is gone).
    """
    orders_time_out_due(account_id=account_id, order_number=order_number)
    order = Order.objects.filter(account_id=account_id, order_number=order_number).first()
    if order is None:
        raise AppError(Codes.ORDER_NOT_FOUND)
    action = gateways.pay_action(order) if order.can_pay else None
    if action is None and order.can_pay and (name := gateways.name_of(order)):
        # A WeChat H5 order keeps no link (WeChat's lives five minutes): ask for a fresh one,
        # for the same trade (the order number), as the buyer pays on the phone again.
        gateway = gateways.find(name)
        if gateway is not None:
            action = gateway.pay(order, channel=gateways.MOBILE, client_ip=client_ip)
    if action is None:
        raise AppError(Codes.ORDER_NOT_PAYABLE)
    return order_pay_result(order, action)


def _locked(order_number: str, account_id: int | None = None) -> Order:
    """The order row, locked (inside the caller's transaction); 1050 when there is none."""
    orders = Order.objects.select_for_update().select_related("account")
    if account_id is not None:
        orders = orders.filter(account_id=account_id)
    order = orders.filter(order_number=order_number).first()
    if order is None:
        raise AppError(Codes.ORDER_NOT_FOUND)
    return order


def _overdue_cutoff(now=None):
    return (now or timezone.now()) - timedelta(seconds=settings.ORDER_PAY_TIMEOUT)


def orders_time_out_due(
    *, account_id: int, order_number: str | None = None, records_moved_at: float | None = None
) -> int:
    """Time out the account's unpaid orders past their deadline (or just `order_number`) now,
    as the scheduled command would: the lazy half of timeouts, run before an order is read,
    cancelled, refunded or paid. One indexed query when nothing is due."""
    due = Order.objects.filter(
        account_id=account_id, status=Order.STATUS_UNPAID, date__lte=_overdue_cutoff()
    )
    if order_number is not None:
        due = due.filter(order_number=order_number)
    if not due.exists():
        return 0
    done = 0
    with transaction.atomic():
        for order in due.select_for_update().select_related("account").order_by("id"):
            if order.is_overdue():  # re-checked under the lock: a payment may have won
                _give_back(order, status=Order.STATUS_TIMED_OUT, records_moved_at=records_moved_at)
                done += 1
    return done


def order_cancel(
    *, account_id: int | None, order_number: str, records_moved_at: float | None = None
) -> Order:
    """Cancel an order (the buyer's, or any with account_id None: staff in the admin): unpaid,
    or paid with 贝里 and coupons only. Everything it took comes back. An unpaid order past its
    deadline is timed out instead (status 5): the buyer's cancel then answers 1051.
    `records_moved_at`: when the buyer's coupon-records version was moved on and marked moving
    in the token's round trip (pay/records_version.py `queue_move_with_token`), so the coupons
    given back need no move after the commit (unless it comes late)."""
    if account_id is not None:
        orders_time_out_due(
            account_id=account_id, order_number=order_number, records_moved_at=records_moved_at
        )
    with transaction.atomic():
        order = _locked(order_number, account_id)
        if order.is_overdue():
            _give_back(order, status=Order.STATUS_TIMED_OUT, records_moved_at=records_moved_at)
            return order
        if not order.can_cancel:
            raise AppError(Codes.ORDER_NOT_CANCELLABLE)
        _give_back(order, status=Order.STATUS_CANCELLED, records_moved_at=records_moved_at)
        return order


def orders_cancel_expired(*, now=None, batch_size: int = 100) -> tuple[int, int]:
    """Time out unpaid orders older than ORDER_PAY_TIMEOUT seconds; returns (done, failed).

    Rows another host is working on are skipped (SKIP LOCKED) and each order is re-checked under
    its lock, so several hosts may run this at once. Each order has its own savepoint: one that
    cannot be timed out (bad data) is logged, counted and left, and the rest go on.
    """
    cutoff = _overdue_cutoff(now)
    done = failed = 0
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(
                Order.objects.select_for_update(skip_locked=True)
                .select_related("account")
                .filter(status=Order.STATUS_UNPAID, date__lt=cutoff, id__gt=last_id)
                .order_by("id")[:batch_size]
            )
            for order in batch:
                last_id = order.pk
                try:
                    with transaction.atomic():
                        _give_back(order, status=Order.STATUS_TIMED_OUT)
                    done += 1
                except Exception:
                    failed += 1
                    logger.exception("could not time out order %s", order.order_number)
        if len(batch) < batch_size:
            return done, failed


def order_mark_paid(
    *, order_number: str, amount: Decimal, payment_number: str, payment_type: int | None = None
) -> Order:
    """The gateway says `order_number` was paid `amount`: mark it paid exactly once. The one
    place every gateway's notification (Alipay, WeChat Pay, the development gateway) ends.

    A repeated notification changes nothing. A payment for an order cancelled meanwhile is kept
    (payment_number) and flagged for a refund, never lost. A wrong amount is 1045.
    `payment_type` records the gateway that took the money, so a refund goes back through it.
    """
    with transaction.atomic():
        order = (
            Order.objects.select_for_update()
            .select_related("account")
            .filter(order_number=order_number)
            .first()
        )
        if order is None:
            raise AppError(Codes.PAYMENT_NOTIFY_INVALID, "订单不存在 / no such order")
        if amount != order.actual_amount:
            raise AppError(Codes.PAYMENT_NOTIFY_INVALID, "金额不符 / amount differs")
        payment_type = order.payment_type if payment_type is None else payment_type
        if order.is_overdue():
            # Past its deadline it counts as timed out, paid or not: time it out now, and keep
            # the late payment below for a refund.
            _give_back(order, status=Order.STATUS_TIMED_OUT)
        if order.status == Order.STATUS_UNPAID:
            order.status = Order.STATUS_PAID
            order.pay_time = timezone.now()
            order.payment_number = payment_number
            order.payment_type = payment_type
            order.save(update_fields=["status", "pay_time", "payment_number", "payment_type"])
            receipts.receipt_on_commit(order.pk, receipts.PAID)
        elif order.status in (Order.STATUS_CANCELLED, Order.STATUS_TIMED_OUT):
            if not order.refund_flagged:
                order.payment_number = payment_number
                order.payment_type = payment_type
                order.refund_flagged = True
                order.save(update_fields=["payment_number", "payment_type", "refund_flagged"])
        return order


def order_on_dev_gateway(*, order_number: str, sign) -> tuple[Order, DevGateway] | None:
    """The order the development gateway's page shows and pays, with the gateway standing in
    for its own; 1050 for no such order, 1045 when `sign` is not the order's signature, None
    when a real gateway (or none) takes the order's money."""
    order = Order.objects.filter(order_number=order_number).first()
    if order is None:
        raise AppError(Codes.ORDER_NOT_FOUND)
    name = gateways.name_of(order)
    gateway = gateways.find(name) if name else None
    if not isinstance(gateway, DevGateway):
        return None
    dev.check_signature(order, sign)
    return order, gateway


def order_notified(*, gateway: Gateway, request: HttpRequest) -> None:
    """A gateway's notification: verified (1045 when it does not), then, when it says paid,
    the order marked paid once through `order_mark_paid`."""
    notice = gateway.verify(request)
    if notice.paid:
        order_mark_paid(
            order_number=notice.order_number,
            amount=notice.amount,
            payment_number=notice.payment_number,
            payment_type=gateway.payment_type,
        )


# --- Refunds (退费) ----------------------------------------------------------------------------


def _refund_through_gateway(order: Order, *, reason: str) -> str:
    """Give the order's money back through the gateway that took it (the order number is the
    refund's request number, so a retry never refunds twice); returns a note for staff.
    1048 when that gateway refuses, cannot be reached, or is not configured any more."""
    try:
        gateway = gateways.for_order(order)
    except AppError as exc:
        raise AppError(
            Codes.PAYMENT_GATEWAY_FAILED, "收款的支付网关不可用 / the gateway is not configured"
        ) from exc
    reference = gateway.refund(
        order_number=order.order_number, amount=order.actual_amount, reason=reason
    )
    return f"{gateway.label} {reference}".strip()


def order_refund_request(*, account_id: int, order_number: str, reason: str) -> Order:
    """The buyer asks for a refund: an order paid with money (status 0, actual_amount > 0),
    within REFUND_WINDOW_DAYS of its payment, asked once → status 2. Anything else is 1052."""
    reason = (reason or "").strip()
    orders_time_out_due(account_id=account_id, order_number=order_number)
    with transaction.atomic():
        order = _locked(order_number, account_id)
        if not order.can_refund:
            raise AppError(Codes.ORDER_NOT_REFUNDABLE)
        order.status = Order.STATUS_REFUNDING
        order.refund_reason = reason[:255]
        order.refund_request_time = timezone.now()
        order.save(update_fields=["status", "refund_reason", "refund_request_time"])
        return order


def order_refund_approve(*, order_number: str, memo: str = "") -> Order:
    """Staff approve a refund (status 2): the money back through the gateway, the 贝里 back (退款)
    and the coupons still valid, status 3 with the time. Exactly once: the order row stays locked
    across the gateway call, so a second approval waits and then finds status 3 (1052); a gateway
    failure (1048) rolls everything back and leaves status 2 for another try."""
    with transaction.atomic():
        order = _locked(order_number)
        if order.status != Order.STATUS_REFUNDING:
            raise AppError(Codes.ORDER_NOT_REFUNDABLE, "订单不在退费申请中 / no refund asked")
        _return_coupons_and_beili(order, memo=f"订单 {order.order_number} 退费")
        note = _refund_through_gateway(order, reason=order.refund_reason or "退费")
        order.status = Order.STATUS_REFUNDED
        order.refund_time = timezone.now()
        order.refund_memo = (memo.strip() or f"已退款 ({note})")[:255]
        order.save(update_fields=["status", "refund_time", "refund_memo"])
        receipts.receipt_on_commit(order.pk, receipts.REFUNDED)
        return order


def order_refund_reject(*, order_number: str, memo: str) -> Order:
    """Staff refuse a refund (status 2 → 0), saying why in `memo`; the buyer cannot ask again."""
    with transaction.atomic():
        order = _locked(order_number)
        if order.status != Order.STATUS_REFUNDING:
            raise AppError(Codes.ORDER_NOT_REFUNDABLE, "订单不在退费申请中 / no refund asked")
        order.status = Order.STATUS_PAID
        order.refund_memo = memo.strip()[:255]
        order.save(update_fields=["status", "refund_memo"])
        receipts.receipt_on_commit(order.pk, receipts.REFUND_REJECTED)
        return order


def order_refund_late_payment(*, order_number: str, memo: str = "") -> Order:
    """Staff return a payment that arrived after the order was cancelled or timed out (flagged
    待退款 by the notification): the money back through the gateway, the flag cleared, the time
    and a memo written. The coupons and 贝里 came back with the cancel. Exactly once, as approve."""
    with transaction.atomic():
        order = _locked(order_number)
        if not order.refund_flagged:
            raise AppError(Codes.ORDER_NOT_REFUNDABLE, "订单没有待退的款项 / nothing to return")
        note = _refund_through_gateway(
            order, reason="订单已取消后到账 / paid after the order was cancelled"
        )
        order.refund_flagged = False
        order.refund_time = timezone.now()
        order.refund_memo = (memo.strip() or f"取消后到账的款项已退回 ({note})")[:255]
        order.save(update_fields=["refund_flagged", "refund_time", "refund_memo"])
        receipts.receipt_on_commit(order.pk, receipts.REFUNDED)
        return order
