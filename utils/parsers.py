"""The one JSON parser of the API (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES), and the one way a
view reads a body: through its request serializer (`body`), whose failures carry registry codes."""

import io
import threading
from collections.abc import Iterable
from typing import Any, TypeVar

import orjson
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http.request import RawPostDataException
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.fields import Field
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.serializers import Serializer

from utils.errors import AppError, ErrorCode
from utils.request import body_of

F = TypeVar("F", bound=Field)

# No body of this API nests deeper than 3; a generous bound that still keeps any walk of a body
# (validation, fingerprints, error messages) far from Python's recursion limit.
MAX_JSON_DEPTH = 20


def _shape(value, limit: int) -> tuple[bool, bool]:
    """(whether lists/objects in `value` nest deeper than `limit`, whether it holds a float),
    walked without recursion."""
    has_float = False
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            has_float = has_float or isinstance(item, float)
            continue
        if depth > limit:
            return True, has_float
        stack.extend((child, depth + 1) for child in children)
    return False, has_float


def nesting_exceeds(value, limit: int) -> bool:
    """Whether lists/objects in `value` nest deeper than `limit` (walked without recursion)."""
    return _shape(value, limit)[0]


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing (1002) a body nested deeper than MAX_JSON_DEPTH instead of
    letting the decoder's RecursionError become a 500.

    A UTF-8 body is decoded by orjson first (several times faster than the standard decoder
    behind DRF's stream reader); the standard decoder decides whenever the two could differ: a
    body orjson refuses (a lone surrogate `\\ud800`, `1e400`, NaN, bad UTF-8: the standard
    decoder's answer or its error message) and a body holding a float (orjson reads an integer
    beyond 64 bits as a float, where the standard decoder keeps it exact). Every other body
    decodes to the same value either way."""

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = ParseError(f"JSON嵌套过深 / JSON nested deeper than {MAX_JSON_DEPTH} levels")
        raw = stream.read()
        data, deep = _UNDECIDED, False
        encoding = (parser_context or {}).get(
            "encoding", settings.DEFAULT_CHARSET
        )  # as DRF reads it
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
            else:
                deep, has_float = _shape(data, MAX_JSON_DEPTH)
                if has_float and not deep:
                    data = _UNDECIDED
        if data is _UNDECIDED:
            try:
                data = super().parse(io.BytesIO(raw), media_type, parser_context)
            except RecursionError:
                raise too_deep from None
            deep = nesting_exceeds(data, MAX_JSON_DEPTH)
        if deep:
            raise too_deep
        return data


_UNDECIDED = object()


# --- Bodies parsed at the door ----------------------------------------------------------------


def coded(field: F, error: ErrorCode, detail: str | None = None) -> F:
    """Mark a serializer field: any failure of it is `error` (the registry code the seed gave
    that failure, e.g. 1021 for `course_list`) with `detail` as the answer's `error` (default:
    the field's own message). Read by `validated`."""
    field.error_code = error  # type: ignore[attr-defined]
    field.error_detail = detail  # type: ignore[attr-defined]
    return field


def _first_text(detail: Any) -> str:
    while isinstance(detail, dict | list) and detail:
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    return str(detail)


_serializers = threading.local()


def _serializer(serializer_class: type[Serializer]) -> Serializer:
    """This thread's instance of `serializer_class`, built once: a serializer's fields are deep
    copies made at its first use, most of the cost of validating a small body. An input
    serializer keeps no state of its own between two `run_validation` calls (none of this
    project's reads `context`, `initial_data` or `instance`), and no two threads share one."""
    instances = getattr(_serializers, "instances", None)
    if instances is None:
        instances = _serializers.instances = {}
    serializer = instances.get(serializer_class)
    if serializer is None:
        serializer = instances[serializer_class] = serializer_class()
    return serializer


def validated(serializer_class: type[Serializer], data: Any) -> dict[str, Any]:
    """The serializer's validated data for `data`: the one parse of a body or a query.

    The first failing field in declared order decides the answer: a field marked with `coded`
    raises its registry code; any other failure is DRF's ValidationError (1002, the field named
    in the message). A serializer's `validate` may raise AppError itself (a rule across fields).
    """
    serializer = _serializer(serializer_class)
    try:
        # what `is_valid()` runs, without a fresh instance
        return dict(serializer.run_validation(data))
    except ValidationError as failure:
        errors = failure.detail
    if isinstance(errors, dict):
        for name in serializer.fields.keys():
            if name not in errors:
                continue
            # The declared field carries the mark (a serializer's `fields` are fresh copies).
            declared = serializer_class._declared_fields.get(name)
            error = getattr(declared, "error_code", None)
            if error is not None:
                detail = getattr(declared, "error_detail", None)
                raise AppError(error, detail or _first_text(errors[name]))
            break
    raise ValidationError(errors)


def peek_json_object(request: Request) -> dict[str, Any] | None:
    """The JSON object a request's body holds, parsed as `body` would parse it, or None (another
    content type, a body that does not parse or is not an object). For a look at the body before
    the view runs (a payment's lease, taken with the token): DRF keeps an empty body in place of
    one that failed to parse, so going through `request.data` here would take the view's own
    1002 message away. Kept on the request: a keyed payment looks before the view and again in
    it, and the body is parsed once."""
    kept = request.__dict__.get(_PEEKED, _PEEKED)
    if kept is not _PEEKED:
        return kept
    data = request.__dict__[_PEEKED] = _json_object_of(request)
    return data


_PEEKED = "_peeked_json_object"


def _json_object_of(request: Request) -> dict[str, Any] | None:
    if request.content_type.split(";")[0].strip().lower() != BoundedJSONParser.media_type:
        return None
    raw = request._request
    try:
        data = BoundedJSONParser().parse(
            io.BytesIO(raw.body), BoundedJSONParser.media_type,
            {"encoding": raw.encoding or settings.DEFAULT_CHARSET},
        )  # fmt: skip
    except (ParseError, SuspiciousOperation, RawPostDataException):
        return None  # too large, or already read as a stream: the view's to answer
    # (a body the client never finished sending raises UnreadablePostError here, as it would
    # in DRF's parser: the first reader of the stream is the one that can tell why)
    return data if isinstance(data, dict) else None


def json_body(request: Request) -> dict[str, Any]:
    """The body as a dict, as `utils.request.body_of` reads it: straight from the bytes when it
    is a JSON object (DRF's `request.data` machinery costs several times the decoding), else
    through `request.data`, whose answer (1002 with the parser's message, 415, an empty body as
    {}) stands."""
    data = peek_json_object(request)
    return body_of(request) if data is None else data


def peek_body(serializer_class: type[Serializer], request: Request) -> dict[str, Any] | None:
    """The body as `body(serializer_class, request)` gives it when it is a JSON object that
    validates, else None: for a look before the view (a write taken with the token), which
    leaves a body that does not validate to the view's own answer. Kept on the request: `body`
    gives it again without validating twice."""
    raw = peek_json_object(request)
    if raw is None:
        return None
    try:
        data = validated(serializer_class, raw)
    except (APIException, AppError):
        return None
    request.__dict__[_VALID] = (serializer_class, data)
    return data


_VALID = "_peeked_valid_body"


def body(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    """The request body parsed by `serializer_class`; a body that is not a JSON object is 1002
    (an empty body reads as {}, so a missing field gets its own, clearer code)."""
    kept = request.__dict__.get(_VALID)
    if kept is not None and kept[0] is serializer_class:
        return dict(kept[1])  # validated by `peek_body`, before the view
    return validated(serializer_class, json_body(request))
