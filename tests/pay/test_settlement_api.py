"""The settlement center: POST/GET/PATCH/DELETE /api/settlement/ (API.md), codes 1020-1029."""

from datetime import timedelta
from decimal import Decimal

import pytest

from course.models import Course, PricePolicy
from pay.settlement_store import settlement_read
from shopping import cart_store
from tests.helpers import add_to_cart, policies_of, redis_dump, settle
from tests.helpers import patch_settlement as patch

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(auth_api, account, make_course):
    """Two courses on sale in the account's cart: Python (99.00) and Django (199.00)."""

    class Shop:
        python = make_course("Python", prices=[("30", "99.00"), ("60", "149.00")])
        django = make_course("Django", prices=[("30", "199.00")])

        @staticmethod
        def add(course, policy_index=0):
            return add_to_cart(auth_api, course, policy_index)

    Shop.add(Shop.python)
    Shop.add(Shop.django)
    return Shop


def settle_choosing_nothing(api, course_list):
    """Settle, then clear the server's pre-selected coupons (to choose from a blank slate)."""
    settle(api, course_list)
    patch(api, global_coupon_id=None)
    for course_id in course_list:
        patch(api, course_id=course_id, coupon_id=None)


def cart_ids(account):
    return sorted(item.course_id for item in cart_store.cart_items(account.pk))


# --- POST --------------------------------------------------------------------------------


def test_post_moves_cart_courses_into_the_settlement(auth_api, account, shop):
    body = settle(auth_api, [shop.python.pk, shop.django.pk])
    assert body["code"] == 1000
    titles = [line["title"] for line in body["data"]["settlement_list"]]
    assert titles == ["Python", "Django"]
    assert body["data"]["amount"] == {
        "total_price": "298.00",
        "course_discount": "0.00",
        "global_discount": "0.00",
        "payable": "298.00",
    }
    assert cart_ids(account) == []


def test_post_accepts_numeric_strings_as_ids(auth_api, account, shop):
    assert settle(auth_api, [str(shop.python.pk)])["code"] == 1000


@pytest.mark.parametrize(
    "course_list", [None, [], "1", [None], ["abc"], [-1], [1.5], [True], {"a": 1}]
)
def test_post_with_a_missing_empty_or_malformed_list_is_1021(auth_api, shop, course_list):
    assert settle(auth_api, course_list)["code"] == 1021


def test_post_without_course_list_is_1021(auth_api, shop):
    assert auth_api.post("/api/settlement/", {}, format="json").json()["code"] == 1021


def test_post_with_a_json_array_body_is_1002(auth_api, shop):
    response = auth_api.post("/api/settlement/", [1, 2], format="json")
    assert response.status_code == 400
    assert response.json()["code"] == 1002


def test_a_1022_in_the_middle_of_course_list_leaves_everything_untouched(
    auth_api, account, shop, make_course, redis_client
):
    settle(auth_api, [shop.python.pk])
    outside = make_course("not in cart")
    before = redis_dump(redis_client)
    body = settle(auth_api, [shop.django.pk, outside.pk, shop.python.pk])
    assert body["code"] == 1022
    assert redis_dump(redis_client) == before


def test_post_of_an_offline_course_is_1023_and_changes_nothing(
    auth_api, account, shop, redis_client
):
    shop.django.status = Course.STATUS_OFFLINE
    shop.django.save()  # as staff take it off sale
    before = redis_dump(redis_client)
    assert settle(auth_api, [shop.python.pk, shop.django.pk])["code"] == 1023
    assert redis_dump(redis_client) == before


def test_post_with_a_deleted_price_policy_is_1023(auth_api, shop):
    PricePolicy.objects.filter(object_id=shop.django.pk).delete()
    assert settle(auth_api, [shop.django.pk])["code"] == 1023


def test_post_prices_from_the_current_policy_as_staff_saved_it(auth_api, shop):
    settle(auth_api, [shop.python.pk])  # the course's entry is remembered...
    policy = PricePolicy.objects.get(object_id=shop.python.pk, valid_period=30)
    policy.price = Decimal("88.80")
    policy.save()  # ...and the change is seen at once
    body = settle(auth_api, [shop.python.pk])
    assert body["data"]["settlement_list"][0]["price"] == "88.80"


