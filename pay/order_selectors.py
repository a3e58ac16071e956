"""Reads of orders: the account's orders with their lines and coupons, in three queries."""

from django.db.models import QuerySet

from pay.models import Order


def orders_of(*, account_id: int) -> QuerySet[Order]:
    return (
        Order.objects.filter(account_id=account_id)
        .select_related("global_coupon__coupon")
        .prefetch_related("details__course_coupon__coupon", "coupon_records__coupon")
    )


def order_of(*, account_id: int, order_number: str) -> Order | None:
    return orders_of(account_id=account_id).filter(order_number=order_number).first()
