"""Paying with WeChat in a real browser: the code to scan on the payment screen, the development
gateway's WeChat page in another tab, and the payment screen moving on by itself (no reload)."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from pay.models import Order
from tests.e2e.test_shop_flow import PYTHON, add_to_cart, log_in, settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    call_command("load_demo", stdout=io.StringIO())


@pytest.fixture
def dev_wechat(settings):
    """DEBUG on and WeChat Pay not configured: the development gateway stands in for it."""
    settings.DEBUG = True
    settings.WECHAT_MCHID = ""
    return settings


def order_with_wechat(page):
    log_in(page, "wusir", "wusir-demo-123")
    add_to_cart(page, PYTHON, "1个月 · ¥99.00")
    settle(page)
    # the server chose wusir's Python立减20元 already: ¥79 left
    expect(page.get_by_test_id("to-pay")).to_have_text("¥79.00")
    page.locator('label[data-gateway="wechat"]').click()
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("payment-status")).to_contain_text("还需支付 ¥79.00")


def test_a_wechat_payment_in_another_tab_moves_the_payment_screen_on_by_itself(
    page, shot, demo, dev_wechat
):
    # Given wusir ordered a course to pay with WeChat, and the payment screen shows the code
    order_with_wechat(page)
    expect(page.get_by_test_id("pay-qr").locator("img")).to_be_visible()
    expect(page.get_by_test_id("pay-waiting")).to_contain_text("自动更新")
    shot("wechat-code")

    # When the development gateway's WeChat page (standing in for the phone) pays it
    with page.context.expect_page() as opened:
        page.get_by_test_id("pay-link").click()
    wechat = opened.value
    expect(wechat.get_by_role("heading", name="微信支付(开发)")).to_be_visible()
    expect(wechat.locator("p.amount")).to_contain_text("¥79.00")
    wechat.get_by_role("button", name="确认支付 / pay").click()
    wechat.close()

    # Then the payment screen, untouched, says paid by itself
    expect(page.get_by_role("heading", name="支付成功")).to_be_visible()
    expect(page.get_by_test_id("payment-status")).to_contain_text("已支付")
    expect(page.get_by_test_id("pay-qr")).to_have_count(0)
    order = Order.objects.get()
    assert (order.status, order.payment_type) == (Order.STATUS_PAID, Order.PAY_WECHAT)
    shot("paid-by-itself")


def test_the_payment_screen_stops_waiting_at_the_pay_deadline(page, shot, demo, dev_wechat):
    # Given orders time out 4 seconds after they are made
    dev_wechat.ORDER_PAY_TIMEOUT = 4

    # When wusir orders with WeChat and does not pay
    order_with_wechat(page)

    # Then the screen stops waiting at the deadline and offers no code any more
    expect(page.get_by_role("heading", name="支付已超时")).to_be_visible()
    expect(page.get_by_test_id("pay-qr")).to_have_count(0)
    expect(page.get_by_test_id("flash-error")).to_contain_text("超过支付时限")
    shot("timed-out")
