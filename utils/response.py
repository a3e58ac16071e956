"""The seed's `BaseResponse` envelope: `{"code": 1000, "data": ..., "error": null}`."""

from typing import Any

from rest_framework.response import Response

from utils.errors import Codes, ErrorCode


class BaseResponse:
    def __init__(self, code: int = Codes.SUCCESS.code, data: Any = None, error: str | None = None):
        self.code = code
        self.data = data
        self.error = error

    @property
    def dict(self) -> dict:
        return {"code": self.code, "data": self.data, "error": self.error}


def ok(data: Any = None) -> Response:
    return Response(BaseResponse(data=data).dict)


def fail(error: ErrorCode, detail: str | None = None, data: Any = None, headers=None) -> Response:
    body = BaseResponse(code=error.code, data=data, error=detail or error.message).dict
    return Response(body, status=error.http_status, headers=headers)
