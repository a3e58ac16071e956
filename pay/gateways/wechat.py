"""WeChat Pay API v3 (wechatpayv3): Native pay (a code to scan) on desktops, H5 pay on phones,
verified notifications and refunds.

Configured by WECHAT_MCHID, WECHAT_APPID, the merchant's API private key and its certificate's
serial number, the APIv3 key, the notify URL, and how to recognise WeChat's signatures: the
platform certificates in WECHAT_CERT_DIR (downloaded there by the SDK when empty) or the newer
platform public key with its id. Amounts go to WeChat in fen (integers) and come back as Decimal.
"""

import json
import logging
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from wechatpayv3 import WeChatPay, WeChatPayType

from pay.gateways import base
from utils.errors import AppError, Codes

logger = logging.getLogger("settlement")
WECHAT_TZ = ZoneInfo("Asia/Shanghai")
PAID_EVENT, PAID_STATE = "TRANSACTION.SUCCESS", "SUCCESS"
REFUND_ACCEPTED = {"SUCCESS", "PROCESSING"}
FEN = Decimal("0.01")


def _text(value: str, path: str) -> str:
    if value:
        return value
    if path:
        return Path(path).read_text()
    return ""


def _config() -> tuple:
    return (
        settings.WECHAT_MCHID,
        settings.WECHAT_APPID,
        _text(settings.WECHAT_PRIVATE_KEY, settings.WECHAT_PRIVATE_KEY_PATH),
        settings.WECHAT_CERT_SERIAL_NO,
        settings.WECHAT_APIV3_KEY,
        settings.WECHAT_NOTIFY_URL,
        settings.WECHAT_CERT_DIR,
        _text(settings.WECHAT_PUBLIC_KEY, settings.WECHAT_PUBLIC_KEY_PATH),
        settings.WECHAT_PUBLIC_KEY_ID,
        settings.WECHAT_TIMEOUT,
    )


def is_configured() -> bool:
    mchid, appid, private_key, serial, apiv3_key, notify, cert_dir, public_key, key_id, _ = (
        _config()
    )
    platform = bool(cert_dir) or bool(public_key and key_id)
    return bool(mchid and appid and private_key and serial and notify and platform) and (
        len(apiv3_key.encode()) == 32  # AES-256-GCM
    )


@lru_cache(maxsize=4)
def _client_for(config: tuple) -> WeChatPay:
    mchid, appid, private_key, serial, apiv3_key, notify, cert_dir, public_key, key_id, timeout = (
        config
    )
    return WeChatPay(
        wechatpay_type=WeChatPayType.NATIVE,
        mchid=mchid,
        private_key=private_key,
        cert_serial_no=serial,
        appid=appid,
        apiv3_key=apiv3_key,
        notify_url=notify,
        cert_dir=cert_dir or None,
        public_key=public_key or None,
        public_key_id=key_id or None,
        timeout=(min(timeout, 5), timeout),
        logger=logger if settings.DEBUG else None,
    )


def _client(code=Codes.PAYMENT_GATEWAY_FAILED) -> WeChatPay:
    """One client per process and configuration: building it loads (or, the first time,
    downloads) the platform certificates."""
    try:
        return _client_for(_config())
    except Exception as exc:  # the SDK raises bare Exception (bad key, no certificate)
        logger.warning("WeChat Pay client could not be built: %r", exc)
        raise AppError(code, "微信支付暂不可用 / WeChat Pay client unavailable") from exc


def fen(amount: Decimal) -> int:
    return int((amount / FEN).to_integral_value())


def _call(what: str, request) -> dict:
    """Run one SDK call (returns (status, text)); its JSON answer, or 1048."""
    try:
        status, text = request()
    except Exception as exc:  # requests' errors, the SDK's signature check of the answer
        logger.warning("WeChat Pay %s failed: %r", what, exc)  # details stay in the log
        raise AppError(Codes.PAYMENT_GATEWAY_FAILED, f"微信支付{what}失败 / unreachable") from exc
    try:
        answer = json.loads(text) if text else {}
    except (TypeError, ValueError):
        answer = {}
    if not 200 <= status < 300 or not isinstance(answer, dict):
        message = answer.get("message") if isinstance(answer, dict) else ""
        logger.warning("WeChat Pay %s refused: %s %s", what, status, str(text)[:500])
        raise AppError(Codes.PAYMENT_GATEWAY_FAILED, f"微信支付{what}失败 / {status} {message}")
    return answer


def _invalid(detail: str) -> AppError:
    return AppError(Codes.PAYMENT_NOTIFY_INVALID, f"支付通知验证失败 / {detail}")


