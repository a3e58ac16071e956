"""The JSON parser decodes every body exactly as DRF's standard parser does (orjson first, the
standard decoder wherever the two could differ), and `validated` gives the same answer from a
serializer kept per thread as from a fresh one."""

import io
import json
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from pay.serializers import PaymentSerializer, SettlementPatchSerializer
from utils.errors import AppError
from utils.parsers import MAX_JSON_DEPTH, BoundedJSONParser, json_body, validated

UTF8 = {"encoding": "utf-8"}


def parse(raw: bytes, context=UTF8):
    return BoundedJSONParser().parse(io.BytesIO(raw), "application/json", context)


def standard(raw: bytes, context=UTF8):
    return JSONParser().parse(io.BytesIO(raw), "application/json", context)


def outcome(read, raw: bytes, context=UTF8):
    """What a parser gives: ("ok", value and the type of every leaf) or ("error", message)."""
    try:
        value = read(raw, context)
    except ParseError as error:
        return ("error", str(error.detail))
    return ("ok", json.dumps(value, sort_keys=True, default=repr), typed(value))


def typed(value):
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, repr(value))


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_any_json_value_parses_as_the_standard_parser_parses_it(value):
    raw = json.dumps(value, ensure_ascii=False).encode()
    assert outcome(parse, raw) == outcome(standard, raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"note": "\\ud800"}',  # a lone surrogate: orjson refuses it, the standard decoder not
        b'{"balance": 123456789012345678901234567890}',  # beyond 64 bits: exact, not a float
        b'{"balance": 18446744073709551616}',
        b'{"balance": -9223372036854775809}',
        b'{"price": 1e400}',  # infinity to the standard decoder, an error to orjson
        b'{"price": NaN}',  # refused by both (DRF is strict)
        b'{"a": 1, "a": 2}',  # the last one wins in both
        b'{"price": -0.0}',
        b"\xef\xbb\xbf{}",  # a byte-order mark
        b'{"title": "\xff"}',  # not UTF-8
        b"",
        b"[1, 2,]",
        b'  {"course_id": 3}  ',
        b'"\\u2028"',
    ],
)
def test_bodies_where_orjson_and_the_standard_decoder_differ_parse_as_the_standard_one(raw):
    assert outcome(parse, raw) == outcome(standard, raw)


def test_an_integer_beyond_64_bits_stays_an_exact_integer():
    assert parse(b'{"balance": 123456789012345678901234567890}') == {
        "balance": 123456789012345678901234567890
    }


def test_a_body_in_another_charset_is_decoded_by_the_standard_decoder():
    latin = {"encoding": "latin-1"}
    raw = '{"title": "café"}'.encode("latin-1")
    assert parse(raw, latin) == standard(raw, latin) == {"title": "café"}


def test_a_body_nested_too_deep_is_refused_whichever_decoder_reads_it():
    deep = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
    with_float = b"[" * (MAX_JSON_DEPTH + 1) + b"1.5" + b"]" * (MAX_JSON_DEPTH + 1)
    abyss = b"[" * 100_000 + b"]" * 100_000  # beyond orjson's own limit too
    for raw in (deep, with_float, abyss):
        with pytest.raises(ParseError, match="nested deeper"):
            parse(raw)


# --- validated: one serializer per thread ------------------------------------------------------


def test_a_kept_serializer_answers_each_body_on_its_own():
    first = validated(PaymentSerializer, {"balance": 10, "price": "5.00"})
    assert validated(PaymentSerializer, {"balance": 0, "price": "1.00"}) != first
    assert validated(PaymentSerializer, {"balance": 10, "price": "5.00"}) == first


def test_a_failure_leaves_nothing_behind_for_the_next_body():
    with pytest.raises(AppError):
        validated(SettlementPatchSerializer, {})  # nothing to change: 1026
    assert validated(SettlementPatchSerializer, {"global_coupon_id": None}) == {
        "global_coupon_id": None
    }


