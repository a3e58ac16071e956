"""The one place that builds Redis connections, for the three deployments of API.md.

- `REDIS_URL` alone: one Redis server (`redis.Redis`).
- `REDIS_SENTINELS` + `REDIS_SENTINEL_MASTER`: the master that Sentinel names, found again after a
  failover. Each write waits (`WAIT`) until `REDIS_REPLICA_ACKS` replicas hold it before it is
  acknowledged, so a failover cannot lose a write that was answered 1000; a write that no replica
  confirmed in time raises `NotReplicated` (answered 1003).
- `REDIS_CLUSTER=1` with `REDIS_URL` naming any node: `redis.cluster.RedisCluster`. Key names carry
  the user id as a hash tag (utils/keys.py), so one user's transactions stay in one slot.
- nothing set: one in-process fakeredis server, so the defaults need nothing installed (settings
  refuse this when DEBUG is off: several processes would each get their own).

`get_redis()` is the stores' process-wide client (`decode_responses=True`: every value read is a
`str`); `get_cache_redis()` is the cache's (bytes: django-redis pickles), built the same way and
handed to django-redis by `CacheConnectionFactory`, so the cache and the throttles follow the same
deployment.
"""

import random
import threading
import time

import fakeredis
import redis
from django.conf import settings
from django_redis.pool import ConnectionFactory
from redis.client import Pipeline
from redis.cluster import RedisCluster
from redis.commands.core import CoreCommands
from redis.event import EventDispatcher
from redis.sentinel import Sentinel

from utils import metrics

_lock = threading.RLock()
_fake_server: fakeredis.FakeServer | None = None
# A client of any deployment: the stores use only commands that both kinds answer.
Client = redis.Redis | RedisCluster
_client: Client | None = None
_override: Client | None = None
_cache_client: Client | None = None


class NotReplicated(redis.exceptions.RedisError):
    """A write reached the master but not enough replicas in time: it may not survive a failover,
    so it is not acknowledged (1003). Not a ConnectionError: redis-py must not retry it."""


# Exceptions that mean "Redis cannot be reached": the handler turns them into 1003/503.
# (ClusterDownError and a demoted master's READONLY are ResponseErrors, not ConnectionErrors;
# RedisClusterException is what RedisCluster raises when no node answers. It is also the base of
# its client-side CROSSSLOT checks, which utils/keys.py's hash tags keep from happening.)
UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.RedisClusterException,
    redis.exceptions.TimeoutError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.SlotNotCoveredError,
    NotReplicated,
)

# Commands that write nothing: a transaction made only of these needs no WAIT.
_READS = frozenset(
    ["GET", "MGET", "EXISTS", "TTL", "PTTL", "TYPE", "HGET", "HGETALL", "HMGET", "HEXISTS",
     "HLEN", "SMEMBERS", "SISMEMBER", "SMISMEMBER", "SCARD", "SCAN", "KEYS", "DBSIZE", "INFO",
     "ROLE", "TIME", "PING", "WATCH", "UNWATCH"]
)  # fmt: skip


def _wait_for_replicas(client: redis.Redis, conn, what: str) -> None:
    """WAIT on the connection that wrote; NotReplicated when too few replicas confirmed."""
    wanted = settings.REDIS_REPLICA_ACKS
    conn.send_command("WAIT", wanted, settings.REDIS_REPLICA_ACK_TIMEOUT_MS)
    acked = int(client.parse_response(conn, "WAIT"))
    if acked < wanted:
        # Most likely this master was just replaced (its replica promoted): drop the connection
        # so that the next one asks Sentinel where the master is now.
        conn.disconnect()
        raise NotReplicated(f"{what}: {acked} of {wanted} replicas confirmed the write")


# Lua scripts that only read (utils/redis_store.py): sent with EVAL, since fakeredis has no
# EVAL_RO, but they need no WAIT either.
_READ_SCRIPTS: set[str] = set()


def read_only_script(text: str) -> str:
    """Mark a Lua script as one that writes nothing; returns it."""
    _READ_SCRIPTS.add(text)
    return text


