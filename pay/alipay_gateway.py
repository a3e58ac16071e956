"""Alipay (python-alipay-sdk, RSA2): page-pay URLs and verified notifications.

Without ALIPAY_APP_ID and both keys, `page_pay_url` points at the local development gateway
(pay/payment_views.DevGatewayView, only with DEBUG on). Amounts are Decimal, formatted "%.2f".
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from alipay import AliPay
from alipay.exceptions import AliPayException
from django.conf import settings
from django.utils import timezone

from utils.errors import AppError, Codes

SANDBOX_GATEWAY = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"
PAID_STATUSES = {"TRADE_SUCCESS", "TRADE_FINISHED"}
REQUIRED_FIELDS = ("out_trade_no", "trade_no", "total_amount", "app_id", "trade_status")
ALIPAY_TZ = ZoneInfo("Asia/Shanghai")  # the clock of Alipay's time fields


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
        return f"/api/payment/dev_gateway/{order_number}/"
    extra = {}
    if expires_at is not None:
        extra["time_expire"] = expires_at.astimezone(ALIPAY_TZ).strftime("%Y-%m-%d %H:%M:%S")
    query = _client().api_alipay_trade_page_pay(
        subject=subject,
        out_trade_no=order_number,
        total_amount=f"{amount:.2f}",
        return_url=settings.ALIPAY_RETURN_URL,
        notify_url=settings.ALIPAY_NOTIFY_URL,
        **extra,
    )
    return f"{gateway()}?{query}"


def order_pay_url(order) -> str | None:
    """Where the browser pays an unpaid order; None once it no longer waits for money, that is
    once paid or cancelled, or past ORDER_PAY_TIMEOUT even before the timeout job has run."""
    deadline = order.date + timedelta(seconds=settings.ORDER_PAY_TIMEOUT)
    if order.status != order.STATUS_UNPAID or timezone.now() >= deadline:
        return None
    return page_pay_url(
        order_number=order.order_number,
        amount=order.actual_amount,
        subject=f"路飞学城订单 {order.order_number}",
        expires_at=deadline,
    )


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


def verify_notification(data: Mapping[str, str]) -> Notification:
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


DEV_PAYMENT_PREFIX = "DEV"  # payment_number of orders the development gateway paid


def refund(*, order_number: str, payment_number: str | None, amount: Decimal, reason: str) -> str:
    """Give `amount` back for `order_number` through the gateway that took it; returns a note.

    Alipay (`alipay.trade.refund`) gets the order number as `out_request_no` too, so a retry of
    the same refund never pays twice. An order the development gateway paid is refunded by it,
    offline. Anything else (refused, unreachable, no gateway for this payment) is 1048.
    """
    if payment_number and payment_number.startswith(DEV_PAYMENT_PREFIX):
        return "development gateway"
    if not is_configured():
        raise AppError(Codes.PAYMENT_GATEWAY_FAILED, "支付宝未配置 / Alipay is not configured")
    try:
        answer = _client().api_alipay_trade_refund(
            refund_amount=f"{amount:.2f}",
            out_trade_no=order_number,
            out_request_no=order_number,
            refund_reason=reason[:256],
        )
    except Exception as exc:  # network, signature, or anything else the SDK raises
        raise AppError(Codes.PAYMENT_GATEWAY_FAILED, f"支付宝退款失败 / {exc}"[:200]) from exc
    if not isinstance(answer, dict) or answer.get("code") != "10000":
        detail = answer.get("sub_msg") or answer.get("msg") if isinstance(answer, dict) else None
        raise AppError(Codes.PAYMENT_GATEWAY_FAILED, f"支付宝拒绝退款 / {detail or answer}"[:200])
    return f"alipay {answer.get('trade_no', '')}".strip()
