"""Ids from JSON: the seed's frontend sends ints or numeric strings; both mean the same id."""

MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """A positive integer id from an int or a numeric string; None for anything else.

    Booleans, floats, negative numbers, zero, blanks and ids beyond a database bigint are refused,
    so that `1` and `"1"` compare equal everywhere and nothing odd reaches a query or a Redis key.
    """
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
