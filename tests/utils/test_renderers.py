"""The orjson renderer writes what DRF's JSONRenderer writes, and Decimal as exact strings."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer

from utils.renderers import ORJSONRenderer, decimal_string

SAMPLES = [
    {"code": 1000, "data": None, "error": None},
    {"code": 1000, "data": {"title": "Python全栈 \u2028 \u2029 \"q\" \\ \n", "n": [1, 2.5, True]}},
    {"data": {1: "int keys become strings", "nested": [{"a": None}]}},
    {"when": datetime.datetime(2026, 11, 25, 8, 0, tzinfo=datetime.UTC)},
    {"when": datetime.datetime(2026, 11, 25, 8, 0, 1, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))},
    {"day": datetime.date(2026, 11, 25), "at": datetime.time(8, 30)},
    {"id": uuid.UUID(int=7), "lazy": gettext_lazy("active")},
    {"big": 2**70},
]  # fmt: skip


@pytest.mark.parametrize("data", SAMPLES)
def test_renders_the_same_bytes_as_drf(data):
    assert ORJSONRenderer().render(data) == JSONRenderer().render(data)


def test_renders_none_as_an_empty_body():
    assert ORJSONRenderer().render(None) == b""


def test_pretty_printing_asked_for_falls_back_to_drf():
    data = {"a": [1, 2]}
    media = "application/json; indent=2"
    assert ORJSONRenderer().render(data, media, {}) == JSONRenderer().render(data, media, {})


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("78"), "78.00"),
        (Decimal("78.5"), "78.50"),
        (Decimal("0.10"), "0.10"),
        (Decimal("-3.1"), "-3.10"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("0.125"), "0.125"),  # more places than two: every one kept, never rounded
    ],
)
def test_decimal_is_an_exact_string_with_two_decimals(value, text):
    assert ORJSONRenderer().render({"price": value}) == f'{{"price":"{text}"}}'.encode()


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9
    )
)
def test_a_two_place_decimal_reads_back_equal(value):
    assert Decimal(decimal_string(value)) == value
    assert decimal_string(value).split(".")[1].__len__() == 2
