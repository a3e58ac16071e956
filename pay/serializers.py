"""Request parsers and response shapes for coupons (and the coupon object API.md defines)."""

import re
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pay import gateways
from pay.models import Coupon, Order
from pay.qr import qr_svg_data_uri
from pay.selectors import HeldCoupon, held_coupon, held_verdict
from utils.errors import AppError, Codes
from utils.ids import IdField, parse_id
from utils.money import money_text, money_text_or_none
from utils.parsers import coded
from utils.render import Renderer


class MoneyTextField(serializers.CharField):
    """Money rendered: a two-decimal string (utils.money), null when there is none."""

    to_representation = staticmethod(money_text)  # type: ignore[assignment]


COUPON_TYPE_LABELS = [label for _, label in Coupon.coupon_type_choices]
COUPON_TYPE_IDS = [value for value, _ in Coupon.coupon_type_choices]


class CouponSerializer(serializers.Serializer):
    """API.md's coupon object, the one shape of a coupon on the wire (settlement, wallet, claim,
    orders), and its one definition: coupon_payload renders through it, the schema is made
    from it.

    The seed's six fields under the seed's names and meanings first (`coupon_type` is the label,
    as the seed's `get_coupon_type_display()`; `object_id` the bound course or null), then this
    service's additions. Renders a mapping: a coupon's fields (a HeldCoupon or a settlement's
    StoredCoupon) plus `object_id`, `usable` and `reason`.
    """

    name = serializers.CharField(help_text="the rule's name (seed)")
    coupon_type = serializers.ChoiceField(
        source="coupon_type_display",
        choices=COUPON_TYPE_LABELS,
        help_text="the type's label, as the seed's get_coupon_type_display()",
    )
    money_equivalent_value = MoneyTextField(
        allow_null=True, help_text="money off (通用券, 满减券), a two-decimal string (seed)"
    )
    off_percent = serializers.IntegerField(
        allow_null=True, help_text="折扣券: 79 means 7.9折 (seed)"
    )
    minimum_consume = MoneyTextField(help_text="满减券's threshold, a two-decimal string (seed)")
    object_id = serializers.IntegerField(
        allow_null=True, help_text="the course it is bound to; null for a global coupon (seed)"
    )
    id = serializers.IntegerField(help_text="CouponRecord id: what PATCH /api/settlement/ takes")
    coupon_id = serializers.IntegerField(help_text="Coupon rule id")
    number = serializers.CharField(help_text="the record's serial number")
    coupon_type_id = serializers.ChoiceField(
        source="coupon_type", choices=COUPON_TYPE_IDS, help_text="0 通用券, 1 满减券, 2 折扣券"
    )
    valid_end = serializers.DateField(help_text="the last day it can be used")
    usable = serializers.BooleanField(help_text="whether it can be chosen now")
    reason = serializers.CharField(allow_null=True, help_text="why it cannot be used now")


class WalletCouponSerializer(CouponSerializer):
    """The coupon object with its record's status (the wallet, a claim's answer, an order's
    coupons)."""

    status = serializers.IntegerField(help_text="0 未使用, 1 已使用, 2 已过期")
    get_time = serializers.DateTimeField()
    used_time = serializers.DateTimeField(allow_null=True)


# Rendered through the serializers' fields (utils.render: DRF's output at a plain dict's cost).
_COUPON = Renderer(CouponSerializer())
_WALLET_COUPON = Renderer(WalletCouponSerializer())


def coupon_payload(coupon, *, object_id: int | None, usable: bool, reason: str | None) -> dict:
    """The coupon object of `coupon` (a HeldCoupon or a StoredCoupon), rendered by
    CouponSerializer."""
    facts = {**vars(coupon), "object_id": object_id, "usable": usable, "reason": reason}
    return _COUPON(facts)


def wallet_payload(held: HeldCoupon, today) -> dict:
    """A held coupon with its record's status, rendered by WalletCouponSerializer."""
    verdict = held_verdict(held, today)
    facts = {
        **vars(held),
        "object_id": held.course_id,
        "usable": verdict.usable,
        "reason": verdict.reason,
    }
    return _WALLET_COUPON(facts)


