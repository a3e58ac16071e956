"""utils.redis.transact_from: writes decided on a state read earlier land in one round trip if
its guards still hold what was read, and otherwise go through `transact` from a fresh read.
(The keys share a hash tag, as one user's keys do, so that the suite runs on a Redis Cluster too.)"""

from tests.redis_counting import count_round_trips
from utils.redis import transact_from


def build_from(redis_client, reads: list[str]):
    """A writer that copies the guard into `copy` and writes a hash and a set: it reads the guard
    itself when asked again (as settlement_choose does after a lost race)."""

    def build(pipe):
        seen = reads.pop() if reads else redis_client.get("{t}guard")
        pipe.multi()
        pipe.set("{t}copy", f"from {seen}", ex=60)
        pipe.hset("{t}hash", mapping={"a": "1", "b": "2"})
        pipe.sadd("{t}set", 3, 4)
        pipe.delete("{t}gone")
        return seen

    return build


def test_writes_land_in_one_round_trip_when_the_guard_is_unchanged(redis_client):
    redis_client.set("{t}guard", "v1")
    redis_client.set("{t}gone", "x")
    build = build_from(redis_client, ["v1"])
    with count_round_trips() as trips:
        assert transact_from({"{t}guard": "v1"}, build, watch_keys=["{t}guard"]) == "v1"
    assert trips.count == 1
    assert redis_client.get("{t}copy") == "from v1"
    assert 0 < redis_client.ttl("{t}copy") <= 60
    assert redis_client.hgetall("{t}hash") == {"a": "1", "b": "2"}
    assert redis_client.smembers("{t}set") == {"3", "4"}
    assert redis_client.exists("{t}gone") == 0


def test_a_guard_changed_since_the_read_writes_nothing_from_it_and_decides_again(redis_client):
    redis_client.set("{t}guard", "v2")  # a write landed after the caller read v1
    build = build_from(redis_client, ["v1"])
    assert transact_from({"{t}guard": "v1"}, build, watch_keys=["{t}guard"]) == "v2"
    assert redis_client.get("{t}copy") == "from v2"


def test_a_guard_that_was_absent_and_still_is_counts_as_unchanged(redis_client):
    build = build_from(redis_client, [None])
    assert transact_from({"{t}guard": None}, build, watch_keys=["{t}guard"]) is None
    assert redis_client.get("{t}copy") == "from None"


def test_every_guard_must_still_hold_what_was_read(redis_client):
    redis_client.set("{t}guard", "v1")
    redis_client.set("{t}other", "w2")  # the second guard moved on after the read
    build = build_from(redis_client, ["v1"])
    guards = {"{t}guard": "v1", "{t}other": "w1"}
    with count_round_trips() as trips:
        assert transact_from(guards, build, watch_keys=["{t}guard", "{t}other"]) == "v1"
    assert trips.count > 1  # decided again under WATCH, from a fresh read
    assert redis_client.get("{t}copy") == "from v1"


def test_two_guards_that_hold_write_in_one_round_trip(redis_client):
    redis_client.set("{t}guard", "v1")
    build = build_from(redis_client, ["v1"])
    with count_round_trips() as trips:
        assert transact_from({"{t}guard": "v1", "{t}other": None}, build, watch_keys=[]) == "v1"
    assert trips.count == 1
    assert redis_client.get("{t}copy") == "from v1"


def test_a_build_that_refuses_writes_nothing(redis_client):
    redis_client.set("{t}guard", "v1")

    def refuse(pipe):
        pipe.multi()
        pipe.set("{t}copy", "x")
        raise ValueError("refused")

    try:
        transact_from({"{t}guard": "v1"}, refuse, watch_keys=["{t}guard"])
    except ValueError:
        pass
    assert redis_client.exists("{t}copy") == 0


def test_transact_waits_a_random_growing_moment_between_attempts(redis_client, monkeypatch):
    import pytest

    from utils import redis as redis_module
    from utils.redis import ConcurrentUpdate, transact

    pauses: list[float] = []
    monkeypatch.setattr(redis_module.time, "sleep", pauses.append)

    def build(pipe):
        redis_client.incr("{t}contended")  # another writer wins every time
        pipe.multi()
        pipe.set("{t}written", "1")

    with pytest.raises(ConcurrentUpdate):
        transact(["{t}contended"], build)
    assert len(pauses) == 7  # between the eight attempts, none after the last
    bounds = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064]
    assert all(0 <= pause <= bound for pause, bound in zip(pauses, bounds, strict=True))
    assert not redis_client.exists("{t}written")
