import pytest

from utils.ids import parse_id


@pytest.mark.parametrize("value,expected", [(1, 1), ("1", 1), (" 42 ", 42), (2**63 - 1, 2**63 - 1)])
def test_parse_id_accepts_ints_and_numeric_strings(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize(
    "value", [0, -1, "0", "-1", "1.0", 1.0, True, False, None, "", "abc", [1], {"a": 1}, 2**63,
              "١٢", "99999999999999999999"]
)  # fmt: skip
def test_parse_id_refuses_everything_else(value):
    assert parse_id(value) is None
