"""WeChat Pay v3 through wechatpayv3, offline: Native and H5 orders, the notification (platform
signature, AES-256-GCM resource, amount), refunds, and a gateway that refuses or is unreachable.
Every HTTP call the SDK makes is answered here, signed by a platform key the tests generate."""

import json
from decimal import Decimal

import pytest
import requests

from pay import gateways
from pay.gateways import wechat
from pay.models import Order, TransactionRecord
from pay.settlement_store import settlement_read
from tests.pay import wechat_fakes as fakes
from utils.errors import AppError

pytestmark = pytest.mark.django_db
NOTIFY = "/api/payment/wechat/notify/"
CODE_URL = "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"


def pay_wechat(api, *, price="99.00", balance=0, user_agent="", **extra):
    body = {"balance": balance, "price": price, "gateway": "wechat", **extra}
    return api.post("/api/payment/", body, format="json", HTTP_USER_AGENT=user_agent)


@pytest.fixture
def native_order(auth_api, python, checkout, wechat_server):
    checkout(auth_api, python)
    wechat_server.reply(200, {"code_url": CODE_URL})
    body = pay_wechat(auth_api, channel="desktop").json()
    assert body["code"] == 1000, body
    return Order.objects.get(order_number=body["data"]["order_number"])


def notify(api, platform, order_number, total_fen=9900, **options):
    resource = fakes.transaction(order_number, total_fen, **options.pop("changes", {}))
    body, headers = fakes.notification(platform, resource, **options)
    return api.generic("POST", NOTIFY, body, content_type="application/json", **headers)


# --- paying ---------------------------------------------------------------------------------


def test_a_desktop_gets_a_native_code_url_and_its_qr_code(
    auth_api, python, checkout, wechat_server
):
    checkout(auth_api, python)
    wechat_server.reply(200, {"code_url": CODE_URL})

    data = pay_wechat(auth_api, channel="desktop").json()["data"]

    assert data["gateway"] == "wechat" and data["pay_url"] is None
    assert data["code_url"] == CODE_URL
    assert data["qr_code"].startswith("data:image/svg+xml")
    order = Order.objects.get(order_number=data["order_number"])
    assert order.payment_type == Order.PAY_WECHAT and order.code_url == CODE_URL
    (call,) = wechat_server.calls
    assert call["url"] == "https://api.mch.weixin.qq.com/v3/pay/transactions/native"
    assert call["json"]["out_trade_no"] == order.order_number
    assert call["json"]["amount"] == {"total": 9900, "currency": "CNY"}
    assert call["json"]["mchid"] == fakes.MCHID and call["json"]["appid"] == fakes.APPID
    assert call["json"]["time_expire"].endswith("+08:00")
    assert call["headers"]["Authorization"].startswith("WECHATPAY2-SHA256-RSA2048 ")


def test_the_order_shows_its_code_again_without_asking_wechat(
    auth_api, native_order, wechat_server
):
    calls = len(wechat_server.calls)
    order = auth_api.get(f"/api/orders/{native_order.order_number}/").json()["data"]
    assert order["gateway"] == "wechat" and order["code_url"] == CODE_URL
    assert order["qr_code"].startswith("data:image/svg+xml")
    assert order["pay_deadline"] is not None
    (listed,) = auth_api.get("/api/orders/").json()["data"]["results"]
    assert listed["code_url"] == CODE_URL and listed["qr_code"] is None  # drawn on the order only
    assert len(wechat_server.calls) == calls


def test_a_phone_gets_the_h5_page_with_the_way_back_to_the_shop(
    auth_api, python, checkout, wechat_server
):
    checkout(auth_api, python)
    h5 = "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1&package=1"
    wechat_server.reply(200, {"h5_url": h5})
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"

    data = pay_wechat(auth_api, user_agent=iphone).json()["data"]

    assert data["code_url"] is None
    assert data["pay_url"].startswith(h5 + "&redirect_url=https%3A%2F%2Fshop.example.com")
    (call,) = wechat_server.calls
    assert call["url"].endswith("/v3/pay/transactions/h5")
    assert call["json"]["scene_info"] == {
        "payer_client_ip": "127.0.0.1",
        "h5_info": {"type": "Wap"},
    }


