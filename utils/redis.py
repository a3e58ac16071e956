"""The one place that builds Redis connections.

`get_redis()` returns a process-wide client with `decode_responses=True`: every value the stores
read is a `str`. With `REDIS_URL` unset, it talks to one in-process fakeredis server that the cache
(django-redis) shares, so the defaults need nothing installed.
"""

import threading

import fakeredis
import redis
from django.conf import settings

from utils import metrics

_lock = threading.RLock()
_fake_server: fakeredis.FakeServer | None = None
_client: redis.Redis | None = None

# Exceptions that mean "Redis cannot be reached": the handler turns them into 1003/503.
UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def fake_server() -> fakeredis.FakeServer:
    """The single fakeredis server of this process (used when REDIS_URL is not set)."""
    global _fake_server
    with _lock:
        if _fake_server is None:
            _fake_server = fakeredis.FakeServer()
        return _fake_server


def _build() -> redis.Redis:
    if settings.REDIS_URL:
        return redis.Redis.from_url(
            settings.REDIS_URL,
            decode_responses=True,
            socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
            socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
            health_check_interval=30,
        )
    return fakeredis.FakeRedis(server=fake_server(), decode_responses=True)


def get_redis() -> redis.Redis:
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = _build()
    return _client


def set_redis(client: redis.Redis | None) -> None:
    """Replace the client (tests: a client that counts round trips, or one that cannot connect)."""
    global _client
    with _lock:
        _client = client


class ConcurrentUpdate(Exception):
    """Keys watched by `transact` kept changing under it for every attempt."""


def transact(watch_keys, build, *, attempts: int = 5):
    """Optimistic multi-key transaction (WATCH/MULTI/EXEC), run again if a watched key changes.

    `build(pipe)` reads what it needs (with the stores' usual client, so reads can be pipelined),
    checks everything, raising to abort with nothing written, then calls `pipe.multi()` and
    queues its writes on `pipe`. Its return value is returned once EXEC succeeds.
    """
    client = get_redis()
    for _ in range(attempts):
        with client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(*watch_keys)
                result = build(pipe)
                pipe.execute()
                return result
            except redis.exceptions.WatchError:
                metrics.WATCH_RETRIES.inc()
                continue
    metrics.WATCH_EXHAUSTED.inc()
    raise ConcurrentUpdate(f"keys kept changing: {list(watch_keys)[:5]}")
