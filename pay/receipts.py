"""Receipts: the buyer hears by email when an order is paid, cancelled, timed out or refunded.

Through Django's email framework (the console backend by default, SMTP by settings). A receipt is
queued with `transaction.on_commit`, so a rolled-back change never sends one, and it goes out on
a background thread (`RECEIPTS_IN_BACKGROUND`), so a slow or broken mail server neither holds nor
fails the payment: every error is logged and dropped. Accounts without an email get none.
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.mail import send_mail
from django.db import close_old_connections, transaction
from django.utils import timezone

from utils.money import money_text

logger = logging.getLogger("settlement.receipts")

PAID, CANCELLED, TIMED_OUT, REFUNDED, REFUND_REJECTED = (
    "paid",
    "cancelled",
    "timed_out",
    "refunded",
    "refund_rejected",
)
SUBJECTS = {
    PAID: "订单 {n} 支付成功",
    CANCELLED: "订单 {n} 已取消",
    TIMED_OUT: "订单 {n} 超时未支付,已取消",
    REFUNDED: "订单 {n} 已退费",
    REFUND_REJECTED: "订单 {n} 的退费申请未通过",
}
GIVEN_BACK = "使用的优惠券(仍在有效期内的)和贝里已退回您的账户。"

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="receipts")


def receipt_on_commit(order_id: int, event: str, *, email: str | None = None) -> None:
    """Send `event`'s receipt for the order once the current transaction commits. `email`: the
    buyer's address when the caller has read it already: without one, nothing is queued (no
    receipt would go out, and the sender would read the order for nothing)."""
    if email is not None and not email.strip():
        return
    transaction.on_commit(lambda: _dispatch(order_id, event))


def _dispatch(order_id: int, event: str) -> None:
    if settings.RECEIPTS_IN_BACKGROUND:
        _executor.submit(_send_in_background, order_id, event)
    else:
        send_receipt(order_id, event)


def _send_in_background(order_id: int, event: str) -> None:
    # The sender thread has its own database connection, outside any request's cycle: drop it
    # when stale before use, and when past its age after.
    close_old_connections()
    try:
        send_receipt(order_id, event)
    finally:
        close_old_connections()


def send_receipt(order_id: int, event: str) -> bool:
    """Build and send one receipt; True when sent. Never raises."""
    try:
        from pay.models import Order

        order = Order.objects.select_related("account").prefetch_related("details").get(pk=order_id)
        email = (order.account.email or "").strip()
        if not email:
            return False
        send_mail(
            subject=SUBJECTS[event].format(n=order.order_number),
            message=render_receipt(order, event),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[email],
        )
        return True
    except Exception:
        logger.exception("receipt %s for order %s was not sent", event, order_id)
        return False


def _time(value) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S}" if value else "-"


def render_receipt(order, event: str) -> str:
    lines = [
        f"{order.account.username},您好:",
        "",
        SUBJECTS[event].format(n=order.order_number) + "。",
        "",
        f"订单号: {order.order_number}",
        f"状态: {order.get_status_display()}",
        f"下单时间: {_time(order.date)}",
    ]
    for detail in order.details.all():
        lines.append(
            f"  - {detail.memo} ({detail.valid_period_display}) ¥{money_text(detail.price)}"
        )
    lines.append(f"实付金额: ¥{money_text(order.actual_amount)}  使用贝里: {order.beili_used}")
    if event == PAID:
        lines.append(f"付款时间: {_time(order.pay_time)}")
    elif event in (CANCELLED, TIMED_OUT):
        lines += [f"取消时间: {_time(order.cancel_time)}", GIVEN_BACK]
    elif event == REFUNDED:
        lines += [
            f"退费时间: {_time(order.refund_time)}",
            f"¥{money_text(order.actual_amount)} 已原路退回。" + GIVEN_BACK,
        ]
    elif event == REFUND_REJECTED:
        lines.append(f"处理说明: {order.refund_memo or '-'}")
    return "\n".join(lines) + "\n"
