"""Prometheus metrics: requests by route and code, their latency, payments by outcome, WATCH retries.

prometheus_client keeps the values in this process; under gunicorn's several workers, set
`PROMETHEUS_MULTIPROC_DIR` to an empty directory that all workers share (wiped before each start)
and call `worker_exited(pid)` from gunicorn's `child_exit` hook (README, "Metrics"): the metrics
route then adds up every worker's files.

The route that serves them is utils/metrics_views.py. This module imports nothing of Django's
settings or DRF: utils/redis.py (imported by the settings) counts WATCH retries here.
"""

import os
import time

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess

_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _MULTIPROC_DIR and not os.path.isdir(_MULTIPROC_DIR):
    # prometheus_client would fail on the first count, i.e. every request would be a 500
    raise RuntimeError(f"PROMETHEUS_MULTIPROC_DIR={_MULTIPROC_DIR!r} is not a directory")

REQUESTS = Counter(
    "settlement_http_requests_total",
    "Requests answered, by method, route (URL pattern), HTTP status and envelope code",
    ["method", "route", "status", "code"],
)
LATENCY = Histogram(
    "settlement_http_request_duration_seconds",
    "Time to answer a request, from the first middleware to the response, by method and route",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PAYMENTS = Counter(
    "settlement_payments_total",
    "Payment requests (POST /api/payment/) by envelope code: 1000 paid or gateway order made, "
    "else the registry code refused with",
    ["code"],
)
WATCH_RETRIES = Counter(
    "settlement_redis_watch_retries_total",
    "Redis WATCH/MULTI attempts aborted because a watched key changed under them (each is run "
    "again while attempts remain)",
)
WATCH_EXHAUSTED = Counter(
    "settlement_redis_watch_exhausted_total",
    "Redis WATCH/MULTI transactions given up after every attempt (the client got 1020)",
)

UNMATCHED = "unmatched"
PAYMENT_URL_NAME = "payment"


def route_of(request) -> str:
    """The URL pattern that answered (`/api/orders/<str:order_number>/`), so that labels stay
    few; a regex route loses its anchors and optional slash (`/api/health/live`)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return "/" + match.route.removeprefix("^").removesuffix("$").removesuffix("/?")


def envelope_code(response) -> str:
    data = getattr(response, "data", None)
    if isinstance(data, dict) and "code" in data:
        return str(data["code"])
    return "-"


class MetricsMiddleware:
    """Counts and times every request (put first: the time includes every other middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        route = route_of(request)
        code = envelope_code(response)
        REQUESTS.labels(request.method, route, str(response.status_code), code).inc()
        LATENCY.labels(request.method, route).observe(seconds)
        match = request.resolver_match
        if match is not None and match.url_name == PAYMENT_URL_NAME and request.method == "POST":
            PAYMENTS.labels(code).inc()
        return response


def worker_exited(pid: int) -> None:
    """gunicorn's `child_exit` hook: drop a dead worker's live-only files (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)


def registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
        return collected
    return REGISTRY
