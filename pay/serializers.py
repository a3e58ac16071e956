"""Request parsers and response shapes for coupons (and the coupon object API.md defines)."""

from decimal import Decimal

from rest_framework import serializers

from pay.selectors import HeldCoupon


def money(value: Decimal | None) -> str | None:
    """Money on the wire: a string with two decimals."""
    return None if value is None else f"{value:.2f}"


def coupon_payload(held: HeldCoupon, *, usable: bool = True, reason: str | None = None) -> dict:
    """API.md's coupon object."""
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
    coupon_id = serializers.JSONField(help_text="Coupon rule id (int or numeric string)")


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
