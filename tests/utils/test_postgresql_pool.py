"""A pooled PostgreSQL connection is checked without a round trip (utils/postgresql/): one the
server ended is replaced before a request uses it, a live one is handed out as it is."""

import os
import resource
import time

import psycopg
import pytest
from django.db import connection

from utils.postgresql.pool_check import connection_alive

pytestmark = pytest.mark.postgres("a pooled PostgreSQL connection")


@pytest.fixture
def raw():
    """A connection of its own, outside Django's pool, and a way to end it from the server."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    own = psycopg.connect(**params, autocommit=True)
    other = psycopg.connect(**params, autocommit=True)

    def end_it() -> None:
        other.execute("SELECT pg_terminate_backend(%s)", [own.info.backend_pid])
        time.sleep(0.2)  # the server's goodbye reaches the socket

    yield own, end_it
    own.close()
    other.close()


def test_a_live_idle_connection_passes(raw):
    own, _ = raw
    connection_alive(own)
    assert own.execute("SELECT 1").fetchone() == (1,)  # nothing was read from it


def test_a_connection_the_server_ended_is_refused(raw):
    own, end_it = raw
    end_it()
    with pytest.raises(psycopg.OperationalError):
        connection_alive(own)
    assert own.closed  # so that the pool discards it instead of taking it back


def test_a_connection_whose_descriptor_is_past_1024_is_checked_all_the_same():
    """select() refuses a descriptor past 1024; a worker with many sockets open reaches one."""
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 1100:
        pytest.skip("this process may not open 1,100 files")
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1030)]
    try:
        with psycopg.connect(**params, autocommit=True) as own:
            assert own.pgconn.socket >= 1024
            connection_alive(own)
            assert own.execute("SELECT 1").fetchone() == (1,)
    finally:
        for fd in held:
            os.close(fd)


def test_a_connection_inside_a_transaction_is_refused(raw):
    own, _ = raw
    own.autocommit = False
    own.execute("SELECT 1")
    with pytest.raises(psycopg.OperationalError):
        connection_alive(own)
    own.rollback()


def test_a_closed_connection_is_refused(raw):
    own, _ = raw
    own.close()
    with pytest.raises(psycopg.OperationalError):
        connection_alive(own)


@pytest.mark.django_db(transaction=True)
def test_a_request_after_the_server_ended_the_pooled_connections_gets_a_live_one(auth_api):
    if not connection.settings_dict["OPTIONS"].get("pool"):
        pytest.skip("DB_POOL_MAX_SIZE=0: persistent connections, checked by Django")
    connection.ensure_connection()
    connection.close()  # back to the pool, with any other it holds
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**params, autocommit=True) as other:
        ended = other.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert ended >= 1  # every connection the pool holds
    time.sleep(0.2)
    response = auth_api.get("/api/account/")  # reads the account row
    assert response.status_code == 200, response.content[:200]
