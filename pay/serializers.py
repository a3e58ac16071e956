"""Request parsers and response shapes for coupons (and the coupon object API.md defines)."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pay import alipay_gateway
from pay.selectors import HeldCoupon
from utils.ids import IdField


def money(value: Decimal | None) -> str | None:
    """Money on the wire: a string with two decimals."""
    return None if value is None else f"{value:.2f}"


def coupon_payload(held, *, usable: bool = True, reason: str | None = None) -> dict:
    """API.md's coupon object, from a HeldCoupon or a settlement's StoredCoupon."""
    return {
        "id": held.id,
        "coupon_id": held.coupon_id,
        "number": held.number,
        "name": held.name,
        "coupon_type": held.coupon_type,
        "coupon_type_display": held.coupon_type_display,
        "money_equivalent_value": money(held.money_equivalent_value),
        "off_percent": held.off_percent,
        "minimum_consume": money(held.minimum_consume),
        "valid_end": held.valid_end.isoformat(),
        "usable": usable,
        "reason": reason,
    }


def wallet_payload(held: HeldCoupon, today) -> dict:
    if held.status != 0:
        usable, reason = False, "已使用 / used" if held.status == 1 else "已过期 / expired"
    elif today < held.valid_begin:
        usable, reason = False, f"{held.valid_begin.isoformat()} 起可用 / not valid yet"
    else:
        usable, reason = True, None
    return {
        **coupon_payload(held, usable=usable, reason=reason),
        "status": held.status,
        "get_time": held.get_time.isoformat(),
        "used_time": held.used_time.isoformat() if held.used_time else None,
    }


class CouponSerializer(serializers.Serializer):
    """Schema of the coupon object (rendered by coupon_payload)."""

    id = serializers.IntegerField(help_text="CouponRecord id")
    coupon_id = serializers.IntegerField(help_text="Coupon rule id")
    number = serializers.CharField()
    name = serializers.CharField()
    coupon_type = serializers.IntegerField()
    coupon_type_display = serializers.CharField()
    money_equivalent_value = serializers.CharField(allow_null=True)
    off_percent = serializers.IntegerField(allow_null=True)
    minimum_consume = serializers.CharField()
    valid_end = serializers.DateField()
    usable = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True)


class WalletCouponSerializer(CouponSerializer):
    status = serializers.IntegerField()
    get_time = serializers.DateTimeField()
    used_time = serializers.DateTimeField(allow_null=True)


class WalletQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[0, 1, 2], required=False)


class ClaimSerializer(serializers.Serializer):
    coupon_id = IdField(help_text="Coupon rule id")


class ClaimableRuleSerializer(serializers.Serializer):
    coupon_id = serializers.IntegerField()
    name = serializers.CharField()
    brief = serializers.CharField(allow_null=True)
    coupon_type = serializers.IntegerField()
    coupon_type_display = serializers.CharField()
    money_equivalent_value = serializers.CharField(allow_null=True)
    off_percent = serializers.IntegerField(allow_null=True)
    minimum_consume = serializers.CharField()
    course_id = serializers.IntegerField(allow_null=True)
    close_date = serializers.DateField()
    valid_begin_date = serializers.DateField(allow_null=True)
    valid_end_date = serializers.DateField(allow_null=True)
    coupon_valid_days = serializers.IntegerField(allow_null=True)
    per_account_limit = serializers.IntegerField()
    held = serializers.IntegerField()


def claimable_payload(rule, held: int) -> dict:
    return {
        "coupon_id": rule.pk,
        "name": rule.name,
        "brief": rule.brief,
        "coupon_type": rule.coupon_type,
        "coupon_type_display": rule.get_coupon_type_display(),
        "money_equivalent_value": money(rule.money_equivalent_value),
        "off_percent": rule.off_percent,
        "minimum_consume": money(rule.minimum_consume),
        "course_id": rule.object_id,
        "close_date": rule.close_date.isoformat(),
        "valid_begin_date": rule.valid_begin_date.isoformat() if rule.valid_begin_date else None,
        "valid_end_date": rule.valid_end_date.isoformat() if rule.valid_end_date else None,
        "coupon_valid_days": rule.coupon_valid_days,
        "per_account_limit": rule.per_account_limit,
        "held": held,
    }


# --- Settlement -----------------------------------------------------------------------------


def settlement_payload(priced) -> dict:
    """GET /api/settlement/'s data (API.md, "Settlement center")."""
    settlement, quote = priced.settlement, priced.quote
    line_quotes = {q.course_id: q for q in quote.lines}
    settlement_list = []
    for line in settlement.lines:
        verdicts = priced.course_verdicts[line.course_id]
        settlement_list.append(
            {
                "id": line.course_id,
                "title": line.title,
                "img_src": line.img_src,
                "price": money(line.price),
                "period_display": line.period_display,
                "valid_period": line.valid_period,
                "price_policy_id": line.price_policy_id,
                "course_coupons": {
                    str(rid): coupon_payload(
                        c, usable=verdicts[rid].usable, reason=verdicts[rid].reason
                    )
                    for rid, c in line.course_coupons.items()
                },
                "default_course_coupon_id": priced.course_choices[line.course_id],
                "discounted_price": money(line_quotes[line.course_id].discounted_price),
            }
        )
    return {
        "settlement_list": settlement_list,
        "global_coupon_info": {
            "coupons": {
                str(rid): coupon_payload(
                    c,
                    usable=priced.global_verdicts[rid].usable,
                    reason=priced.global_verdicts[rid].reason,
                )
                for rid, c in settlement.global_coupons.items()
            },
            "default_coupon_id": priced.global_choice,
        },
        "amount": {
            "total_price": money(quote.total_price),
            "course_discount": money(quote.course_discount),
            "global_discount": money(quote.global_discount),
            "payable": money(quote.payable),
        },
    }


class SettlementLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="course id")
    title = serializers.CharField()
    img_src = serializers.CharField(allow_blank=True)
    price = serializers.CharField()
    period_display = serializers.CharField()
    valid_period = serializers.IntegerField()
    price_policy_id = serializers.IntegerField()
    course_coupons = serializers.DictField(child=CouponSerializer(), help_text="by record id")
    default_course_coupon_id = serializers.IntegerField(allow_null=True)
    discounted_price = serializers.CharField()


class GlobalCouponInfoSerializer(serializers.Serializer):
    coupons = serializers.DictField(child=CouponSerializer(), help_text="by record id")
    default_coupon_id = serializers.IntegerField(allow_null=True)


class AmountSerializer(serializers.Serializer):
    total_price = serializers.CharField()
    course_discount = serializers.CharField()
    global_discount = serializers.CharField()
    payable = serializers.CharField()


class SettlementSerializer(serializers.Serializer):
    settlement_list = SettlementLineSerializer(many=True)
    global_coupon_info = GlobalCouponInfoSerializer()
    amount = AmountSerializer()


class SettlementCreateSerializer(serializers.Serializer):
    course_list = serializers.ListField(child=IdField(), help_text="course ids")


class SettlementPatchSerializer(serializers.Serializer):
    course_id = IdField(required=False, help_text="course id")
    coupon_id = IdField(required=False, allow_null=True, help_text="record id; null clears")
    global_coupon_id = IdField(required=False, allow_null=True, help_text="record id; null clears")


class SettlementDeleteSerializer(serializers.Serializer):
    course_id = IdField(required=False, help_text="omit to return every course")


# --- Payment and orders ---------------------------------------------------------------------


class PaymentSerializer(serializers.Serializer):
    balance = serializers.IntegerField(min_value=0, required=False, help_text="贝里 to spend")
    price = serializers.CharField(help_text='money to pay after 贝里, e.g. "78.00"')


class PaymentResultSerializer(serializers.Serializer):
    order_number = serializers.CharField()
    status = serializers.IntegerField()
    actual_amount = serializers.CharField()
    pay_url = serializers.CharField(allow_null=True)


class OrderDetailSerializer(serializers.Serializer):
    course_id = serializers.IntegerField(source="object_id")
    title = serializers.CharField(source="memo")
    original_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    valid_period = serializers.IntegerField()
    valid_period_display = serializers.CharField()


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
    can_refund = serializers.BooleanField(help_text="POST .../refund/ would succeed now")
    pay_deadline = serializers.SerializerMethodField(help_text="when an unpaid order times out")
    refund_reason = serializers.CharField(help_text="the buyer's reason for the refund")
    refund_request_time = serializers.DateTimeField(allow_null=True)
    refund_time = serializers.DateTimeField(allow_null=True)
    refund_memo = serializers.CharField(help_text="staff's note on the refund decision")
    pay_url = serializers.SerializerMethodField(help_text="where to pay an unpaid order")
    details = OrderDetailSerializer(many=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_pay_url(self, order) -> str | None:
        return alipay_gateway.order_pay_url(order)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_pay_deadline(self, order) -> str | None:
        if order.status != order.STATUS_UNPAID:
            return None
        return serializers.DateTimeField().to_representation(order.pay_deadline)


class OrderRefundSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=255, help_text="why the buyer wants it back"
    )
