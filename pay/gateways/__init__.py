"""Payment gateways behind one interface (pay/gateways/base.py): Alipay, WeChat Pay, and the
development gateway standing in for either of them when it is not configured and DEBUG is on.

Services call `get`, `for_order` and `pay_action`; nothing else talks to a gateway. With DEBUG
off, a gateway that is not configured does not exist: an order needing money through it is
refused with 1047 before anything is written.
"""

import logging
from collections.abc import Callable
from types import ModuleType

from django.conf import settings
from django.utils import timezone

from pay.gateways import alipay, wechat
from pay.gateways.base import (
    CHANNELS,
    DESKTOP,
    MOBILE,
    Gateway,
    Notification,
    PayAction,
)
from pay.gateways.dev import DevGateway
from pay.models import Order
from utils.errors import AppError, Codes

__all__ = ["CHANNELS", "DESKTOP", "MOBILE", "Gateway", "Notification", "PayAction"]

ALIPAY, WECHAT = "alipay", "wechat"
NAMES = (ALIPAY, WECHAT)
DEFAULT = ALIPAY
logger = logging.getLogger("settlement")

_REAL: dict[
    str, tuple[ModuleType, Callable[[], Gateway]]
] = {  # name: (its module, which says whether it is configured; its gateway)
    ALIPAY: (alipay, lambda: alipay.AlipayGateway(Order.PAY_ALIPAY)),
    WECHAT: (wechat, lambda: wechat.WeChatGateway(Order.PAY_WECHAT)),
}
_STANDS_FOR = {ALIPAY: "支付宝", WECHAT: "微信支付"}
_PAYMENT_TYPES = {ALIPAY: Order.PAY_ALIPAY, WECHAT: Order.PAY_WECHAT}
_BY_PAYMENT_TYPE = {payment_type: name for name, payment_type in _PAYMENT_TYPES.items()}


def real(name: str) -> Gateway | None:
    """The configured gateway `name` (never the development one), or None."""
    if name not in _REAL:
        return None
    module, make = _REAL[name]
    return make() if module.is_configured() else None


def find(name: str) -> Gateway | None:
    """Who takes money for `name` now: the real gateway, else (DEBUG only) the development one."""
    gateway = real(name)
    if gateway is None and name in _REAL and settings.DEBUG:
        gateway = DevGateway(name, _PAYMENT_TYPES[name], _STANDS_FOR[name])
    return gateway


def get(name: str) -> Gateway:
    """`find`, or 1047 for a gateway that is unknown or not configured."""
    gateway = find(name)
    if gateway is None:
        raise AppError(Codes.PAYMENT_NO_GATEWAY, f"支付方式不可用 / gateway {name!r} unavailable")
    return gateway


def name_of(order: Order) -> str | None:
    """The gateway an order pays (or paid) through; None for 贝里 and coupon orders."""
    return _BY_PAYMENT_TYPE.get(order.payment_type)


def for_order(order: Order) -> Gateway:
    """The gateway that took (or takes) the order's money: refunds go back the same way. 1047
    when it is not configured any more."""
    name = name_of(order)
    if name is None:
        raise AppError(Codes.PAYMENT_NO_GATEWAY, "该订单未经支付网关 / not paid through a gateway")
    return get(name)


def pay_action(order: Order, *, now=None) -> PayAction | None:
    """Where the buyer pays an order still waiting for money, without calling the gateway;
    None once paid, cancelled or past its pay deadline, or when its gateway is gone."""
    now = now or timezone.now()
    if order.status != Order.STATUS_UNPAID or order.is_overdue(now):
        return None
    name = name_of(order)
    gateway = find(name) if name else None
    return gateway.resume(order) if gateway is not None else None


def active() -> dict[str, str]:
    """What each gateway name is served by now: for the start-up log and the README."""
    served = {}
    for name in NAMES:
        gateway = find(name)
        if gateway is None:
            served[name] = "off"
        elif isinstance(gateway, DevGateway):
            served[name] = "development gateway (DEBUG, not configured)"
        else:
            served[name] = "configured"
    return served


def log_active() -> None:
    served = active()
    logger.info("Payment gateways: %s", ", ".join(f"{k}={v}" for k, v in served.items()))
    if all(v == "off" for v in served.values()):
        logger.warning(
            "No payment gateway is configured: orders that leave money to pay are refused (1047)."
        )
