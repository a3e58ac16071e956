"""The settlement's kept coupon check: reads and changes skip the coupon-status query while
nothing changed, and ask the database again as soon as a coupon record, its rule, the settlement
or the day does (pay/settlement_store.py `GoneCheck`, pay/records_version.py)."""

import json
import logging
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from pay import payment_services, records_version, settlement_services, settlement_store
from pay.coupon_expiry import coupons_expire
from pay.models import CouponRecord
from pay.settlement_store import GoneCheck, settlement_read
from tests import helpers
from tests.helpers import claim_coupon
from utils import keys
from utils.redis import ConcurrentUpdate, get_redis

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(auth_api, account, python, checkout, make_coupon, give_coupon):
    """Python (99.00) settled with its 10.00 course coupon chosen; the settlement read once."""
    record = give_coupon(account, make_coupon(course=python))
    checkout(auth_api, python, course_coupons={python: record})
    assert read(auth_api)["amount"]["payable"] == "89.00"
    return record


def read(api) -> dict:
    body = api.get("/api/settlement/").json()
    assert body["code"] == 1000, body
    return body["data"]


def coupon_of(data, record) -> dict:
    [line] = data["settlement_list"]
    return line["course_coupons"][str(record.pk)]


def test_reading_again_while_nothing_changed_asks_no_query(
    auth_api, settled, django_assert_num_queries
):
    with django_assert_num_queries(0):
        data = read(auth_api)
    assert data["amount"]["payable"] == "89.00"


def test_a_change_of_choices_keeps_the_check_for_the_state_it_writes(
    auth_api, python, settled, django_assert_num_queries
):
    with django_assert_num_queries(0):
        body = helpers.patch_settlement(auth_api, course_id=python.pk, coupon_id=None)
        data = read(auth_api)
    assert body["code"] == 1000
    assert data["amount"]["payable"] == "99.00"


def test_a_coupon_given_back_by_a_cancel_is_usable_again_at_the_next_read(
    auth_api, settled, monkeypatch, django_capture_on_commit_callbacks
):
    # Given a payment used the coupon and its clearing found the settlement changed
    monkeypatch.setattr(payment_services.settlement_store, "queue_clear_all", lambda *a: None)
    body = helpers.pay(auth_api, price="89.00").json()
    assert body["code"] == 1000
    monkeypatch.undo()
    coupon = coupon_of(read(auth_api), settled)
    assert (coupon["usable"], coupon["reason"]) == (False, "已使用 / used")
    # When the order is cancelled, giving the coupon back
    number = body["data"]["order_number"]
    with django_capture_on_commit_callbacks(execute=True):  # the cancel commits
        assert auth_api.post(f"/api/orders/{number}/cancel/").json()["code"] == 1000
    # Then the next read offers it as usable again
    assert coupon_of(read(auth_api), settled)["usable"] is True


def test_a_coupon_claimed_into_the_open_settlement_is_checked_with_the_others(
    auth_api, python, settled, make_coupon
):
    claimed = claim_coupon(auth_api, coupon_id=make_coupon(course=python).pk)
    assert claimed["code"] == 1000
    record = CouponRecord.objects.get(pk=claimed["data"]["id"])
    record.status = CouponRecord.STATUS_EXPIRED  # written without the model's notice
    CouponRecord.objects.filter(pk=record.pk).update(status=record.status)
    coupon = coupon_of(read(auth_api), record)
    assert (coupon["usable"], coupon["reason"]) == (False, "已过期 / expired")


def test_a_coupon_record_deleted_by_staff_is_gone_at_the_next_read(auth_api, settled):
    CouponRecord.objects.get(pk=settled.pk).delete()
    [line] = read(auth_api)["settlement_list"]
    assert line["course_coupons"][str(settled.pk)]["usable"] is False
    assert line["default_course_coupon_id"] is None