COUPON_EXAMPLE = {
    "name": "Python满100减20",
    "coupon_type": "满减券",
    "money_equivalent_value": "20.00",
    "off_percent": None,
    "minimum_consume": "100.00",
    "object_id": 1,
    "id": 12,
    "coupon_id": 3,
    "number": "C20261125153012A1B2C3D4",
    "coupon_type_id": 1,
    "valid_end": "2026-12-31",
    "usable": True,
    "reason": None,
}


class WalletQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[0, 1, 2], required=False)


class CodeField(serializers.CharField):
    """A code or name as typed: a JSON string only (a number is not a code someone typed)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ClaimSerializer(serializers.Serializer):
    """Exactly one of `coupon_id` and `code` (else 1002)."""

    coupon_id = IdField(required=False, help_text="Coupon rule id")
    code = CodeField(
        required=False, max_length=64, help_text="a rule's public code, case-insensitive"
    )

    def validate(self, attrs):
        if ("coupon_id" in attrs) == ("code" in attrs):
            raise serializers.ValidationError("coupon_id 与 code 须且只须给一个 / give one of them")
        return attrs


class RedeemSerializer(serializers.Serializer):
    code = CodeField(max_length=64, help_text="a one-time redemption code (兑换码)")


class ClaimableRuleSerializer(serializers.Serializer):
    """A rule one can claim now (GET /api/coupons/available/); renders a Coupon rule."""

    coupon_id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    brief = serializers.CharField(allow_null=True)
    coupon_type = serializers.ChoiceField(
        source="get_coupon_type_display", choices=COUPON_TYPE_LABELS, help_text="the label"
    )
    coupon_type_id = serializers.ChoiceField(source="coupon_type", choices=COUPON_TYPE_IDS)
    money_equivalent_value = MoneyTextField(allow_null=True)
    off_percent = serializers.IntegerField(allow_null=True)
    minimum_consume = MoneyTextField()
    object_id = serializers.IntegerField(allow_null=True, help_text="bound course; null: global")
    close_date = serializers.DateField()
    valid_begin_date = serializers.DateField(allow_null=True)
    valid_end_date = serializers.DateField(allow_null=True)
    coupon_valid_days = serializers.IntegerField(allow_null=True)
    per_account_limit = serializers.IntegerField()
    held = serializers.IntegerField(help_text="records of it the account holds")
    total_quantity = serializers.IntegerField(allow_null=True, help_text="null: unlimited")
    remaining = serializers.IntegerField(allow_null=True, help_text="null: unlimited")


_CLAIMABLE = ClaimableRuleSerializer()


def claimable_payload(rule, held: int) -> dict:
    """A claimable rule, rendered by ClaimableRuleSerializer (`held` set on the rule for it)."""
    rule.held = held
    return _CLAIMABLE.to_representation(rule)


# --- Settlement -----------------------------------------------------------------------------


class SettlementLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="course_id", help_text="course id")
    title = serializers.CharField()
    img_src = serializers.CharField(allow_blank=True)
    price = MoneyTextField()
    period_display = serializers.CharField()
    valid_period = serializers.IntegerField()
    price_policy_id = serializers.IntegerField()
    course_coupons = serializers.DictField(child=CouponSerializer(), help_text="by record id")
    default_course_coupon_id = serializers.IntegerField(allow_null=True)
    discounted_price = MoneyTextField()


class GlobalCouponInfoSerializer(serializers.Serializer):
    """Flat, as the seed's `global_coupon_<user>` hash: every other key is a CouponRecord id
    whose value is a coupon object (GlobalCouponInfoSchema adds that to the schema). Renders
    `{"coupons": {record id: coupon facts}, "default_coupon_id": ...}`."""

    default_coupon_id = serializers.IntegerField(
        allow_null=True, help_text="the chosen global coupon's record id (a key of this object)"
    )

    def to_representation(self, instance) -> dict:
        return {
            **{str(rid): _COUPON(c) for rid, c in instance["coupons"].items()},
            "default_coupon_id": instance["default_coupon_id"],
        }


class GlobalCouponInfoSchema(OpenApiSerializerExtension):
    """OpenAPI for GlobalCouponInfoSerializer: `default_coupon_id` plus coupon objects by record id."""

    target_class = GlobalCouponInfoSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["additionalProperties"] = auto_schema.resolve_serializer(
            CouponSerializer, direction
        ).ref
        return schema


class AmountSerializer(serializers.Serializer):
    """Renders a pay.pricing.Quote."""

    total_price = MoneyTextField()
    course_discount = MoneyTextField()
    global_discount = MoneyTextField()
    payable = MoneyTextField()


class SettlementSerializer(serializers.Serializer):
    """GET /api/settlement/'s data (API.md, "Settlement center"); settlement_payload renders
    through it."""

    settlement_list = SettlementLineSerializer(many=True)
    global_coupon_info = GlobalCouponInfoSerializer()
    amount = AmountSerializer()


_SETTLEMENT = Renderer(SettlementSerializer())


def _coupon_facts(coupon, *, object_id: int | None, verdict) -> dict:
    """What CouponSerializer renders: a coupon's fields with its course and verdict."""
    return {
        **vars(coupon),
        "object_id": object_id,
        "usable": verdict.usable,
        "reason": verdict.reason,
    }


