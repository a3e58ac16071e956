"""The claim rush's fast path: the rule's gate is read in the token's own Redis round trip, so a
sold-out or limit-reached claim costs one round trip and no SQL, and answers exactly what the
gate's script would."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from pay import coupon_stock
from pay.models import CouponRecord
from tests.redis_counting import count_round_trips
from utils import keys
from utils.errors import AppError, Codes
from utils.redis import get_redis

pytestmark = pytest.mark.django_db


def claim(api, body, **extra):
    return api.post("/api/coupons/claim/", body, format="json", **extra).json()


@pytest.fixture
def sold_out(client_for, make_account, make_coupon):
    """A rule of one coupon, taken by someone else; its gate in Redis."""
    rule = make_coupon(total_quantity=1)
    assert claim(client_for(make_account("first")), {"coupon_id": rule.pk})["code"] == 1000
    return rule


def round_trips_at_most() -> int:
    """1: the token, its stamp and the rule's gate in one pipeline. Under Redis Cluster the gate
    (one key per rule, untagged) may live on another node than the user's keys: one per node."""
    return 2 if settings.REDIS_URL and settings.REDIS_CLUSTER else 1


def test_a_sold_out_claim_costs_one_round_trip_and_no_sql(
    auth_api, sold_out, django_assert_num_queries
):
    with django_assert_num_queries(0), count_round_trips() as trips:
        assert claim(auth_api, {"coupon_id": sold_out.pk})["code"] == 1033
    assert trips.count <= round_trips_at_most()


def test_a_claim_past_the_accounts_limit_is_1032_from_the_same_read(
    client_for, make_account, make_coupon, django_assert_num_queries
):
    rule = make_coupon(total_quantity=5, per_account_limit=1)
    api = client_for(make_account("bob"))
    assert claim(api, {"coupon_id": rule.pk})["code"] == 1000
    with django_assert_num_queries(0), count_round_trips() as trips:
        assert claim(api, {"coupon_id": rule.pk})["code"] == 1032
    assert trips.count <= round_trips_at_most()


def test_a_claim_that_can_still_succeed_goes_the_usual_way(auth_api, make_coupon):
    rule = make_coupon(total_quantity=2)
    coupon_stock.reserve(rule_id=rule.pk, account_id=10**6)  # builds the gate: 1 left after
    assert claim(auth_api, {"coupon_id": rule.pk})["code"] == 1000
    assert CouponRecord.objects.filter(coupon=rule).count() == 1


def test_without_a_gate_in_redis_the_claim_rebuilds_it_and_answers_right(auth_api, sold_out):
    get_redis().delete(keys.coupon_stock(sold_out.pk))
    assert claim(auth_api, {"coupon_id": sold_out.pk})["code"] == 1033
    assert CouponRecord.objects.filter(coupon=sold_out).count() == 1


def test_the_bodys_own_errors_come_before_the_gates_answer(auth_api, sold_out):
    assert claim(auth_api, {"coupon_id": sold_out.pk, "code": "X1Y2"})["code"] == 1002


def test_a_bad_token_comes_before_the_gates_answer(sold_out):
    token = f"1.{'f' * 40}"
    assert claim(APIClient(), {"coupon_id": sold_out.pk}, HTTP_AUTHORIZATION=token)["code"] == 1001


@pytest.mark.parametrize(
    "body",
    ['{"coupon_id": "%d"}', "[%d]", '{"coupon_id": %d', '{"coupon_id": true, "x": %d}'],
    ids=["id as a string", "a list", "broken JSON", "not an id"],
)
def test_a_body_the_fast_path_cannot_read_gets_the_usual_answer(auth_api, sold_out, body):
    response = auth_api.post(
        "/api/coupons/claim/", body % sold_out.pk, content_type="application/json"
    )
    expected = 1033 if body.startswith('{"coupon_id": "') else 1002
    assert response.json()["code"] == expected


def test_claiming_by_code_still_answers_sold_out(auth_api, make_coupon, client_for, make_account):
    make_coupon(total_quantity=1, code="RUSH2026")
    assert claim(client_for(make_account("first")), {"code": "rush2026"})["code"] == 1000
    assert claim(auth_api, {"code": "RUSH2026"})["code"] == 1033


@pytest.mark.parametrize(
    "values,code",
    [
        (["0", "1", "0"], Codes.COUPON_SOLD_OUT),
        (["3", "1", "1"], Codes.COUPON_LIMIT),
        (["0", "1", "1"], Codes.COUPON_LIMIT),  # the limit first, as the script
        (["3", "1", None], None),
        (["-1", "1", "5"], None),  # unlimited: the database decides
        ([None, None, None], None),  # no gate yet
    ],
)
def test_the_peek_refuses_what_the_script_would(values, code):
    if code is None:
        coupon_stock.refuse_from_peek(values)
    else:
        with pytest.raises(AppError) as raised:
            coupon_stock.refuse_from_peek(values)
        assert raised.value.error is code


def test_a_body_of_another_media_type_gets_the_parsers_answer_not_the_gates(auth_api, sold_out):
    body = f'{{"coupon_id": {sold_out.pk}}}'
    response = auth_api.post("/api/coupons/claim/", body, content_type="text/plain")
    assert (response.status_code, response.json()["code"]) == (415, 1008)


def test_a_body_with_more_fields_is_checked_then_refused(
    auth_api, sold_out, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert claim(auth_api, {"coupon_id": sold_out.pk, "note": "hi"})["code"] == 1033
