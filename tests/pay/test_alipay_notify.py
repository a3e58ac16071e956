"""Alipay: page-pay URLs signed with the app's key, and notifications signed as Alipay signs them,
with key pairs generated here (no network)."""

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from Cryptodome.Hash import SHA256
from Cryptodome.PublicKey import RSA
from Cryptodome.Signature import PKCS1_v1_5

from pay.gateways import alipay as alipay_gateway
from pay.gateways import dev
from pay.models import Order
from utils.errors import AppError

APP_ID = "2021000000000001"


@pytest.fixture(scope="module")
def keys():
    app, alipay = RSA.generate(2048), RSA.generate(2048)
    return {"app": app, "alipay": alipay}


@pytest.fixture
def alipay_settings(settings, keys):
    settings.ALIPAY_APP_ID = APP_ID
    settings.ALIPAY_APP_PRIVATE_KEY = keys["app"].export_key().decode()
    settings.ALIPAY_PUBLIC_KEY = keys["alipay"].publickey().export_key().decode()
    settings.ALIPAY_SANDBOX = True
    return settings


def unsigned_string(params: dict, skip=("sign", "sign_type")) -> str:
    """Alipay's string to sign: sorted k=v pairs. Notifications leave out sign and sign_type;
    requests leave out only sign."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in skip)


def sign(params: dict, key) -> dict:
    digest = SHA256.new(unsigned_string(params).encode())
    signature = base64.b64encode(PKCS1_v1_5.new(key).sign(digest)).decode()
    return {**params, "sign": signature, "sign_type": "RSA2"}


def notification(keys, order_number="O1", amount="99.00", app_id=APP_ID, status="TRADE_SUCCESS"):
    return sign(
        {
            "app_id": app_id,
            "out_trade_no": order_number,
            "trade_no": "2026112522001400000000000001",
            "total_amount": amount,
            "trade_status": status,
            "notify_time": "2026-11-25 12:00:00",
        },
        keys["alipay"],
    )


def test_a_correctly_signed_notification_verifies_and_parses(alipay_settings, keys):
    notice = alipay_gateway.verify_notification(notification(keys))
    assert notice.order_number == "O1"
    assert notice.total_amount == Decimal("99.00")
    assert notice.is_paid


@pytest.mark.parametrize(
    "tamper",
    [
        lambda n: {**n, "total_amount": "1.00"},
        lambda n: {k: v for k, v in n.items() if k != "sign"},
        lambda n: {**n, "sign": "not base64 at all!"},
        lambda n: {**n, "sign": base64.b64encode(b"x" * 256).decode()},
        lambda n: {k: v for k, v in n.items() if k != "out_trade_no"},
    ],
    ids=["amount", "no-sign", "garbage-sign", "wrong-sign", "no-order"],
)
def test_a_tampered_or_incomplete_notification_is_1045(alipay_settings, keys, tamper):
    with pytest.raises(AppError) as caught:
        alipay_gateway.verify_notification(tamper(notification(keys)))
    assert caught.value.error.code == 1045


def test_a_notification_signed_by_another_key_is_1045(alipay_settings, keys):
    forged = notification({"alipay": RSA.generate(2048)})
    with pytest.raises(AppError):
        alipay_gateway.verify_notification(forged)


def test_a_notification_for_another_app_is_1045(alipay_settings, keys):
    with pytest.raises(AppError):
        alipay_gateway.verify_notification(notification(keys, app_id="2021999"))


@pytest.mark.parametrize("amount", ["abc", "1.001", "-5.00", "0"])
def test_a_notification_with_a_bad_amount_is_1045(alipay_settings, keys, amount):
    with pytest.raises(AppError):
        alipay_gateway.verify_notification(notification(keys, amount=amount))


def test_page_pay_url_is_signed_by_the_app_key(alipay_settings, keys):
    url = alipay_gateway.page_pay_url(order_number="O1", amount=Decimal("78.5"), subject="订单")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == alipay_gateway.SANDBOX_GATEWAY
    params = dict(parse_qsl(parts.query))
    assert params["app_id"] == APP_ID
    assert params["method"] == "alipay.trade.page.pay"
    assert '"total_amount":"78.50"' in params["biz_content"].replace(" ", "")
    digest = SHA256.new(unsigned_string(params, skip=("sign",)).encode())
    assert PKCS1_v1_5.new(keys["app"].publickey()).verify(digest, base64.b64decode(params["sign"]))


def test_page_pay_url_closes_the_trade_when_the_order_times_out(alipay_settings, keys):
    expires = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)  # 09:30 in Beijing
    url = alipay_gateway.page_pay_url(
        order_number="O1", amount=Decimal("1"), subject="x", expires_at=expires
    )
    biz = json.loads(dict(parse_qsl(urlsplit(url).query))["biz_content"])
    assert biz["time_expire"] == "2026-11-25 09:30:00"


def test_page_pay_url_without_alipay_settings_is_the_dev_gateway(settings):
    settings.ALIPAY_APP_ID = ""
    url = alipay_gateway.page_pay_url(order_number="O1", amount=Decimal("1"), subject="x")
    assert url == f"/api/payment/dev_gateway/O1/?sign={dev.signature('O1', Decimal('1'))}"


def test_keys_load_from_files(settings, keys, tmp_path):
    (tmp_path / "app.pem").write_bytes(keys["app"].export_key())
    (tmp_path / "alipay.pem").write_bytes(keys["alipay"].publickey().export_key())
    settings.ALIPAY_APP_ID = APP_ID
    settings.ALIPAY_APP_PRIVATE_KEY = settings.ALIPAY_PUBLIC_KEY = ""
    settings.ALIPAY_APP_PRIVATE_KEY_PATH = str(tmp_path / "app.pem")
    settings.ALIPAY_PUBLIC_KEY_PATH = str(tmp_path / "alipay.pem")
    assert alipay_gateway.verify_notification(notification(keys)).is_paid


# --- through the notify endpoint ---------------------------------------------------------


@pytest.fixture
def unpaid_order(auth_api, make_course, checkout, alipay_settings):
    checkout(auth_api, make_course("Python", prices=[("30", "99.00")]))
    body = auth_api.post("/api/payment/", {"balance": 0, "price": "99.00"}, format="json").json()
    assert body["data"]["pay_url"].startswith(alipay_gateway.SANDBOX_GATEWAY)
    return Order.objects.get(order_number=body["data"]["order_number"])


@pytest.mark.django_db
def test_the_notify_endpoint_marks_the_order_paid_once_and_answers_success(api, keys, unpaid_order):
    data = notification(keys, order_number=unpaid_order.order_number)
    first = api.post("/api/payment/alipay/notify/", data)
    again = api.post("/api/payment/alipay/notify/", data)
    assert first.content == again.content == b"success"
    unpaid_order.refresh_from_db()
    assert unpaid_order.status == Order.STATUS_PAID
    assert unpaid_order.payment_number == data["trade_no"]


@pytest.mark.django_db
def test_the_notify_endpoint_refuses_a_wrong_amount(api, keys, unpaid_order):
    data = notification(keys, order_number=unpaid_order.order_number, amount="9.90")
    response = api.post("/api/payment/alipay/notify/", data)
    assert response.status_code == 400
    assert response.json()["code"] == 1045
    unpaid_order.refresh_from_db()
    assert unpaid_order.status == Order.STATUS_UNPAID


@pytest.mark.django_db
def test_the_notify_endpoint_refuses_a_forged_notification(api, unpaid_order):
    forged = notification({"alipay": RSA.generate(2048)}, order_number=unpaid_order.order_number)
    assert api.post("/api/payment/alipay/notify/", forged).json()["code"] == 1045


@pytest.mark.django_db
def test_an_unpaid_trade_status_changes_nothing(api, keys, unpaid_order):
    data = notification(keys, order_number=unpaid_order.order_number, status="WAIT_BUYER_PAY")
    assert api.post("/api/payment/alipay/notify/", data).content == b"success"
    unpaid_order.refresh_from_db()
    assert unpaid_order.status == Order.STATUS_UNPAID


@pytest.mark.django_db
def test_the_return_url_sends_the_browser_to_the_orders_page(api):
    response = api.get("/api/payment/alipay/return/?out_trade_no=O1&sign=x")
    assert response.status_code == 302
    assert response["Location"] == "/#/orders?order=O1"