def test_a_new_settlement_returns_dropped_courses_to_the_cart_with_their_policy(
    auth_api, account, shop
):
    settle(auth_api, [shop.python.pk, shop.django.pk])
    body = settle(auth_api, [shop.python.pk])
    assert [line["id"] for line in body["data"]["settlement_list"]] == [shop.python.pk]
    [back] = cart_store.cart_items(account.pk)
    assert back.course_id == shop.django.pk
    assert back.default_policy == policies_of(shop.django)[0].pk


def test_a_course_settled_with_its_second_policy_goes_back_with_it(auth_api, account, shop):
    cart_store_policy = shop.add(shop.python, policy_index=1)
    settle(auth_api, [shop.python.pk])
    auth_api.delete("/api/settlement/", format="json")
    [back] = [i for i in cart_store.cart_items(account.pk) if i.course_id == shop.python.pk]
    assert back.default_policy == cart_store_policy.pk


def test_settling_again_a_course_already_in_the_settlement_keeps_it(auth_api, account, shop):
    settle(auth_api, [shop.python.pk, shop.django.pk])
    body = settle(auth_api, [shop.python.pk, shop.django.pk])
    assert body["code"] == 1000
    assert len(body["data"]["settlement_list"]) == 2


def test_post_offers_each_course_only_its_own_coupons(
    auth_api, account, shop, make_coupon, give_coupon
):
    python_coupon = give_coupon(account, make_coupon(course=shop.python))
    global_coupon = give_coupon(account, make_coupon())
    data = settle(auth_api, [shop.python.pk, shop.django.pk])["data"]
    python_line, django_line = data["settlement_list"]
    assert list(python_line["course_coupons"]) == [str(python_coupon.pk)]
    assert django_line["course_coupons"] == {}
    assert list(data["global_coupon_info"]) == [str(global_coupon.pk), "default_coupon_id"]


def test_post_does_not_offer_an_expired_record(auth_api, account, shop, make_coupon, give_coupon):
    rule = make_coupon(valid_begin_date=None, valid_end_date=None, coupon_valid_days=2)
    give_coupon(account, rule, days_ago=3)
    data = settle(auth_api, [shop.python.pk])["data"]
    assert data["global_coupon_info"] == {"default_coupon_id": None}


def test_post_offers_a_days_record_until_claim_plus_days(
    auth_api, account, shop, make_coupon, give_coupon, today
):
    rule = make_coupon(valid_begin_date=None, valid_end_date=None, coupon_valid_days=2)
    record = give_coupon(account, rule, days_ago=2)
    coupons = settle(auth_api, [shop.python.pk])["data"]["global_coupon_info"]
    assert coupons[str(record.pk)]["valid_end"] == today.isoformat()


# --- GET ---------------------------------------------------------------------------------


def test_get_of_an_empty_settlement_is_1000_with_an_empty_list(auth_api):
    body = auth_api.get("/api/settlement/").json()
    assert body["code"] == 1000
    assert body["data"]["settlement_list"] == []
    assert body["data"]["amount"]["payable"] == "0.00"


def test_get_shows_what_post_answered(auth_api, shop, make_coupon, give_coupon, account):
    give_coupon(account, make_coupon(course=shop.python))
    posted = settle(auth_api, [shop.python.pk, shop.django.pk])["data"]
    assert auth_api.get("/api/settlement/").json()["data"] == posted


def test_get_needs_a_token(api):
    assert api.get("/api/settlement/").status_code == 401


# --- PATCH -------------------------------------------------------------------------------


@pytest.fixture
def coupons(account, shop, make_coupon, give_coupon):
    from pay.models import Coupon

    class C:
        python_20 = give_coupon(
            account, make_coupon(course=shop.python, money_equivalent_value=Decimal("20"))
        )
        django_off = give_coupon(
            account,
            make_coupon(
                course=shop.django,
                coupon_type=Coupon.TYPE_DISCOUNT,
                money_equivalent_value=None,
                off_percent=80,
            ),
        )
        global_10 = give_coupon(account, make_coupon(money_equivalent_value=Decimal("10")))
        global_over_250 = give_coupon(
            account,
            make_coupon(
                coupon_type=Coupon.TYPE_THRESHOLD,
                money_equivalent_value=Decimal("50"),
                minimum_consume=Decimal("250"),
            ),
        )

    return C


