"""The shop in a real browser: a user's whole path from login to a cancelled order, and the
gateway path, over the demo data (`load_demo`)."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from course.models import Account
from pay.ledger import beili_change
from pay.models import CouponRecord, Order, TransactionRecord
from utils import keys
from utils.redis import get_redis

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PYTHON = "Python开发21天入门"
REDIS = "Redis 深入浅出"
LINUX = "Linux 运维基础"


@pytest.fixture
def demo(live_server):
    call_command("load_demo", stdout=io.StringIO())


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/#/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("beili-balance")).to_be_visible()


def add_to_cart(page: Page, course: str, period: str) -> None:
    card = page.locator(f'article[data-course="{course}"]')
    card.get_by_role("combobox").select_option(label=period)
    card.get_by_role("button", name="加入购物车").click()
    expect(page.get_by_test_id("flash-ok")).to_contain_text(course)


def choose_coupon(page: Page, scope, coupon: str) -> None:
    """Pick a coupon and wait until the server's answer is painted (the choices unlock)."""
    scope.locator(f'label[data-coupon="{coupon}"]').click()
    expect(page.locator("section.settlement:not([data-pending])")).to_be_visible()
    expect(page.get_by_test_id("flash-ok")).to_contain_text("已更新优惠券,价格已重新计算")
    expect(scope.locator(f'label[data-coupon="{coupon}"] input')).to_be_checked()


def choose_no_coupon(page: Page, scope) -> None:
    """Pick 不使用优惠券 and wait until the server's answer is painted."""
    scope.locator("label.coupon-option.none").click()
    expect(page.locator("section.settlement:not([data-pending])")).to_be_visible()
    expect(page.get_by_test_id("flash-ok")).to_contain_text("已更新优惠券,价格已重新计算")
    expect(scope.locator("label.coupon-option.none input")).to_be_checked()


def nav(page: Page, screen: str) -> None:
    page.locator("#nav").get_by_role("link", name=screen).click()


def settle(page: Page) -> None:
    nav(page, "购物车")
    page.get_by_role("button", name="去结算").click()
    expect(page.get_by_role("heading", name="结算中心")).to_be_visible()