def settlement_payload(priced) -> dict:
    """GET /api/settlement/'s data, rendered by SettlementSerializer."""
    settlement, quote = priced.settlement, priced.quote
    line_quotes = {q.course_id: q for q in quote.lines}
    lines = []
    for line in settlement.lines:
        verdicts = priced.course_verdicts[line.course_id]
        coupons = {
            rid: _coupon_facts(c, object_id=line.course_id, verdict=verdicts[rid])
            for rid, c in line.course_coupons.items()
        }
        lines.append(
            {
                **vars(line),
                "course_coupons": coupons,
                "default_course_coupon_id": priced.course_choices[line.course_id],
                "discounted_price": line_quotes[line.course_id].discounted_price,
            }
        )
    global_coupons = {
        rid: _coupon_facts(c, object_id=None, verdict=priced.global_verdicts[rid])
        for rid, c in settlement.global_coupons.items()
    }
    return _SETTLEMENT(
        {
            "settlement_list": lines,
            # Flat, as the seed's global_coupon_<user> hash: record ids and default_coupon_id.
            "global_coupon_info": {
                "coupons": global_coupons,
                "default_coupon_id": priced.global_choice,
            },
            "amount": quote,
        }
    )


_GLOBAL_EXAMPLE = {
    **COUPON_EXAMPLE,
    "name": "全场满250减30",
    "money_equivalent_value": "30.00",
    "minimum_consume": "250.00",
    "object_id": None,
    "id": 17,
    "coupon_id": 5,
    "number": "C20261125153044E5F6A7B8",
    "usable": False,
    "reason": "未满最低消费 250.00 / under minimum_consume",
}
SETTLEMENT_EXAMPLE = {
    "settlement_list": [
        {
            "id": 1,
            "title": "Python开发入门",
            "img_src": "/static/demo/course_1.svg",
            "price": "199.00",
            "period_display": "1个月",
            "valid_period": 30,
            "price_policy_id": 1,
            "course_coupons": {"12": COUPON_EXAMPLE},
            "default_course_coupon_id": 12,
            "discounted_price": "179.00",
        }
    ],
    "global_coupon_info": {"17": _GLOBAL_EXAMPLE, "default_coupon_id": None},
    "amount": {
        "total_price": "199.00",
        "course_discount": "20.00",
        "global_discount": "0.00",
        "payable": "179.00",
    },
}


class CouponSchema(OpenApiSerializerExtension):
    """The Coupon component carries an example (tests/utils/test_schema.py validates it)."""

    target_class = CouponSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "example": COUPON_EXAMPLE}


class SettlementSchema(OpenApiSerializerExtension):
    """The Settlement component carries an example (tests/utils/test_schema.py validates it)."""

    target_class = SettlementSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "example": SETTLEMENT_EXAMPLE}


class SettlementCreateSerializer(serializers.Serializer):
    """POST: a non-empty list of at most SHOPPING_CAR_LIMIT ids (ints or numeric strings),
    duplicates folded; anything else is 1021."""

    course_list = coded(
        serializers.ListField(child=IdField(), help_text="course ids"),
        Codes.SETTLEMENT_COURSE_LIST,
        Codes.SETTLEMENT_COURSE_LIST.message,
    )

    def validate_course_list(self, value: list[int]) -> list[int]:
        if not value or len(value) > settings.SHOPPING_CAR_LIMIT:
            raise serializers.ValidationError("1 .. SHOPPING_CAR_LIMIT ids")
        return list(dict.fromkeys(value))