def test_each_thread_validates_with_its_own_serializer():
    bodies = [{"course_id": i, "coupon_id": i + 1} for i in range(1, 200)]
    answers: dict[int, list] = {}

    def run(n: int) -> None:
        answers[n] = [validated(SettlementPatchSerializer, body) for body in bodies]

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [{"course_id": i, "coupon_id": i + 1} for i in range(1, 200)]
    assert all(answer == expected for answer in answers.values())


# --- json_body: straight from the bytes, else DRF's answer ---------------------------------------


def drf_request(raw: bytes, content_type: str = "application/json"):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    django_request = APIRequestFactory().generic("POST", "/api/x/", raw.decode(), content_type)
    return Request(django_request, parsers=[BoundedJSONParser()])


@pytest.mark.parametrize(
    "raw", [b'{"course_id": 3}', b"{}", b'{"a": [1, {"b": null}]}', '{"t": "课程"}'.encode()]
)
def test_a_json_object_body_reads_as_drf_reads_it(raw):
    assert json_body(drf_request(raw)) == drf_request(raw).data


@pytest.mark.parametrize("raw", [b'{"price": "99.00",', b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_gets_drfs_answer(raw):
    from rest_framework.exceptions import ParseError

    from utils.errors import AppError
    from utils.request import body_of

    with pytest.raises((ParseError, AppError)) as ours:
        json_body(drf_request(raw))
    with pytest.raises(type(ours.value)) as drfs:
        body_of(drf_request(raw))
    assert str(ours.value) == str(drfs.value)


def test_an_empty_body_reads_as_an_empty_object():
    assert json_body(drf_request(b"")) == {}


def test_a_body_drf_has_read_already_reads_the_same():
    request = drf_request(b'{"course_id": 3}')
    assert request.data == {"course_id": 3}
    assert json_body(request) == {"course_id": 3}


def test_another_content_type_is_drfs_to_answer():
    from rest_framework.exceptions import UnsupportedMediaType

    with pytest.raises(UnsupportedMediaType):
        json_body(drf_request(b"course_id=3", "application/x-www-form-urlencoded"))


def test_a_body_looked_at_twice_is_parsed_once(monkeypatch):
    request = drf_request(b'{"course_id": 3}')
    calls = []
    parse = BoundedJSONParser.parse

    def counted(self, *args, **kwargs):
        calls.append(1)
        return parse(self, *args, **kwargs)

    monkeypatch.setattr(BoundedJSONParser, "parse", counted)
    assert json_body(request) == json_body(request) == {"course_id": 3}
    assert len(calls) == 1


# --- peek_body: a look before the view, kept for `body` --------------------------------------


def test_a_body_peeked_valid_is_what_body_gives_and_is_validated_once(monkeypatch):
    from tests.helpers import count_validations
    from utils import parsers

    request = drf_request(b'{"course_id": "3", "coupon_id": null}')
    calls = count_validations(monkeypatch)
    peeked = parsers.peek_body(SettlementPatchSerializer, request)
    assert peeked == {"course_id": 3, "coupon_id": None}
    assert parsers.body(SettlementPatchSerializer, request) == peeked
    assert calls == [SettlementPatchSerializer]


def test_a_body_peeked_with_another_serializer_is_validated_by_its_own(monkeypatch):
    from utils import parsers

    request = drf_request(b'{"course_id": 3, "coupon_id": 4}')
    assert parsers.peek_body(SettlementPatchSerializer, request) is not None
    with pytest.raises(ValidationError):  # the payment's own answer, not the kept body
        parsers.body(PaymentSerializer, request)


@pytest.mark.parametrize("raw", [b'{"coupon_id": "x"}', b"[1]", b'{"price": "99.00",'])
def test_a_body_that_does_not_validate_peeks_as_none_and_body_gives_its_answer(raw):
    from rest_framework.exceptions import APIException

    from utils import parsers

    request = drf_request(raw)
    assert parsers.peek_body(SettlementPatchSerializer, request) is None
    with pytest.raises((APIException, AppError)):
        parsers.body(SettlementPatchSerializer, request)
