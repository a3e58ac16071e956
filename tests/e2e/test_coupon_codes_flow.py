"""The shop's code box in a real browser: a public code, a one-time 兑换码, a wrong code in words,
and a sold-out rule shown as 已领完 (demo data plus one sold-out rule)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from course.models import Account
from pay.coupon_records import coupon_claim
from pay.models import Coupon, CouponRecord, RedemptionCode
from pay.redemption_codes import redemption_code_format
from tests.e2e.test_shop_flow import demo, log_in, nav  # noqa: F401 - `demo` is a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIMITED = "限量100张·全场立减30"


def test_a_buyer_claims_by_code_redeems_a_code_and_sees_a_sold_out_rule(page, shot, demo):  # noqa: F811
    # Given a rule with one coupon that wusir already took, and a printed 兑换码
    limited = Coupon.objects.get(name=LIMITED)
    today = timezone.localdate()
    scarce = Coupon.objects.create(
        name="只有一张",
        money_equivalent_value=Decimal("5.00"),
        open_date=today,
        close_date=today + timedelta(days=7),
        coupon_valid_days=7,
        total_quantity=1,
    )
    coupon_claim(account=Account.objects.get(username="wusir"), coupon_id=scarce.pk)
    printed = redemption_code_format(RedemptionCode.objects.filter(coupon=limited).first().code)

    # When alex opens 我的优惠券, the sold-out rule shows 已领完 and cannot be claimed
    log_in(page, "alex", "alex-demo-123")
    nav(page, "我的优惠券")
    card = page.locator('.coupon-card[data-coupon="只有一张"]')
    expect(card.get_by_role("button", name="已领完")).to_be_disabled()
    expect(card.get_by_test_id("claim-stock")).to_contain_text("剩余 0/1")
    shot("sold-out")

    # When alex types the public code in lower case, the coupon is claimed
    box = page.get_by_test_id("claim-code")
    box.get_by_label("优惠码").fill("python2026")
    box.get_by_role("button", name="领取").click()
    expect(page.get_by_test_id("flash-ok")).to_contain_text(f"已领取:{LIMITED}")
    limited_card = page.locator(f'.coupon-card[data-coupon="{LIMITED}"]')
    expect(limited_card.get_by_role("button", name="已领取")).to_be_disabled()
    shot("claimed-by-code")

    # When alex types a wrong 兑换码, the refusal is in words and nothing is added
    redeem = page.get_by_test_id("redeem-code")
    redeem.get_by_label("兑换码").fill("AAAA-BBBB-CCCC-DDDD")
    redeem.get_by_role("button", name="兑换").click()
    expect(page.get_by_test_id("flash-error")).to_contain_text("券码无效或已被使用 (1034)")
    shot("wrong-code")

    # When alex types the printed 兑换码, a second coupon of the rule is in the wallet
    page.get_by_test_id("redeem-code").get_by_label("兑换码").fill(printed.lower())
    page.get_by_test_id("redeem-code").get_by_role("button", name="兑换").click()
    expect(page.get_by_test_id("flash-ok")).to_contain_text(f"已领取:{LIMITED}")
    expect(page.get_by_test_id("wallet").locator(f'[data-coupon="{LIMITED}"]')).to_have_count(2)
    shot("redeemed")
    alex = Account.objects.get(username="alex")
    assert CouponRecord.objects.filter(account=alex, coupon=limited).count() == 2
    assert RedemptionCode.objects.get(code=printed.replace("-", "")).redeemed_by == alex
