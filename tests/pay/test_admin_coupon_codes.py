"""The admin's side of quantities and codes: counters in the list, generating and downloading
redemption codes, who redeemed a code and when."""

import csv
import io

import pytest

from pay.models import RedemptionCode
from pay.redemption_codes import coupon_redeem, redemption_code_format, redemption_codes_generate
from tests.helpers import apply_admin_action

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    return list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))


def test_coupon_list_shows_total_claimed_and_remaining(staff, make_coupon, account, give_coupon):
    rule = make_coupon(name="抢券", total_quantity=100)
    redemption_codes_generate(coupon=rule, count=10)
    page = staff.get("/admin/pay/coupon/").content.decode()
    for header in ("发行总量", "已领", "已用", "未兑换的兑换码", "剩余"):
        assert header in page
    assert ">90<" in page


def test_generate_action_first_asks_how_many(staff, make_coupon):
    rule = make_coupon()
    response = staff.post(
        "/admin/pay/coupon/",
        {"action": "generate_redemption_codes", "_selected_action": [rule.pk]},
    )
    assert response.status_code == 200
    assert "生成" in response.content.decode()
    assert not RedemptionCode.objects.exists()


def test_generate_action_downloads_the_new_codes_as_csv(staff, make_coupon):
    rule = make_coupon(name="flyer")
    response = apply_admin_action(
        staff, "pay/coupon", "generate_redemption_codes", [rule.pk], count="25"
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(response)
    stored = {redemption_code_format(c) for c in RedemptionCode.objects.values_list("code", flat=1)}
    assert {row["code"] for row in rows} == stored
    assert len(stored) == 25
    assert {row["coupon"] for row in rows} == {"flyer"}


def test_generate_action_past_the_total_says_so_and_makes_none(staff, make_coupon):
    rule = make_coupon(total_quantity=5)
    response = apply_admin_action(
        staff, "pay/coupon", "generate_redemption_codes", [rule.pk], count="6", follow=True
    )
    assert response.status_code == 200
    assert "剩余不足" in response.content.decode()
    assert not RedemptionCode.objects.exists()


@pytest.mark.parametrize("count", ["0", "-1", "100001", "x"])
def test_generate_action_refuses_a_bad_count_in_the_form(staff, make_coupon, count):
    rule = make_coupon()
    response = apply_admin_action(
        staff, "pay/coupon", "generate_redemption_codes", [rule.pk], count=count
    )
    assert response.status_code == 200
    assert not RedemptionCode.objects.exists()


def test_issue_action_past_the_total_says_so_and_issues_none(staff, make_coupon, make_account):
    rule = make_coupon(total_quantity=1)
    alice, bob = make_account("alice"), make_account("bob")
    response = apply_admin_action(
        staff,
        "pay/coupon",
        "issue_to_accounts",
        [rule.pk],
        accounts=[alice.pk, bob.pk],
        follow=True,
    )
    assert "剩余不足" in response.content.decode()
    assert not rule.couponrecord_set.exists()


def test_code_list_shows_who_redeemed_a_code_and_when(staff, make_coupon, make_account):
    [entry, _] = redemption_codes_generate(coupon=make_coupon(), count=2)
    coupon_redeem(account=make_account("redeemer"), code=entry.code)
    page = staff.get("/admin/pay/redemptioncode/").content.decode()
    assert "redeemer" in page
    assert redemption_code_format(entry.code) in page


def test_code_list_finds_a_code_as_printed(staff, make_coupon):
    [entry, other] = redemption_codes_generate(coupon=make_coupon(), count=2)
    printed = redemption_code_format(entry.code).lower()
    page = staff.get("/admin/pay/redemptioncode/", {"q": printed}).content.decode()
    assert redemption_code_format(entry.code) in page
    assert redemption_code_format(other.code) not in page


def test_codes_cannot_be_edited_or_deleted_in_the_admin(staff, make_coupon):
    [entry] = redemption_codes_generate(coupon=make_coupon(), count=1)
    staff.raise_request_exception = False
    response = staff.post(
        f"/admin/pay/redemptioncode/{entry.pk}/change/", {"code": "X", "coupon": entry.coupon_id}
    )
    refused = (401, 403)  # the project's 403 handler answers the envelope (see utils/views.py)
    assert response.status_code in refused
    assert staff.post(f"/admin/pay/redemptioncode/{entry.pk}/delete/").status_code in refused
    entry.refresh_from_db()
    assert entry.code != "X"


def test_admin_form_refuses_a_public_code_another_rule_has(staff, make_coupon, today):
    make_coupon(code="PYTHON2026")
    response = staff.post(
        "/admin/pay/coupon/add/",
        {
            "name": "dup",
            "coupon_type": 0,
            "money_equivalent_value": "5",
            "minimum_consume": "0",
            "open_date": today.isoformat(),
            "close_date": today.isoformat(),
            "coupon_valid_days": "5",
            "per_account_limit": "1",
            "code": "python2026",
        },
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_csv_download_shows_who_redeemed_and_never_a_formula(staff, make_coupon, make_account):
    [entry, _] = redemption_codes_generate(coupon=make_coupon(name="=SUM(A1)"), count=2)
    coupon_redeem(account=make_account("@evil"), code=entry.code)
    response = staff.post(
        "/admin/pay/redemptioncode/",
        {"action": "download_csv", "_selected_action": [entry.pk]},
    )
    [row] = csv_rows(response)
    assert row["code"] == redemption_code_format(entry.code)
    assert (row["coupon"], row["redeemed_by"]) == ("'=SUM(A1)", "'@evil")
    assert row["redeemed_at"]


@pytest.mark.postgres("PostgreSQL refuses a statement with more than 65,535 bound values")
def test_codes_for_several_rules_past_65535_values_are_all_downloaded(staff, make_coupon):
    rules = [make_coupon(name=f"flyer{i}") for i in range(7)]
    response = apply_admin_action(
        staff, "pay/coupon", "generate_redemption_codes", [rule.pk for rule in rules],
        count="10000",
    )  # fmt: skip
    assert response["Content-Type"].startswith("text/csv")
    rows = response.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + 70_000
    assert RedemptionCode.objects.count() == 70_000
