"""shopping/cart_store.py: keys and encodings, reads, queued writes, atomic checks, repairs.

No database here: the store only knows Redis.
"""

import json
import threading

import pytest
import redis

from shopping import cart_store
from shopping.cart_store import CartItem
from tests.redis_counting import count_round_trips
from tests.shopping.conftest import make_item
from utils import keys
from utils.redis import get_redis

USER = 7


def put(item: CartItem, user_id: int = USER) -> None:
    with get_redis().pipeline(transaction=True) as pipe:
        cart_store.queue_put(pipe, user_id, item)
        pipe.execute()


# --- encoding -------------------------------------------------------------------------------


def test_an_item_is_stored_as_the_seeds_hash_with_a_per_user_index(redis_client):
    # given an item with two policies, the second chosen
    item = make_item(course_id=3, default_index=1)
    # when it is put in the cart
    put(item)
    # then the hash has the seed's fields, all strings, and the index holds the course
    raw = redis_client.hgetall(keys.cart(7, 3))
    assert raw == {
        "id": "3",
        "title": "课程 3",
        "img_src": "img/3.png",
        "price_policy_dict": raw["price_policy_dict"],
        "default_policy": "301",
    }
    assert json.loads(raw["price_policy_dict"]) == {
        "300": {"valid_period": 30, "valid_period_text": "1个月", "price": "99.00"},
        "301": {"valid_period": 60, "valid_period_text": "2个月", "price": "100.00"},
    }
    assert redis_client.smembers(keys.cart_index(7)) == {"3"}


def test_a_stored_item_reads_back_equal(redis_client):
    item = make_item(course_id=3, default_index=1)
    put(item)
    assert cart_store.cart_items(USER) == [item]


def test_an_items_price_is_its_default_policys_price():
    assert make_item(course_id=1, default_index=1).price == "100.00"


def test_a_cart_has_no_expiry(redis_client):
    put(make_item(course_id=3))
    assert redis_client.ttl(keys.cart(7, 3)) == -1
    assert redis_client.ttl(keys.cart_index(7)) == -1


# --- reads ----------------------------------------------------------------------------------


def test_cart_items_are_ordered_by_course_id():
    for course_id in (12, 3, 100, 7):
        put(make_item(course_id=course_id))
    assert [item.course_id for item in cart_store.cart_items(USER)] == [3, 7, 12, 100]


def test_an_empty_cart_reads_as_an_empty_list_in_one_round_trip():
    with count_round_trips() as trips:
        assert cart_store.cart_items(USER) == []
    assert trips.count == 1


def test_cart_items_take_one_round_trip_for_one_item_or_thirty():
    put(make_item(course_id=1))
    with count_round_trips() as one:
        cart_store.cart_items(USER)
    for course_id in range(2, 31):
        put(make_item(course_id=course_id))
    with count_round_trips() as thirty:
        assert len(cart_store.cart_items(USER)) == 30
    assert one.count == thirty.count == 1


def test_carts_of_different_users_are_separate():
    put(make_item(course_id=1), user_id=1)
    put(make_item(course_id=2), user_id=2)
    assert [item.course_id for item in cart_store.cart_items(1)] == [1]
    assert [item.course_id for item in cart_store.cart_items(2)] == [2]


def test_cart_get_many_reads_the_asked_courses_in_one_round_trip():
    for course_id in (1, 2, 3):
        put(make_item(course_id=course_id))
    with count_round_trips() as trips:
        found = cart_store.cart_get_many(USER, [1, 3, 99])
    assert found == {1: make_item(course_id=1), 3: make_item(course_id=3)}
    assert trips.count == 1


def test_cart_get_many_of_no_courses_asks_redis_nothing():
    with count_round_trips() as trips:
        assert cart_store.cart_get_many(USER, []) == {}
    assert trips.count == 0


def test_cart_get_many_ignores_a_hash_that_is_not_in_the_index(redis_client):
    # given a stray hash the index does not name
    put(make_item(course_id=1))
    redis_client.srem(keys.cart_index(7), "1")
    # then the course is not in the cart
    assert cart_store.cart_get_many(USER, [1]) == {}


def test_cart_count_is_the_number_of_courses():
    for course_id in (1, 2, 3):
        put(make_item(course_id=course_id))
    put(make_item(course_id=2, default_index=1))
    assert cart_store.cart_count(USER) == 3


# --- queued writes in a caller's transaction ------------------------------------------------


def test_queue_put_only_queues_until_the_caller_executes(redis_client):
    # given a caller's MULTI pipeline with the put queued
    with get_redis().pipeline(transaction=True) as pipe:
        cart_store.queue_put(pipe, USER, make_item(course_id=5))
        # then nothing is written yet
        assert redis_client.keys("shopping_car_*") == []
        # when the caller executes
        pipe.execute()
    # then the course is in the cart
    assert cart_store.cart_items(USER) == [make_item(course_id=5)]


