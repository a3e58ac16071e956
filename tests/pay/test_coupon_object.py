"""The coupon object (API.md, "Settlement center"): one payload function, one schema serializer."""

from decimal import Decimal

import pytest

from pay.models import Coupon
from pay.selectors import held_coupon
from pay.serializers import (
    ClaimableRuleSerializer,
    CouponSerializer,
    WalletCouponSerializer,
    claimable_payload,
    coupon_payload,
    wallet_payload,
)
from pay.settlement_store import StoredCoupon

pytestmark = pytest.mark.django_db

SEED_FIELDS = ["name", "coupon_type", "money_equivalent_value", "off_percent", "minimum_consume"]


@pytest.fixture
def held(account, make_course, make_coupon, give_coupon, today):
    """One record of each type: 通用券 bound to a course, 满减券 and 折扣券 global."""
    course = make_course("Python")
    rules = {
        0: make_coupon(course=course, name="立减10"),
        1: make_coupon(
            name="满100减20",
            coupon_type=Coupon.TYPE_THRESHOLD,
            money_equivalent_value=Decimal("20.00"),
            minimum_consume=Decimal("100.00"),
        ),
        2: make_coupon(
            name="79折",
            coupon_type=Coupon.TYPE_DISCOUNT,
            money_equivalent_value=None,
            off_percent=79,
        ),
    }
    return course, {t: held_coupon(give_coupon(account, r), today) for t, r in rules.items()}


def test_the_payload_has_exactly_the_schema_serializers_fields(held):
    _, coupons = held
    for coupon in coupons.values():
        payload = coupon_payload(coupon, object_id=None, usable=True, reason=None)
        assert list(payload) == list(CouponSerializer().fields)


def test_the_seeds_six_fields_come_first_under_the_seeds_names(held):
    _, coupons = held
    payload = coupon_payload(coupons[1], object_id=None, usable=True, reason=None)
    assert list(payload)[:6] == [*SEED_FIELDS, "object_id"]
    assert "coupon_type_display" not in payload


def test_coupon_type_is_the_label_and_coupon_type_id_the_number(held):
    _, coupons = held
    rendered = {
        t: coupon_payload(c, object_id=None, usable=True, reason=None) for t, c in coupons.items()
    }
    assert {t: p["coupon_type"] for t, p in rendered.items()} == {
        0: "通用券",
        1: "满减券",
        2: "折扣券",
    }
    assert {t: p["coupon_type_id"] for t, p in rendered.items()} == {0: 0, 1: 1, 2: 2}


def test_money_is_a_two_decimal_string_and_off_percent_an_integer(held):
    _, coupons = held
    threshold = coupon_payload(coupons[1], object_id=None, usable=True, reason=None)
    assert (threshold["money_equivalent_value"], threshold["minimum_consume"]) == (
        "20.00",
        "100.00",
    )
    assert threshold["off_percent"] is None
    discount = coupon_payload(coupons[2], object_id=None, usable=True, reason=None)
    assert (discount["off_percent"], discount["money_equivalent_value"]) == (79, None)


def test_a_settlements_stored_coupon_renders_the_same_as_the_held_one(held):
    course, coupons = held
    for coupon in coupons.values():
        stored = StoredCoupon.decode(StoredCoupon.from_held(coupon).encode())
        args = {"object_id": coupon.course_id, "usable": False, "reason": "why"}
        assert coupon_payload(stored, **args) == coupon_payload(coupon, **args)
    assert coupons[0].course_id == course.pk


def test_the_wallet_object_is_the_coupon_object_with_the_records_status(held, today):
    course, coupons = held
    payload = wallet_payload(coupons[0], today)
    assert list(payload) == list(WalletCouponSerializer().fields)
    assert payload["object_id"] == course.pk
    assert wallet_payload(coupons[2], today)["object_id"] is None


def test_a_claimable_rule_names_its_type_and_course_as_the_coupon_object_does(held):
    course, _ = held
    rule = Coupon.objects.get(name="立减10")
    payload = claimable_payload(rule, held=1)
    assert list(payload) == list(ClaimableRuleSerializer().fields)
    assert (payload["coupon_type"], payload["coupon_type_id"]) == ("通用券", 0)
    assert payload["object_id"] == course.pk


# --- Every real payload that carries a coupon, through the schema made from these serializers --