class ChoiceIdField(IdField):
    """A coupon choice: a record id, or null / "" to clear it."""

    def to_internal_value(self, data) -> int | None:  # type: ignore[override]
        return None if data == "" else super().to_internal_value(data)


class RawIdField(IdField):
    """An id checked by the serializer's `validate` (its code depends on the other fields)."""

    def to_internal_value(self, data):
        return data


def _coupon_choice(name: str) -> ChoiceIdField:
    return coded(
        ChoiceIdField(required=False, allow_null=True, help_text='record id; null or "" clears'),
        Codes.MALFORMED,
        f"{name} 须为优惠券id / {name} must be an id",
    )


_NOTHING_TO_CHANGE = "没有要修改的优惠券 / nothing to change"
_COURSE_ID_MALFORMED = "course_id 须为课程id / course_id must be an id"


class SettlementPatchSerializer(serializers.Serializer):
    """PATCH: `coupon_id` (with `course_id`) and/or `global_coupon_id`; an absent key leaves
    that choice as it is. Malformed ids are 1002; nothing to change, or a `course_id` without
    `coupon_id`, is 1026 (checked before `course_id` itself, as the seed did)."""

    coupon_id = _coupon_choice("coupon_id")
    global_coupon_id = _coupon_choice("global_coupon_id")
    course_id = RawIdField(required=False, allow_null=True, help_text="course id")

    def validate(self, attrs: dict) -> dict:
        if "coupon_id" not in attrs and "global_coupon_id" not in attrs:
            raise AppError(Codes.SETTLEMENT_PATCH_FAILED, _NOTHING_TO_CHANGE)
        raw = attrs.pop("course_id", None)
        named = raw not in (None, "")
        if "coupon_id" in attrs or named:
            course_id = parse_id(raw)
            if course_id is None and named:
                raise AppError(Codes.MALFORMED, _COURSE_ID_MALFORMED)
            if "coupon_id" not in attrs:
                raise AppError(Codes.SETTLEMENT_PATCH_FAILED, _NOTHING_TO_CHANGE)
            attrs["course_id"] = course_id
        return attrs


class SettlementDeleteSerializer(serializers.Serializer):
    course_id = coded(
        IdField(required=False, help_text="omit to return every course"),
        Codes.MALFORMED,
        _COURSE_ID_MALFORMED,
    )


# --- Payment and orders ---------------------------------------------------------------------


_AMOUNT = Order._meta.get_field("actual_amount")
MONEY_INTEGER_DIGITS = _AMOUNT.max_digits - _AMOUNT.decimal_places
MONEY_MAX = Decimal(f"{'9' * MONEY_INTEGER_DIGITS}.{'9' * _AMOUNT.decimal_places}")
# Plain decimal digits only: no sign (so no negative zero), no exponent, no NaN or Infinity,
# never more digits than the money columns hold. Checked on the text before any Decimal exists,
# so no arithmetic context can overflow on what a client sends.
_MONEY_TEXT = re.compile(
    rf"[0-9]{{1,{MONEY_INTEGER_DIGITS}}}(?:\.[0-9]{{1,{_AMOUNT.decimal_places}}})?", re.ASCII
)
BEILI_MAX = 2**31 - 1  # Account.balance is a PositiveIntegerField: nobody can hold more


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "pattern": f"^{_MONEY_TEXT.pattern}$"},
            {"type": "number", "minimum": 0, "maximum": float(MONEY_MAX), "multipleOf": 0.01},
        ],
        "description": 'an amount, e.g. "78.00" (at most two decimals)',
    }
)
class MoneyField(serializers.Field):
    """An amount of money sent by a client: a string or a JSON number of plain digits with at
    most two decimals, no larger than the money columns hold (99999999.99). Exponents ("1e30"),
    NaN, Infinity, signs (negative zero included) and longer numbers are 1002."""

    default_error_messages = {
        "invalid": "须为两位小数以内的金额 / an amount with at most two decimals"
    }

    def to_internal_value(self, data) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        if isinstance(data, int) and not 0 <= data <= MONEY_MAX:
            self.fail("invalid")  # before str(): a huge int is refused without being printed
        text = data.strip() if isinstance(data, str) else str(data)
        if len(text) > 32 or not _MONEY_TEXT.fullmatch(text):
            self.fail("invalid")
        return Decimal(text).quantize(Decimal("0.01"))

    def to_representation(self, value) -> str:
        return money_text(value)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 0, "maximum": BEILI_MAX},
            {"type": "string", "pattern": "^[0-9]{1,10}$"},
        ],
        "description": "贝里, an integer (or a numeric string)",
    }
)
class BeiliField(serializers.Field):
    """贝里 sent by a client: an integer (or a string of digits, as the seed's forms send it)
    from 0 to what an account can hold. Floats (even 3.0), booleans and larger numbers are 1002."""

    default_error_messages = {"invalid": "须为非负整数 / an integer >= 0"}

    def to_internal_value(self, data) -> int:
        if isinstance(data, str):
            text = data.strip()
            if not text.isascii() or not text.isdecimal() or len(text) > 10:
                self.fail("invalid")
            data = int(text)
        elif isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        if not 0 <= data <= BEILI_MAX:
            self.fail("invalid")
        return data

    def to_representation(self, value) -> int:
        return int(value)