def test_queue_remove_and_queue_put_land_with_the_callers_own_writes_in_one_round_trip(
    redis_client,
):
    # given a cart with courses 1 and 2
    put(make_item(course_id=1))
    put(make_item(course_id=2))
    # when a caller removes both, adds 3 and writes its own key in one transaction
    with count_round_trips() as trips, get_redis().pipeline(transaction=True) as pipe:
        cart_store.queue_remove(pipe, USER, [1, 2])
        cart_store.queue_put(pipe, USER, make_item(course_id=3))
        pipe.set(keys.settlement_version(USER), "marker")
        pipe.execute()
    # then everything landed in one round trip
    assert trips.count == 1
    assert [item.course_id for item in cart_store.cart_items(USER)] == [3]
    assert redis_client.get(keys.settlement_version(USER)) == "marker"
    assert not redis_client.exists(keys.cart(7, 1), keys.cart(7, 2))


def test_watch_keys_make_a_callers_transaction_fail_when_the_cart_changes_under_it():
    # given a caller watching the cart's keys for course 1
    put(make_item(course_id=1))
    with get_redis().pipeline(transaction=True) as pipe:
        pipe.watch(*cart_store.watch_keys(USER, [1]))
        # when another request changes that course's policy before the caller's EXEC
        put(make_item(course_id=1, default_index=1))
        pipe.multi()
        cart_store.queue_remove(pipe, USER, [1])
        # then the caller's transaction fails and writes nothing
        with pytest.raises(redis.exceptions.WatchError):
            pipe.execute()
    assert cart_store.cart_get_many(USER, [1])[1].default_policy == 101


def test_queue_remove_of_no_courses_queues_nothing():
    with get_redis().pipeline(transaction=True) as pipe:
        cart_store.queue_remove(pipe, USER, [])
        assert len(pipe.command_stack) == 0


def test_queue_put_replaces_the_whole_hash(redis_client):
    # given a stored item carrying a stray extra field
    put(make_item(course_id=1))
    redis_client.hset(keys.cart(7, 1), "stale", "x")
    # when it is put again
    put(make_item(course_id=1, default_index=1))
    # then the stray field is gone
    assert "stale" not in redis_client.hgetall(keys.cart(7, 1))


# --- the cart API's writes ------------------------------------------------------------------


def test_cart_add_refuses_a_new_course_when_the_cart_is_full():
    for course_id in (1, 2):
        assert cart_store.cart_add(USER, make_item(course_id=course_id), limit=2)
    assert cart_store.cart_add(USER, make_item(course_id=3), limit=2) is False
    assert cart_store.cart_count(USER) == 2


def test_cart_add_of_a_course_already_in_a_full_cart_replaces_it():
    for course_id in (1, 2):
        cart_store.cart_add(USER, make_item(course_id=course_id), limit=2)
    assert cart_store.cart_add(USER, make_item(course_id=2, default_index=1), limit=2)
    assert cart_store.cart_get_many(USER, [2])[2].default_policy == 201


def test_cart_replace_of_a_course_not_in_the_cart_writes_nothing(redis_client):
    assert cart_store.cart_replace(USER, make_item(course_id=1)) is False
    assert redis_client.keys("shopping_car_*") == []  # the cart's version included


def test_cart_remove_answers_how_many_courses_were_in_the_cart():
    put(make_item(course_id=1))
    assert cart_store.cart_remove(USER, [1, 2]) == 1
    assert cart_store.cart_items(USER) == []


def _remove_in_a_transaction(course_id: int) -> None:
    with get_redis().pipeline(transaction=True) as pipe:
        cart_store.queue_remove(pipe, USER, [course_id])
        pipe.execute()


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda: put(make_item(course_id=1, default_index=1)), id="queue_put"),
        pytest.param(lambda: _remove_in_a_transaction(1), id="queue_remove"),
        pytest.param(lambda: cart_store.cart_add(USER, make_item(course_id=2), limit=5), id="add"),
        pytest.param(
            lambda: cart_store.cart_replace(USER, make_item(course_id=1, default_index=1)),
            id="replace",
        ),
        pytest.param(lambda: cart_store.cart_remove(USER, [1]), id="remove"),
    ],
)
def test_every_write_of_the_cart_replaces_its_version(redis_client, write):
    # a settlement POST decided on the cart it read writes only while this version holds
    put(make_item(course_id=1))
    before = redis_client.get(keys.cart_version(USER))
    write()
    after = redis_client.get(keys.cart_version(USER))
    assert before and after and after != before


def test_a_refused_write_keeps_the_carts_version(redis_client):
    cart_store.cart_add(USER, make_item(course_id=1), limit=1)
    before = redis_client.get(keys.cart_version(USER))
    assert cart_store.cart_add(USER, make_item(course_id=2), limit=1) is False
    assert cart_store.cart_replace(USER, make_item(course_id=3)) is False
    assert redis_client.get(keys.cart_version(USER)) == before