def test_the_expiry_job_moves_the_version_of_each_account_it_wrote(
    account, make_account, make_coupon, give_coupon, redis_client
):
    other = make_account("bob")
    ended = make_coupon(
        valid_begin_date=timezone.localdate() - timedelta(days=10),
        valid_end_date=timezone.localdate() - timedelta(days=1),
    )
    give_coupon(account, ended)
    give_coupon(other, make_coupon())  # still valid: not written
    assert coupons_expire() == (1, 0)
    assert redis_client.get(keys.coupon_records_version(account.pk)) is not None
    assert redis_client.get(keys.coupon_records_version(other.pk)) is None


def test_a_change_made_without_notice_shows_once_the_check_expires(
    auth_api, account, settled, redis_client, settings
):
    ttl = redis_client.ttl(keys.settlement_checked(account.pk))
    assert 0 < ttl <= settings.COUPON_CHECK_SECONDS
    CouponRecord.objects.filter(pk=settled.pk).update(status=CouponRecord.STATUS_EXPIRED)
    redis_client.delete(keys.settlement_checked(account.pk))  # what its expiry does
    coupon = coupon_of(read(auth_api), settled)
    assert (coupon["usable"], coupon["reason"]) == (False, "已过期 / expired")


def test_a_check_that_does_not_decode_is_asked_again_and_replaced(
    auth_api, account, settled, redis_client, django_assert_num_queries
):
    redis_client.set(keys.settlement_checked(account.pk), '{"version": ')
    with django_assert_num_queries(1):
        assert read(auth_api)["amount"]["payable"] == "89.00"
    with django_assert_num_queries(0):
        assert read(auth_api)["amount"]["payable"] == "89.00"


def test_a_check_holds_for_its_own_state_records_version_day_and_records(account, settled):
    settlement = settlement_read(account.pk)
    today = timezone.localdate()
    check = settlement.gone_check
    assert check is not None and settlement.gone_check_for(today) is check
    assert settlement.gone_check_for(today + timedelta(days=1)) is None
    for changed in (
        {"version": "other"},
        {"records_version": "41"},
        {"ids": frozenset()},
    ):
        stale = GoneCheck(**{**check.__dict__, **changed})
        assert (
            type(settlement)(**{**settlement.__dict__, "gone_check": stale}).gone_check_for(today)
            is None
        )


def test_the_check_round_trips_through_its_json(account, settled, redis_client):
    check = settlement_read(account.pk).gone_check
    assert check is not None
    again = GoneCheck.decode(check.encode())
    assert again == check
    gone = GoneCheck(**{**check.__dict__, "gone": {7: "已使用 / used"}})
    assert GoneCheck.decode(gone.encode()) == gone
    assert json.loads(gone.encode())["gone"] == {"7": "已使用 / used"}
    for broken in (None, "[]", '{"version": 1}', "not json"):
        assert GoneCheck.decode(broken) is None


def test_a_payment_whose_clearing_failed_shows_its_coupon_used_once_the_check_expires(
    auth_api, account, settled, monkeypatch
):
    # Given Redis failed right after the payment committed: nothing cleared, nothing moved on
    monkeypatch.setattr(payment_services, "_clear_settlement", lambda *a, **k: None)
    assert helpers.pay(auth_api, price="89.00").json()["code"] == 1000
    monkeypatch.undo()
    # When the kept check expires (COUPON_CHECK_SECONDS)
    get_redis().delete(keys.settlement_checked(account.pk))
    # Then the next read asks the database: the coupon shows used
    coupon = coupon_of(read(auth_api), settled)
    assert (coupon["usable"], coupon["reason"]) == (False, "已使用 / used")