def test_paying_an_h5_order_again_asks_wechat_for_a_fresh_page(
    auth_api, python, checkout, wechat_server
):
    checkout(auth_api, python)
    wechat_server.reply(200, {"h5_url": "https://wx.tenpay.com/checkmweb?prepay_id=wx1"})
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
    number = pay_wechat(auth_api, user_agent=iphone).json()["data"]["order_number"]
    order = auth_api.get(f"/api/orders/{number}/").json()["data"]
    assert (order["can_pay"], order["code_url"]) == (True, None)  # the five-minute link is not kept

    wechat_server.reply(200, {"h5_url": "https://wx.tenpay.com/checkmweb?prepay_id=wx2"})
    data = auth_api.post(f"/api/orders/{number}/pay/").json()["data"]

    assert data["pay_url"].startswith("https://wx.tenpay.com/checkmweb?prepay_id=wx2")
    assert [c["json"]["out_trade_no"] for c in wechat_server.calls] == [number, number]
    assert wechat_server.calls[1]["url"].endswith("/v3/pay/transactions/h5")


@pytest.mark.parametrize(
    "failure",
    [(400, {"code": "PARAM_ERROR", "message": "bad"}), requests.ConnectionError("down")],
    ids=["refused", "unreachable"],
)
def test_wechat_failing_to_take_the_order_is_1048_and_nothing_is_written(
    auth_api, account, python, checkout, fund, wechat_server, failure
):
    fund(account, 100)
    checkout(auth_api, python)
    wechat_server.replies.append(failure)

    response = pay_wechat(auth_api, balance=100, price="89.00", channel="desktop")

    assert (response.status_code, response.json()["code"]) == (502, 1048)
    assert "down" not in response.json()["error"]  # the exception's text stays in the log
    assert not Order.objects.exists()
    account.refresh_from_db()
    assert account.balance == 100 and TransactionRecord.objects.count() == 1
    assert settlement_read(account.pk).course_ids == [python.pk]


def test_an_unconfigured_wechat_with_debug_off_is_1047(auth_api, python, checkout, settings):
    settings.DEBUG = False
    checkout(auth_api, python)
    assert pay_wechat(auth_api).json()["code"] == 1047
    assert not Order.objects.exists()


def test_a_short_apiv3_key_leaves_wechat_unconfigured(wechat_settings):
    wechat_settings.WECHAT_APIV3_KEY = "too-short"
    assert not wechat.is_configured()


# --- the notification ---------------------------------------------------------------------


def test_a_verified_notification_marks_the_order_paid(api, platform, native_order):
    response = notify(api, platform, native_order.order_number)
    assert response.status_code == 204
    native_order.refresh_from_db()
    assert native_order.status == Order.STATUS_PAID
    assert native_order.payment_number.startswith("4200000")
    assert native_order.payment_type == Order.PAY_WECHAT


def test_a_replayed_notification_is_harmless(api, platform, native_order):
    resource = fakes.transaction(native_order.order_number, 9900)
    body, headers = fakes.notification(platform, resource)
    first = api.generic("POST", NOTIFY, body, content_type="application/json", **headers)
    native_order.refresh_from_db()
    paid_at = native_order.pay_time

    again = api.generic("POST", NOTIFY, body, content_type="application/json", **headers)

    assert first.status_code == again.status_code == 204
    native_order.refresh_from_db()
    assert native_order.status == Order.STATUS_PAID and native_order.pay_time == paid_at


def test_a_notification_signed_by_another_key_is_1045_and_changes_nothing(
    api, platform, native_order
):
    response = notify(api, platform, native_order.order_number, signed_by=fakes.rsa_key())
    assert (response.status_code, response.json()["code"]) == (400, 1045)
    native_order.refresh_from_db()
    assert native_order.status == Order.STATUS_UNPAID


def test_a_notification_whose_body_was_changed_after_signing_is_1045(api, platform, native_order):
    resource = fakes.transaction(native_order.order_number, 9900)
    body, headers = fakes.notification(platform, resource)
    tampered = body.replace("TRANSACTION.SUCCESS", "TRANSACTION.SUCCESS ")
    response = api.generic("POST", NOTIFY, tampered, content_type="application/json", **headers)
    assert response.json()["code"] == 1045