def test_patch_chooses_a_course_coupon_and_the_price_updates(auth_api, shop, coupons):
    settle_choosing_nothing(auth_api, [shop.python.pk, shop.django.pk])
    body = patch(auth_api, course_id=shop.python.pk, coupon_id=coupons.python_20.pk)
    assert body["code"] == 1000
    python_line = body["data"]["settlement_list"][0]
    assert python_line["default_course_coupon_id"] == coupons.python_20.pk
    assert python_line["discounted_price"] == "79.00"
    assert body["data"]["amount"]["payable"] == "278.00"
    assert auth_api.get("/api/settlement/").json()["data"] == body["data"]


def test_patch_takes_ids_as_strings_too(auth_api, shop, coupons):
    settle(auth_api, [shop.python.pk])
    body = patch(auth_api, course_id=str(shop.python.pk), coupon_id=str(coupons.python_20.pk))
    assert body["code"] == 1000


def test_patch_chooses_the_global_coupon_alone(auth_api, shop, coupons):
    settle_choosing_nothing(auth_api, [shop.python.pk, shop.django.pk])
    body = patch(auth_api, global_coupon_id=coupons.global_over_250.pk)
    assert body["code"] == 1000
    assert body["data"]["global_coupon_info"]["default_coupon_id"] == coupons.global_over_250.pk
    assert body["data"]["amount"]["global_discount"] == "50.00"
    assert body["data"]["amount"]["payable"] == "248.00"


def test_patch_both_choices_land_together(auth_api, shop, coupons):
    settle(auth_api, [shop.python.pk, shop.django.pk])
    body = patch(
        auth_api,
        course_id=shop.django.pk,
        coupon_id=coupons.django_off.pk,
        global_coupon_id=coupons.global_10.pk,
    )
    amount = body["data"]["amount"]
    assert (amount["course_discount"], amount["global_discount"], amount["payable"]) == (
        "39.80",
        "10.00",
        "248.20",
    )


def test_patch_null_or_empty_clears_a_choice(auth_api, shop, coupons):
    settle(auth_api, [shop.python.pk])
    patch(
        auth_api,
        course_id=shop.python.pk,
        coupon_id=coupons.python_20.pk,
        global_coupon_id=coupons.global_10.pk,
    )
    body = patch(auth_api, course_id=shop.python.pk, coupon_id=None, global_coupon_id="")
    assert body["data"]["settlement_list"][0]["default_course_coupon_id"] is None
    assert body["data"]["global_coupon_info"]["default_coupon_id"] is None
    assert body["data"]["amount"]["payable"] == "99.00"


def test_patch_of_a_course_not_in_the_settlement_is_1027(auth_api, shop, coupons):
    settle(auth_api, [shop.python.pk])
    assert (
        patch(auth_api, course_id=shop.django.pk, coupon_id=coupons.django_off.pk)["code"] == 1027
    )


def test_patch_refuses_coupon_of_another_course(auth_api, shop, coupons, redis_client, account):
    settle(auth_api, [shop.python.pk, shop.django.pk])
    before = redis_dump(redis_client)
    assert (
        patch(auth_api, course_id=shop.python.pk, coupon_id=coupons.django_off.pk)["code"] == 1028
    )
    assert redis_dump(redis_client) == before


def test_patch_refuses_another_users_coupon(auth_api, shop, make_account, make_coupon, give_coupon):
    theirs = give_coupon(make_account("other"), make_coupon(course=shop.python))
    settle(auth_api, [shop.python.pk])
    assert patch(auth_api, course_id=shop.python.pk, coupon_id=theirs.pk)["code"] == 1028


def test_patch_refuses_a_global_coupon_as_a_course_coupon(auth_api, shop, coupons):
    settle(auth_api, [shop.python.pk])
    assert patch(auth_api, course_id=shop.python.pk, coupon_id=coupons.global_10.pk)["code"] == 1028


def test_patch_refuses_a_course_coupon_as_the_global_coupon(auth_api, shop, coupons):
    settle(auth_api, [shop.python.pk])
    assert patch(auth_api, global_coupon_id=coupons.python_20.pk)["code"] == 1029


def test_patch_refuses_a_global_coupon_under_its_threshold(auth_api, shop, coupons):
    settle(auth_api, [shop.python.pk])
    body = patch(auth_api, global_coupon_id=coupons.global_over_250.pk)
    assert body["code"] == 1029
    assert "250.00" in body["error"]


