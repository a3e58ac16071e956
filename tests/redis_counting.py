"""Count Redis round trips (one per command, one per pipeline/MULTI batch) during a block.

Works on fakeredis and real Redis alike: it counts what the client sends over a connection, not
what the server does. Health-check PINGs (sent with check_health=False) are not counted.
"""

from contextlib import contextmanager
from dataclasses import dataclass

from redis.connection import AbstractConnection


@dataclass
class RoundTrips:
    count: int = 0


@contextmanager
def count_round_trips():
    trips = RoundTrips()
    original = AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        if check_health:
            trips.count += 1
        return original(self, command, check_health)

    AbstractConnection.send_packed_command = counting
    try:
        yield trips
    finally:
        AbstractConnection.send_packed_command = original
