"""Money on the wire: a string with two decimals (API.md), for every app (course's catalogue too)."""

from decimal import Decimal


def money(value: Decimal | None) -> str | None:
    """Money on the wire: a string with two decimals."""
    return None if value is None else f"{value:.2f}"
