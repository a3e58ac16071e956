"""The one JSON parser of the API (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES)."""

from collections.abc import Iterable
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No body of this API nests deeper than 3; a generous bound that still keeps any walk of a body
# (validation, fingerprints, error messages) far from Python's recursion limit.
MAX_JSON_DEPTH = 20


def nesting_exceeds(value, limit: int) -> bool:
    """Whether lists/objects in `value` nest deeper than `limit` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing (1002) a body nested deeper than MAX_JSON_DEPTH instead of
    letting the decoder's RecursionError become a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = ParseError(f"JSON嵌套过深 / JSON nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if nesting_exceeds(data, MAX_JSON_DEPTH):
            raise too_deep
        return data
