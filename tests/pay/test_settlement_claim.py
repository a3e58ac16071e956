"""A coupon claimed while a settlement is open joins its choices at once (API.md)."""

import logging
from decimal import Decimal

import pytest
import redis

from pay import settlement_store
from pay.models import Coupon, CouponRecord
from pay.settlement_store import settlement_read
from tests.helpers import add_to_cart, claim_coupon, redis_dump, settle
from tests.helpers import read_settlement as settlement
from utils import keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(auth_api, make_course):
    """Python (99.00) settled; Django (199.00) left in the cart."""
    python = make_course("Python", prices=[("30", "99.00")])
    django = make_course("Django", prices=[("30", "199.00")])
    add_to_cart(auth_api, python)
    add_to_cart(auth_api, django)
    body = settle(auth_api, [python.pk])
    assert body["code"] == 1000
    return python, django


def claim(api, rule):
    return claim_coupon(api, coupon_id=rule.pk)


def test_a_claimed_course_coupon_joins_its_course_in_the_open_settlement(
    auth_api, settled, make_coupon
):
    python, _ = settled
    claimed = claim(auth_api, make_coupon(course=python, money_equivalent_value=Decimal("20")))
    assert claimed["code"] == 1000
    [line] = settlement(auth_api)["settlement_list"]
    coupon = line["course_coupons"][str(claimed["data"]["id"])]
    assert (coupon["object_id"], coupon["usable"], coupon["money_equivalent_value"]) == (
        python.pk,
        True,
        "20.00",
    )


def test_a_claimed_coupon_is_offered_not_chosen_and_patch_chooses_it(
    auth_api, settled, make_coupon
):
    python, _ = settled
    record_id = claim(auth_api, make_coupon(course=python))["data"]["id"]
    data = settlement(auth_api)
    assert data["settlement_list"][0]["default_course_coupon_id"] is None
    assert data["amount"]["payable"] == "99.00"
    body = {"course_id": python.pk, "coupon_id": record_id}
    chosen = auth_api.patch("/api/settlement/", body, format="json").json()
    assert chosen["code"] == 1000
    assert chosen["data"]["amount"]["payable"] == "89.00"


def test_a_claimed_global_coupon_joins_the_global_coupons(auth_api, settled, make_coupon):
    rule = make_coupon(
        name="满90减5",
        coupon_type=Coupon.TYPE_THRESHOLD,
        money_equivalent_value=Decimal("5"),
        minimum_consume=Decimal("90"),
    )
    record_id = claim(auth_api, rule)["data"]["id"]
    info = settlement(auth_api)["global_coupon_info"]
    assert info[str(record_id)]["name"] == "满90减5"
    assert info[str(record_id)]["usable"] is True
    assert info["default_coupon_id"] is None
    chosen = auth_api.patch("/api/settlement/", {"global_coupon_id": record_id}, format="json")
    assert chosen.json()["data"]["amount"]["payable"] == "94.00"


def test_a_claimed_coupon_keeps_the_lines_choice_and_other_coupons(
    auth_api, account, settled, make_coupon, give_coupon
):
    python, _ = settled
    held = give_coupon(account, make_coupon(course=python, money_equivalent_value=Decimal("30")))
    auth_api.post("/api/settlement/", {"course_list": [python.pk]}, format="json")  # offers `held`
    assert settlement(auth_api)["settlement_list"][0]["default_course_coupon_id"] == held.pk
    record_id = claim(auth_api, make_coupon(course=python, name="second"))["data"]["id"]
    [line] = settlement(auth_api)["settlement_list"]
    assert sorted(line["course_coupons"]) == sorted([str(held.pk), str(record_id)])
    assert line["default_course_coupon_id"] == held.pk


def test_a_coupon_for_a_course_not_being_settled_changes_nothing(
    auth_api, account, settled, make_coupon, redis_client
):
    _, django = settled

    def settlement_keys():  # what the settlement keeps (the claim gate's counter aside)
        return {
            key: value
            for key, value in redis_dump(redis_client).items()
            if not key.startswith("coupon_stock_")
        }

    before = settlement_keys()
    assert claim(auth_api, make_coupon(course=django))["code"] == 1000
    assert settlement_keys() == before


def test_a_claim_without_an_open_settlement_writes_no_settlement(
    auth_api, account, make_coupon, redis_client
):
    assert claim(auth_api, make_coupon())["code"] == 1000
    assert settlement_read(account.pk).global_coupons == {}
    assert not redis_client.exists(keys.global_coupon(account.pk))


def test_a_coupon_not_valid_yet_does_not_join(auth_api, settled, make_coupon, today):
    from datetime import timedelta

    python, _ = settled
    rule = make_coupon(
        course=python,
        valid_begin_date=today + timedelta(days=2),
        valid_end_date=today + timedelta(days=9),
    )
    assert claim(auth_api, rule)["code"] == 1000
    assert settlement(auth_api)["settlement_list"][0]["course_coupons"] == {}


def test_redis_failing_after_the_claim_keeps_the_claim_and_logs_it(
    auth_api, account, settled, make_coupon, monkeypatch, caplog
):
    def down(*args, **kwargs):
        raise redis.exceptions.ConnectionError("injected: Redis is down")

    monkeypatch.setattr(settlement_store, "settlement_read", down)
    with caplog.at_level(logging.WARNING, logger="settlement"):
        body = claim(auth_api, make_coupon(name="kept"))
    assert body["code"] == 1000
    assert CouponRecord.objects.filter(account=account, coupon__name="kept").count() == 1
    assert "could not join the settlement" in caplog.text


def test_a_claim_keeps_the_settlement_version_so_a_payment_in_flight_still_clears_it(
    auth_api, account, settled, make_coupon
):
    from pay import payment_services

    python, _ = settled
    paying = settlement_read(account.pk)  # a payment read this state...
    claim(auth_api, make_coupon(course=python))  # ...then a coupon joined it
    assert settlement_read(account.pk).version == paying.version
    payment_services._clear_settlement(account.pk, paying.checkout)  # ...then the payment ends
    assert settlement_read(account.pk).lines == []
