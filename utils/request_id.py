"""A request id for every request: echoed as `X-Request-ID`, written in every log line.

The id a client sends is taken only from a proxy in `REQUEST_ID_TRUSTED_PROXIES` (its address,
CIDR allowed; the balancer that made the id), and only if it looks like one (1-128 letters, digits
and `._:-`); otherwise a new one is made. Every log record made while the request runs carries it
(`RequestIdFilter`), and one line per request says what was answered (logger `settlement.request`,
INFO).
"""

import contextvars
import ipaddress
import logging
import re
import time
import uuid
from functools import cache

from django.conf import settings

from utils.metrics import envelope_code, route_of

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
request_logger = logging.getLogger("settlement.request")


def current_request_id() -> str | None:
    return _current.get()


@cache
def _trusted(raw: tuple[str, ...]):
    return tuple(ipaddress.ip_network(item, strict=False) for item in raw)


def _from_trusted_proxy(address: str | None) -> bool:
    if not address or not settings.REQUEST_ID_TRUSTED_PROXIES:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _trusted(tuple(settings.REQUEST_ID_TRUSTED_PROXIES)))


def request_id_of(meta) -> str:
    given = meta.get(_META_KEY)
    if given and _VALID.fullmatch(given) and _from_trusted_proxy(meta.get("REMOTE_ADDR")):
        return given
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_of(request.META)
        request.request_id = request_id
        token = _current.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            if request_logger.isEnabledFor(logging.INFO):
                request_logger.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "route": route_of(request),
                        "status": response.status_code,
                        "code": envelope_code(response),
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            return response
        finally:
            _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (None outside a request)."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            # django.request logs an error answer after the middleware returned: its record
            # carries the request
            request = getattr(record, "request", None)
            record.request_id = _current.get() or getattr(request, "request_id", None)
        return True