def test_patch_refuses_a_course_coupon_that_would_break_the_chosen_global_coupon(
    auth_api, shop, coupons, account, redis_client
):
    settle(auth_api, [shop.python.pk, shop.django.pk])  # 298.00
    assert patch(auth_api, global_coupon_id=coupons.global_over_250.pk)["code"] == 1000
    before = redis_dump(redis_client)
    body = patch(auth_api, course_id=shop.django.pk, coupon_id=coupons.django_off.pk)  # 258.20 ok
    assert body["code"] == 1000
    body = patch(auth_api, course_id=shop.python.pk, coupon_id=coupons.python_20.pk)  # 238.20
    assert body["code"] == 1029
    assert redis_dump(redis_client) != before  # the first, valid change landed
    assert auth_api.get("/api/settlement/").json()["data"]["amount"]["payable"] == "208.20"


def test_patch_that_names_nothing_is_1026(auth_api, shop):
    settle(auth_api, [shop.python.pk])
    assert patch(auth_api)["code"] == 1026
    assert patch(auth_api, course_id=shop.python.pk)["code"] == 1026


@pytest.mark.parametrize("bad", [["x"], {"a": 1}, "abc", -3, 1.5, True])
def test_patch_with_a_malformed_id_is_1002(auth_api, shop, bad):
    settle(auth_api, [shop.python.pk])
    response = auth_api.patch(
        "/api/settlement/", {"course_id": shop.python.pk, "coupon_id": bad}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == 1002


def test_get_marks_a_chosen_coupon_that_expired_since_as_unusable(
    auth_api, shop, account, make_coupon, give_coupon, today, monkeypatch
):
    record = give_coupon(account, make_coupon(valid_end_date=today + timedelta(days=1)))
    settle(auth_api, [shop.python.pk])
    patch(auth_api, global_coupon_id=record.pk)
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today + timedelta(days=2))
    data = auth_api.get("/api/settlement/").json()["data"]
    assert data["global_coupon_info"][str(record.pk)]["usable"] is False
    assert data["global_coupon_info"]["default_coupon_id"] is None
    assert data["amount"]["payable"] == "99.00"


# --- DELETE ------------------------------------------------------------------------------


def test_delete_one_course_returns_it_to_the_cart(auth_api, account, shop):
    settle(auth_api, [shop.python.pk, shop.django.pk])
    body = auth_api.delete("/api/settlement/", {"course_id": shop.django.pk}, format="json").json()
    assert [line["id"] for line in body["data"]["settlement_list"]] == [shop.python.pk]
    assert cart_ids(account) == [shop.django.pk]


def test_delete_without_body_returns_every_course(auth_api, account, shop, redis_client):
    settle(auth_api, [shop.python.pk, shop.django.pk])
    body = auth_api.delete("/api/settlement/").json()
    assert body["code"] == 1000
    assert body["data"]["settlement_list"] == []
    assert cart_ids(account) == sorted([shop.python.pk, shop.django.pk])
    assert settlement_read(account.pk).lines == []


def test_delete_of_a_course_not_in_the_settlement_is_1027(auth_api, shop):
    settle(auth_api, [shop.python.pk])
    body = auth_api.delete("/api/settlement/", {"course_id": shop.django.pk}, format="json").json()
    assert body["code"] == 1027


def test_delete_clears_a_global_choice_the_rest_no_longer_reaches(auth_api, shop, coupons):
    settle(auth_api, [shop.python.pk, shop.django.pk])
    patch(auth_api, global_coupon_id=coupons.global_over_250.pk)
    body = auth_api.delete("/api/settlement/", {"course_id": shop.django.pk}, format="json").json()
    assert body["data"]["global_coupon_info"]["default_coupon_id"] is None


def test_nothing_is_lost_across_settle_and_return(auth_api, account, shop):
    settle(auth_api, [shop.python.pk])
    settle(auth_api, [shop.django.pk])
    auth_api.delete("/api/settlement/")
    assert cart_ids(account) == sorted([shop.python.pk, shop.django.pk])


# --- the cart's limit holds for courses coming back ----------------------------------------


@pytest.fixture
def full_cart(auth_api, account, make_course, shop, settings):
    """Python and Django settled; then, with a limit of 2, two other courses fill the cart."""
    settle(auth_api, [shop.python.pk, shop.django.pk])
    settings.SHOPPING_CAR_LIMIT = 2
    others = [make_course(name, prices=[("30", "10.00")]) for name in ("Go", "Rust")]
    for course in others:
        add_to_cart(auth_api, course)
    return others


