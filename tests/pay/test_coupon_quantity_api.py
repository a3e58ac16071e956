"""A rule's total quantity (发行总量, 1033) and its public code (claim by code, 1034)."""

from datetime import timedelta

import pytest

from pay.models import Coupon, CouponRecord
from pay.serializers import ClaimableRuleSerializer
from tests.helpers import claim_coupon as claim
from utils import keys

pytestmark = pytest.mark.django_db


def test_available_shows_total_quantity_and_remaining(auth_api, make_coupon):
    make_coupon(name="limited", total_quantity=5)
    make_coupon(name="open")
    rules = {r["name"]: r for r in auth_api.get("/api/coupons/available/").json()["data"]}
    assert (rules["limited"]["total_quantity"], rules["limited"]["remaining"]) == (5, 5)
    assert (rules["open"]["total_quantity"], rules["open"]["remaining"]) == (None, None)
    for rule in rules.values():
        assert set(rule) == set(ClaimableRuleSerializer().fields)


def test_remaining_goes_down_with_each_claim(auth_api, client_for, make_account, make_coupon):
    rule = make_coupon(total_quantity=3)
    claim(auth_api, coupon_id=rule.pk)
    claim(client_for(make_account("bob")), coupon_id=rule.pk)
    [listed] = auth_api.get("/api/coupons/available/").json()["data"]
    assert listed["remaining"] == 1


def test_claim_past_the_total_quantity_is_1033_and_writes_nothing(
    auth_api, client_for, make_account, make_coupon
):
    rule = make_coupon(total_quantity=1)
    assert claim(client_for(make_account("first")), coupon_id=rule.pk)["code"] == 1000
    body = claim(auth_api, coupon_id=rule.pk)
    assert body["code"] == 1033
    assert CouponRecord.objects.filter(coupon=rule).count() == 1
    rule.refresh_from_db()
    assert rule.issued_count == 1


def test_a_sold_out_rule_stays_listed_with_nothing_remaining(
    auth_api, client_for, make_account, make_coupon
):
    rule = make_coupon(total_quantity=1)
    claim(client_for(make_account("first")), coupon_id=rule.pk)
    [listed] = auth_api.get("/api/coupons/available/").json()["data"]
    assert listed["remaining"] == 0


def test_sold_out_answer_runs_no_sql(
    auth_api, client_for, make_account, make_coupon, django_assert_num_queries
):
    rule = make_coupon(total_quantity=1)
    claim(client_for(make_account("first")), coupon_id=rule.pk)
    claim(auth_api, coupon_id=rule.pk)  # the gate is built by now
    with django_assert_num_queries(0):  # the token's stamp is in Redis, the gate too
        assert claim(auth_api, coupon_id=rule.pk)["code"] == 1033


def test_a_claim_the_database_refuses_gives_its_reservation_back(
    auth_api, client_for, make_account, make_coupon, today
):
    rule = make_coupon(total_quantity=1, open_date=today + timedelta(days=1))
    assert claim(auth_api, coupon_id=rule.pk)["code"] == 1031  # not open yet
    Coupon.objects.filter(pk=rule.pk).update(open_date=today)  # a change behind the admin's back
    assert claim(client_for(make_account("bob")), coupon_id=rule.pk)["code"] == 1000


def test_raising_the_total_in_the_admin_reopens_a_sold_out_rule(
    auth_api, client_for, make_account, make_coupon, django_capture_on_commit_callbacks
):
    rule = make_coupon(total_quantity=1)
    claim(client_for(make_account("first")), coupon_id=rule.pk)
    assert claim(auth_api, coupon_id=rule.pk)["code"] == 1033
    rule.refresh_from_db()
    rule.total_quantity = 2
    with django_capture_on_commit_callbacks(execute=True):
        rule.save()
    assert claim(auth_api, coupon_id=rule.pk)["code"] == 1000


def test_the_gate_is_rebuilt_from_the_database_when_redis_lost_it(
    auth_api, client_for, make_account, make_coupon, redis_client
):
    rule = make_coupon(total_quantity=1)
    claim(client_for(make_account("first")), coupon_id=rule.pk)
    redis_client.flushdb()  # a Redis restart: the gate is gone, the tokens too
    body = claim(client_for(make_account("late")), coupon_id=rule.pk)
    assert body["code"] == 1033
    assert CouponRecord.objects.filter(coupon=rule).count() == 1


