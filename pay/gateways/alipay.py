"""Alipay (python-alipay-sdk, RSA2): page-pay URLs and verified notifications.

Without ALIPAY_APP_ID and both keys, `page_pay_url` points at the local development gateway
(pay/gateways/dev.py, only with DEBUG on). Amounts are Decimal, formatted "%.2f".
`AlipayGateway` is this module behind the interface of pay/gateways/base.py.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from alipay import AliPay
from alipay.exceptions import AliPayException
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from pay.gateways import base, dev
from utils.errors import AppError, Codes
from utils.money import money_text

SANDBOX_GATEWAY = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"
PAID_STATUSES = {"TRADE_SUCCESS", "TRADE_FINISHED"}
REQUIRED_FIELDS = ("out_trade_no", "trade_no", "total_amount", "app_id", "trade_status")
ALIPAY_TZ = ZoneInfo("Asia/Shanghai")  # the clock of Alipay's time fields
logger = logging.getLogger("settlement")


def _key(text: str, path: str) -> str:
    if text:
        return text
    if path:
        return Path(path).read_text()
    return ""


def _keys() -> tuple[str, str]:
    private = _key(settings.ALIPAY_APP_PRIVATE_KEY, settings.ALIPAY_APP_PRIVATE_KEY_PATH)
    public = _key(settings.ALIPAY_PUBLIC_KEY, settings.ALIPAY_PUBLIC_KEY_PATH)
    return private, public


def is_configured() -> bool:
    private, public = _keys()
    return bool(settings.ALIPAY_APP_ID and private and public)


def _client() -> AliPay:
    # Built per call from the current settings: cheap next to a payment, and never stale.
    private, public = _keys()
    return AliPay(
        appid=settings.ALIPAY_APP_ID,
        app_notify_url=settings.ALIPAY_NOTIFY_URL,
        app_private_key_string=private,
        alipay_public_key_string=public,
        sign_type="RSA2",
        debug=settings.ALIPAY_SANDBOX,
    )


def gateway() -> str:
    return SANDBOX_GATEWAY if settings.ALIPAY_SANDBOX else PRODUCTION_GATEWAY


def page_pay_url(
    *, order_number: str, amount: Decimal, subject: str, expires_at: datetime | None = None
) -> str:
    """Where the browser pays `amount` for `order_number`; Alipay closes the trade at
    `expires_at` (its `time_expire`, Beijing time) so nobody pays an order timed out here."""
    if not is_configured():
        return dev.pay_url(order_number, amount)
    extra = {}
    if expires_at is not None:
        extra["time_expire"] = expires_at.astimezone(ALIPAY_TZ).strftime("%Y-%m-%d %H:%M:%S")
    query = _client().api_alipay_trade_page_pay(
        subject=subject,
        out_trade_no=order_number,
        total_amount=money_text(amount),
        return_url=settings.ALIPAY_RETURN_URL,
        notify_url=settings.ALIPAY_NOTIFY_URL,
        **extra,
    )
    return f"{gateway()}?{query}"


@dataclass(frozen=True)
class Notification:
    order_number: str  # out_trade_no
    trade_no: str  # Alipay's number: Order.payment_number
    total_amount: Decimal
    app_id: str
    trade_status: str

    @property
    def is_paid(self) -> bool:
        return self.trade_status in PAID_STATUSES


def _invalid(detail: str) -> AppError:
    return AppError(Codes.PAYMENT_NOTIFY_INVALID, f"支付通知验证失败 / {detail}")


def verify_notification(data: Mapping[str, object]) -> Notification:
    """Check an asynchronous notification's RSA2 signature and app id, and parse it.

    Any failure, whatever the input, is AppError 1045. Comparing the amount with the order is
    the caller's job.
    """
    if not is_configured():
        raise _invalid("Alipay is not configured")
    fields = {str(k): v for k, v in data.items() if isinstance(v, str)}
    signature = fields.pop("sign", None)
    if not signature:
        raise _invalid("no signature")
    missing = [name for name in REQUIRED_FIELDS if not fields.get(name)]
    if missing:
        raise _invalid(f"missing {', '.join(missing)}")
    try:
        verified = _client().verify(dict(fields), signature)
    except (AliPayException, ValueError, TypeError, IndexError) as exc:
        raise _invalid("bad signature") from exc
    if not verified:
        raise _invalid("bad signature")
    if fields["app_id"] != settings.ALIPAY_APP_ID:
        raise _invalid("another app id")
    try:
        amount = Decimal(fields["total_amount"])
    except InvalidOperation as exc:
        raise _invalid("bad total_amount") from exc
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise _invalid("bad total_amount")
    return Notification(
        order_number=fields["out_trade_no"],
        trade_no=fields["trade_no"],
        total_amount=amount,
        app_id=fields["app_id"],
        trade_status=fields["trade_status"],
    )


def refund(*, order_number: str, amount: Decimal, reason: str = "") -> str:
    """`alipay.trade.refund` of `amount` with the order number as `out_request_no`, so a retry
    of the same refund is not a second one. Returns Alipay's trade number; 1048 on failure."""
    try:
        result = _client().api_alipay_trade_refund(
            refund_amount=money_text(amount),
            out_trade_no=order_number,
            out_request_no=order_number,
            refund_reason=reason[:256] or "退款",
        )
    except Exception as exc:  # the SDK raises whatever urllib or its parser raise
        logger.warning("Alipay refund of %s failed: %r", order_number, exc)
        raise AppError(Codes.PAYMENT_GATEWAY_FAILED, "支付宝退款失败 / unreachable") from exc
    if not isinstance(result, dict) or result.get("code") != "10000":
        detail = result.get("sub_msg") or result.get("msg") if isinstance(result, dict) else ""
        raise AppError(Codes.PAYMENT_GATEWAY_FAILED, f"支付宝退款失败 / {detail}")
    return str(result.get("trade_no") or order_number)


class AlipayGateway:
    name = "alipay"
    label = "支付宝"

    def __init__(self, payment_type: int):
        self.payment_type = payment_type

    def __repr__(self):
        return "AlipayGateway()"

    def pay(self, order, *, channel: str, client_ip: str | None) -> base.PayAction:
        return self.resume(order)

    def resume(self, order) -> base.PayAction:
        # Signing is local (no call to Alipay), so the URL is made again whenever asked for.
        url = page_pay_url(
            order_number=order.order_number,
            amount=order.actual_amount,
            subject=base.subject(order),
            expires_at=order.pay_deadline,
        )
        return base.PayAction(pay_url=url)

    def verify(self, request: HttpRequest) -> base.Notification:
        raw = request.POST
        notice = verify_notification({k: raw.get(k) for k in raw})
        return base.Notification(
            order_number=notice.order_number,
            amount=notice.total_amount,
            payment_number=notice.trade_no,
            paid=notice.is_paid,
        )

    def acknowledge(self) -> HttpResponse:
        return HttpResponse("success", content_type="text/plain")

    def refund(self, *, order_number: str, amount: Decimal, reason: str = "") -> str:
        return refund(order_number=order_number, amount=amount, reason=reason)
