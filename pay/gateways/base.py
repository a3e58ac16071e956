"""What every payment gateway offers the services: start a payment, read a notification, refund.

Amounts are Decimal yuan with two decimals; a gateway that counts in fen (WeChat Pay) converts at
its own edge. Every failure to reach or be understood by a gateway is AppError 1048; every
notification that does not verify is AppError 1045.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.http import HttpRequest, HttpResponse

DESKTOP, MOBILE = "desktop", "mobile"
CHANNELS = (DESKTOP, MOBILE)


@dataclass(frozen=True)
class PayAction:
    """Where the buyer pays: a page to open (`pay_url`) and/or a code to scan (`code_url`)."""

    pay_url: str | None = None
    code_url: str | None = None
    # The gateway hands this code out once per trade (WeChat Native): the order keeps it, and
    # `resume` reads it back from there.
    keep_code: bool = False


@dataclass(frozen=True)
class Notification:
    """A verified word from the gateway: `order_number` was (or was not yet) paid `amount`."""

    order_number: str
    amount: Decimal
    payment_number: str  # the gateway's own trade number: Order.payment_number
    paid: bool


class Gateway(Protocol):
    name: str  # "alipay" | "wechat": what POST /api/payment/ names
    payment_type: int  # Order.PAY_ALIPAY | Order.PAY_WECHAT
    label: str  # shown to people: 支付宝, 微信支付, 开发支付网关

    def pay(self, order, *, channel: str, client_ip: str | None) -> PayAction:
        """Start paying `order` (may call the gateway): 1048 when it refuses or is unreachable."""

    def resume(self, order) -> PayAction | None:
        """The action of an order already started, without calling the gateway."""

    def verify(self, request: HttpRequest) -> Notification:
        """Read and verify a notification (1045 when it does not verify)."""

    def acknowledge(self) -> HttpResponse:
        """What the gateway expects back once a notification was handled."""

    def refund(self, *, order_number: str, amount: Decimal, reason: str = "") -> str:
        """Give `amount` of `order_number` back to the payer, idempotently per order (the order
        number is the refund's request number); returns the gateway's reference. 1048 on
        failure (nothing refunded, try again)."""


def subject(order) -> str:
    return f"路飞学城订单 {order.order_number}"
