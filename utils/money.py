"""Money as text: the one way an amount becomes a string (the wire, Redis, gateways, receipts).

Pure (no Django), so pay/pricing.py can use it too.
"""

from decimal import Decimal


def money_text(value: Decimal | int) -> str:
    """An amount with two decimals, e.g. Decimal("78") -> "78.00" (half-even past two)."""
    return f"{value:.2f}"


def money_text_or_none(value: Decimal | int | None) -> str | None:
    """money_text, and None for None (an amount a coupon or an old order does not have)."""
    return None if value is None else money_text(value)
