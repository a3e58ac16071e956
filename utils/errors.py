"""The error-code registry (see API.md, "Code registry") and the one exception that carries a code.

Raise `AppError(Codes.X)` anywhere; utils/exception_handler.py turns it into the envelope with the
code's HTTP status. No view writes a code as a literal.
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorCode:
    code: int
    message: str
    http_status: int = 200


class Codes:
    SUCCESS = ErrorCode(1000, "成功 / success")
    NOT_AUTHENTICATED = ErrorCode(1001, "未登录或登录已过期 / not authenticated", 401)
    MALFORMED = ErrorCode(1002, "请求格式错误 / malformed request", 400)
    UNAVAILABLE = ErrorCode(1003, "服务暂不可用,未做任何修改 / service unavailable", 503)
    THROTTLED = ErrorCode(1004, "请求过于频繁 / too many requests", 429)
    LOGIN_FAILED = ErrorCode(1005, "用户名或密码错误 / wrong username or password")
    # Added in the 100x range for transport errors API.md names without a code.
    NOT_FOUND = ErrorCode(1006, "资源不存在 / not found", 404)
    METHOD_NOT_ALLOWED = ErrorCode(1007, "请求方法不允许 / method not allowed", 405)
    UNSUPPORTED_MEDIA_TYPE = ErrorCode(1008, "不支持的请求格式 / unsupported media type", 415)
    INTERNAL = ErrorCode(1009, "服务器内部错误 / internal error", 500)

    CART_COURSE_INVALID = ErrorCode(1010, "课程不存在或未上线 / course not found or not on sale")
    CART_POLICY_INVALID = ErrorCode(1011, "价格策略不合法 / price policy not of this course")
    CART_NOT_IN_CART = ErrorCode(1012, "购物车中没有该课程 / course not in cart")
    CART_FULL = ErrorCode(1013, "购物车已满 / cart is full")

    SETTLEMENT_FAILED = ErrorCode(1020, "结算失败 / settlement failed")
    SETTLEMENT_COURSE_LIST = ErrorCode(1021, "获取课程id失败 / course_list missing or malformed")
    SETTLEMENT_NOT_IN_CART = ErrorCode(1022, "结算的课程id不合法 / course not in cart")
    SETTLEMENT_OFF_SALE = ErrorCode(1023, "课程或价格策略已下线 / course or policy not on sale")
    SETTLEMENT_READ_FAILED = ErrorCode(1024, "获取结算中心失败 / reading the settlement failed")
    SETTLEMENT_PATCH_FAILED = ErrorCode(1026, "更改优惠券失败 / nothing to change")
    SETTLEMENT_COURSE_INVALID = ErrorCode(1027, "课程id不合法 / course not in settlement")
    SETTLEMENT_COURSE_COUPON = ErrorCode(1028, "课程的优惠券不合法 / course coupon not usable")
    SETTLEMENT_GLOBAL_COUPON = ErrorCode(1029, "全局优惠券不合法 / global coupon not usable")

    COUPON_NOT_FOUND = ErrorCode(1030, "优惠券不存在 / no such coupon")
    COUPON_NOT_CLAIMABLE = ErrorCode(1031, "不在领取时间内 / outside the claim window")
    COUPON_LIMIT = ErrorCode(1032, "已达领取上限 / claim limit reached")

    PAYMENT_EMPTY = ErrorCode(1040, "结算中心为空 / settlement is empty")
    PAYMENT_PRICE_MISMATCH = ErrorCode(1041, "价格不一致 / price differs from the server's")
    PAYMENT_NOT_ENOUGH_BEILI = ErrorCode(1042, "贝里不足 / not enough 贝里")
    PAYMENT_COUPON_GONE = ErrorCode(1043, "优惠券已失效 / a coupon was used or expired")
    PAYMENT_IDEMPOTENCY_MISMATCH = ErrorCode(
        1044, "幂等键已用于其他请求 / Idempotency-Key reused with another body", 422
    )
    PAYMENT_NOTIFY_INVALID = ErrorCode(1045, "支付通知验证失败 / notification not verified", 400)
    PAYMENT_IN_PROGRESS = ErrorCode(1046, "请求处理中,请稍后重试 / request in progress", 409)
    PAYMENT_NO_GATEWAY = ErrorCode(1047, "未配置支付网关 / no payment gateway configured")
    PAYMENT_GATEWAY_FAILED = ErrorCode(
        1048, "支付网关拒绝或不可达,请稍后重试 / payment gateway failed, retry later", 502
    )

    ORDER_NOT_FOUND = ErrorCode(1050, "订单不存在 / no such order", 404)
    ORDER_NOT_CANCELLABLE = ErrorCode(1051, "订单当前状态不可取消 / order cannot be cancelled")
    ORDER_NOT_REFUNDABLE = ErrorCode(1052, "订单不可申请退费 / a refund cannot be asked for")


REGISTRY: dict[int, ErrorCode] = {
    value.code: value for value in vars(Codes).values() if isinstance(value, ErrorCode)
}


class AppError(Exception):
    """A failure a client can cause or must be told about, named by a registry code."""

    def __init__(self, error: ErrorCode, detail: str | None = None, data: Any = None):
        self.error = error
        self.detail = detail or error.message
        self.data = data
        super().__init__(f"{error.code}: {self.detail}")
