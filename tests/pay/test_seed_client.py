"""The seed's own frontend, unchanged, drives the whole settlement (issue 20).

It speaks as the tutorial's axios client does: a bare `Authorization: <token>` header, URLs
without the trailing slash, the seed's bodies (ids as the cart hands them back, strings), and it
reads the seed's fields by the seed's names: `course_coupons` per course, the flat
`global_coupon_info` hash whose keys are record ids, each coupon's `name`, `coupon_type` label,
`money_equivalent_value`, `off_percent`, `minimum_consume`, `object_id`. The four deliberate
differences (README, "What still differs from the seed's wire") are read as documented: money as
strings, integer ids, `course_coupons` as an object, the settlement after POST/PATCH.
"""

import json
from decimal import Decimal

import pytest
from django.test import Client

from course.models import Account
from pay.models import Coupon, CouponRecord, Order
from tests.helpers import policies_of

pytestmark = pytest.mark.django_db

SEED_COUPON_FIELDS = {
    "name",
    "coupon_type",
    "money_equivalent_value",
    "off_percent",
    "minimum_consume",
    "object_id",
}


class SeedFrontend:
    """What the seed's frontend does over HTTP: JSON bodies, a bare token, no trailing slash."""

    def __init__(self):
        self.http = Client()
        self.token = None

    def call(self, method: str, url: str, body=None) -> dict:
        assert not url.endswith("/"), "the seed's frontend writes its URLs without the slash"
        headers = {"HTTP_AUTHORIZATION": self.token} if self.token else {}
        response = self.http.generic(
            method,
            url,
            json.dumps(body) if body is not None else "",
            content_type="application/json",
            **headers,
        )
        assert response["Content-Type"].startswith("application/json"), response.content[:200]
        return response.json()

    def login(self, username: str, password: str) -> None:
        answer = self.call("POST", "/api/login", {"username": username, "password": password})
        assert answer["code"] == 1000, answer
        self.token = answer["data"]["access_token"]


@pytest.fixture
def seed_shop(make_account, make_course, make_coupon, give_coupon, fund):
    """A buyer with 贝里, two courses on sale, and one coupon of each kind the seed knows."""
    buyer = make_account(username="seed-buyer", password="seed-pass-123")
    fund(buyer, 5000)
    python = make_course("Python", prices=[("30", "120.00"), ("60", "199.00")])
    redis_course = make_course("Redis", prices=[("30", "80.00")])
    coupons = {
        "python_20": give_coupon(
            buyer,
            make_coupon(
                course=python,
                name="Python满100减20",
                coupon_type=Coupon.TYPE_THRESHOLD,
                money_equivalent_value=Decimal("20.00"),
                minimum_consume=Decimal("100.00"),
            ),
        ),
        "redis_off": give_coupon(
            buyer,
            make_coupon(
                course=redis_course,
                name="Redis 8折",
                coupon_type=Coupon.TYPE_DISCOUNT,
                money_equivalent_value=None,
                off_percent=80,
            ),
        ),
        "global_10": give_coupon(buyer, make_coupon(name="全场立减10")),
        "global_big": give_coupon(
            buyer,
            make_coupon(
                name="全场满500减50",
                coupon_type=Coupon.TYPE_THRESHOLD,
                money_equivalent_value=Decimal("50.00"),
                minimum_consume=Decimal("500.00"),
            ),
        ),
    }
    return buyer, python, redis_course, coupons


def global_coupons(info: dict) -> dict:
    """The seed's global_coupon_<user> hash as the frontend reads it: every key but the choice."""
    return {key: coupon for key, coupon in info.items() if key != "default_coupon_id"}


