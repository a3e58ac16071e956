"""The development gateway: a local page standing in for Alipay or WeChat Pay (only with DEBUG on
and that gateway not configured).

Its URL carries a signature over the order number and amount made with SECRET_KEY (Django's
signing, as Alipay signs its URLs with the app key), checked on GET and POST: only the page
handed to the order's owner can pay it, and nobody can pay an order by guessing its number.
"""

from decimal import Decimal

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare

from pay.gateways.base import Notification, PayAction
from utils.errors import AppError, Codes
from utils.money import money_text

SALT = "pay.gateways.dev"
PATH = "/api/payment/dev_gateway/{order_number}/"


def signature(order_number: str, amount: Decimal) -> str:
    return signing.Signer(salt=SALT).signature(f"{order_number}|{money_text(amount)}")


def pay_url(order_number: str, amount: Decimal) -> str:
    return f"{PATH.format(order_number=order_number)}?sign={signature(order_number, amount)}"


def check_signature(order, sign) -> None:
    """1045 unless `sign` is this order's signature."""
    expected = signature(order.order_number, order.actual_amount)
    if not isinstance(sign, str) or not constant_time_compare(sign, expected):
        raise AppError(Codes.PAYMENT_NOTIFY_INVALID, "签名无效 / bad or missing signature")


class DevGateway:
    """Stands in for the gateway `name` (its payment_type and name, a local page and refund)."""

    label = "开发支付网关"

    def __init__(self, name: str, payment_type: int, stands_for: str):
        self.name = name
        self.payment_type = payment_type
        self.stands_for = stands_for  # 支付宝 | 微信支付: how its page looks

    def __repr__(self):
        return f"DevGateway({self.name!r})"

    def pay(self, order, *, channel: str, client_ip: str | None) -> PayAction:
        return self.resume(order)

    def resume(self, order) -> PayAction:
        url = pay_url(order.order_number, order.actual_amount)
        # Like WeChat Native, the WeChat stand-in offers a code to scan on a desktop.
        return PayAction(pay_url=url, code_url=url if self.name == "wechat" else None)

    def verify(self, request: HttpRequest) -> Notification:
        raise AppError(Codes.PAYMENT_NOTIFY_INVALID, "开发网关没有异步通知 / no notifications")

    def acknowledge(self) -> HttpResponse:
        return HttpResponse("success", content_type="text/plain")

    def refund(self, *, order_number: str, amount: Decimal, reason: str = "") -> str:
        return f"DEVREFUND{order_number}"
