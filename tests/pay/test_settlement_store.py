"""pay/settlement_store.py: the settlement's Redis shapes, read in one round trip, written only
by queued commands, and read the way the cart is (utils/redis_store.py): an entry that does not
decode is skipped and removed, never a failed request."""

import json
from datetime import date
from decimal import Decimal

import pytest

from pay import settlement_store as store
from pay.settlement_store import Settlement, SettlementLine, StoredCoupon
from tests.redis_counting import count_round_trips
from utils import keys
from utils.redis import get_redis, transact

USER = 7


def coupon(record_id: int = 11, **fields) -> StoredCoupon:
    values = {
        "id": record_id,
        "coupon_id": 3,
        "number": f"C{record_id}",
        "name": "满100减20",
        "coupon_type": 1,
        "coupon_type_display": "满减券",
        "money_equivalent_value": Decimal("20.00"),
        "off_percent": None,
        "minimum_consume": Decimal("100.00"),
        "valid_begin": date(2026, 1, 1),
        "valid_end": date(2026, 12, 31),
    }
    values.update(fields)
    return StoredCoupon(**values)  # type: ignore[arg-type]  # a table of mixed values


def line(course_id: int = 1, coupons=(), chosen: int | None = None) -> SettlementLine:
    return SettlementLine(
        course_id=course_id,
        title=f"课程 {course_id}",
        img_src=f"img/{course_id}.png",
        price=Decimal("199.00"),
        period_display="1个月",
        valid_period=30,
        price_policy_id=course_id * 100,
        price_policy_dict={
            str(course_id * 100): {
                "valid_period": 30,
                "valid_period_text": "1个月",
                "price": "199.00",
            }
        },
        course_coupons={c.id: c for c in coupons},
        default_course_coupon_id=chosen,
    )


def write(lines, global_coupons=None, default_global=None) -> None:
    with get_redis().pipeline(transaction=True) as pipe:
        store.queue_write(pipe, USER, lines, global_coupons or {}, default_global)
        pipe.execute()


def run(queue, *args) -> None:
    with get_redis().pipeline(transaction=True) as pipe:
        queue(pipe, USER, *args)
        pipe.execute()


# --- the coupon as stored ---------------------------------------------------------------------


def test_a_stored_coupon_survives_encode_and_decode():
    for stored in (
        coupon(),
        coupon(12, coupon_type=2, money_equivalent_value=None, off_percent=79),
    ):
        assert StoredCoupon.decode(json.loads(json.dumps(stored.encode()))) == stored


def test_a_stored_coupon_is_kept_with_money_as_two_decimal_strings_and_iso_dates():
    encoded = coupon(money_equivalent_value=Decimal("20")).encode()
    assert encoded["money_equivalent_value"] == "20.00"
    assert encoded["minimum_consume"] == "100.00"
    assert encoded["valid_end"] == "2026-12-31"
    assert list(encoded) == list(StoredCoupon.__dataclass_fields__)


@pytest.mark.parametrize(
    "change",
    [{"minimum_consume": "NaN"}, {"valid_end": "soon"}, {"id": None}, {"coupon_id": "x"}],
)
def test_a_stored_coupon_that_does_not_decode_raises(change):
    with pytest.raises((KeyError, ValueError, TypeError, ArithmeticError)):
        StoredCoupon.decode({**coupon().encode(), **change})


# --- reads and writes -------------------------------------------------------------------------


def test_an_empty_settlement_reads_as_empty_in_one_round_trip():
    with count_round_trips() as trips:
        settlement = store.settlement_read(USER)
    assert (settlement.lines, settlement.global_coupons, settlement.version) == ([], {}, None)
    assert settlement.default_global_coupon_id is None
    assert trips.count == 1


def test_what_is_written_is_read_back_ordered_by_course_id():
    lines = [line(12, [coupon(21)], chosen=21), line(3)]
    write(lines, {31: coupon(31)}, default_global=31)
    settlement = store.settlement_read(USER)
    assert settlement.lines == [lines[1], lines[0]]
    assert settlement.global_coupons == {31: coupon(31)}
    assert settlement.default_global_coupon_id == 31
    assert settlement.version