def test_returning_a_course_to_a_full_cart_is_1013_and_changes_nothing(
    auth_api, account, shop, full_cart, redis_client
):
    before = redis_dump(redis_client)
    body = auth_api.delete("/api/settlement/", {"course_id": shop.django.pk}, format="json").json()
    assert body["code"] == 1013
    assert "上限2门" in body["error"]
    assert redis_dump(redis_client) == before


def test_returning_every_course_to_a_cart_without_room_for_all_is_1013_and_changes_nothing(
    auth_api, account, shop, full_cart, redis_client, settings
):
    settings.SHOPPING_CAR_LIMIT = 3  # room for one of the two
    before = redis_dump(redis_client)
    assert auth_api.delete("/api/settlement/").json()["code"] == 1013
    assert redis_dump(redis_client) == before
    assert len(cart_ids(account)) == 2


def test_a_new_settlement_whose_returning_courses_do_not_fit_is_1013_and_changes_nothing(
    auth_api, account, shop, full_cart, redis_client
):
    # Settling Go alone would send Python and Django back to a cart that keeps Rust: 3 > 2
    before = redis_dump(redis_client)
    assert settle(auth_api, [full_cart[0].pk])["code"] == 1013
    assert redis_dump(redis_client) == before


def test_a_new_settlement_that_frees_enough_room_sends_the_old_courses_back(
    auth_api, account, shop, full_cart
):
    # Settling both cart courses leaves room for Python and Django
    assert settle(auth_api, [c.pk for c in full_cart])["code"] == 1000
    assert cart_ids(account) == sorted([shop.python.pk, shop.django.pk])


def test_a_returning_course_already_in_the_cart_takes_no_new_place(
    auth_api, account, shop, settings
):
    settle(auth_api, [shop.python.pk])
    shop.add(shop.python)  # back in the cart while still settled
    settings.SHOPPING_CAR_LIMIT = 2  # the cart holds Django and Python
    assert auth_api.delete("/api/settlement/").json()["code"] == 1000
    assert cart_ids(account) == sorted([shop.python.pk, shop.django.pk])


def test_a_course_added_while_courses_return_cannot_overfill_the_cart(
    auth_api, account, shop, make_course, settings, monkeypatch
):
    from shopping import services as cart_services

    # Given Python settled, Django in the cart, a limit of 2
    settle(auth_api, [shop.python.pk])
    settings.SHOPPING_CAR_LIMIT = 2
    rust = make_course("Rust", prices=[("30", "10.00")])
    real, landed = cart_store.cart_count_and_members, []

    def another_request_adds_rust_meanwhile(*args):
        answer = real(*args)
        if not landed:
            landed.append(
                cart_services.cart_add(
                    user_id=account.pk, course_id=rust.pk, price_policy_id=policies_of(rust)[0].pk
                )
            )
        return answer

    monkeypatch.setattr(cart_store, "cart_count_and_members", another_request_adds_rust_meanwhile)
    # When Python goes back while Rust is added between the check and the write
    body = auth_api.delete("/api/settlement/").json()
    # Then the return saw the add (it watches the cart) and is refused: the cart keeps its limit
    assert body["code"] == 1013
    assert cart_ids(account) == sorted([shop.django.pk, rust.pk])
    assert [line.course_id for line in settlement_read(account.pk).lines] == [shop.python.pk]


# --- Best coupons by default (POST) ---------------------------------------------------------


def test_post_pre_selects_the_coupons_that_make_payable_least(auth_api, shop, coupons):
    # Python 99 / Django 199. Python's 20 off would bring the sum to 238.20, under the 满250减50
    # global coupon; leaving it unused keeps 258.20 and pays 208.20, the least of all choices.
    body = settle(auth_api, [shop.python.pk, shop.django.pk])
    python_line, django_line = body["data"]["settlement_list"]
    assert python_line["default_course_coupon_id"] is None
    assert django_line["default_course_coupon_id"] == coupons.django_off.pk
    assert body["data"]["global_coupon_info"]["default_coupon_id"] == coupons.global_over_250.pk
    assert body["data"]["amount"] == {
        "total_price": "298.00",
        "course_discount": "39.80",
        "global_discount": "50.00",
        "payable": "208.20",
    }
    assert auth_api.get("/api/settlement/").json()["data"] == body["data"]


