"""Project-wide fallbacks so that no client ever sees an HTML error page."""

from django.http import JsonResponse

from utils.errors import Codes, ErrorCode
from utils.response import BaseResponse


def _json(error: ErrorCode) -> JsonResponse:
    body = BaseResponse(code=error.code, error=error.message).dict
    return JsonResponse(body, status=error.http_status, json_dumps_params={"ensure_ascii": False})


def not_found(request, exception=None):
    return _json(Codes.NOT_FOUND)


def server_error(request):
    return _json(Codes.INTERNAL)


def bad_request(request, exception=None):
    return _json(Codes.MALFORMED)


def permission_denied(request, exception=None):
    return _json(Codes.NOT_AUTHENTICATED)
