"""The pay tests' coupon factories, for the schema test's real payloads."""

from tests.pay.conftest import fund, give_coupon, make_coupon, today  # noqa: F401