def test_a_user_settles_two_courses_with_coupons_pays_with_beili_and_cancels(page, shot, demo):
    # Given alex (5000 贝里) logs in
    page.goto("/#/login")
    page.get_by_label("用户名").fill("alex")
    page.get_by_label("密码").fill("alex-demo-123")
    shot("login")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("beili-balance")).to_have_text("5000")
    expect(page.locator("article.course")).to_have_count(5)
    shot("courses")

    # When two courses go into the cart and on into the settlement
    add_to_cart(page, PYTHON, "1个月 · ¥99.00")
    add_to_cart(page, REDIS, "2周 · ¥49.90")
    expect(page.get_by_test_id("cart-count")).to_have_text("2")
    nav(page, "购物车")
    expect(page.get_by_test_id("cart-total")).to_have_text("¥148.90")
    shot("cart")
    page.get_by_role("button", name="去结算").click()

    # Then the settlement shows each course's own coupons, and a global coupon greyed with its reason
    python_line = page.locator(f'section.course-line[data-course="{PYTHON}"]')
    redis_line = page.locator(f'section.course-line[data-course="{REDIS}"]')
    globals_ = page.get_by_test_id("global-coupons")
    expect(python_line.locator("label[data-coupon]")).to_have_count(1)
    expect(python_line.locator('label[data-coupon="Python立减20元"]')).to_be_visible()
    expect(redis_line.locator('label[data-coupon="Redis课程8折"]')).to_be_visible()
    too_small = globals_.locator('label[data-coupon="全场满200减50"]')
    expect(too_small).to_have_class("coupon-option unusable")
    expect(too_small.locator("input")).to_be_disabled()
    expect(too_small.locator(".reason")).to_contain_text("200")
    # Each coupon's terms come from its type (coupon_type_id) and the seed's amounts
    expect(too_small.locator(".coupon-terms")).to_have_text("满200减50")
    expect(redis_line.locator(".coupon-terms")).to_have_text("8折")
    expect(python_line.locator(".coupon-terms")).to_have_text("立减20元")

    # And the best coupons are already chosen by the server: ¥148.90 becomes ¥108.92
    for scope, coupon in [
        (python_line, "Python立减20元"),
        (redis_line, "Redis课程8折"),
        (globals_, "全场通用10元"),
    ]:
        expect(scope.locator(f'label[data-coupon="{coupon}"] input')).to_be_checked()
    expect(page.get_by_test_id("payable")).to_have_text("¥108.92")
    shot("settlement")

    # When a course coupon is taken off and chosen again, the price follows the server's sums
    choose_no_coupon(page, python_line)
    expect(page.get_by_test_id("course-discount")).to_have_text("-¥9.98")
    expect(page.get_by_test_id("payable")).to_have_text("¥128.92")
    choose_coupon(page, python_line, "Python立减20元")
    expect(page.get_by_test_id("course-discount")).to_have_text("-¥29.98")
    expect(redis_line.get_by_test_id("discounted-price")).to_have_text("¥39.92")
    expect(page.get_by_test_id("global-discount")).to_have_text("-¥10.00")
    expect(page.get_by_test_id("payable")).to_have_text("¥108.92")

    # And 贝里 cover it all: 1090 贝里 (¥108.92 rounded up to a whole 贝里)
    page.get_by_role("button", name="全部使用").click()
    expect(page.get_by_label("使用贝里")).to_have_value("1090")
    expect(page.get_by_test_id("beili-worth")).to_have_text("抵扣 ¥108.92")
    expect(page.get_by_test_id("to-pay")).to_have_text("¥0.00")
    shot("settlement-with-coupons")
    page.get_by_test_id("pay").click()

    # Then the order is paid at once, the 贝里 are spent and the coupons used
    expect(page.get_by_test_id("payment-status")).to_contain_text("已支付")
    expect(page.get_by_test_id("beili-balance")).to_have_text("3910")
    shot("paid")
    order = Order.objects.get()
    assert (order.status, order.beili_used, order.actual_amount) == (Order.STATUS_PAID, 1090, 0)
    assert CouponRecord.objects.filter(order=order).count() == 3

    # When the order is cancelled from the orders screen
    nav(page, "我的订单")
    card = page.locator(f'article[data-order="{order.order_number}"]')
    expect(card.get_by_test_id("order-status")).to_have_text("交易成功")
    # Its lines show what checkout showed: each course after its coupon, then the amount
    expect(card.get_by_test_id("order-line-price")).to_have_text(["¥79.00", "¥39.92"])
    expect(card.get_by_test_id("order-amount")).to_contain_text("全场通用10元 -¥10.00")
    expect(card.get_by_test_id("order-amount")).to_contain_text("应付 ¥108.92")
    shot("orders")
    card.get_by_role("button", name="取消订单").click()
    card.get_by_role("button", name="确认取消").click()

    # Then coupons and 贝里 come back
    expect(page.get_by_test_id("flash-ok")).to_contain_text("已取消")
    expect(card.get_by_test_id("order-status")).to_have_text("主动取消")
    expect(page.get_by_test_id("beili-balance")).to_have_text("5000")
    shot("cancelled")
    nav(page, "我的优惠券")
    wallet = page.get_by_test_id("wallet")
    for name in ("Python立减20元", "Redis课程8折", "全场通用10元"):
        expect(wallet.locator(f'[data-coupon="{name}"] [data-testid=coupon-status]')).to_have_text(
            "未使用"
        )
    # The wallet names each type by the seed's label (coupon_type) and shows its terms
    redis_card = wallet.locator('[data-coupon="Redis课程8折"]')
    expect(redis_card.locator(".coupon-value")).to_have_text("8折")
    expect(redis_card.locator(".coupon-body .muted")).to_contain_text("折扣券 · 有效期至")
    shot("coupons")
    assert Account.objects.get(username="alex").balance == 5000


