"""The operator's side in a real browser: a refund asked by the buyer and approved by staff in the
admin, and an order timing out with no scheduled command run."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from course.models import Account
from pay.models import CouponRecord, Order
from tests.e2e.test_shop_flow import PYTHON, add_to_cart, demo, log_in, nav, settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
__all__ = ["demo"]  # the fixture, imported for the tests below


def wusir_orders_python_paying_59_with_money(page: Page) -> Order:
    """wusir (200 贝里) buys Python (¥99) with Python立减20元 and all 贝里: ¥59 left to pay."""
    log_in(page, "wusir", "wusir-demo-123")
    add_to_cart(page, PYTHON, "1个月 · ¥99.00")
    settle(page)
    # the server chose Python立减20元 already (the best coupon)
    line = page.locator("section.course-line")
    expect(line.locator('label[data-coupon="Python立减20元"] input')).to_be_checked()
    page.get_by_label("使用贝里").fill("200")
    expect(page.get_by_test_id("to-pay")).to_have_text("¥59.00")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("payment-status")).to_contain_text("还需支付 ¥59.00")
    expect(page.get_by_test_id("beili-balance")).to_have_text("0")
    return Order.objects.get()


def python_coupon_status() -> int:
    return CouponRecord.objects.get(
        account__username="wusir", coupon__name="Python立减20元", status__in=(0, 1)
    ).status


def test_a_refund_asked_by_the_buyer_is_approved_by_staff_in_the_admin(page, shot, demo, settings):
    # Given wusir paid the rest of an order through the development gateway
    settings.DEBUG = True
    settings.ALIPAY_APP_ID = ""
    order = wusir_orders_python_paying_59_with_money(page)
    page.get_by_test_id("pay-link").click()
    page.get_by_role("button", name="确认支付 / pay").click()
    card = page.locator(f'article[data-order="{order.order_number}"]')
    expect(card.get_by_test_id("order-status")).to_have_text("交易成功")
    shot("paid")

    # When wusir asks for a refund from the orders screen
    card.get_by_role("button", name="申请退费").click()
    card.get_by_label("退费原因").fill("时间冲突,学不了")
    shot("asking")
    card.get_by_role("button", name="提交退费申请").click()

    # Then the order waits for staff, saying so
    expect(page.get_by_test_id("flash-ok")).to_contain_text("退费申请已提交")
    expect(card.get_by_test_id("order-status")).to_have_text("退费申请中")
    expect(card.get_by_test_id("refund-status")).to_contain_text("时间冲突,学不了")
    expect(card.get_by_role("button", name="申请退费")).to_have_count(0)
    shot("refund-asked")

    # When staff approve it in the admin
    Account.objects.create_superuser("boss", "boss@example.com", "boss-pass-123")
    page.goto("/admin/login/?next=/admin/pay/order/")
    page.get_by_label("用户名").fill("boss")
    page.get_by_label("密码").fill("boss-pass-123")
    page.locator("input[type=submit]").click()
    row = page.locator("#result_list tr", has_text=order.order_number)
    expect(row).to_contain_text("退费申请中")
    row.locator("input[name=_selected_action]").check()
    page.locator("select[name=action]").select_option("approve_refund")
    shot("admin-approving")
    page.locator("button[name=index]").click()
    expect(page.locator("ul.messagelist")).to_contain_text("1 个订单已退费")
    expect(page.locator("#result_list tr", has_text=order.order_number)).to_contain_text("已退费")
    shot("admin-approved")

    # Then wusir sees the order 已退费, the 贝里 and the coupon back
    page.goto(f"/#/orders?order={order.order_number}")
    expect(card.get_by_test_id("order-status")).to_have_text("已退费")
    expect(card.get_by_test_id("refund-status")).to_contain_text("¥59.00 原路退回")
    expect(page.get_by_test_id("beili-balance")).to_have_text("200")
    nav(page, "我的优惠券")
    expect(
        page.get_by_test_id("wallet").locator(
            '[data-coupon="Python立减20元"] [data-testid=coupon-status]'
        )
    ).to_have_text("未使用")
    shot("refunded")
    assert python_coupon_status() == CouponRecord.STATUS_UNUSED
    assert Account.objects.get(username="wusir").balance == 200


def test_an_unpaid_order_times_out_with_no_command_run(page, shot, demo, settings):
    # Given an unpaid order, its deadline on the orders screen
    settings.DEBUG = True
    settings.ALIPAY_APP_ID = ""
    order = wusir_orders_python_paying_59_with_money(page)
    nav(page, "我的订单")
    card = page.locator(f'article[data-order="{order.order_number}"]')
    expect(card.get_by_test_id("order-status")).to_have_text("待支付")
    expect(card.get_by_test_id("pay-deadline")).to_contain_text("前支付")
    shot("waiting")

    # When its deadline passes and nobody runs cancel_expired_orders
    Order.objects.filter(pk=order.pk).update(
        date=timezone.now() - timedelta(seconds=settings.ORDER_PAY_TIMEOUT + 1)
    )
    page.reload()

    # Then the orders screen shows it timed out, with the 贝里 and the coupon back
    expect(card.get_by_test_id("order-status")).to_have_text("超时取消")
    expect(card.get_by_test_id("pay-deadline")).to_have_count(0)
    expect(card.get_by_role("link", name="去支付")).to_have_count(0)
    expect(page.get_by_test_id("beili-balance")).to_have_text("200")
    shot("timed-out")
    assert python_coupon_status() == CouponRecord.STATUS_UNUSED
