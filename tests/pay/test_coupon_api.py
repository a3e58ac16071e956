"""The wallet, claimable rules and claiming (codes 1030-1032)."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from pay.models import CouponRecord

pytestmark = pytest.mark.django_db


def test_wallet_lists_the_accounts_records_as_coupon_objects(
    auth_api, account, make_coupon, give_coupon
):
    record = give_coupon(account, make_coupon(name="ten off"))
    [coupon] = auth_api.get("/api/coupons/").json()["data"]
    assert coupon["id"] == record.pk
    assert coupon["name"] == "ten off"
    assert coupon["money_equivalent_value"] == "10.00"
    assert coupon["status"] == 0
    assert coupon["usable"] is True


def test_wallet_never_shows_another_accounts_records(
    auth_api, make_account, make_coupon, give_coupon
):
    give_coupon(make_account("other"), make_coupon())
    assert auth_api.get("/api/coupons/").json()["data"] == []


def test_wallet_shows_an_unused_record_past_its_end_as_expired(
    auth_api, account, make_coupon, give_coupon
):
    rule = make_coupon(valid_begin_date=None, valid_end_date=None, coupon_valid_days=3)
    give_coupon(account, rule, days_ago=4)
    [coupon] = auth_api.get("/api/coupons/").json()["data"]
    assert coupon["status"] == 2
    assert coupon["usable"] is False


def test_wallet_valid_end_of_a_days_rule_is_claim_day_plus_days(
    auth_api, account, make_coupon, give_coupon, today
):
    rule = make_coupon(valid_begin_date=None, valid_end_date=None, coupon_valid_days=3)
    give_coupon(account, rule, days_ago=1)
    [coupon] = auth_api.get("/api/coupons/").json()["data"]
    assert coupon["valid_end"] == (today + timedelta(days=2)).isoformat()


@pytest.mark.parametrize("status,expected", [(0, ["fresh"]), (1, ["used"]), (2, ["old"])])
def test_wallet_filters_by_effective_status(
    auth_api, account, make_coupon, give_coupon, status, expected
):
    give_coupon(account, make_coupon(name="fresh"))
    give_coupon(account, make_coupon(name="used"), status=CouponRecord.STATUS_USED)
    old = make_coupon(name="old", valid_begin_date=None, valid_end_date=None, coupon_valid_days=1)
    give_coupon(account, old, days_ago=5)
    names = [c["name"] for c in auth_api.get(f"/api/coupons/?status={status}").json()["data"]]
    assert names == expected


def test_wallet_refuses_an_unknown_status_filter(auth_api):
    response = auth_api.get("/api/coupons/?status=7")
    assert response.status_code == 400
    assert response.json()["code"] == 1002


def test_available_lists_rules_claimable_today_with_what_the_account_holds(
    auth_api, account, make_coupon, give_coupon, today
):
    open_rule = make_coupon(name="open")
    make_coupon(
        name="closed", open_date=today - timedelta(days=9), close_date=today - timedelta(days=1)
    )
    give_coupon(account, open_rule)
    rules = auth_api.get("/api/coupons/available/").json()["data"]
    assert [(r["name"], r["held"]) for r in rules] == [("open", 1)]


def test_claim_creates_a_record_with_a_unique_number(auth_api, account, make_coupon):
    rule = make_coupon(per_account_limit=2)
    first = auth_api.post("/api/coupons/claim/", {"coupon_id": rule.pk}, format="json").json()
    second = auth_api.post("/api/coupons/claim/", {"coupon_id": str(rule.pk)}, format="json").json()
    assert first["code"] == second["code"] == 1000
    assert first["data"]["number"] != second["data"]["number"]
    assert CouponRecord.objects.filter(account=account).count() == 2


def test_claim_of_an_unknown_rule_is_1030(auth_api):
    assert (
        auth_api.post("/api/coupons/claim/", {"coupon_id": 99999}, format="json").json()["code"]
        == 1030
    )


def test_claim_outside_the_window_is_1031(auth_api, account, make_coupon, today):
    rule = make_coupon(open_date=today + timedelta(days=1), close_date=today + timedelta(days=3))
    body = auth_api.post("/api/coupons/claim/", {"coupon_id": rule.pk}, format="json").json()
    assert body["code"] == 1031
    assert not CouponRecord.objects.exists()


def test_claim_past_the_per_account_limit_is_1032(auth_api, account, make_coupon):
    rule = make_coupon()  # limit 1
    auth_api.post("/api/coupons/claim/", {"coupon_id": rule.pk}, format="json")
    body = auth_api.post("/api/coupons/claim/", {"coupon_id": rule.pk}, format="json").json()
    assert body["code"] == 1032
    assert CouponRecord.objects.filter(account=account).count() == 1


@pytest.mark.parametrize(
    "payload", [{}, {"coupon_id": "abc"}, {"coupon_id": -1}, {"coupon_id": [1]}, [1], "x"]
)
def test_claim_with_a_malformed_body_is_1002_and_changes_nothing(auth_api, payload):
    response = auth_api.post("/api/coupons/claim/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == 1002
    assert not CouponRecord.objects.exists()


def test_coupons_need_a_token(api):
    assert api.get("/api/coupons/").json()["code"] == 1001


def test_expire_coupons_writes_expired_on_records_past_their_end(
    account, make_coupon, give_coupon, today
):
    dated = make_coupon(
        valid_begin_date=today - timedelta(days=9),
        valid_end_date=today - timedelta(days=1),
        open_date=today - timedelta(days=9),
        close_date=today - timedelta(days=1),
    )
    days = make_coupon(valid_begin_date=None, valid_end_date=None, coupon_valid_days=2)
    fresh = make_coupon()
    past_dates = give_coupon(account, dated)
    past_days = give_coupon(account, days, days_ago=3)
    still_valid = give_coupon(account, days, days_ago=1)
    used = give_coupon(account, dated, status=CouponRecord.STATUS_USED)
    unused = give_coupon(account, fresh)

    call_command("expire_coupons")
    call_command("expire_coupons")  # idempotent

    statuses = dict(CouponRecord.objects.values_list("pk", "status"))
    assert statuses[past_dates.pk] == statuses[past_days.pk] == 2
    assert statuses[still_valid.pk] == statuses[unused.pk] == 0
    assert statuses[used.pk] == 1


def test_wallet_times_are_written_in_the_shops_time_zone_as_orders_are(
    auth_api, account, make_coupon, give_coupon, settings
):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    give_coupon(account, make_coupon(name="ten off"))
    [coupon] = auth_api.get("/api/coupons/").json()["data"]
    got = datetime.fromisoformat(coupon["get_time"])
    shop_offset = got.astimezone(ZoneInfo(settings.TIME_ZONE)).utcoffset()
    assert got.utcoffset() == shop_offset  # "+08:00" in Asia/Shanghai, as an order's `date`