class PaymentSerializer(serializers.Serializer):
    """POST /api/payment/'s body, parsed once here: the service gets typed values."""

    balance = BeiliField(required=False, default=0, source="beili", help_text="贝里 to spend")
    price = MoneyField(help_text='money to pay after 贝里, e.g. "78.00"')
    gateway = CodeField(
        required=False,
        default=gateways.DEFAULT,
        allow_blank=True,
        max_length=64,
        help_text='who takes the money left after 贝里: "alipay" (default) or "wechat"; any '
        "other name, or one not configured: 1047",
    )
    channel = serializers.ChoiceField(
        choices=gateways.CHANNELS,
        required=False,
        help_text="desktop: a code to scan (WeChat Native); mobile: the gateway's phone page "
        "(WeChat H5). Default: read from the User-Agent",
    )


class PaymentResultSerializer(serializers.Serializer):
    """POST /api/payment/'s answer: the order and where to pay what is left (payment_result)."""

    order_number = serializers.CharField()
    status = serializers.IntegerField()
    actual_amount = MoneyTextField()
    gateway = serializers.ChoiceField(
        choices=gateways.NAMES, allow_null=True, help_text="null when nothing was left to pay"
    )
    pay_url = serializers.CharField(allow_null=True, help_text="a page to open and pay")
    code_url = serializers.CharField(allow_null=True, help_text="WeChat Native: what to scan")
    qr_code = serializers.CharField(
        allow_null=True, help_text="code_url drawn as a QR code: an SVG data URI"
    )


def pay_facts(order: Order, action: gateways.PayAction | None) -> dict:
    """What the payment's and an order's pay answers say of an order and where to pay it."""
    code_url = action.code_url if action else None
    return {
        "order_number": order.order_number,
        "status": order.status,
        "actual_amount": order.actual_amount,
        "gateway": gateways.name_of(order),
        "pay_url": action.pay_url if action else None,
        "code_url": code_url,
        "qr_code": qr_svg_data_uri(code_url) if code_url else None,
        "pay_deadline": order.pay_deadline,
    }


def payment_result(order: Order, action: gateways.PayAction | None) -> dict:
    """POST /api/payment/'s answer, rendered by PaymentResultSerializer."""
    return _PAYMENT_RESULT(pay_facts(order, action))


_PAYMENT_RESULT = Renderer(PaymentResultSerializer())


def _order_coupon(record) -> dict | None:
    """A coupon an order was priced with, as the coupon object with its record's status now."""
    if record is None:
        return None
    today = timezone.localdate()
    return wallet_payload(held_coupon(record, today), today)


class OrderDetailSerializer(serializers.Serializer):
    """One order line: its price, the course coupon and the share of the global coupon on it
    (null on orders made before these were kept), and what it charges (`price`)."""

    course_id = serializers.IntegerField(source="object_id")
    title = serializers.CharField(source="memo")
    original_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    course_coupon = serializers.SerializerMethodField(help_text="the course coupon used, or null")
    course_discount = serializers.DecimalField(
        max_digits=10, decimal_places=2, allow_null=True, help_text="what the course coupon took"
    )
    discounted_price = serializers.SerializerMethodField(
        help_text="after the course coupon, as checkout's discounted_price"
    )
    global_discount = serializers.DecimalField(
        max_digits=10, decimal_places=2, allow_null=True, help_text="this line's global share"
    )
    price = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="what the line charges: after both coupons"
    )
    valid_period = serializers.IntegerField()
    valid_period_display = serializers.CharField()

    @extend_schema_field(WalletCouponSerializer(allow_null=True))
    def get_course_coupon(self, detail) -> dict | None:
        return _order_coupon(detail.course_coupon)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_discounted_price(self, detail) -> str | None:
        if detail.course_discount is None:
            return None
        return money_text_or_none(detail.original_price - detail.course_discount)


