"""The check of a pooled PostgreSQL connection, without a round trip (the pool of
utils/postgresql/base.py).

psycopg_pool's own check (`ConnectionPool.check_connection`, Django's with CONN_HEALTH_CHECKS)
sends an empty query on every checkout: one more round trip to the server for every request that
uses the database. An idle connection has nothing to say, though: if its socket is readable, the
server has ended it (a restart, `pg_terminate_backend`, an idle timeout: its FATAL message or the
end of the stream is waiting there) and the pool replaces it before a request sees it. One
`poll` with no wait, no round trip. A message the server sends an idle connection unasked (a
NOTICE, a setting's new value after a reload) also discards it: one reconnection, no error.

What neither check can see is a connection whose server vanished without a word (a host that
dropped off the network): the request that uses it fails, and is answered 1003 with nothing
written (utils/exception_handler.py), as the pool's own check would answer the one whose check
timed out.
"""

import select

import psycopg
from psycopg import pq


def connection_alive(conn: psycopg.Connection) -> None:
    """Raise psycopg.OperationalError when `conn` is closed, broken, not idle, or ended by the
    server (then closed: psycopg_pool discards it and hands out another)."""
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    if conn.pgconn.transaction_status != pq.TransactionStatus.IDLE:
        raise psycopg.OperationalError("the connection is not idle")
    poll = select.poll()  # not select(): a descriptor past 1024 is refused there
    poll.register(conn.pgconn.socket, select.POLLIN)
    if poll.poll(0):
        # closed here, so that the pool discards it (a connection that only looks idle would go
        # back to the pool as it is) and makes a new one
        conn.close()
        raise psycopg.OperationalError("the server ended the connection")
