"""Every screen of the shop at 1280×800 and at 390×844 (a phone), over the demo data: none scrolls
sideways, an axe-core scan finds no serious or critical violation, the keyboard focus survives the
actions, and each screen is photographed (test-results/e2e/screens/<size>/)."""

import io
import json
import re
import shutil
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import Page, expect

from course.models import Account, Course
from pay.ledger import beili_change
from pay.models import Order, TransactionRecord
from pay.serials import new_serial
from tests.e2e.conftest import RESULTS
from tests.e2e.test_shop_flow import LINUX, PYTHON, REDIS, log_in, nav

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Axe()
BLOCKING = {"serious", "critical"}


@pytest.fixture
def demo(live_server):
    call_command("load_demo", stdout=io.StringIO())


def size_of(page: Page) -> str:
    viewport = page.viewport_size
    assert viewport is not None  # the tests always set one
    return "phone" if viewport["width"] < 600 else "desktop"


class Screens:
    """Checks one screen after another: fits the width, passes axe, photographed. The axe
    findings of every screen are written to test-results/e2e/screens/axe-<size>.json."""

    def __init__(self, page: Page):
        self.page = page
        self.size = size_of(page)
        self.folder = RESULTS / "screens" / self.size
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.findings: dict[str, list[dict]] = {}

    def check(self, name: str, shop: bool = True) -> None:
        page = self.page
        if shop:  # the shop's screen has loaded (the gateway's page is a page of its own)
            expect(page.locator("#view")).to_have_attribute("aria-busy", "false")
            expect(page.locator("#view [data-testid=loading]")).to_have_count(0)
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth]"
        )
        assert widths[0] <= widths[1] and widths[2] <= widths[1], (
            f"{name} scrolls sideways at {self.size}: {widths}"
        )
        violations = AXE.run(page).response["violations"]
        self.findings[name] = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "nodes": len(v["nodes"]),
                "targets": [n["target"] for n in v["nodes"][:3]],
            }
            for v in violations
        ]
        page.screenshot(path=self.folder / f"{len(self.findings):02d}-{name}.png", full_page=True)

    def finish(self) -> None:
        (self.folder.parent / f"axe-{self.size}.json").write_text(
            json.dumps(self.findings, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        blocking = {
            name: [v for v in found if v["impact"] in BLOCKING]
            for name, found in self.findings.items()
        }
        assert not any(blocking.values()), f"axe, serious or critical at {self.size}: {blocking}"


def test_every_screen_fits_the_width_and_passes_an_accessibility_scan(sized_page, demo, settings):
    page = sized_page
    settings.DEBUG = True
    settings.ALIPAY_APP_ID = ""
    screens = Screens(page)

    page.goto("/#/login")
    expect(page.get_by_label("用户名")).to_be_focused()
    screens.check("login")
    log_in(page, "alex", "alex-demo-123")
    screens.check("courses")

    # The course page: its brief and periods; add to cart from it
    page.locator(f'article[data-course="{PYTHON}"]').get_by_role("link", name=PYTHON).click()
    expect(page.get_by_role("heading", name=PYTHON, level=1)).to_be_focused()
    expect(page.get_by_test_id("course-brief")).not_to_be_empty()
    periods = Course.objects.get(name=PYTHON).price_policy.count()
    expect(page.get_by_test_id("periods").locator("label")).to_have_count(periods)
    page.get_by_test_id("periods").get_by_text("1个月").click()
    add = page.get_by_role("button", name="加入购物车")
    add.click()
    expect(page.get_by_test_id("flash-ok")).to_contain_text(f"已加入购物车:{PYTHON}")
    expect(add).to_be_focused()  # the focus stays on the button pressed
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    screens.check("course")

    # The status region stays in view when the page is scrolled
    nav(page, "课程")
    card = page.locator(f'article[data-course="{REDIS}"]')
    card.get_by_role("combobox").select_option(label="2周 · ¥49.90")
    card.scroll_into_view_if_needed()
    page.mouse.wheel(0, 2000)
    card.get_by_role("button", name="加入购物车").click()
    flash = page.get_by_test_id("flash-ok")
    expect(flash).to_contain_text(REDIS)
    expect(flash).to_be_in_viewport()
    assert page.evaluate(
        """() => { const r = document.querySelector("#flash .flash-message").getBoundingClientRect();
        const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return document.getElementById("flash").contains(top); }"""
    ), "the status message is covered"

    # The cart: unticking a row unticks 全选, ticking it again ticks it
    nav(page, "购物车")
    expect(page.get_by_role("heading", name="购物车")).to_be_focused()
    expect(page.get_by_test_id("cart-total")).to_have_text("¥148.90")
    select_all = page.get_by_test_id("select-all")
    expect(select_all).to_be_checked()
    page.get_by_label(f"选择 {REDIS}").uncheck()
    expect(select_all).not_to_be_checked()
    expect(page.get_by_test_id("cart-total")).to_have_text("¥99.00")
    page.get_by_label(f"选择 {REDIS}").check()
    expect(select_all).to_be_checked()
    screens.check("cart")

    # The settlement: the best coupons chosen by the server on settling
    page.get_by_role("button", name="去结算").click()
    expect(page.get_by_role("heading", name="结算中心")).to_be_focused()
    for scope, coupon in [
        (page.locator(f'section.course-line[data-course="{PYTHON}"]'), "Python立减20元"),
        (page.locator(f'section.course-line[data-course="{REDIS}"]'), "Redis课程8折"),
        (page.get_by_test_id("global-coupons"), "全场通用10元"),
    ]:
        expect(scope.locator(f'label[data-coupon="{coupon}"] input')).to_be_checked()
    expect(page.get_by_test_id("payable")).to_have_text("¥108.92")
    if screens.size == "phone":
        # On a phone the total and the pay button come before the coupon panels
        pay_box = page.get_by_test_id("pay").bounding_box()
        coupons_box = page.locator("section.course-line").first.bounding_box()
        assert pay_box["y"] < coupons_box["y"]
    screens.check("settlement")

    # Paid with 贝里: the payment screen (no 取消订单 beside 支付成功)
    page.get_by_role("button", name="全部使用").click()
    page.get_by_test_id("pay").click()
    expect(page.get_by_role("heading", name="支付成功")).to_be_visible()
    expect(page.get_by_role("button", name="取消订单")).to_have_count(0)
    screens.check("payment")
    order = Order.objects.get()

    # The orders, and the order's detail: its numbers are checkout's
    nav(page, "我的订单")
    expect(page.locator(f'article[data-order="{order.order_number}"]')).to_be_visible()
    screens.check("orders")
    page.locator(f'article[data-order="{order.order_number}"]').get_by_role(
        "link", name="订单详情"
    ).click()
    expect(page.get_by_role("heading", name="订单详情")).to_be_focused()
    python = page.locator(f'[data-testid=detail-line][data-course="{PYTHON}"]')
    expect(python.get_by_test_id("line-original")).to_have_text("¥99.00")
    expect(python.get_by_test_id("line-course-coupon")).to_have_text("-¥20.00")
    expect(python.get_by_test_id("line-discounted")).to_have_text("¥79.00")
    breakdown = page.get_by_test_id("order-breakdown")
    expect(breakdown.get_by_test_id("global-discount")).to_have_text("-¥10.00")
    expect(breakdown.get_by_test_id("payable")).to_have_text("¥108.92")
    expect(breakdown.get_by_test_id("beili-money")).to_have_text("-¥108.92")
    expect(breakdown.get_by_test_id("actual-amount")).to_have_text("¥0.00")
    screens.check("order")

    nav(page, "我的优惠券")
    expect(page.get_by_test_id("wallet")).to_be_visible()
    screens.check("coupons")

    # The 贝里 history: the payment, newest first
    nav(page, "贝里明细")
    expect(page.get_by_test_id("ledger-row").first.get_by_test_id("ledger-change")).to_have_text(
        "-1090"
    )
    screens.check("beili")

    # A cart with a course, then a waiting order on the development gateway
    nav(page, "课程")
    card = page.locator(f'article[data-course="{LINUX}"]')
    card.get_by_role("button", name="加入购物车").click()
    expect(page.get_by_test_id("flash-ok")).to_contain_text(LINUX)
    nav(page, "购物车")
    page.get_by_role("button", name="去结算").click()
    page.get_by_test_id("pay").click()
    expect(page.get_by_role("heading", name="等待支付")).to_be_visible()
    screens.check("payment-waiting")
    page.get_by_test_id("pay-link").click()
    expect(page.get_by_role("heading", name="支付宝(开发)")).to_be_visible()
    screens.check("dev-gateway", shop=False)
    page.go_back()

    # An address the shop does not have
    page.goto("/#/no-such-screen")
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    expect(page.get_by_test_id("not-found")).to_contain_text("no-such-screen")
    screens.check("not-found")
    screens.finish()


def test_a_coupon_chosen_with_the_keyboard_keeps_the_focus(sized_page, demo):
    page = sized_page
    log_in(page, "alex", "alex-demo-123")
    for course, period in [(PYTHON, "1个月 · ¥99.00"), (REDIS, "2周 · ¥49.90")]:
        card = page.locator(f'article[data-course="{course}"]')
        card.get_by_role("combobox").select_option(label=period)
        card.get_by_role("button", name="加入购物车").click()
        expect(page.get_by_test_id("flash-ok")).to_contain_text(course)
    nav(page, "购物车")
    page.get_by_role("button", name="去结算").click()
    expect(page.get_by_test_id("payable")).to_have_text("¥108.92")

    # When the keyboard moves Python's choice from its coupon to 不使用优惠券 (arrow keys)
    python = page.locator(f'section.course-line[data-course="{PYTHON}"]')
    chosen = python.locator('label[data-coupon="Python立减20元"] input')
    chosen.focus()
    page.keyboard.press("ArrowUp")

    # Then the server's sums are drawn and the focus is still on that choice
    none = python.locator("label.coupon-option.none input")
    expect(page.get_by_test_id("payable")).to_have_text("¥128.92")
    expect(page.locator("section.settlement:not([data-pending])")).to_be_visible()
    expect(none).to_be_checked()
    expect(none).to_be_focused()

    # And back to the coupon with the keyboard: the focus is on it, the price as before
    page.keyboard.press("ArrowDown")
    expect(page.get_by_test_id("payable")).to_have_text("¥108.92")
    expect(page.locator("section.settlement:not([data-pending])")).to_be_visible()
    expect(chosen).to_be_checked()
    expect(chosen).to_be_focused()

    # And the global coupon too
    globals_ = page.get_by_test_id("global-coupons")
    globals_.locator('label[data-coupon="全场通用10元"] input').focus()
    page.keyboard.press("ArrowUp")
    expect(page.get_by_test_id("global-discount")).to_have_text("-¥0.00")
    expect(globals_.locator("label.coupon-option.none input")).to_be_focused()
    page.screenshot(
        path=RESULTS / "screens" / f"keyboard-coupon-{size_of(page)}.png", full_page=False
    )


def test_a_coupon_claimed_from_the_settlement_hint_joins_it_at_once(sized_page, demo):
    page = sized_page
    log_in(page, "wusir", "wusir-demo-123")
    card = page.locator(f'article[data-course="{PYTHON}"]')
    card.get_by_role("button", name="加入购物车").click()
    expect(page.get_by_test_id("flash-ok")).to_contain_text(PYTHON)
    nav(page, "购物车")
    page.get_by_role("button", name="去结算").click()
    expect(page.get_by_test_id("payable")).to_have_text("¥79.00")
    globals_ = page.get_by_test_id("global-coupons")
    expect(globals_.locator('label[data-coupon="全场满200减50"]')).to_have_count(0)

    # When wusir claims the hinted global coupon on the settlement itself
    hints = page.get_by_test_id("claim-hints")
    hint = hints.locator('li[data-coupon="全场满200减50"]')
    hint.get_by_role("button", name="领取").click()

    # Then it is among the settlement's choices at once (offered, greyed: ¥79 is under 200)
    expect(page.get_by_test_id("flash-ok")).to_contain_text("已领取:全场满200减50")
    joined = globals_.locator('label[data-coupon="全场满200减50"]')
    expect(joined).to_be_visible()
    expect(joined.locator(".reason")).to_contain_text("200")
    expect(hint).to_have_count(0)
    expect(page.locator("#global-coupons-title")).to_be_focused()
    expect(page.get_by_test_id("payable")).to_have_text("¥79.00")
    # And it is there after a reload too (the server's settlement, not the page's)
    page.reload()
    expect(
        page.get_by_test_id("global-coupons").locator('label[data-coupon="全场满200减50"]')
    ).to_be_visible()
    assert re.search(r"#/settlement$", page.url)


def test_a_slow_screen_shows_that_it_is_loading_and_an_unknown_one_says_so(page, demo):
    log_in(page, "wusir", "wusir-demo-123")
    held = []
    page.route(lambda url: "/api/orders/" in url, lambda route: held.append(route))

    # When the orders are slow to come, the new screen's heading and a loading line show at once
    nav(page, "我的订单")
    expect(page.get_by_role("heading", name="我的订单")).to_be_focused()
    expect(page.get_by_test_id("loading")).to_be_visible()
    expect(page.locator("#view")).to_have_attribute("aria-busy", "true")
    expect(page.locator("article.course")).to_have_count(0)  # not the old screen dimmed
    assert held, "the orders were asked for"
    held[0].continue_()
    expect(page.get_by_text("还没有订单")).to_be_visible()
    expect(page.get_by_test_id("loading")).to_have_count(0)

    # And a hand-typed address the shop does not have is not the catalogue
    page.goto("/#/nowhere/at/all")
    expect(page.get_by_role("heading", name="页面不存在")).to_be_focused()
    expect(page.locator("article.course")).to_have_count(0)
    expect(page).to_have_title(re.compile("页面不存在"))


def test_the_beili_history_pages_through_the_ledger(page, demo):
    # Given wusir's 200 贝里 and 21 more changes
    wusir = Account.objects.get(username="wusir")
    for i in range(21):
        beili_change(
            account=wusir, amount=1, transaction_type=TransactionRecord.TYPE_INCOME, memo=f"#{i}"
        )
    log_in(page, "wusir", "wusir-demo-123")
    page.locator("#account").get_by_role("link", name=re.compile("贝里余额")).click()

    # Then the newest 20 come first, each with its sign and the balance after it
    expect(page.get_by_role("heading", name="贝里明细")).to_be_focused()
    rows = page.get_by_test_id("ledger-row")
    expect(rows).to_have_count(20)
    expect(rows.first).to_contain_text("#20")
    expect(rows.first.get_by_test_id("ledger-change")).to_have_text("+1")
    expect(rows.first).to_contain_text("余额 221")
    count = TransactionRecord.objects.filter(account=wusir).count()
    expect(page.get_by_test_id("ledger-pager")).to_contain_text(f"共 {count} 条记录")
    page.get_by_test_id("ledger-pager").get_by_role("link", name="下一页").click()
    expect(rows).to_have_count(count - 20)
    expect(page.get_by_role("heading", name="贝里明细")).to_be_focused()


def test_the_beili_history_names_each_order_once_and_lines_up_the_balances(sized_page, demo):
    # Given wusir paid an order with 贝里 and cancelled it (the two rows the shop writes)
    page = sized_page
    wusir = Account.objects.get(username="wusir")
    order = Order.objects.create(
        payment_type=Order.PAY_BEILI,
        order_number=new_serial("O"),
        account=wusir,
        actual_amount=Decimal("0.00"),
        status=Order.STATUS_CANCELLED,
    )
    number = order.order_number
    beili_change(
        account=wusir,
        amount=50,
        transaction_type=TransactionRecord.TYPE_SPEND,
        memo=f"订单 {number}",
        order=order,
    )
    beili_change(
        account=wusir,
        amount=50,
        transaction_type=TransactionRecord.TYPE_REFUND,
        memo=f"订单 {number} 取消退回",
        order=order,
    )
    log_in(page, "wusir", "wusir-demo-123")
    page.goto("/#/beili")
    rows = page.get_by_test_id("ledger-row")
    expect(rows).to_have_count(3)

    # Then each row says its order once, as a link to it
    for row in rows.all()[:2]:
        assert row.inner_text().count(number) == 1, row.inner_text()
        expect(row.get_by_role("link", name=f"订单 {number}")).to_be_visible()
    expect(rows.first).to_contain_text("取消退回")

    # And every row's balance sits at the same place (the right edge), whatever its text
    rights = [
        round(box["x"] + box["width"])
        for box in (row.locator(".balance-after").bounding_box() for row in rows.all())
        if box
    ]
    assert len(set(rights)) == 1, rights
    page.screenshot(path=RESULTS / f"beili-{size_of(page)}.png", full_page=True)


def test_the_sticky_bar_never_covers_the_focused_element(sized_page, demo):
    # Given the catalogue, longer than the screen, with a message in the status region
    page = sized_page
    log_in(page, "alex", "alex-demo-123")
    expect(page.get_by_test_id("flash-ok")).to_be_visible()
    expect(page.locator("article.course").first).to_be_visible()

    # When the keyboard goes down through it and back up
    covered = []
    for key in ["Tab"] * 30 + ["Shift+Tab"] * 30:
        page.keyboard.press(key)
        where = page.evaluate(
            """() => { const el = document.activeElement;
            if (el === document.body || el.closest(".chrome")) return null;
            const r = el.getBoundingClientRect();
            const bar = document.querySelector(".chrome").getBoundingClientRect();
            return [el.textContent.trim().slice(0, 20), Math.round(r.top), Math.round(bar.bottom)]; }"""
        )
        if where and where[1] < where[2]:
            covered.append((key, *where))

    # Then the focused element is never under the sticky bar
    assert not covered, f"focus under the sticky bar at {size_of(page)}: {covered[:5]}"


def test_closing_a_message_with_the_keyboard_leaves_the_focus_on_the_screen(page, demo):
    # Given the welcome message after logging in
    log_in(page, "alex", "alex-demo-123")
    expect(page.locator("#view")).to_have_attribute("aria-busy", "false")
    expect(page.get_by_role("heading", name="课程", level=1)).to_be_focused()
    close = page.get_by_role("button", name="关闭提示")
    expect(close).to_be_visible()

    # When it is closed with the keyboard
    close.focus()
    page.keyboard.press("Enter")

    # Then the message is gone and the focus is on the screen's heading, not lost on the page
    expect(page.get_by_test_id("flash-ok")).to_have_count(0)
    expect(page.get_by_role("heading", name="课程", level=1)).to_be_focused()