class OrderAmountSerializer(serializers.Serializer):
    """An order's amount block (order_amount renders through it)."""

    total_price = MoneyTextField()
    course_discount = MoneyTextField(allow_null=True)
    global_discount = MoneyTextField(allow_null=True)
    payable = MoneyTextField(help_text="after coupons, before 贝里")
    beili_used = serializers.IntegerField()
    beili_money = MoneyTextField(help_text="the part of payable the 贝里 covered")
    actual_amount = MoneyTextField(help_text="the money: payable - beili_money")


_ORDER_AMOUNT = Renderer(OrderAmountSerializer())


def order_amount(order) -> dict:
    """The order's amount block, the checkout's (total_price, course_discount, global_discount,
    payable) then how it was paid (贝里 and money), from its lines: the same numbers checkout
    showed. The discounts are null on orders made before they were kept."""
    details = list(order.details.all())
    total = sum((d.original_price for d in details), Decimal(0))
    payable = sum((d.price for d in details), Decimal(0))
    known = all(d.course_discount is not None for d in details)
    course = sum((d.course_discount or 0 for d in details), Decimal(0))
    global_ = sum((d.global_discount or 0 for d in details), Decimal(0))
    return _ORDER_AMOUNT(
        {
            "total_price": total,
            "course_discount": course if known else None,
            "global_discount": global_ if known else None,
            "payable": payable,
            "beili_used": order.beili_used,
            "beili_money": payable - order.actual_amount,
            "actual_amount": order.actual_amount,
        }
    )


class OrderSerializer(serializers.Serializer):
    order_number = serializers.CharField()
    status = serializers.IntegerField()
    status_display = serializers.CharField(source="get_status_display")
    payment_type = serializers.IntegerField()
    payment_type_display = serializers.CharField(source="get_payment_type_display")
    actual_amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    beili_used = serializers.IntegerField()
    date = serializers.DateTimeField()
    pay_time = serializers.DateTimeField(allow_null=True)
    cancel_time = serializers.DateTimeField(allow_null=True)
    can_cancel = serializers.BooleanField(help_text="POST .../cancel/ would succeed now")
    can_pay = serializers.BooleanField(help_text="POST .../pay/ would hand out where to pay now")
    gateway = serializers.SerializerMethodField(help_text="alipay, wechat, or null")
    pay_deadline = serializers.SerializerMethodField(help_text="an unpaid order times out then")
    code_url = serializers.SerializerMethodField(
        help_text="WeChat Native: what to scan (kept on the order); null otherwise"
    )
    qr_code = serializers.SerializerMethodField(
        help_text="code_url as a QR code (SVG data URI); null in the list (see the order)"
    )
    can_refund = serializers.BooleanField(help_text="POST .../refund/ would succeed now")
    refund_reason = serializers.CharField(help_text="the buyer's reason for the refund")
    refund_request_time = serializers.DateTimeField(allow_null=True)
    refund_time = serializers.DateTimeField(allow_null=True)
    refund_memo = serializers.CharField(help_text="staff's note on the refund decision")
    details = OrderDetailSerializer(many=True)
    amount = serializers.SerializerMethodField(
        help_text="what checkout showed, and how it was paid"
    )
    global_coupon = serializers.SerializerMethodField(help_text="the global coupon used, or null")
    coupons = serializers.SerializerMethodField(help_text="the coupons this order used")

    @extend_schema_field(serializers.ChoiceField(choices=gateways.NAMES, allow_null=True))
    def get_gateway(self, order) -> str | None:
        return gateways.name_of(order)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_pay_deadline(self, order):
        if order.status != order.STATUS_UNPAID:
            return None
        return serializers.DateTimeField().to_representation(order.pay_deadline)

    @extend_schema_field(OrderAmountSerializer)
    def get_amount(self, order) -> dict:
        return order_amount(order)

    @extend_schema_field(WalletCouponSerializer(allow_null=True))
    def get_global_coupon(self, order) -> dict | None:
        return _order_coupon(order.global_coupon)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_code_url(self, order) -> str | None:
        # Only the code the gateway handed out and the order keeps: nothing is signed or asked
        # of a gateway while orders render (POST .../pay/ does that for one order).
        return order.code_url or None if order.can_pay else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_qr_code(self, order) -> str | None:
        code_url = self.get_code_url(order)
        if not code_url or not self.context.get("qr_code", True):
            return None
        return qr_svg_data_uri(code_url)

    @extend_schema_field(WalletCouponSerializer(many=True))
    def get_coupons(self, order) -> list[dict]:
        today = timezone.localdate()
        return [
            wallet_payload(held_coupon(record, today), today)
            for record in order.coupon_records.all()
        ]


