"""Ids from JSON: the seed's frontend sends ints or numeric strings; both mean the same id."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """A positive integer id from an int or a numeric string; None for anything else.

    Booleans, floats, negative numbers, zero, blanks and ids beyond a database bigint are refused,
    so that `1` and `"1"` compare equal everywhere and nothing odd reaches a query or a Redis key.
    """
    if type(value) is str and value.isascii() and value.isdecimal() and len(value) <= 19:
        number = int(value)  # the common case (a Redis member, a JSON string), without stripping
        return number if 0 < number <= MAX_ID else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not text.isdecimal() or not text.isascii() or len(text) > 19:
            return None
        number = int(text)
    else:
        return None
    return number if 0 < number <= MAX_ID else None


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            {"type": "string", "pattern": "^[0-9]{1,19}$"},
        ],
        "description": "an id, as an integer or a numeric string",
    }
)
class IdField(serializers.Field):
    """A positive id sent as an int or a numeric string (utils.ids.parse_id); anything else, bools
    and floats included, is a validation error (1002)."""

    default_error_messages = {"invalid": "不是合法的id / not a valid id"}

    def to_internal_value(self, data) -> int:
        value = parse_id(data)
        if value is None:
            self.fail("invalid")
        return value

    def to_representation(self, value) -> int:
        return int(value)
