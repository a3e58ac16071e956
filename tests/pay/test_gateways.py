"""Choosing a gateway on POST /api/payment/ (1047), how an order was paid (payment_type), the
development gateway's signed URL, the start-up log, and Alipay's refund."""

from decimal import Decimal
from functools import partial

import pytest
from alipay import AliPay

from pay import gateways
from pay.gateways import dev
from pay.models import Order, TransactionRecord
from pay.settlement_store import settlement_read
from tests import helpers
from utils.errors import AppError

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ledgers_stay_consistent")]


pay = partial(helpers.pay, price="99.00")  # Python's price, unless a test says otherwise


# --- choosing the gateway -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["paypal", "", "WECHAT"])
def test_an_unknown_gateway_is_1047_and_writes_nothing(auth_api, python, checkout, name):
    checkout(auth_api, python)
    assert pay(auth_api, gateway=name).json()["code"] == 1047
    assert not Order.objects.exists()


@pytest.mark.parametrize("body", [{"gateway": 1}, {"gateway": None}, {"channel": "tv"}])
def test_a_gateway_or_channel_of_the_wrong_kind_is_1002(auth_api, python, checkout, body):
    checkout(auth_api, python)
    response = pay(auth_api, **body)
    assert (response.status_code, response.json()["code"]) == (400, 1002)


def test_with_debug_off_and_no_gateway_money_to_pay_is_1047_before_anything_is_written(
    auth_api, account, python, checkout, fund, settings
):
    # Given 50 贝里 and a settlement of ¥99.00, with DEBUG off and no gateway configured
    settings.DEBUG = False
    fund(account, 50)
    checkout(auth_api, python)

    # When the buyer pays ¥94.00 after 贝里 through Alipay (the default)
    body = pay(auth_api, balance=50, price="94.00").json()

    # Then the payment is refused, and the 贝里, the ledger and the settlement are untouched
    assert body["code"] == 1047
    assert not Order.objects.exists()
    account.refresh_from_db()
    assert account.balance == 50 and TransactionRecord.objects.count() == 1
    assert settlement_read(account.pk).course_ids == [python.pk]


def test_with_debug_off_an_order_paid_with_beili_needs_no_gateway(
    auth_api, account, python, checkout, fund, settings
):
    settings.DEBUG = False
    fund(account, 990)
    checkout(auth_api, python)
    body = pay(auth_api, balance=990, price="0.00", gateway="wechat").json()
    assert body["code"] == 1000 and body["data"]["gateway"] is None
    assert body["data"]["pay_url"] is None


# --- payment_type ---------------------------------------------------------------------------


def test_an_order_paid_by_beili_is_beili(auth_api, account, python, checkout, fund):
    fund(account, 990)
    checkout(auth_api, python)
    number = pay(auth_api, balance=990, price="0.00").json()["data"]["order_number"]
    assert Order.objects.get(order_number=number).payment_type == Order.PAY_BEILI


def test_an_order_paid_by_beili_and_coupons_is_beili(
    auth_api, account, python, checkout, fund, make_coupon, give_coupon
):
    fund(account, 890)
    record = give_coupon(account, make_coupon(money_equivalent_value=Decimal("10.00")))
    checkout(auth_api, python, global_coupon=record)
    number = pay(auth_api, balance=890, price="0.00").json()["data"]["order_number"]
    assert Order.objects.get(order_number=number).payment_type == Order.PAY_BEILI


def test_an_order_paid_by_coupons_alone_is_coupon(
    auth_api, account, python, checkout, make_coupon, give_coupon
):
    record = give_coupon(account, make_coupon(money_equivalent_value=Decimal("99.00")))
    checkout(auth_api, python, global_coupon=record)
    body = pay(auth_api, price="0.00").json()
    order = Order.objects.get(order_number=body["data"]["order_number"])
    assert order.payment_type == Order.PAY_COUPON and order.status == Order.STATUS_PAID


@pytest.mark.parametrize(
    ("name", "payment_type", "label"),
    [("alipay", Order.PAY_ALIPAY, "支付宝"), ("wechat", Order.PAY_WECHAT, "微信")],
)
def test_an_order_paid_through_a_gateway_names_it(
    auth_api, python, checkout, name, payment_type, label
):
    checkout(auth_api, python)
    data = pay(auth_api, gateway=name).json()["data"]
    assert data["gateway"] == name
    detail = auth_api.get(f"/api/orders/{data['order_number']}/").json()["data"]
    assert (detail["payment_type"], detail["payment_type_display"]) == (payment_type, label)


def test_without_a_gateway_name_alipay_takes_the_money(auth_api, python, checkout):
    checkout(auth_api, python)
    body = auth_api.post("/api/payment/", {"price": "99.00"}, format="json").json()
    assert body["data"]["gateway"] == "alipay"


# --- the development gateway's signature ----------------------------------------------------


@pytest.fixture
def wechat_dev_order(auth_api, python, checkout):
    checkout(auth_api, python)
    return pay(auth_api, gateway="wechat", channel="desktop").json()["data"]


def test_the_wechat_stand_in_offers_a_signed_page_and_a_code_to_scan(wechat_dev_order):
    number = wechat_dev_order["order_number"]
    assert wechat_dev_order["pay_url"] == dev.pay_url(number, Decimal("99.00"))
    assert wechat_dev_order["code_url"] == wechat_dev_order["pay_url"]
    assert wechat_dev_order["qr_code"].startswith("data:image/svg+xml")
    # derived again on every read (signing is local), so nothing is kept on the order
    assert Order.objects.get(order_number=number).code_url is None


