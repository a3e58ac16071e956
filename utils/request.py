"""Helpers for reading request bodies."""

from rest_framework.request import Request

from utils.errors import AppError, Codes


def body_of(request: Request) -> dict:
    """The JSON body as a dict; a JSON array, string or number body is 1002 (never a 500).

    An empty body reads as {} so that a missing field gets its own, clearer code.
    """
    data = request.data
    if hasattr(data, "dict") and not isinstance(data, dict):  # QueryDict of an empty body
        data = data.dict()
    if not isinstance(data, dict):
        raise AppError(Codes.MALFORMED, "请求体须为JSON对象 / body must be a JSON object")
    return data
