"""The scheduled jobs, run together by `manage.py run_scheduled` (once, or `--loop`).

Each job is safe on several hosts at once and goes on past a bad row (logged and counted); a job
that fails as a whole is logged and the others still run.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections, connection

from pay.coupon_expiry import coupons_expire
from pay.order_services import orders_cancel_expired
from pay.payment_services import idempotency_keys_clear

logger = logging.getLogger("settlement.jobs")


def idempotency_keys_clear_expired(*, now=None) -> tuple[int, int]:
    """Delete Idempotency-Key rows past their lifetime; returns (deleted, failed)."""
    return idempotency_keys_clear(now=now), 0


JOBS: dict[str, Callable[[], tuple[int, int]]] = {
    "cancel_expired_orders": orders_cancel_expired,
    "expire_coupons": coupons_expire,
    "clear_idempotency_keys": idempotency_keys_clear_expired,
}


@dataclass
class JobResult:
    name: str
    done: int = 0
    failed: int = 0
    error: str | None = None  # the job stopped as a whole

    @property
    def ok(self) -> bool:
        return not self.failed and self.error is None


def run_jobs(names=None) -> list[JobResult]:
    """Run each job once (all of them by default), each on its own."""
    results = []
    for name in names or JOBS:
        result = JobResult(name)
        if not connection.in_atomic_block:  # (a test's transaction keeps its connection)
            close_old_connections()  # a long --loop must not reuse a connection the server closed
        try:
            result.done, result.failed = JOBS[name]()
        except Exception as exc:
            logger.exception("scheduled job %s failed", name)
            result.error = f"{type(exc).__name__}: {exc}"
        results.append(result)
    return results