def test_a_buyers_cancel_moves_the_version_on_in_its_tokens_round_trip_marked_moving(
    auth_api, account, settled, redis_client, settings, django_capture_on_commit_callbacks
):
    body = helpers.pay(auth_api, price="89.00").json()
    before = redis_client.get(keys.coupon_records_version(account.pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        number = body["data"]["order_number"]
        assert auth_api.post(f"/api/orders/{number}/cancel/").json()["code"] == 1000
    moved = redis_client.get(keys.coupon_records_version(account.pk))
    assert moved != before  # before the commit, with the marker
    assert (
        0
        < redis_client.ttl(keys.coupon_records_moving(account.pk))
        <= (settings.COUPON_CHECK_SECONDS)
    )
    for callback in callbacks:
        callback()
    assert redis_client.get(keys.coupon_records_version(account.pk)) == moved  # no second move


def test_a_read_between_the_cancels_move_and_its_commit_keeps_no_stale_check(
    auth_api, account, settled, monkeypatch, redis_client
):
    from pay import order_services

    # Given a payment used the coupon and its clearing found the settlement changed
    monkeypatch.setattr(payment_services.settlement_store, "queue_clear_all", lambda *a: None)
    body = helpers.pay(auth_api, price="89.00").json()
    monkeypatch.undo()
    # When a cancel has moved the version on in its token's round trip, and a read comes before
    # its commit: the database still says "used"
    with redis_client.pipeline(transaction=False) as pipe:
        token = auth_api._credentials["HTTP_AUTHORIZATION"].split()[1]
        records_version.queue_move_with_token(pipe, account.pk, token)
        assert pipe.execute() == [1]
    coupon = coupon_of(read(auth_api), settled)
    assert (coupon["usable"], coupon["reason"]) == (False, "已使用 / used")
    # and the cancel then commits, moving nothing more
    order_services.order_cancel(
        account_id=account.pk,
        order_number=body["data"]["order_number"],
        records_moved_at=records_version.clock(),
    )
    # Then the next read asks again: the coupon is usable (the read above kept nothing reusable)
    assert coupon_of(read(auth_api), settled)["usable"] is True


def test_once_the_marker_is_gone_reads_keep_their_checks_again(
    auth_api, account, settled, redis_client, django_assert_num_queries
):
    token = auth_api._credentials["HTTP_AUTHORIZATION"].split()[1]
    with redis_client.pipeline(transaction=False) as pipe:
        records_version.queue_move_with_token(pipe, account.pk, token)
        pipe.execute()
    read(auth_api)
    with django_assert_num_queries(1):  # the marker lives: nothing kept, asked again
        read(auth_api)
    redis_client.delete(keys.coupon_records_moving(account.pk))  # it ran out
    read(auth_api)
    with django_assert_num_queries(0):
        read(auth_api)


def test_a_cancel_that_commits_after_its_marker_ran_out_moves_the_version_again(
    auth_api, account, settled, python, monkeypatch, redis_client,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from pay import order_services

    # Given a payment used the coupon and its clearing found the settlement changed
    monkeypatch.setattr(payment_services.settlement_store, "queue_clear_all", lambda *a: None)
    number = helpers.pay(auth_api, price="89.00").json()["data"]["order_number"]
    monkeypatch.undo()
    locked, clock = order_services._locked, records_version.clock

    def waits_past_the_marker(order_number, account_id=None):
        # the cancel waits on the order's lock past COUPON_CHECK_SECONDS: its marker runs out,
        # and a read meanwhile keeps the coupon as "used" under the moved version
        redis_client.delete(keys.coupon_records_moving(account.pk))
        monkeypatch.setattr(records_version, "clock", lambda: clock() + 3600)
        assert coupon_of(read(auth_api), settled)["usable"] is False
        return locked(order_number, account_id)

    monkeypatch.setattr(order_services, "_locked", waits_past_the_marker)
    with django_capture_on_commit_callbacks(execute=True):  # the cancel commits, late
        assert auth_api.post(f"/api/orders/{number}/cancel/").json()["code"] == 1000
    # Then the late commit moved the version once more: the next read asks again
    assert coupon_of(read(auth_api), settled)["usable"] is True
    assert (
        helpers.patch_settlement(auth_api, course_id=python.pk, coupon_id=settled.pk)["code"]
        == 1000
    )


def test_where_writes_wait_for_replicas_the_cancel_moves_the_version_after_its_commit(
    auth_api, account, settled, redis_client, settings, django_capture_on_commit_callbacks
):
    # Sentinel with replica acknowledgements: a write in the token's round trip would fail the
    # whole request when the replicas do not answer, so the move waits for the commit
    settings.REDIS_SENTINELS = ["127.0.0.1:26391"]
    settings.REDIS_REPLICA_ACKS = 1
    number = helpers.pay(auth_api, price="89.00").json()["data"]["order_number"]
    before = redis_client.get(keys.coupon_records_version(account.pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert auth_api.post(f"/api/orders/{number}/cancel/").json()["code"] == 1000
    assert redis_client.get(keys.coupon_records_version(account.pk)) == before
    assert not redis_client.exists(keys.coupon_records_moving(account.pk))
    for callback in callbacks:
        callback()
    assert redis_client.get(keys.coupon_records_version(account.pk)) != before


def test_a_token_that_is_not_good_moves_nothing(account, redis_client):
    before = redis_client.get(keys.coupon_records_version(account.pk))
    with redis_client.pipeline(transaction=False) as pipe:
        records_version.queue_move_with_token(pipe, account.pk, f"{account.pk}.{'0' * 40}")
        assert pipe.execute() == [-1]
    assert redis_client.get(keys.coupon_records_version(account.pk)) == before
    assert not redis_client.exists(keys.coupon_records_moving(account.pk))


def test_staffs_cancel_in_the_admin_moves_the_version_after_its_commit(
    auth_api, account, settled, redis_client, django_capture_on_commit_callbacks
):
    from pay import order_services

    body = helpers.pay(auth_api, price="89.00").json()
    before = redis_client.get(keys.coupon_records_version(account.pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order_services.order_cancel(account_id=None, order_number=body["data"]["order_number"])
    assert redis_client.get(keys.coupon_records_version(account.pk)) == before
    for callback in callbacks:
        callback()
    assert redis_client.get(keys.coupon_records_version(account.pk)) != before


def test_moving_a_version_on_with_redis_down_is_logged_and_never_raises(
    account, monkeypatch, caplog
):
    class Down:
        def pipeline(self, **kwargs):
            raise redis.exceptions.ConnectionError("down")

    monkeypatch.setattr(records_version, "get_redis", lambda: Down())
    with caplog.at_level(logging.WARNING, logger="settlement"):
        records_version.records_changed([account.pk])
    assert "not moved on" in caplog.text


# --- the kept answer ------------------------------------------------------------------------


def test_the_kept_answer_is_the_answer_pricing_and_rendering_give(auth_api, account, settled):
    kept = auth_api.get("/api/settlement/").content
    get_redis().delete(keys.settlement_checked(account.pk))
    fresh = auth_api.get("/api/settlement/").content
    assert kept == fresh


def test_a_coupon_claimed_after_a_read_shows_at_the_next_read(
    auth_api, python, settled, make_coupon
):
    claimed = claim_coupon(auth_api, coupon_id=make_coupon(course=python).pk)
    assert claimed["code"] == 1000
    assert str(claimed["data"]["id"]) in read(auth_api)["settlement_list"][0]["course_coupons"]


def test_a_read_that_started_before_an_offer_does_not_keep_its_older_answer(account, settled):
    # Given a read that saw the kept check, then an offer landed (keeping the version)
    seen = settlement_store.kept_raw(settlement_store.read_reply(account.pk))
    with get_redis().pipeline() as pipe:
        settlement_store.queue_add_coupon(
            pipe, account.pk, settlement_read(account.pk).lines[0].course_coupons[settled.pk]
        )
        pipe.execute()
    marker = get_redis().get(keys.settlement_checked(account.pk))
    # When the read keeps what it priced
    check = settlement_read(account.pk).gone_check
    assert check is None  # the marker does not decode
    stale = GoneCheck("v", None, timezone.localdate(), frozenset(), {}, {"settlement_list": []})
    settlement_store.keep_gone_check(account.pk, stale, seen)
    # Then the offer's marker stays: the next read prices again
    assert get_redis().get(keys.settlement_checked(account.pk)) == marker


def test_a_kept_answer_is_for_its_own_state_records_day_and_code(account, settled):
    client = get_redis()
    with client.pipeline(transaction=False) as pipe:
        settlement_store.queue_kept_read(pipe, account.pk)
        version, records, raw = settlement_store.kept_values(pipe.execute())
    today, code = timezone.localdate(), settlement_services.ANSWER_CODE

    def kept(version=version, records=records, today=today, code=code):
        return settlement_store.kept_answer(version, records, raw, today, code)

    assert kept() is not None
    assert kept(today=today + timedelta(days=1)) is None
    assert kept(version="other") is None
    assert kept(records="99") is None
    assert kept(version=None) is None
    assert kept(code="rendered by another deploy") is None


def test_keeping_an_answer_with_redis_down_is_logged_and_the_read_answers(
    auth_api, account, settled, monkeypatch, caplog
):
    get_redis().delete(keys.settlement_checked(account.pk))

    def down(*args, **kwargs):
        raise redis.exceptions.ConnectionError("down")

    monkeypatch.setattr(settlement_store, "get_redis", lambda: type("R", (), {"eval": down})())
    with caplog.at_level(logging.WARNING, logger="settlement"):
        assert read(auth_api)["amount"]["payable"] == "89.00"
    assert "not kept" in caplog.text


# --- corrupt values in the check's keys -----------------------------------------------------


def test_a_payment_over_a_records_version_that_is_not_a_counter_answers_and_moves_it_on(
    auth_api, account, settled, redis_client
):
    redis_client.set(keys.coupon_records_version(account.pk), "not a counter")
    body = helpers.pay(auth_api, price="89.00").json()
    assert body["code"] == 1000, body
    assert redis_client.get(keys.coupon_records_version(account.pk)) != "not a counter"


def test_a_records_version_that_is_not_a_counter_still_moves_on_at_a_change(
    account, settled, redis_client
):
    redis_client.set(keys.coupon_records_version(account.pk), "not a counter")
    records_version.records_changed([account.pk])
    assert redis_client.get(keys.coupon_records_version(account.pk)) != "not a counter"


@pytest.mark.parametrize("key", [keys.settlement_checked, keys.coupon_records_version])
def test_a_check_key_of_the_wrong_type_never_fails_a_read_or_a_change(
    auth_api, account, python, settled, redis_client, key
):
    redis_client.delete(key(account.pk))
    redis_client.hset(key(account.pk), "planted", "1")
    assert read(auth_api)["amount"]["payable"] == "89.00"
    body = helpers.patch_settlement(auth_api, course_id=python.pk, coupon_id=None)
    assert body["code"] == 1000, body
    assert read(auth_api)["amount"]["payable"] == "99.00"
    records_version.records_changed([account.pk])
    assert coupon_of(read(auth_api), settled)["usable"] is True


def test_a_payment_whose_clearing_keeps_losing_its_race_still_moves_the_version_on(
    auth_api, account, settled, redis_client, monkeypatch
):
    def always_busy(*args, **kwargs):
        raise ConcurrentUpdate("the user keeps changing the settlement")

    before = redis_client.get(keys.coupon_records_version(account.pk))
    monkeypatch.setattr(payment_services, "transact", always_busy)
    monkeypatch.setattr(payment_services, "transact_from", always_busy)
    assert helpers.pay(auth_api, price="89.00").json()["code"] == 1000
    monkeypatch.undo()
    assert redis_client.get(keys.coupon_records_version(account.pk)) != before
    coupon = coupon_of(read(auth_api), settled)
    assert (coupon["usable"], coupon["reason"]) == (False, "已使用 / used")