def test_the_seeds_frontend_settles_chooses_coupons_and_pays_unchanged(seed_shop):
    buyer, python, redis_course, coupons = seed_shop
    seed = SeedFrontend()
    seed.login("seed-buyer", "seed-pass-123")

    # The cart, as the seed's ShoppingCarView takes it.
    for course in (python, redis_course):
        body = {"course_id": course.pk, "price_policy_id": policies_of(course)[0].pk}
        assert seed.call("POST", "/api/shopping_car", body)["code"] == 1000
    cart = seed.call("GET", "/api/shopping_car")["data"]["cart"]

    # 去结算: the ids as the cart lists them, sent back as the seed's course_list.
    answer = seed.call("POST", "/api/settlement", {"course_list": [str(c["id"]) for c in cart]})
    assert answer["code"] == 1000 and answer["error"] is None

    data = seed.call("GET", "/api/settlement")["data"]
    lines = {line["id"]: line for line in data["settlement_list"]}
    assert set(lines) == {python.pk, redis_course.pk}
    python_line = lines[python.pk]
    assert (python_line["title"], python_line["price"]) == ("Python", "120.00")
    assert python_line["period_display"] and "img_src" in python_line

    # Each course's coupons by record id, with the seed's six fields under the seed's names.
    [(python_key, python_coupon)] = python_line["course_coupons"].items()
    assert python_key == str(coupons["python_20"].pk)
    assert SEED_COUPON_FIELDS <= set(python_coupon)
    assert python_coupon["name"] == "Python满100减20"
    assert python_coupon["coupon_type"] == "满减券"
    assert python_coupon["money_equivalent_value"] == "20.00"
    assert python_coupon["off_percent"] is None
    assert python_coupon["minimum_consume"] == "100.00"
    assert python_coupon["object_id"] == python.pk
    [redis_coupon] = lines[redis_course.pk]["course_coupons"].values()
    assert (redis_coupon["coupon_type"], redis_coupon["off_percent"]) == ("折扣券", 80)
    assert redis_coupon["object_id"] == redis_course.pk

    # The global coupons: the seed's flat hash, record ids as keys, plus default_coupon_id.
    info = data["global_coupon_info"]
    assert "default_coupon_id" in info
    offered = global_coupons(info)
    assert set(offered) == {str(coupons["global_10"].pk), str(coupons["global_big"].pk)}
    for coupon in offered.values():
        assert SEED_COUPON_FIELDS <= set(coupon)
        assert coupon["object_id"] is None
    labels = {coupon["name"]: coupon["coupon_type"] for coupon in offered.values()}
    assert labels == {"全场立减10": "通用券", "全场满500减50": "满减券"}

    # The seed's PATCH: course_id and coupon_id, and a global coupon chosen by its hash key.
    global_key = next(k for k, c in offered.items() if c["name"] == "全场立减10")
    answer = seed.call(
        "PATCH",
        "/api/settlement",
        {"course_id": str(python.pk), "coupon_id": python_key, "global_coupon_id": global_key},
    )
    assert answer["code"] == 1000, answer
    redis_key = str(coupons["redis_off"].pk)
    answer = seed.call(
        "PATCH", "/api/settlement", {"course_id": str(redis_course.pk), "coupon_id": redis_key}
    )
    assert answer["code"] == 1000, answer

    data = seed.call("GET", "/api/settlement")["data"]
    chosen = {line["id"]: line["default_course_coupon_id"] for line in data["settlement_list"]}
    assert chosen == {python.pk: int(python_key), redis_course.pk: int(redis_key)}
    assert data["global_coupon_info"]["default_coupon_id"] == int(global_key)
    # 120 - 20 = 100, 80 * 0.8 = 64, then 10 off the 164.
    assert data["amount"]["payable"] == "154.00"

    # Pay with 贝里 (10 per 元): the order takes the chosen coupons.
    answer = seed.call("POST", "/api/payment", {"balance": 1540, "price": "0.00"})
    assert answer["code"] == 1000, answer
    order = Order.objects.get(order_number=answer["data"]["order_number"])
    used = set(order.coupon_records.values_list("pk", flat=True))
    assert used == {int(python_key), int(redis_key), int(global_key)}
    assert not CouponRecord.objects.filter(pk__in=used).exclude(status=1).exists()
    assert Account.objects.get(pk=buyer.pk).balance == 5000 - 1540
    assert seed.call("GET", "/api/settlement")["data"]["settlement_list"] == []


def test_the_seeds_frontend_reads_the_same_coupon_in_the_wallet_and_the_order(seed_shop):
    """Wherever a coupon is shown, the seed's six fields say the same thing."""
    _, python, _, coupons = seed_shop
    seed = SeedFrontend()
    seed.login("seed-buyer", "seed-pass-123")
    body = {"course_id": python.pk, "price_policy_id": policies_of(python)[0].pk}
    seed.call("POST", "/api/shopping_car", body)
    settled = seed.call("POST", "/api/settlement", {"course_list": [python.pk]})["data"]
    in_settlement = settled["settlement_list"][0]["course_coupons"][str(coupons["python_20"].pk)]

    wallet = seed.call("GET", "/api/coupons")["data"]
    [in_wallet] = [c for c in wallet if c["id"] == coupons["python_20"].pk]

    choice = {"course_id": python.pk, "coupon_id": in_wallet["id"], "global_coupon_id": None}
    seed.call("PATCH", "/api/settlement", choice)
    paid = seed.call("POST", "/api/payment", {"balance": 5000, "price": "0.00"})["data"]
    order = seed.call("GET", f"/api/orders/{paid['order_number']}")["data"]
    [in_order] = order["coupons"]

    def seed_view(coupon):
        return {field: coupon[field] for field in SEED_COUPON_FIELDS}

    assert seed_view(in_settlement) == seed_view(in_wallet) == seed_view(in_order)
    assert in_order["status"] == 1 and in_order["usable"] is False


def test_the_seeds_frontend_clears_the_global_coupon_with_an_empty_string(seed_shop):
    _, python, _, _ = seed_shop
    seed = SeedFrontend()
    seed.login("seed-buyer", "seed-pass-123")
    body = {"course_id": python.pk, "price_policy_id": policies_of(python)[0].pk}
    seed.call("POST", "/api/shopping_car", body)
    info = seed.call("POST", "/api/settlement", {"course_list": [python.pk]})["data"][
        "global_coupon_info"
    ]
    key = next(k for k, c in global_coupons(info).items() if c["usable"])
    assert seed.call("PATCH", "/api/settlement", {"global_coupon_id": key})["code"] == 1000
    answer = seed.call("PATCH", "/api/settlement", {"global_coupon_id": ""})
    assert answer["data"]["global_coupon_info"]["default_coupon_id"] is None


def test_sending_default_coupon_id_back_as_the_global_coupon_is_refused(seed_shop):
    _, python, _, _ = seed_shop
    seed = SeedFrontend()
    seed.login("seed-buyer", "seed-pass-123")
    body = {"course_id": python.pk, "price_policy_id": policies_of(python)[0].pk}
    seed.call("POST", "/api/shopping_car", body)
    seed.call("POST", "/api/settlement", {"course_list": [python.pk]})
    answer = seed.call("PATCH", "/api/settlement", {"global_coupon_id": "default_coupon_id"})
    assert answer["code"] == 1002