def _is_write(args) -> bool:
    name = str(args[0]).upper()
    if name == "EVAL" and len(args) > 1 and args[1] in _READ_SCRIPTS:
        return False
    return name not in _READS


def _writes(commands) -> bool:
    return any(_is_write(args) for args, _ in commands)


class ReplicatedPipeline(Pipeline):
    """A pipeline whose writes (MULTI/EXEC or not) are acknowledged only once
    `REDIS_REPLICA_ACKS` replicas hold them."""

    def _execute_transaction(self, connection, commands, raise_on_error):
        result = super()._execute_transaction(connection, commands, raise_on_error)
        if _writes(commands):
            _wait_for_replicas(self, connection, "MULTI/EXEC")
        return result

    def _execute_pipeline(self, connection, commands, raise_on_error):
        result = super()._execute_pipeline(connection, commands, raise_on_error)
        if _writes(commands):
            _wait_for_replicas(self, connection, "pipeline")
        return result


class ReplicatedRedis(redis.Redis):
    """The Sentinel deployment's client: writes (single commands and transactions) are
    acknowledged only once `REDIS_REPLICA_ACKS` replicas hold them."""

    def pipeline(self, transaction=True, shard_hint=None):
        return ReplicatedPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )

    def _send_command_parse_response(self, conn, command_name, *args, **options):
        result = super()._send_command_parse_response(conn, command_name, *args, **options)
        if _is_write(args):
            _wait_for_replicas(self, conn, str(command_name))
        return result


def fake_server() -> fakeredis.FakeServer:
    """The single fakeredis server of this process (used when no Redis is configured)."""
    global _fake_server
    with _lock:
        if _fake_server is None:
            _fake_server = fakeredis.FakeServer()
        return _fake_server


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def writes_wait_for_replicas() -> bool:
    """Whether the stores' client acknowledges a write only once replicas hold it (Sentinel with
    REDIS_REPLICA_ACKS): a write that fails that way fails the whole pipeline it rides on."""
    return bool(settings.REDIS_SENTINELS) and settings.REDIS_REPLICA_ACKS > 0


def build_client(*, decode_responses: bool = True) -> Client:
    """A new client for the configured deployment (see the module docstring)."""
    timeouts = {
        "socket_connect_timeout": settings.REDIS_SOCKET_TIMEOUT,
        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
    }
    if settings.REDIS_SENTINELS:
        sentinel = Sentinel(
            [_host_port(address) for address in settings.REDIS_SENTINELS],
            sentinel_kwargs=dict(timeouts),
            **timeouts,
        )
        replicated = decode_responses and writes_wait_for_replicas()
        return sentinel.master_for(
            settings.REDIS_SENTINEL_MASTER,
            redis_class=ReplicatedRedis if replicated else redis.Redis,
            db=settings.REDIS_DB,
            password=settings.REDIS_PASSWORD or None,
            decode_responses=decode_responses,
            **timeouts,
        )
    if settings.REDIS_CLUSTER:
        return RedisCluster.from_url(
            settings.REDIS_URL, decode_responses=decode_responses, **timeouts
        )
    if settings.REDIS_URL:
        return redis.Redis.from_url(
            settings.REDIS_URL,
            decode_responses=decode_responses,
            health_check_interval=30,
            **timeouts,
        )
    return fakeredis.FakeRedis(server=fake_server(), decode_responses=decode_responses)


def describe() -> str:
    """Where Redis is, for the log line at start."""
    if settings.REDIS_SENTINELS:
        sentinels = ",".join(settings.REDIS_SENTINELS)
        return f"Sentinel master {settings.REDIS_SENTINEL_MASTER!r} via {sentinels}"
    if settings.REDIS_CLUSTER:
        return f"Redis Cluster via {settings.REDIS_URL}"
    return settings.REDIS_URL or "in-process fakeredis (REDIS_URL not set)"


def get_redis() -> Client:
    """The stores' process-wide client (or the one a test put in its place)."""
    global _client
    if _override is not None:
        return _override
    if _client is None:
        with _lock:
            if _client is None:
                _client = build_client()
    return _client


def set_redis(client: Client | None) -> None:
    """Put another client in place of the configured one (tests: a client that cannot connect);
    None puts the configured one back."""
    global _override
    with _lock:
        _override = client