def test_reading_takes_one_round_trip_for_one_line_or_thirty():
    write([line(1)])
    with count_round_trips() as one:
        store.settlement_read(USER)
    write([line(n) for n in range(1, 31)])
    with count_round_trips() as thirty:
        assert len(store.settlement_read(USER).lines) == 30
    assert one.count == thirty.count == 1


def test_every_write_but_an_offer_replaces_the_version():
    write([line(1, [coupon(21)])])
    versions = [store.settlement_read(USER).version]
    run(store.queue_choices, {1: 21})
    versions.append(store.settlement_read(USER).version)
    settlement = store.settlement_read(USER)
    run(store.queue_add_coupon, coupon(22), settlement.line(1))
    versions.append(store.settlement_read(USER).version)
    assert versions[0] != versions[1] == versions[2]


def test_choices_set_and_clear_and_an_omitted_global_choice_stays():
    write([line(1, [coupon(21)])], {31: coupon(31)}, default_global=31)
    run(store.queue_choices, {1: 21})
    settlement = store.settlement_read(USER)
    assert (settlement.line(1).default_course_coupon_id, settlement.default_global_coupon_id) == (
        21,
        31,
    )
    run(store.queue_choices, {1: None}, None)
    settlement = store.settlement_read(USER)
    assert (settlement.line(1).default_course_coupon_id, settlement.default_global_coupon_id) == (
        None,
        None,
    )


def test_an_offered_coupon_joins_its_line_or_the_global_coupons():
    write([line(1, [coupon(21)])], {31: coupon(31)})
    run(store.queue_add_coupon, coupon(22), store.settlement_read(USER).line(1))
    run(store.queue_add_coupon, coupon(32))
    settlement = store.settlement_read(USER)
    assert set(settlement.line(1).course_coupons) == {21, 22}
    assert set(settlement.global_coupons) == {31, 32}


def test_clearing_some_lines_keeps_the_others_and_clearing_all_leaves_nothing(redis_client):
    write([line(1), line(2)], {31: coupon(31)})
    run(store.queue_clear, [1])
    assert store.settlement_read(USER).course_ids == [2]
    run(store.queue_clear_all, [2])
    settlement = store.settlement_read(USER)
    assert (settlement.lines, settlement.global_coupons) == ([], {})
    assert settlement.version  # the cleared state is a new state
    assert set(redis_client.keys("*")) == {keys.settlement_version(USER)}


def test_the_settlement_and_the_version_are_what_writers_watch():
    assert store.watch_keys(USER) == [keys.settlement_version(USER)]


def test_a_write_that_loses_the_race_to_another_settlement_write_is_retried():
    write([line(1)])
    rivals = iter([line(2)])

    def build(pipe):
        current = store.settlement_read(USER)
        rival = next(rivals, None)
        if rival is not None:  # another request of the user writes between read and EXEC
            write([*current.lines, rival])
        pipe.multi()
        store.queue_clear_all(pipe, USER, store.settlement_read(USER).course_ids)

    transact(store.watch_keys(USER), build)
    assert store.settlement_read(USER).lines == []


# --- entries that do not decode: skipped and removed, as in the cart --------------------------


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param({"price": None}, id="missing-field"),
        pytest.param({"course_coupons": "{not json"}, id="bad-json"),
        pytest.param({"price": "NaN"}, id="price-not-a-number"),
        pytest.param({"price": "-1"}, id="negative-price"),
        pytest.param({"valid_period": "a month"}, id="period-not-a-number"),
        pytest.param({"id": "2"}, id="id-of-another-course"),
        pytest.param({"default_course_coupon_id": "abc"}, id="choice-not-an-id"),
        pytest.param({"course_coupons": '{"x": {}}'}, id="coupon-not-decodable"),
        pytest.param({"course_coupons": "[]"}, id="coupons-not-an-object"),
        pytest.param({"course_coupons": '{"11": []}'}, id="coupon-not-an-object"),
    ],
)
def test_a_corrupt_line_is_skipped_and_removed(redis_client, corrupt):
    write([line(1), line(3)])
    for field, value in corrupt.items():
        if value is None:
            redis_client.hdel(keys.settlement(USER, 1), field)
        else:
            redis_client.hset(keys.settlement(USER, 1), field, value)
    version = store.settlement_read(USER).version
    assert store.settlement_read(USER).course_ids == [3]
    assert not redis_client.exists(keys.settlement(USER, 1))
    assert redis_client.smembers(keys.settlement_index(USER)) == {"3"}
    assert store.settlement_read(USER).version == version  # nothing payable changed