def test_claim_by_public_code_ignores_case_and_spaces(auth_api, account, make_coupon):
    rule = make_coupon(code="PYTHON2026")
    body = claim(auth_api, code="  python2026 ")
    assert body["code"] == 1000
    assert body["data"]["coupon_id"] == rule.pk
    assert CouponRecord.objects.filter(account=account, coupon=rule).count() == 1


def test_claim_by_code_keeps_the_per_account_limit(auth_api, make_coupon):
    rule = make_coupon(code="ONCE")
    assert claim(auth_api, coupon_id=rule.pk)["code"] == 1000
    assert claim(auth_api, code="once")["code"] == 1032


def test_claim_by_code_keeps_the_claim_window(auth_api, make_coupon, today):
    make_coupon(code="LATER", open_date=today + timedelta(days=2), close_date=today + timedelta(9))
    assert claim(auth_api, code="later")["code"] == 1031


def test_claim_by_an_unknown_code_is_1034(auth_api, make_coupon):
    make_coupon(code="PYTHON2026")
    assert claim(auth_api, code="PYTHON2027")["code"] == 1034
    assert not CouponRecord.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [{"coupon_id": 1, "code": "X"}, {"code": ""}, {"code": 5}, {"code": "x" * 65}, {"code": None}],
)
def test_claim_needs_exactly_one_of_id_and_code(auth_api, make_coupon, payload):
    make_coupon(code="X12")
    response = auth_api.post("/api/coupons/claim/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == 1002
    assert not CouponRecord.objects.exists()


def test_public_code_is_stored_in_upper_case(make_coupon):
    assert make_coupon(code=" python-2026 ").code == "PYTHON-2026"


def test_blank_public_code_means_no_code(make_coupon):
    assert make_coupon(code="").code is None
    assert make_coupon(code="  ").code is None  # two rules without a code: no unique clash


@pytest.mark.parametrize("code", ["AB", "PY THON", "优惠", "-LEADING", "X" * 33])
def test_public_code_refuses_what_cannot_be_typed_plainly(make_coupon, code):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        make_coupon(code=code)
    assert "code" in raised.value.message_dict


def test_total_quantity_cannot_go_below_what_was_given_out(
    auth_api, client_for, make_account, make_coupon
):
    from django.core.exceptions import ValidationError

    rule = make_coupon(total_quantity=5)
    claim(auth_api, coupon_id=rule.pk)
    claim(client_for(make_account("bob")), coupon_id=rule.pk)
    rule.refresh_from_db()
    rule.total_quantity = 1
    with pytest.raises(ValidationError) as raised:
        rule.full_clean()
    assert "total_quantity" in raised.value.message_dict


def test_saving_a_rule_loaded_before_claims_keeps_the_claims_counted(
    auth_api, client_for, make_account, make_coupon
):
    rule = make_coupon(total_quantity=2)
    stale = Coupon.objects.get(pk=rule.pk)  # an admin form opened now
    claim(auth_api, coupon_id=rule.pk)
    stale.name = "renamed"
    stale.save()
    rule.refresh_from_db()
    assert (rule.name, rule.issued_count) == ("renamed", 1)
    assert claim(client_for(make_account("bob")), coupon_id=rule.pk)["code"] == 1000
    assert claim(client_for(make_account("carol")), coupon_id=rule.pk)["code"] == 1033


def test_the_gate_expires_so_that_a_lost_reservation_heals(auth_api, make_coupon, redis_client):
    from pay import coupon_stock

    rule = make_coupon(total_quantity=1)
    assert claim(auth_api, coupon_id=rule.pk)["code"] == 1000
    assert 0 < redis_client.ttl(keys.coupon_stock(rule.pk)) <= coupon_stock.STOCK_TTL


def test_a_reservation_lost_with_its_worker_is_back_once_the_gate_is_rebuilt(
    account, client_for, make_account, make_coupon, redis_client
):
    from pay import coupon_stock

    rule = make_coupon(total_quantity=1)
    coupon_stock.reserve(rule_id=rule.pk, account_id=account.pk)  # then the worker died
    late = client_for(make_account("late"))
    assert claim(late, coupon_id=rule.pk)["code"] == 1033  # Redis believes it taken
    redis_client.delete(keys.coupon_stock(rule.pk))  # what the expiry does
    assert claim(late, coupon_id=rule.pk)["code"] == 1000