def test_the_wechat_stand_in_page_looks_like_wechat(api, wechat_dev_order):
    page = api.get(wechat_dev_order["pay_url"]).content.decode()
    assert "微信支付(开发)" in page and "请使用微信扫一扫" in page and "¥99.00" in page


@pytest.mark.parametrize(
    "forge",
    [
        lambda number: f"/api/payment/dev_gateway/{number}/",
        lambda number: f"/api/payment/dev_gateway/{number}/?sign=",
        lambda number: f"/api/payment/dev_gateway/{number}/?sign=forged",
        lambda number: (
            f"/api/payment/dev_gateway/{number}/?sign={dev.signature(number, Decimal(1))}"
        ),
        lambda number: (
            f"/api/payment/dev_gateway/{number}/?sign={dev.signature('O1', Decimal(99))}"
        ),
    ],
    ids=["no-signature", "empty", "forged", "another-amount", "another-order"],
)
def test_a_dev_gateway_post_without_the_orders_signature_is_1045_and_pays_nothing(
    api, wechat_dev_order, forge
):
    number = wechat_dev_order["order_number"]
    for method in (api.get, api.post):
        response = method(forge(number))
        assert (response.status_code, response.json()["code"]) == (400, 1045)
    order = Order.objects.get(order_number=number)
    assert order.status == Order.STATUS_UNPAID and order.payment_number is None


def test_a_signature_made_with_another_secret_key_is_refused(api, wechat_dev_order, settings):
    url = wechat_dev_order["pay_url"]
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789abcdef"
    assert api.post(url).json()["code"] == 1045


def test_the_dev_gateway_pays_with_the_signed_url_and_records_wechat(api, wechat_dev_order):
    response = api.post(wechat_dev_order["pay_url"])
    assert response.json()["data"]["status"] == Order.STATUS_PAID
    order = Order.objects.get(order_number=wechat_dev_order["order_number"])
    assert order.payment_type == Order.PAY_WECHAT and order.payment_number.startswith("DEV")


def test_the_dev_gateway_stands_back_once_the_real_gateway_is_configured(
    api, wechat_dev_order, settings, monkeypatch
):
    from pay.gateways import wechat

    monkeypatch.setattr(wechat, "is_configured", lambda: True)
    assert api.post(wechat_dev_order["pay_url"]).status_code == 404


def test_the_dev_gateway_refunds_locally(wechat_dev_order):
    order = Order.objects.get(order_number=wechat_dev_order["order_number"])
    gateway = gateways.for_order(order)
    assert isinstance(gateway, dev.DevGateway) and gateway.name == "wechat"
    assert gateway.refund(order_number=order.order_number, amount=order.actual_amount)


# --- which gateways are active --------------------------------------------------------------


def test_start_up_says_which_gateways_take_money(settings, caplog):
    settings.DEBUG = False
    caplog.set_level("INFO", logger="settlement")
    gateways.log_active()
    assert "Payment gateways: alipay=off, wechat=off" in caplog.text
    assert "refused (1047)" in caplog.text


def test_with_debug_on_the_development_gateway_stands_in_for_both():
    assert set(gateways.active().values()) == {"development gateway (DEBUG, not configured)"}


def test_an_order_paid_with_beili_has_no_gateway_to_refund_through(account):
    order = Order(payment_type=Order.PAY_BEILI, order_number="O1", account=account)
    with pytest.raises(AppError) as caught:
        gateways.for_order(order)
    assert caught.value.error.code == 1047


# --- Alipay's refund ------------------------------------------------------------------------


@pytest.fixture
def alipay_configured(settings, monkeypatch):
    from pay.gateways import alipay

    monkeypatch.setattr(alipay, "is_configured", lambda: True)
    monkeypatch.setattr(alipay, "_client", lambda: AliPay.__new__(AliPay))
    return settings


def test_an_alipay_refund_uses_the_order_number_as_its_request_number(
    alipay_configured, monkeypatch
):
    sent = {}

    def refund(self, refund_amount, out_trade_no=None, **kwargs):
        sent.update(refund_amount=refund_amount, out_trade_no=out_trade_no, **kwargs)
        return {"code": "10000", "msg": "Success", "trade_no": "2026112522001"}

    monkeypatch.setattr(AliPay, "api_alipay_trade_refund", refund)
    reference = gateways.get("alipay").refund(
        order_number="O7", amount=Decimal("59.5"), reason="退课"
    )
    assert reference == "2026112522001"
    assert sent == {
        "refund_amount": "59.50",
        "out_trade_no": "O7",
        "out_request_no": "O7",
        "refund_reason": "退课",
    }


@pytest.mark.parametrize(
    "answer",
    [{"code": "40004", "sub_msg": "交易不存在"}, OSError("unreachable")],
    ids=["refused", "unreachable"],
)
def test_an_alipay_refund_that_fails_is_1048(alipay_configured, monkeypatch, answer):
    def refund(self, *args, **kwargs):
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(AliPay, "api_alipay_trade_refund", refund)
    with pytest.raises(AppError) as caught:
        gateways.get("alipay").refund(order_number="O7", amount=Decimal("1.00"))
    assert caught.value.error.code == 1048
