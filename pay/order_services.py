"""Orders after payment: paying what is left, the gateway's notification, cancelling, timing out.

Each locks the order row first, so a cancel racing a notification ends in one consistent
outcome, and coupons and 贝里 come back exactly once (the ledger's unique (order, type) backs it).
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from pay import gateways
from pay.gateways import dev
from pay.gateways.base import Gateway
from pay.gateways.dev import DevGateway
from pay.models import CouponRecord, Order, TransactionRecord
from pay.qr import qr_svg_data_uri
from pay.services import beili_change
from utils.errors import AppError, Codes


def _give_back(order: Order, *, status: int) -> None:
    """Cancel `order` (locked by the caller): coupons back (or 已过期), 贝里 refunded."""
    now = timezone.now()
    today = timezone.localdate()
    for record in (
        CouponRecord.objects.select_for_update(of=("self",))
        .filter(order=order)
        .select_related("coupon")
    ):
        expired = today > record.valid_end
        record.status = CouponRecord.STATUS_EXPIRED if expired else CouponRecord.STATUS_UNUSED
        record.used_time = None
        record.order = None
        record.save(update_fields=["status", "used_time", "order"])
    if order.beili_used:
        beili_change(
            account=order.account,
            amount=order.beili_used,
            transaction_type=TransactionRecord.TYPE_REFUND,
            memo=f"订单 {order.order_number} 取消退回",
            order=order,
        )
    order.status = status
    order.cancel_time = now
    order.save(update_fields=["status", "cancel_time"])


def order_pay(*, account_id: int, order_number: str) -> dict:
    """POST /api/orders/<n>/pay/: where the buyer pays their own unpaid order, asked of its
    gateway now (an Alipay URL is signed, a WeChat code is the one the order keeps).

    The one place that signs for an existing order: a signature costs tens of milliseconds, so
    nothing signs while a list renders. 1050 for no such order of this account; 1053 when it
    cannot be paid (paid, cancelled, past its pay deadline, or its gateway is gone).
    """
    order = Order.objects.filter(account_id=account_id, order_number=order_number).first()
    if order is None:
        raise AppError(Codes.ORDER_NOT_FOUND)
    action = gateways.pay_action(order) if order.can_pay else None
    if action is None:
        raise AppError(Codes.ORDER_NOT_PAYABLE)
    return {
        "order_number": order.order_number,
        "actual_amount": f"{order.actual_amount:.2f}",
        "gateway": gateways.name_of(order),
        "pay_url": action.pay_url,
        "code_url": action.code_url,
        "qr_code": qr_svg_data_uri(action.code_url) if action.code_url else None,
        "pay_deadline": order.pay_deadline.isoformat(),
    }


def order_cancel(*, account_id: int, order_number: str) -> Order:
    with transaction.atomic():
        order = (
            Order.objects.select_for_update()
            .select_related("account")
            .filter(account_id=account_id, order_number=order_number)
            .first()
        )
        if order is None:
            raise AppError(Codes.ORDER_NOT_FOUND)
        if not order.can_cancel:
            raise AppError(Codes.ORDER_NOT_CANCELLABLE)
        _give_back(order, status=Order.STATUS_CANCELLED)
        return order


def orders_cancel_expired(*, now=None, batch_size: int = 100) -> int:
    """Time out unpaid orders older than ORDER_PAY_TIMEOUT seconds. Rows another host is working
    on are skipped (SKIP LOCKED) and each order is re-checked under its lock, so several hosts may
    run this at once."""
    now = now or timezone.now()
    deadline = now - timedelta(seconds=settings.ORDER_PAY_TIMEOUT)
    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                Order.objects.select_for_update(skip_locked=True)
                .select_related("account")
                .filter(status=Order.STATUS_UNPAID, date__lt=deadline)
                .order_by("id")[:batch_size]
            )
            for order in batch:
                _give_back(order, status=Order.STATUS_TIMED_OUT)
        done += len(batch)
        if len(batch) < batch_size:
            return done


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
        order = Order.objects.select_for_update().filter(order_number=order_number).first()
        if order is None:
            raise AppError(Codes.PAYMENT_NOTIFY_INVALID, "订单不存在 / no such order")
        if amount != order.actual_amount:
            raise AppError(Codes.PAYMENT_NOTIFY_INVALID, "金额不符 / amount differs")
        payment_type = order.payment_type if payment_type is None else payment_type
        if order.status == Order.STATUS_UNPAID:
            order.status = Order.STATUS_PAID
            order.pay_time = timezone.now()
            order.payment_number = payment_number
            order.payment_type = payment_type
            order.save(update_fields=["status", "pay_time", "payment_number", "payment_type"])
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