from tests.utils.test_schema import conforms, openapi  # noqa: E402, F401  (fixtures)


def test_a_claim_and_a_redemption_answer_conform_to_the_schema(
    conforms,  # noqa: F811
    auth_api,
    make_coupon,
    make_course,
):
    from pay.redemption_codes import redemption_codes_generate

    rule = make_coupon(course=make_course("Go"), name="Go减10")
    claimed = auth_api.post("/api/coupons/claim/", {"coupon_id": rule.pk}, format="json").json()
    assert claimed["code"] == 1000
    conforms(claimed, "/api/coupons/claim/", "post")
    [entry] = redemption_codes_generate(coupon=make_coupon(name="flyer"), count=1)
    redeemed = auth_api.post("/api/coupons/redeem/", {"code": entry.code}, format="json").json()
    assert redeemed["code"] == 1000
    conforms(redeemed, "/api/coupons/redeem/", "post")


def test_the_wallet_of_every_status_and_the_claimable_rules_conform_to_the_schema(
    conforms,  # noqa: F811
    auth_api,
    account,
    make_coupon,
    give_coupon,
):
    from pay.models import CouponRecord

    for status in (CouponRecord.STATUS_UNUSED, CouponRecord.STATUS_USED):
        give_coupon(account, make_coupon(name=f"s{status}"), status=status)
    give_coupon(account, make_coupon(name="old"), days_ago=400)  # expired by now
    make_coupon(name="claimable", per_account_limit=3)
    wallet = conforms(auth_api.get("/api/coupons/").json(), "/api/coupons/", "get")
    assert {c["status"] for c in wallet["data"]} >= {0, 1}
    available = auth_api.get("/api/coupons/available/").json()
    assert available["data"]
    conforms(available, "/api/coupons/available/", "get")


# --- fast rendering through the serializers' fields (utils/render.py) -------------------------


def test_the_fast_renderer_writes_what_drf_writes_for_every_coupon_shape(held, today):
    from pay.serializers import WalletCouponSerializer
    from utils.render import Renderer

    _, coupons = held
    for coupon in coupons.values():
        facts = {**vars(coupon), "object_id": 1, "usable": False, "reason": "why"}
        for serializer in (CouponSerializer(), WalletCouponSerializer()):
            assert Renderer(serializer)(facts) == serializer.to_representation(facts)


def test_the_fast_renderer_writes_what_drf_writes_for_a_whole_settlement(held):
    from datetime import date

    from pay.serializers import SettlementSerializer, settlement_payload
    from pay.settlement_services import settlement_price
    from pay.settlement_store import Settlement, SettlementLine

    _, coupons = held
    stored = {c.id: StoredCoupon.from_held(c) for c in coupons.values()}
    lines = [
        SettlementLine(
            course_id=n,
            title=f"课程 {n}",
            img_src="",
            price=Decimal("199.00"),
            period_display="1个月",
            valid_period=30,
            price_policy_id=n,
            price_policy_dict={},
            course_coupons=stored,
        )
        for n in (1, 2)
    ]
    priced = settlement_price(Settlement(lines, stored, None), today=date.today())
    payload = settlement_payload(priced)
    assert payload["settlement_list"][0]["course_coupons"]
    reference = SettlementSerializer()
    facts = {
        "settlement_list": [
            {
                **vars(line),
                "course_coupons": {
                    rid: {**vars(c), "object_id": line.course_id, **vars(v)}
                    for (rid, c), v in zip(
                        line.course_coupons.items(),
                        priced.course_verdicts[line.course_id].values(),
                        strict=True,
                    )
                },
                "default_course_coupon_id": priced.course_choices[line.course_id],
                "discounted_price": q.discounted_price,
            }
            for line, q in zip(lines, priced.quote.lines, strict=True)
        ],
        "global_coupon_info": {
            "coupons": {
                rid: {**vars(c), "object_id": None, **vars(priced.global_verdicts[rid])}
                for rid, c in stored.items()
            },
            "default_coupon_id": priced.global_choice,
        },
        "amount": priced.quote,
    }
    assert payload == reference.to_representation(facts)


def test_the_fast_renderer_refuses_a_source_it_cannot_follow():
    from rest_framework import serializers

    from utils.render import Renderer

    class Dotted(serializers.Serializer):
        name = serializers.CharField(source="rule.name")

    with pytest.raises(ValueError):
        Renderer(Dotted())