def test_an_index_member_that_is_not_an_id_is_skipped_and_removed(redis_client):
    write([line(3)])
    redis_client.sadd(keys.settlement_index(USER), "oops")
    assert store.settlement_read(USER).course_ids == [3]  # it used to fail the request
    assert redis_client.smembers(keys.settlement_index(USER)) == {"3"}


def test_an_index_member_whose_hash_is_gone_is_skipped_and_removed(redis_client):
    write([line(1), line(3)])
    redis_client.delete(keys.settlement(USER, 1))
    assert store.settlement_read(USER).course_ids == [3]
    assert redis_client.smembers(keys.settlement_index(USER)) == {"3"}


def test_a_corrupt_global_coupon_or_choice_is_skipped_and_removed(redis_client):
    write([line(1)], {31: coupon(31)}, default_global=31)
    global_key = keys.global_coupon(USER)
    redis_client.hset(global_key, mapping={"32": "{not json", "x": "{}"})
    redis_client.hset(global_key, store.DEFAULT_GLOBAL_FIELD, "abc")
    settlement = store.settlement_read(USER)
    assert (set(settlement.global_coupons), settlement.default_global_coupon_id) == ({31}, None)
    assert set(redis_client.hkeys(global_key)) == {"31"}


def test_the_cleanup_keeps_a_line_that_was_rewritten_since_it_was_read(redis_client):
    # given a line that was broken when read and has been written whole since
    write([line(1)])
    # when the cleanup re-checks it
    store._discard_broken(USER, ["1"], [])
    # then it stays
    assert store.settlement_read(USER).course_ids == [1]


def test_a_healthy_settlement_costs_no_cleanup_round_trip():
    write([line(1), line(2)], {31: coupon(31)}, default_global=31)
    with count_round_trips() as trips:
        store.settlement_read(USER)
    assert trips.count == 1


# --- coupons decoded once per text ----------------------------------------------------------------


def test_a_lines_coupons_read_again_are_the_same_objects_in_a_dict_of_its_own():
    write([line(1, coupons=[coupon(11), coupon(12)])])
    first = store.settlement_read(USER).line(1).course_coupons
    again = store.settlement_read(USER).line(1).course_coupons
    assert again == first and again is not first
    assert all(again[rid] is first[rid] for rid in first)


def test_the_decoded_coupons_are_bounded_by_the_size_of_their_texts(monkeypatch):
    monkeypatch.setattr(store, "_DECODED_BUDGET", 3000)
    store._DECODED.clear()
    store._DECODED_ONE.clear()
    monkeypatch.setattr(store, "_decoded_size", 0)
    texts = [
        json.dumps({str(rid): coupon(rid).encode()}, ensure_ascii=False) for rid in range(1, 30)
    ]
    for text in texts:
        store._decode_coupons(text)
        assert store._decoded_size <= 3000
        assert sum(map(len, store._DECODED)) == store._decoded_size
    assert 0 < len(store._DECODED) < len(texts)
    huge = json.dumps({str(rid): coupon(rid).encode() for rid in range(1, 10)})
    assert len(huge) > 300
    store._decode_coupons(huge)
    assert huge not in store._DECODED  # past a tenth of the budget: decoded, not kept


def test_settlement_helpers_name_their_lines():
    settlement = Settlement([line(1), line(2)], {}, None)
    assert settlement.course_ids == [1, 2]
    assert settlement.line(2) == line(2)
    assert settlement.line(9) is None