def test_a_notification_with_the_wrong_amount_is_1045(api, platform, native_order):
    response = notify(api, platform, native_order.order_number, total_fen=990)
    assert (response.status_code, response.json()["code"]) == (400, 1045)
    native_order.refresh_from_db()
    assert native_order.status == Order.STATUS_UNPAID


def test_a_notification_for_an_unknown_order_is_1045(api, platform, wechat_settings):
    assert notify(api, platform, "O-no-such-order").json()["code"] == 1045


@pytest.mark.parametrize(
    "changes",
    [{"mchid": "1900000999"}, {"appid": "wx-another"}, {"amount": {"total": "9900"}}],
    ids=["another-merchant", "another-app", "amount-as-text"],
)
def test_a_notification_for_another_merchant_or_app_or_a_bad_amount_is_1045(
    api, platform, native_order, changes
):
    response = notify(api, platform, native_order.order_number, changes=changes)
    assert response.json()["code"] == 1045
    native_order.refresh_from_db()
    assert native_order.status == Order.STATUS_UNPAID


def test_a_resource_sealed_with_another_apiv3_key_is_1045(api, platform, native_order):
    other = "b" * 32
    response = notify(api, platform, native_order.order_number, apiv3_key=other)
    assert response.json()["code"] == 1045


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_WECHATPAY_SERIAL": "zz-not-hex", "HTTP_WECHATPAY_SIGNATURE_TYPE": "x"}],
    ids=["no-headers", "garbage-headers"],
)
def test_a_notification_without_wechats_headers_is_1045_not_a_500(api, wechat_settings, headers):
    response = api.generic("POST", NOTIFY, "{not json", content_type="application/json", **headers)
    assert (response.status_code, response.json()["code"]) == (400, 1045)


def test_a_notification_that_is_not_a_payment_changes_nothing(api, platform, native_order):
    changes = {"trade_state": "REFUND"}
    response = notify(api, platform, native_order.order_number, changes=changes)
    assert response.status_code == 204
    native_order.refresh_from_db()
    assert native_order.status == Order.STATUS_UNPAID


def test_without_wechat_settings_the_notify_endpoint_verifies_nothing(api, platform, settings):
    settings.WECHAT_MCHID = ""
    assert notify(api, platform, "O1").json()["code"] == 1045


# --- refunds --------------------------------------------------------------------------------


def test_a_refund_goes_back_through_wechat_once_per_order(
    api, platform, native_order, wechat_server
):
    notify(api, platform, native_order.order_number)
    native_order.refresh_from_db()
    wechat_server.reply(200, {"refund_id": "50000000382019052709732678859", "status": "PROCESSING"})

    gateway = gateways.for_order(native_order)
    reference = gateway.refund(
        order_number=native_order.order_number, amount=native_order.actual_amount, reason="不想学了"
    )

    assert gateway.name == "wechat" and reference == "50000000382019052709732678859"
    call = wechat_server.calls[-1]
    assert call["url"].endswith("/v3/refund/domestic/refunds")
    assert (
        call["json"]["out_refund_no"] == call["json"]["out_trade_no"] == native_order.order_number
    )
    assert call["json"]["amount"] == {"refund": 9900, "total": 9900, "currency": "CNY"}


def test_a_refund_wechat_refuses_is_1048(native_order, wechat_server):
    wechat_server.reply(403, {"code": "NOT_ENOUGH", "message": "余额不足"})
    with pytest.raises(AppError) as caught:
        gateways.for_order(native_order).refund(
            order_number=native_order.order_number, amount=Decimal("99.00")
        )
    assert caught.value.error.code == 1048


def test_amounts_go_to_wechat_in_fen():
    assert wechat.fen(Decimal("99.00")) == 9900
    assert wechat.fen(Decimal("0.01")) == 1
    assert wechat.fen(Decimal("1234.56")) == 123456


def test_a_notification_body_is_read_exactly_as_sent(api, platform, native_order):
    # Key order and spacing are part of what WeChat signs: nothing may re-serialise the body.
    resource = fakes.transaction(native_order.order_number, 9900)
    body, _ = fakes.notification(platform, resource)
    spaced = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    headers = fakes.signed_headers(platform, spaced)
    response = api.generic("POST", NOTIFY, spaced, content_type="application/json", **headers)
    assert response.status_code == 204