def get_cache_redis() -> Client:
    """The cache's process-wide client (values are bytes)."""
    global _cache_client
    if _cache_client is None:
        with _lock:
            if _cache_client is None:
                _cache_client = build_client(decode_responses=False)
    return _cache_client


class CacheConnectionFactory(ConnectionFactory):
    """django-redis's connection factory, answered by this module (OPTIONS["CONNECTION_FACTORY"]):
    the cache's LOCATION is ignored and the client follows the configured deployment."""

    def connect(self, url: str) -> Client:
        return get_cache_redis()

    def disconnect(self, connection) -> None:
        pass  # the process-wide client outlives one cache object


class ConcurrentUpdate(Exception):
    """Keys watched by `transact` kept changing under it for every attempt."""


class _Recorder(CoreCommands):
    """Stands in for a MULTI pipeline: keeps the commands queued on it, sends nothing."""

    _event_dispatcher = EventDispatcher()  # a client's attribute in redis-py; never used here

    def __init__(self) -> None:
        self.commands: list[tuple] = []

    def execute_command(self, *args, **options):
        self.commands.append(args)
        return self

    def multi(self) -> None:
        pass


# KEYS: the guards. ARGV: the value the caller read of each ('' for none), then each command as
# its length and its words. Every key a command names shares the guards' hash tag (utils/keys.py).
_APPLY_IF = """
for g = 1, #KEYS do
  -- a guard of another type (planted) never holds: the caller decides again under WATCH
  local value = redis.pcall('GET', KEYS[g])
  if type(value) == 'table' or (value or '') ~= ARGV[g] then return 0 end
end
local i = #KEYS + 1
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return 1
"""


_BACKOFF_SECONDS = 0.001
# Eight attempts: under heavy load one user's own cart writes (three tabs adding courses while
# one settles) could win five in a row, whose pauses added up to 15 ms at most, shorter than one
# build of a settlement there (bench/payment_load.py's chaos group: one 1003 in a thousand).
ATTEMPTS = 8


def transact_from(guards: dict[str, str | None], build, *, watch_keys, attempts: int = ATTEMPTS):
    """`transact` for a caller that has already read the state it decides on, with each key of
    `guards` (a key every write of that state replaces) holding the value given (None: absent):
    `build(pipe)` checks and queues its writes as for `transact`, on a pipeline that is never
    sent; they are applied by one script if every guard still holds what was read (one round trip
    instead of WATCH, read and EXEC). If one does not, the state changed since:
    `transact(watch_keys, build)` runs from a fresh read (build must read afresh when called
    again)."""
    recorder = _Recorder()
    result = build(recorder)
    words: list = []
    for args in recorder.commands:
        words.extend([len(args), *args])
    seen = [value or "" for value in guards.values()]
    if get_redis().eval(_APPLY_IF, len(guards), *guards, *seen, *words):
        return result
    metrics.WATCH_RETRIES.inc()
    return transact(watch_keys, build, attempts=attempts)


def transact(watch_keys, build, *, attempts: int = ATTEMPTS):
    """Optimistic multi-key transaction (WATCH/MULTI/EXEC), run again if a watched key changes.

    `build(pipe)` reads what it needs (with the stores' usual client, so reads can be pipelined),
    checks everything, raising to abort with nothing written, then calls `pipe.multi()` and
    queues its writes on `pipe`. Its return value is returned once EXEC succeeds. Between two
    attempts it waits a random moment (up to 1, 2, 4, ... 64 ms: at most 127 ms in all).
    """
    client = get_redis()
    for attempt in range(attempts):
        with client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(*watch_keys)
                result = build(pipe)
                pipe.execute()
                return result
            except redis.exceptions.WatchError:
                metrics.WATCH_RETRIES.inc()
        if attempt + 1 < attempts:
            # a random pause, doubling each time, so that writers racing for the same keys stop
            # colliding in step
            time.sleep(random.uniform(0, _BACKOFF_SECONDS * 2**attempt))
    metrics.WATCH_EXHAUSTED.inc()
    raise ConcurrentUpdate(f"keys kept changing: {list(watch_keys)[:5]}")