def test_removing_a_corrupt_entry_replaces_the_carts_version(redis_client):
    put(make_item(course_id=1))
    put(make_item(course_id=2))
    redis_client.hset(keys.cart(7, 1), "default_policy", "not a policy")
    before = redis_client.get(keys.cart_version(USER))
    assert [item.course_id for item in cart_store.cart_items(USER)] == [2]
    assert redis_client.get(keys.cart_version(USER)) != before


def test_an_add_checks_and_writes_in_one_round_trip(settings):
    with count_round_trips() as trips:
        assert cart_store.cart_add(USER, make_item(course_id=1), limit=2)
    assert trips.count == (2 if settings.REDIS_SENTINELS else 1)  # Sentinel: and its WAIT


def test_threads_replacing_while_another_removes_never_bring_the_course_back():
    # given a course in the cart, replaced by five threads while a sixth removes it
    put(make_item(course_id=1))
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def replace() -> None:
        try:
            barrier.wait()
            cart_store.cart_replace(USER, make_item(course_id=1, default_index=1))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    def remove() -> None:
        try:
            barrier.wait()
            cart_store.cart_remove(USER, [1])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=replace) for _ in range(5)]
    threads.append(threading.Thread(target=remove))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then the removal stands: no replace after it put the course back
    assert errors == []
    assert cart_store.cart_items(USER) == []
    assert get_redis().exists(keys.cart(USER, 1)) == 0


def test_threads_adding_different_courses_never_exceed_the_limit():
    # given ten threads released together, each adding its own course, with a limit of three
    barrier = threading.Barrier(10)
    results: dict[int, bool] = {}
    errors: list[BaseException] = []

    def add(course_id: int) -> None:
        try:
            barrier.wait()
            results[course_id] = cart_store.cart_add(USER, make_item(course_id=course_id), limit=3)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(1, 11)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then exactly three won, and the cart holds exactly those three
    assert errors == []
    winners = sorted(course_id for course_id, added in results.items() if added)
    assert len(winners) == 3
    assert [item.course_id for item in cart_store.cart_items(USER)] == winners


# --- corrupt entries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param({"default_policy": None}, id="missing-field"),
        pytest.param({"price_policy_dict": "{not json"}, id="bad-json"),
        pytest.param({"price_policy_dict": "[1, 2]"}, id="json-not-an-object"),
        pytest.param({"price_policy_dict": "{}"}, id="no-policies"),
        pytest.param({"default_policy": "999"}, id="default-not-a-policy"),
        pytest.param({"default_policy": "abc"}, id="default-not-an-id"),
        pytest.param({"id": "2"}, id="id-of-another-course"),
        pytest.param(
            {"price_policy_dict": '{"100": {"valid_period": 30, "valid_period_text": "x", "price": 9}}'},
            id="price-not-a-string",
        ),
        pytest.param(
            {"price_policy_dict": '{"100": {"valid_period": 30, "valid_period_text": "x", "price": "NaN"}}'},
            id="price-not-a-number",
        ),
    ],
)  # fmt: skip
def test_a_corrupt_hash_is_skipped_and_cleaned_up(redis_client, corrupt):
    # given a good item 2 and a corrupted item 1
    put(make_item(course_id=1))
    put(make_item(course_id=2))
    for field, value in corrupt.items():
        if value is None:
            redis_client.hdel(keys.cart(7, 1), field)
        else:
            redis_client.hset(keys.cart(7, 1), field, value)
    # when the cart is read
    items = cart_store.cart_items(USER)
    # then the corrupt one is skipped, and removed so that it no longer takes a place
    assert [item.course_id for item in items] == [2]
    assert not redis_client.exists(keys.cart(7, 1))
    assert cart_store.cart_count(USER) == 1


def test_an_index_member_whose_hash_is_gone_is_skipped_and_cleaned_up(redis_client):
    put(make_item(course_id=1))
    put(make_item(course_id=2))
    redis_client.delete(keys.cart(7, 1))
    assert [item.course_id for item in cart_store.cart_items(USER)] == [2]
    assert redis_client.smembers(keys.cart_index(7)) == {"2"}


def test_an_index_member_that_is_not_an_id_is_skipped_and_cleaned_up(redis_client):
    put(make_item(course_id=2))
    redis_client.sadd(keys.cart_index(7), "oops")
    assert [item.course_id for item in cart_store.cart_items(USER)] == [2]
    assert redis_client.smembers(keys.cart_index(7)) == {"2"}


def test_a_corrupt_hash_is_invisible_to_cart_get_many(redis_client):
    put(make_item(course_id=1))
    redis_client.hset(keys.cart(7, 1), "price_policy_dict", "{not json")
    assert cart_store.cart_get_many(USER, [1]) == {}


def test_the_cleanup_keeps_an_entry_that_was_rewritten_since_it_was_read(redis_client):
    # given an entry that was broken when read but has been re-added since
    put(make_item(course_id=1))
    # when the cleanup re-checks it
    cart_store._discard_broken(USER, ["1"])
    # then it stays
    assert cart_store.cart_items(USER) == [make_item(course_id=1)]