def test_post_pre_selection_is_written_to_the_seeds_hashes(auth_api, account, shop, coupons):
    settle(auth_api, [shop.python.pk, shop.django.pk])
    stored = settlement_read(account.pk)
    assert stored.line(shop.django.pk).default_course_coupon_id == coupons.django_off.pk
    assert stored.default_global_coupon_id == coupons.global_over_250.pk


def test_the_pre_selected_coupons_can_be_changed_with_patch(auth_api, shop, coupons):
    settle(auth_api, [shop.python.pk, shop.django.pk])
    body = patch(auth_api, global_coupon_id=coupons.global_10.pk)
    assert body["code"] == 1000
    assert body["data"]["global_coupon_info"]["default_coupon_id"] == coupons.global_10.pk
    assert body["data"]["amount"]["payable"] == "248.20"


def test_post_chooses_nothing_when_no_coupon_saves_money(
    auth_api, shop, account, make_coupon, give_coupon
):
    from pay.models import Coupon

    give_coupon(  # 满1000减100: out of reach for 298.00
        account,
        make_coupon(
            coupon_type=Coupon.TYPE_THRESHOLD,
            money_equivalent_value=Decimal("100"),
            minimum_consume=Decimal("1000"),
        ),
    )
    body = settle(auth_api, [shop.python.pk, shop.django.pk])
    assert body["data"]["global_coupon_info"]["default_coupon_id"] is None
    assert [line["default_course_coupon_id"] for line in body["data"]["settlement_list"]] == [
        None,
        None,
    ]
    assert body["data"]["amount"]["payable"] == "298.00"


# --- busy: one code for every Redis store ----------------------------------------------------


def test_a_settlement_that_never_stops_changing_is_1003_as_a_busy_cart_and_nothing_changes(
    auth_api, account, shop, redis_client, monkeypatch
):
    from utils import keys
    from utils.redis import get_redis

    settle(auth_api, [shop.python.pk])
    version_key = keys.settlement_version(account.pk)
    before = redis_dump(redis_client)
    pipeline_class = type(get_redis().pipeline())
    original_multi = pipeline_class.multi

    def multi_after_a_rival_write(pipe):
        # another request of the user always writes first: the version moves under the WATCH
        redis_client.set(version_key, "rival")
        return original_multi(pipe)

    monkeypatch.setattr(pipeline_class, "multi", multi_after_a_rival_write)
    response = auth_api.delete("/api/settlement/", {"course_id": shop.python.pk}, format="json")
    monkeypatch.undo()
    assert (response.status_code, response.json()["code"]) == (503, 1003)
    after = redis_dump(redis_client)
    assert after.pop(version_key) != before.pop(version_key)  # only the rival's writes landed
    assert after == before


def test_a_patch_decided_on_a_settlement_changed_since_its_read_decides_again_on_the_new_one(
    auth_api, account, make_course, make_coupon, give_coupon
):
    from pay import settlement_services, settlement_store
    from utils.redis import get_redis

    python = make_course("Python", prices=[("30", "99.00")])
    record = give_coupon(account, make_coupon(course=python))
    add_to_cart(auth_api, python)
    assert settle(auth_api, [python.pk])["code"] == 1000
    # Given a PATCH read the settlement with its token (its coupon chosen by default)...
    with get_redis().pipeline(transaction=False) as pipe:
        settlement_services.queue_settlement_read(pipe, account.pk)
        [read] = pipe.execute()
    # ...and another request of the user cleared that choice before the PATCH wrote
    cleared = auth_api.patch(
        "/api/settlement/", {"course_id": python.pk, "coupon_id": None}, format="json"
    ).json()
    assert cleared["data"]["settlement_list"][0]["default_course_coupon_id"] is None
    # When the PATCH (choosing the global coupon: none) lands on what it read
    priced = settlement_services.settlement_choose(
        account_id=account.pk, global_coupon_id=None, read=read
    )
    # Then it was decided again on the current settlement: the cleared choice stays cleared
    assert priced.course_choices == {python.pk: None}
    assert settlement_store.settlement_read(account.pk).lines[0].default_course_coupon_id is None
    assert record.pk in settlement_store.settlement_read(account.pk).lines[0].course_coupons


# --- POST decided on the cart and settlement read with the token ----------------------------


