"""Serial numbers: coupon records (C), ledger rows (T) and orders (O)."""

import uuid

from django.utils import timezone


def new_serial(prefix: str) -> str:
    """A unique, sortable-by-day serial number (coupon record numbers, ledger and order numbers)."""
    return f"{prefix}{timezone.localtime():%Y%m%d%H%M%S}{uuid.uuid4().hex[:12].upper()}"