def test_a_user_pays_the_rest_through_the_gateway_page(page, shot, demo, settings):
    # Given no Alipay settings and DEBUG on: the development gateway stands in for Alipay
    settings.DEBUG = True
    settings.ALIPAY_APP_ID = ""
    log_in(page, "wusir", "wusir-demo-123")
    add_to_cart(page, PYTHON, "1个月 · ¥99.00")
    settle(page)
    # The server has chosen wusir's one coupon already
    line = page.locator("section.course-line")
    expect(line.locator('label[data-coupon="Python立减20元"] input')).to_be_checked()
    expect(page.get_by_test_id("payable")).to_have_text("¥79.00")

    # When wusir spends all 200 贝里 (¥20) and pays the other ¥59 through the gateway
    page.get_by_label("使用贝里").fill("200")
    expect(page.get_by_test_id("to-pay")).to_have_text("¥59.00")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("payment-status")).to_contain_text("还需支付 ¥59.00")
    expect(page.get_by_test_id("beili-balance")).to_have_text("0")
    shot("waiting-for-payment")
    page.get_by_test_id("pay-link").click()
    expect(page.get_by_role("heading", name="支付宝(开发)")).to_be_visible()
    shot("gateway")
    page.get_by_role("button", name="确认支付 / pay").click()

    # Then the browser is back on the order, paid
    order = Order.objects.get()
    card = page.locator(f'article[data-order="{order.order_number}"]')
    expect(card).to_have_class("panel order focused")
    expect(card.get_by_test_id("order-status")).to_have_text("交易成功")
    expect(page.get_by_test_id("flash-ok")).to_contain_text(f"订单 {order.order_number} 已支付")
    shot("paid-order")


def test_the_orders_screen_pages_and_pays_an_unpaid_order_from_its_card(page, shot, demo, settings):
    # Given 21 orders of wusir, the newest unpaid, and the development gateway
    settings.DEBUG = True
    settings.ALIPAY_APP_ID = ""
    wusir = Account.objects.get(username="wusir")
    for i in range(21):
        Order.objects.create(
            payment_type=Order.PAY_ALIPAY,
            order_number=f"O-E2E-{i:02d}",
            account=wusir,
            actual_amount=Decimal("10.00"),
            status=Order.STATUS_UNPAID if i == 20 else Order.STATUS_CANCELLED,
        )
    log_in(page, "wusir", "wusir-demo-123")

    # When wusir opens the orders: the newest 20, then the last one on page 2
    nav(page, "我的订单")
    expect(page.locator("article.order")).to_have_count(20)
    expect(page.get_by_test_id("orders-pager")).to_contain_text("共 21 个订单")
    shot("orders-page-1")
    page.get_by_test_id("orders-pager").get_by_role("link", name="下一页").click()
    expect(page.locator("article.order")).to_have_count(1)
    expect(page.locator('article[data-order="O-E2E-00"]')).to_be_visible()
    page.get_by_test_id("orders-pager").get_by_role("link", name="上一页").click()

    # And pays the unpaid one from its card
    card = page.locator('article[data-order="O-E2E-20"]')
    card.get_by_role("button", name="去支付").click()
    expect(page.get_by_role("heading", name="支付宝(开发)")).to_be_visible()
    page.get_by_role("button", name="确认支付 / pay").click()

    # Then the order is paid, and the cancelled ones offer no payment
    card = page.locator('article[data-order="O-E2E-20"]')
    expect(card.get_by_test_id("order-status")).to_have_text("交易成功")
    expect(page.get_by_role("button", name="去支付")).to_have_count(0)
    shot("orders-paid")


def test_the_cart_changes_periods_removes_courses_and_takes_them_back(page, shot, demo):
    # Given two courses in alex's cart
    log_in(page, "alex", "alex-demo-123")
    add_to_cart(page, PYTHON, "1个月 · ¥99.00")
    add_to_cart(page, LINUX, "1周 · ¥9.90")
    nav(page, "购物车")
    expect(page.get_by_test_id("cart-total")).to_have_text("¥108.90")

    # When Python's period changes and Linux is removed
    page.get_by_label(f"{PYTHON} 有效期").select_option(label="6个月 · ¥199.00")
    expect(page.get_by_test_id("cart-total")).to_have_text("¥208.90")
    page.locator(f'.line[data-course="{LINUX}"]').get_by_role("button", name="删除").click()
    expect(page.locator(".line[data-course]")).to_have_count(1)
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    shot("cart-changed")

    # Then the settlement holds Python at its new price, and 移回购物车 gives it back
    page.get_by_role("button", name="去结算").click()
    expect(page.locator(".course-line .prices s")).to_have_text("¥199.00")
    # less the best coupons, which the server chose: Python立减20元 and 全场通用10元
    expect(page.get_by_test_id("payable")).to_have_text("¥169.00")
    expect(page.get_by_test_id("cart-count")).to_have_count(0)
    page.get_by_role("button", name="移回购物车").click()
    expect(page.get_by_text("结算中心是空的")).to_be_visible()
    nav(page, "购物车")
    expect(page.get_by_label(f"{PYTHON} 有效期")).to_have_value(
        page.get_by_label(f"{PYTHON} 有效期")
        .locator("option", has_text="6个月")
        .get_attribute("value")
    )
    expect(page.get_by_test_id("cart-total")).to_have_text("¥199.00")


