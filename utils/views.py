"""Project-wide fallbacks: no API client ever sees an HTML error page, and the rest of the site
(the admin, the shop page) keeps Django's own HTML pages.

Django calls handler400/403/404/500 for every URL, so each answers the envelope only under /api/.
"""

from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from utils.errors import Codes, ErrorCode
from utils.response import BaseResponse

API_PREFIX = "/api/"


def _json(error: ErrorCode) -> JsonResponse:
    body = BaseResponse(code=error.code, error=error.message).dict
    return JsonResponse(body, status=error.http_status, json_dumps_params={"ensure_ascii": False})


def _is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def answer(error: ErrorCode):
    """A view answering `error`'s envelope to any method (for URLs that can name nothing)."""

    @csrf_exempt
    def view(request, *args, **kwargs):
        return _json(error)

    return view


@csrf_exempt  # also the /api/ catch-all route: a POST there is a 404, not Django's CSRF page
def not_found(request, exception=None):
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return _json(Codes.NOT_FOUND)


def server_error(request):
    if not _is_api(request):
        return defaults.server_error(request)
    return _json(Codes.INTERNAL)


def bad_request(request, exception=None):
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    return _json(Codes.MALFORMED)


def permission_denied(request, exception=None):
    if not _is_api(request):  # e.g. the admin's "permission denied": its own HTML page
        return defaults.permission_denied(request, exception)
    return _json(Codes.NOT_AUTHENTICATED)