def read_for_post(account_id: int, course_ids: list[int]):
    """What a POST reads in its token's round trip (SettlementView.reads_with_token)."""
    from pay import settlement_services
    from utils.redis import get_redis

    with get_redis().pipeline(transaction=False) as pipe:
        settlement_services.queue_create_read(pipe, account_id, course_ids)
        return pipe.execute()


def test_a_post_decided_on_a_cart_changed_since_its_read_decides_again_on_the_new_one(
    auth_api, account, shop
):
    from pay import settlement_services

    # Given a POST of Python read the cart with its token...
    read = read_for_post(account.pk, [shop.python.pk])
    # ...and another request of the user changed Python's policy before the POST wrote
    add_to_cart(auth_api, shop.python, policy_index=1)
    # When the POST lands on what it read
    priced = settlement_services.settlement_create(
        account_id=account.pk, course_list=[shop.python.pk], read=read
    )
    # Then it was decided again on the cart as it is now: the policy just chosen
    assert priced.settlement.lines[0].price_policy_id == policies_of(shop.python)[1].pk
    assert priced.quote.total_price == Decimal("149.00")
    assert cart_ids(account) == [shop.django.pk]


def test_a_post_reads_the_carts_version_before_its_items(auth_api, account, shop, redis_client):
    from pay import settlement_services
    from utils import keys
    from utils.redis import _Recorder

    # The token's pipeline is not atomic: another request's cart write may land between its
    # commands. Read first, the version is never newer than the items, so a write in between
    # moves it and the POST decides again (read last, items older than the version would pass).
    recorder = _Recorder()  # stands in for the token's pipeline: keeps what is queued on it
    settlement_services.queue_create_read(recorder, account.pk, [shop.python.pk])
    commands = recorder.commands
    assert commands[0] == ("GET", keys.cart_version(account.pk))
    assert all(keys.cart_version(account.pk) not in args for args in commands[1:])


def test_a_post_decided_on_a_cart_whose_course_left_since_is_1022_and_changes_nothing(
    auth_api, account, shop, redis_client
):
    from pay import settlement_services
    from utils.errors import AppError

    read = read_for_post(account.pk, [shop.python.pk])
    auth_api.delete("/api/shopping_car/", {"course_id": shop.python.pk}, format="json")
    before = redis_dump(redis_client)
    with pytest.raises(AppError) as refused:
        settlement_services.settlement_create(
            account_id=account.pk, course_list=[shop.python.pk], read=read
        )
    assert refused.value.error.code == 1022
    assert redis_dump(redis_client) == before


def test_a_post_decided_on_a_settlement_changed_since_its_read_sends_back_what_is_there_now(
    auth_api, account, shop
):
    from pay import settlement_services

    # Given a POST of Django read the cart and an empty settlement with its token...
    read = read_for_post(account.pk, [shop.django.pk])
    # ...and another request settled Python before the POST wrote
    settle(auth_api, [shop.python.pk])
    settlement_services.settlement_create(
        account_id=account.pk, course_list=[shop.django.pk], read=read
    )
    # Then Python, settled meanwhile, went back to the cart: nothing lost
    assert [line.course_id for line in settlement_read(account.pk).lines] == [shop.django.pk]
    assert cart_ids(account) == [shop.python.pk]


def test_a_post_with_its_reads_in_the_token_round_trip_answers_as_without(auth_api, account, shop):
    # the API path: the token's round trip carried the reads (tests/pay/test_settlement_cost.py
    # counts them); the answer is the settlement of the courses posted
    body = auth_api.post(
        "/api/settlement/", {"course_list": [str(shop.django.pk), shop.django.pk]}, format="json"
    ).json()
    assert body["code"] == 1000
    assert [line["id"] for line in body["data"]["settlement_list"]] == [shop.django.pk]
    assert cart_ids(account) == [shop.python.pk]


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_body_looked_at_with_the_token_is_validated_once(auth_api, shop, monkeypatch, method):
    from tests.helpers import count_validations

    settle(auth_api, [shop.python.pk])
    calls = count_validations(monkeypatch)
    if method == "post":
        body = auth_api.post("/api/settlement/", {"course_list": [shop.django.pk]}, format="json")
    else:
        body = auth_api.patch("/api/settlement/", {"global_coupon_id": None}, format="json")
    assert body.json()["code"] == 1000
    assert len(calls) == 1
