"""The one PostgreSQL skip (tests/conftest.py): a test marked `postgres` is skipped, with its
reason, on any other database, and runs on PostgreSQL."""

import pytest

from tests.conftest import skip_postgres_tests


class Item:
    """What the hook reads and writes of a collected test."""

    def __init__(self, *markers):
        self.markers = list(markers)

    def get_closest_marker(self, name):
        return next((m for m in self.markers if m.name == name), None)

    def add_marker(self, marker):
        self.markers.append(marker.mark)

    def skip_reason(self):
        skip = self.get_closest_marker("skip")
        return skip.kwargs["reason"] if skip else None


SQLITE, POSTGRESQL = "django.db.backends.sqlite3", "django.db.backends.postgresql"


def collect(*items, engine):
    skip_postgres_tests(list(items), engine=engine)
    return [item.skip_reason() for item in items]


def test_on_sqlite_a_postgres_test_is_skipped_with_its_reason():
    marked, plain = Item(pytest.mark.postgres("threads share it").mark), Item()
    assert collect(marked, plain, engine=SQLITE) == ["needs PostgreSQL: threads share it", None]


def test_without_a_reason_the_skip_names_row_locks():
    assert collect(Item(pytest.mark.postgres.mark), engine=SQLITE) == [
        "needs PostgreSQL: row locks and concurrent transactions"
    ]


def test_on_postgresql_a_postgres_test_runs():
    assert collect(Item(pytest.mark.postgres.mark), engine=POSTGRESQL) == [None]
