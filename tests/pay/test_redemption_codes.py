"""One-time redemption codes (兑换码): generation, redemption, wrong-guess throttling."""

from datetime import timedelta

import pytest

from pay.models import CouponRecord, RedemptionCode
from pay.redemption_codes import (
    REDEMPTION_ALPHABET,
    redemption_code_format,
    redemption_codes_generate,
)

pytestmark = pytest.mark.django_db


def redeem(api, code):
    return api.post("/api/coupons/redeem/", {"code": code}, format="json")


def test_generated_codes_are_unique_and_use_the_unambiguous_alphabet(make_coupon):
    codes = redemption_codes_generate(coupon=make_coupon(), count=200)
    values = [c.code for c in codes]
    assert len(set(values)) == 200
    assert all(len(v) == 16 and set(v) <= set(REDEMPTION_ALPHABET) for v in values)
    assert not set("01OIL") & set(REDEMPTION_ALPHABET)


def test_generating_codes_for_a_limited_rule_promises_their_coupons(make_coupon):
    rule = make_coupon(total_quantity=10)
    redemption_codes_generate(coupon=rule, count=4)
    rule.refresh_from_db()
    assert (rule.codes_outstanding, rule.remaining) == (4, 6)


def test_generating_more_codes_than_remain_is_1033_and_makes_none(make_coupon):
    from utils.errors import AppError

    rule = make_coupon(total_quantity=3)
    with pytest.raises(AppError) as raised:
        redemption_codes_generate(coupon=rule, count=4)
    assert raised.value.error.code == 1033
    assert not RedemptionCode.objects.exists()


def test_redeem_gives_the_account_a_record_and_marks_who_and_when(auth_api, account, make_coupon):
    rule = make_coupon(name="flyer")
    [entry] = redemption_codes_generate(coupon=rule, count=1)
    body = redeem(auth_api, entry.code).json()
    assert body["code"] == 1000
    assert body["data"]["name"] == "flyer"
    entry.refresh_from_db()
    assert entry.redeemed_by == account
    assert entry.redeemed_at is not None
    assert entry.record == CouponRecord.objects.get(account=account, coupon=rule)


def test_redeem_reads_the_printed_form_in_any_case(auth_api, make_coupon):
    [entry] = redemption_codes_generate(coupon=make_coupon(), count=1)
    printed = redemption_code_format(entry.code).lower()
    assert redeem(auth_api, f" {printed} ").json()["code"] == 1000


def test_a_code_is_redeemed_once_by_anyone(auth_api, client_for, make_account, make_coupon):
    [entry] = redemption_codes_generate(coupon=make_coupon(), count=1)
    assert redeem(auth_api, entry.code).json()["code"] == 1000
    assert redeem(client_for(make_account("bob")), entry.code).json()["code"] == 1034
    assert redeem(auth_api, entry.code).json()["code"] == 1034
    assert CouponRecord.objects.count() == 1


def test_an_unknown_code_is_1034_and_writes_nothing(auth_api, make_coupon):
    redemption_codes_generate(coupon=make_coupon(), count=3)
    assert redeem(auth_api, "ABCD-EFGH-JKMN-PQRS").json()["code"] == 1034
    assert not CouponRecord.objects.exists()


def test_redeem_honours_a_code_past_the_per_account_limit(
    auth_api, account, make_coupon, give_coupon
):
    rule = make_coupon(per_account_limit=1)
    give_coupon(account, rule)
    [entry] = redemption_codes_generate(coupon=rule, count=1)
    assert redeem(auth_api, entry.code).json()["code"] == 1000
    assert CouponRecord.objects.filter(account=account, coupon=rule).count() == 2


def test_redeem_honours_a_code_after_the_claim_window_closed(auth_api, make_coupon, today):
    rule = make_coupon(open_date=today - timedelta(days=9), close_date=today - timedelta(days=1))
    [entry] = redemption_codes_generate(coupon=rule, count=1)
    assert redeem(auth_api, entry.code).json()["code"] == 1000


def test_redeem_refuses_a_code_of_a_rule_whose_validity_ended(auth_api, make_coupon, today):
    rule = make_coupon(
        open_date=today - timedelta(days=9),
        close_date=today - timedelta(days=2),
        valid_begin_date=today - timedelta(days=9),
        valid_end_date=today - timedelta(days=1),
    )
    [entry] = redemption_codes_generate(coupon=rule, count=1)
    assert redeem(auth_api, entry.code).json()["code"] == 1031
    entry.refresh_from_db()
    assert entry.redeemed_by is None


def test_a_redeemed_code_moves_from_promised_to_issued(auth_api, make_coupon):
    rule = make_coupon(total_quantity=5)
    [entry, _] = redemption_codes_generate(coupon=rule, count=2)
    redeem(auth_api, entry.code)
    rule.refresh_from_db()
    assert (rule.issued_count, rule.codes_outstanding, rule.remaining) == (1, 1, 3)


def test_claims_cannot_take_the_coupons_promised_to_codes(
    auth_api, client_for, make_account, make_coupon
):
    rule = make_coupon(total_quantity=2)
    [entry] = redemption_codes_generate(coupon=rule, count=1)
    bob, late = client_for(make_account("bob")), client_for(make_account("late"))
    assert (
        bob.post("/api/coupons/claim/", {"coupon_id": rule.pk}, format="json").json()["code"]
        == 1000
    )
    assert (
        late.post("/api/coupons/claim/", {"coupon_id": rule.pk}, format="json").json()["code"]
        == 1033
    )
    assert redeem(auth_api, entry.code).json()["code"] == 1000
    assert CouponRecord.objects.filter(coupon=rule).count() == 2


def test_a_redeemed_record_counts_toward_the_claim_limit(auth_api, make_coupon):
    rule = make_coupon(total_quantity=5, per_account_limit=1)
    auth_api.post("/api/coupons/claim/", {"coupon_id": rule.pk}, format="json")  # gate built
    [entry] = redemption_codes_generate(coupon=rule, count=1)
    assert redeem(auth_api, entry.code).json()["code"] == 1000
    body = auth_api.post("/api/coupons/claim/", {"coupon_id": rule.pk}, format="json").json()
    assert body["code"] == 1032


def test_wrong_guesses_are_throttled_per_account(
    auth_api, client_for, make_account, make_coupon, settings
):
    settings.REDEEM_THROTTLE_RATE = "3/hour"
    [entry] = redemption_codes_generate(coupon=make_coupon(), count=1)
    for _ in range(3):
        assert redeem(auth_api, "WRONG").json()["code"] == 1034
    refused = redeem(auth_api, entry.code)  # even the right code, until the hour ends
    assert refused.status_code == 429
    assert refused.json()["code"] == 1004
    assert 0 < int(refused["Retry-After"]) <= 3601
    assert redeem(client_for(make_account("bob")), entry.code).json()["code"] == 1000


def test_good_codes_do_not_count_as_guesses(auth_api, make_coupon, settings):
    settings.REDEEM_THROTTLE_RATE = "2/hour"
    codes = redemption_codes_generate(coupon=make_coupon(), count=4)
    assert [redeem(auth_api, c.code).json()["code"] for c in codes] == [1000] * 4


@pytest.mark.parametrize("payload", [{}, {"code": ""}, {"code": 7}, {"code": "x" * 65}, [1]])
def test_redeem_with_a_malformed_body_is_1002(auth_api, payload):
    response = auth_api.post("/api/coupons/redeem/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == 1002


def test_redeem_needs_a_token(api):
    assert redeem(api, "ABCD").status_code == 401