class OrderPageSerializer(serializers.Serializer):
    """GET /api/orders/'s data: one page of the account's orders, newest first."""

    count = serializers.IntegerField(help_text="orders in all pages")
    next = serializers.CharField(allow_null=True, help_text="URL of the next page")
    previous = serializers.CharField(allow_null=True, help_text="URL of the previous page")
    results = OrderSerializer(many=True)


class OrderPaySerializer(serializers.Serializer):
    """POST /api/orders/<n>/pay/'s answer (order_pay_result)."""

    order_number = serializers.CharField()
    actual_amount = MoneyTextField()
    gateway = serializers.ChoiceField(choices=gateways.NAMES)
    pay_url = serializers.CharField(
        allow_null=True, help_text="signed now; open it in the browser (null: scan code_url)"
    )
    code_url = serializers.CharField(allow_null=True, help_text="WeChat Native: what to scan")
    qr_code = serializers.CharField(allow_null=True, help_text="code_url as a QR code")
    pay_deadline = serializers.DateTimeField()


def order_pay_result(order: Order, action: gateways.PayAction) -> dict:
    """POST /api/orders/<n>/pay/'s answer, rendered by OrderPaySerializer."""
    return _ORDER_PAY(pay_facts(order, action))


_ORDER_PAY = Renderer(OrderPaySerializer())


class TextField(CodeField):
    """Free text as typed: a JSON string only, kept as sent (no trimming), no NUL character."""

    default_error_messages = {"nul": "不能含空字符 / no NUL character"}

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if "\x00" in value:  # before DRF's own NUL validator, which answers in its words
            self.fail("nul")
        return value


class OrderRefundSerializer(serializers.Serializer):
    """POST .../refund/: a reason of at most 255 characters (else 1002)."""

    reason = coded(
        TextField(
            required=False,
            default="",
            allow_blank=True,
            max_length=255,
            help_text="why the buyer wants it back",
            error_messages={
                key: "reason 须为255字以内的文字 / at most 255 characters"
                for key in ("invalid", "null", "max_length")
            }
            | {"nul": "reason 不能含空字符 / no NUL character"},
        ),
        Codes.MALFORMED,
    )


class DevGatewayPaySerializer(serializers.Serializer):
    """The development gateway's page: `back_to_shop` (any truthy value) sends the browser back
    to the shop instead of answering JSON."""

    back_to_shop = serializers.JSONField(required=False, default=None)

    def validate_back_to_shop(self, value) -> bool:
        return bool(value)


# --- 贝里 ledger -------------------------------------------------------------------------------


class TransactionSerializer(serializers.Serializer):
    """One row of the 贝里 history (TransactionRecord)."""

    MODEL_FIELDS = (
        "id",
        "transaction_number",
        "transaction_type",
        "amount",
        "balance",
        "memo",
        "date",
        "order",
    )

    transaction_number = serializers.CharField()
    transaction_type = serializers.IntegerField(help_text="0 收入, 1 支出, 2 退款, 3 提现")
    transaction_type_display = serializers.CharField(source="get_transaction_type_display")
    amount = serializers.IntegerField(
        help_text="贝里 moved: always positive; the type says which way"
    )
    change = serializers.IntegerField(
        source="signed_amount", help_text="the same with its sign: + 收入/退款, - 支出/提现"
    )
    balance = serializers.IntegerField(help_text="the balance after this row")
    memo = serializers.CharField(allow_null=True)
    order_number = serializers.CharField(source="order.order_number", allow_null=True, default=None)
    date = serializers.DateTimeField()
