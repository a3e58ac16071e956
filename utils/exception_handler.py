"""One DRF exception handler: every failure becomes the envelope with a registry code."""

import logging

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from django_redis.exceptions import ConnectionInterrupted
from rest_framework import exceptions

from utils.errors import AppError, Codes, ErrorCode
from utils.redis import UNAVAILABLE, ConcurrentUpdate
from utils.response import fail

logger = logging.getLogger("settlement")

BUSY = "正忙,请重试,未做任何修改 / busy (kept changing under this request), retry; nothing changed"

_DRF_CODES: list[tuple[type[exceptions.APIException], ErrorCode]] = [
    (exceptions.NotAuthenticated, Codes.NOT_AUTHENTICATED),
    (exceptions.AuthenticationFailed, Codes.NOT_AUTHENTICATED),
    (exceptions.Throttled, Codes.THROTTLED),
    (exceptions.NotFound, Codes.NOT_FOUND),
    (exceptions.MethodNotAllowed, Codes.METHOD_NOT_ALLOWED),
    (exceptions.UnsupportedMediaType, Codes.UNSUPPORTED_MEDIA_TYPE),
    (exceptions.ParseError, Codes.MALFORMED),
    (exceptions.ValidationError, Codes.MALFORMED),
]


def _first_message(detail) -> str:
    """A short human message from DRF's nested error detail."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            return f"{key}: {_first_message(value)}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def envelope_exception_handler(exc, context):
    if isinstance(exc, AppError):
        return fail(exc.error, exc.detail, exc.data)

    if isinstance(exc, Http404):
        return fail(Codes.NOT_FOUND)
    if isinstance(exc, PermissionDenied | exceptions.PermissionDenied):
        return fail(Codes.NOT_AUTHENTICATED)

    for drf_type, code in _DRF_CODES:
        if isinstance(exc, drf_type):
            headers = {}
            # DRF sets Throttled.wait (seconds or None); djangorestframework-stubs omit it
            wait = exc.wait if isinstance(exc, exceptions.Throttled) else None  # type: ignore[attr-defined]
            if wait is not None:
                headers["Retry-After"] = str(int(wait) + 1)
            if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
                headers["WWW-Authenticate"] = "Token"
            detail = f"{code.message}: {_first_message(exc.detail)}"
            return fail(code, detail, headers=headers or None)

    if isinstance(exc, ConcurrentUpdate):
        # The one "busy" answer of every Redis store (cart, settlement): nothing was written.
        logger.warning("Busy: %s", exc)
        return fail(Codes.UNAVAILABLE, BUSY)
    if isinstance(exc, (*UNAVAILABLE, ConnectionInterrupted)):
        logger.warning("Redis unavailable: %s", exc)
        return fail(Codes.UNAVAILABLE)
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("Database unavailable: %s", exc)
        return fail(Codes.UNAVAILABLE)
    if isinstance(exc, DatabaseError):
        logger.exception("Database error")
        return None

    return None  # a bug: Django's 500 path, answered as the envelope by utils.views.server_error
