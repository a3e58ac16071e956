"""The JSON renderer of every API response: orjson, with the standard renderer's output.

orjson encodes the envelope several times faster than `json.dumps` with DRF's encoder. What it
writes is the same bytes DRF's JSONRenderer writes (compact, UTF-8, U+2028/U+2029 escaped), with
one deliberate difference: a `Decimal` is written as an exact string with two decimals
(`Decimal("78.5")` → `"78.50"`; one with more places keeps them all, never rounded), where DRF's
encoder would write a lossy float. Money is normally rendered as strings before it gets here
(`utils.money.money_text`); this keeps a stray Decimal exact too.
"""

from decimal import Decimal

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

from utils.money import money_text

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
_DRF_ENCODER = JSONEncoder()
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


def decimal_string(value: Decimal) -> str:
    """Two decimals when that is exact, else every decimal the value has (never rounded)."""
    exponent = value.as_tuple().exponent  # an int when finite; "n", "N" or "F" when not
    if isinstance(exponent, int) and exponent >= -2:
        return money_text(value)
    return str(value)


def _default(obj):
    if isinstance(obj, Decimal):
        return decimal_string(obj)
    # dates and times (passed through), lazy translations, UUIDs...: as DRF's encoder writes them
    return _DRF_ENCODER.default(obj)


class ORJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)  # pretty print
        try:
            out = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            # what orjson cannot write (an integer beyond 64 bits, ...): the standard encoder's
            # answer, or its error
            return super().render(data, accepted_media_type, renderer_context)
        for raw, escaped in _LINE_SEPARATORS:
            if raw in out:
                out = out.replace(raw, escaped)
        return out