class WeChatGateway:
    name = "wechat"
    label = "微信支付"

    def __init__(self, payment_type: int):
        self.payment_type = payment_type

    def __repr__(self):
        return "WeChatGateway()"

    def pay(self, order, *, channel: str, client_ip: str | None) -> base.PayAction:
        """Native on a desktop (`code_url`, kept on the order: WeChat gives it once per trade),
        H5 on a phone (`h5_url`, valid five minutes, so never kept)."""
        params = {
            "description": base.subject(order),
            "out_trade_no": order.order_number,
            "amount": {"total": fen(order.actual_amount), "currency": "CNY"},
            # WeChat closes the trade when the order times out here, so nobody pays it later.
            "time_expire": order.pay_deadline.astimezone(WECHAT_TZ).isoformat("T", "seconds"),
        }
        client = _client()
        if channel == base.MOBILE:
            scene = {"payer_client_ip": client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}}
            answer = _call(
                "下单",
                lambda: client.pay(**params, scene_info=scene, pay_type=WeChatPayType.H5),
            )
            url = answer.get("h5_url")
            if not isinstance(url, str) or not url:
                raise AppError(Codes.PAYMENT_GATEWAY_FAILED, "微信支付下单失败 / no h5_url")
            if settings.WECHAT_H5_REDIRECT_URL:
                back = settings.WECHAT_H5_REDIRECT_URL.format(order_number=order.order_number)
                url = f"{url}&redirect_url={quote(back, safe='')}"
            return base.PayAction(pay_url=url)
        answer = _call("下单", lambda: client.pay(**params, pay_type=WeChatPayType.NATIVE))
        code_url = answer.get("code_url")
        if not isinstance(code_url, str) or not code_url:
            raise AppError(Codes.PAYMENT_GATEWAY_FAILED, "微信支付下单失败 / no code_url")
        return base.PayAction(code_url=code_url, keep_code=True)

    def resume(self, order) -> base.PayAction | None:
        return base.PayAction(code_url=order.code_url) if order.code_url else None

    def verify(self, request: HttpRequest) -> base.Notification:
        """WeChat's signature over "timestamp\\nnonce\\nbody\\n" checked with the platform key,
        the resource decrypted (AES-256-GCM, APIv3 key), merchant and app compared."""
        if not is_configured():
            raise _invalid("WeChat Pay is not configured")
        client = _client(code=Codes.PAYMENT_NOTIFY_INVALID)
        try:
            result = client.callback(request.META, request.body)
        except Exception as exc:  # unknown algorithm or serial, malformed JSON or base64
            raise _invalid("unreadable notification") from exc
        if not isinstance(result, dict) or not isinstance(result.get("resource"), dict):
            raise _invalid("bad signature or resource")
        resource = result["resource"]
        if resource.get("mchid") != settings.WECHAT_MCHID:
            raise _invalid("another merchant")
        if resource.get("appid") != settings.WECHAT_APPID:
            raise _invalid("another app id")
        order_number = resource.get("out_trade_no")
        transaction_id = resource.get("transaction_id")
        total = (resource.get("amount") or {}).get("total")
        if not isinstance(order_number, str) or not order_number:
            raise _invalid("no out_trade_no")
        if not isinstance(transaction_id, str) or not transaction_id:
            raise _invalid("no transaction_id")
        if isinstance(total, bool) or not isinstance(total, int) or total <= 0:
            raise _invalid("bad amount")
        paid = result.get("event_type") == PAID_EVENT and resource.get("trade_state") == PAID_STATE
        return base.Notification(
            order_number=order_number,
            amount=Decimal(total) * FEN,
            payment_number=transaction_id,
            paid=paid,
        )

    def acknowledge(self) -> HttpResponse:
        return HttpResponse(status=204)  # WeChat Pay v3: 200 or 204, no body needed

    def refund(self, *, order_number: str, amount: Decimal, reason: str = "") -> str:
        """The whole order back (out_refund_no = the order number: a retry is the same refund)."""
        total = fen(amount)
        answer = _call(
            "退款",
            lambda: _client().refund(
                out_refund_no=order_number,
                out_trade_no=order_number,
                amount={"refund": total, "total": total, "currency": "CNY"},
                reason=reason[:80] or None,
            ),
        )
        if answer.get("status") not in REFUND_ACCEPTED:
            raise AppError(
                Codes.PAYMENT_GATEWAY_FAILED, f"微信支付退款失败 / {answer.get('status')}"
            )
        return str(answer.get("refund_id") or order_number)
