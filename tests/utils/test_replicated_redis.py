"""utils/redis.py's Sentinel client: a write is acknowledged only once a replica holds it.

Runs on a real Redis without replicas (REDIS_URL, e.g. the machine's), where WAIT can only time
out: so every write must be refused, and reads must not wait. Skipped on fakeredis and Cluster.
"""

import pytest

from pay.settlement_store import queue_read, settlement_read
from shopping.cart_store import cart_items
from utils.redis import NotReplicated, ReplicatedRedis, set_redis


@pytest.fixture
def replicated(settings):
    if not settings.REDIS_URL or settings.REDIS_CLUSTER:
        pytest.skip("needs one real Redis (REDIS_URL)")
    settings.REDIS_REPLICA_ACKS = 1
    settings.REDIS_REPLICA_ACK_TIMEOUT_MS = 50
    client = ReplicatedRedis.from_url(settings.REDIS_URL, decode_responses=True)
    if client.info("replication").get("connected_slaves", 0) > 0:
        pytest.skip("this Redis has replicas")
    return client


def test_a_write_no_replica_confirmed_is_not_acknowledged(replicated):
    with pytest.raises(NotReplicated, match="0 of 1 replicas"):
        replicated.set("probe", "1")


def test_a_transaction_no_replica_confirmed_is_not_acknowledged(replicated):
    with pytest.raises(NotReplicated), replicated.pipeline(transaction=True) as pipe:
        pipe.set("probe", "1")
        pipe.sadd("probe_set", "1")
        pipe.execute()


def test_reads_do_not_wait_for_replicas(replicated):
    assert replicated.get("probe_missing") is None
    with replicated.pipeline(transaction=True) as pipe:
        pipe.smembers("probe_set")
        pipe.get("probe")
        assert pipe.execute() == [set(), None]


def test_a_cart_write_no_replica_confirmed_is_answered_1003(replicated, auth_api, make_course):
    course = make_course()
    set_redis(replicated)
    response = auth_api.post(
        "/api/shopping_car/",
        {"course_id": course.pk, "price_policy_id": course.price_policy.first().pk},
        format="json",
    )
    assert response.status_code == 503
    assert response.json()["code"] == 1003
    set_redis(None)


def test_reading_a_settlement_or_a_cart_by_script_does_not_wait_for_replicas(replicated, account):
    set_redis(replicated)
    try:
        assert settlement_read(account.pk).lines == []
        assert cart_items(account.pk) == []
        with replicated.pipeline(transaction=False) as pipe:
            queue_read(pipe, account.pk)
            assert len(pipe.execute()) == 1
    finally:
        set_redis(None)


def test_a_new_catalogue_generation_waits_for_a_replica_like_any_store_write(replicated, caplog):
    # the generation guards the courses each worker remembers (course/catalogue.py): a failover
    # must not bring back an older one, so its write is acknowledged only once a replica holds it
    from course.catalogue import catalogue_changed

    set_redis(replicated)
    try:
        catalogue_changed()  # never fails a staff edit: logged
    finally:
        set_redis(None)
    assert "catalogue cache not invalidated" in caplog.text
    assert "0 of 1 replicas" in caplog.text