def test_a_refused_payment_is_explained_and_the_screen_catches_up(page, shot, demo):
    # Given wusir offers all 200 贝里 on the settlement screen
    log_in(page, "wusir", "wusir-demo-123")
    add_to_cart(page, PYTHON, "1个月 · ¥99.00")
    settle(page)
    page.get_by_label("使用贝里").fill("200")
    expect(page.get_by_test_id("to-pay")).to_have_text("¥59.00")  # 99 - 20 (coupon) - 20 (贝里)

    # When 150 of them are spent elsewhere before wusir presses pay
    beili_change(
        account=Account.objects.get(username="wusir"),
        amount=150,
        transaction_type=TransactionRecord.TYPE_SPEND,
        memo="spent in another tab",
    )
    page.get_by_test_id("pay").click()

    # Then the refusal is shown in words and the screen offers the 50 贝里 left
    expect(page.get_by_test_id("flash-error")).to_contain_text("贝里余额不足 (1042)")
    expect(page.get_by_test_id("beili-balance")).to_have_text("50")
    expect(page.get_by_label("使用贝里")).to_have_value("50")
    expect(page.get_by_test_id("to-pay")).to_have_text("¥74.00")
    shot("refused")
    assert not Order.objects.exists()


def test_a_coupon_is_claimed_from_the_wallet_screen(page, shot, demo):
    log_in(page, "wusir", "wusir-demo-123")
    add_to_cart(page, PYTHON, "1个月 · ¥99.00")
    settle(page)  # an open settlement, before the claim
    expect(page.get_by_test_id("payable")).to_have_text("¥79.00")
    nav(page, "我的优惠券")
    rule = page.locator('.coupon-card[data-coupon="全场满200减50"]').filter(
        has=page.get_by_role("button", name="领取")
    )
    rule.get_by_role("button", name="领取").click()
    expect(page.get_by_test_id("flash-ok")).to_contain_text("已领取:全场满200减50")
    wallet = page.get_by_test_id("wallet")
    expect(
        wallet.locator('[data-coupon="全场满200减50"] [data-testid=coupon-status]')
    ).to_have_text("未使用")
    expect(
        page.locator('.coupon-card[data-coupon="全场满200减50"]').get_by_role(
            "button", name="已领取"
        )
    ).to_be_disabled()
    shot("claimed")

    # And the claimed coupon is in the open settlement at once (greyed: 79.00 is under 200)
    page.goto("/#/settlement")
    claimed = page.get_by_test_id("global-coupons").locator('label[data-coupon="全场满200减50"]')
    expect(claimed).to_be_visible()
    expect(claimed.locator(".reason")).to_contain_text("200")


def test_errors_are_shown_in_words_and_login_returns_to_the_screen_asked_for(page, shot, demo):
    # Given a visitor asks for the cart without logging in
    page.goto("/#/cart")
    expect(page).to_have_url(re.compile(r"#/login\?next="))

    # When the password is wrong, the registry's message is shown
    page.get_by_label("用户名").fill("alex")
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("flash-error")).to_contain_text("用户名或密码错误 (1005)")
    shot("login-failed")

    # Then the right password leads back to the cart
    page.get_by_label("密码").fill("alex-demo-123")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="购物车")).to_be_visible()
    expect(page.get_by_text("购物车是空的")).to_be_visible()

    # And a hand-typed link to an order that does not exist is explained, not a broken page
    page.goto("/#/payment/%E0-nope")
    expect(page.get_by_test_id("flash-error")).to_contain_text("订单不存在 (1050)")

    # And 退出 ends the token on the server as well as in the page
    token = page.evaluate("localStorage.getItem('luffy.token')")
    assert get_redis().exists(keys.auth_token(token))
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.locator("#account").get_by_role("link", name="登录")).to_be_visible()
    assert page.evaluate("localStorage.getItem('luffy.token')") is None
    assert not get_redis().exists(keys.auth_token(token))
