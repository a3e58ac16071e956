"""pay.gateways.alipay.refund: python-alipay-sdk's alipay.trade.refund, answered here by a fake Alipay
that signs its answers with a key generated for the test (no network)."""

import base64
import io
import json
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import alipay as alipay_sdk
import pytest
from Cryptodome.Hash import SHA256
from Cryptodome.PublicKey import RSA
from Cryptodome.Signature import PKCS1_v1_5

from pay import order_services
from pay.gateways import alipay as alipay_gateway
from pay.models import Order
from utils.errors import AppError


@pytest.fixture(scope="module")
def keys():
    return {"app": RSA.generate(2048), "alipay": RSA.generate(2048)}


@pytest.fixture
def alipay_settings(settings, keys):
    settings.ALIPAY_APP_ID = "2021000000000001"
    settings.ALIPAY_APP_PRIVATE_KEY = keys["app"].export_key().decode()
    settings.ALIPAY_PUBLIC_KEY = keys["alipay"].publickey().export_key().decode()
    return settings


def signed_answer(keys, body: dict) -> bytes:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    digest = SHA256.new(content.encode())
    signature = base64.b64encode(PKCS1_v1_5.new(keys["alipay"]).sign(digest)).decode()
    return f'{{"alipay_trade_refund_response":{content},"sign":"{signature}"}}'.encode()


@pytest.fixture
def fake_alipay(monkeypatch, keys):
    """Alipay's gateway: records each request's biz_content and answers `answer`."""
    calls = []
    state = {"answer": {"code": "10000", "msg": "Success", "fund_change": "Y", "trade_no": "T9"}}

    def urlopen(url, timeout=None):
        query = parse_qs(urlsplit(url).query)
        calls.append({"method": query["method"][0], **json.loads(query["biz_content"][0])})
        if isinstance(state["answer"], Exception):
            raise state["answer"]
        return io.BytesIO(signed_answer(keys, state["answer"]))

    monkeypatch.setattr(alipay_sdk, "urlopen", urlopen)
    return calls, state


def refund(number="O1"):
    return alipay_gateway.refund(order_number=number, amount=Decimal("79.00"), reason="r")


def test_a_refund_asks_alipay_with_the_order_number_as_the_request_number(
    alipay_settings, fake_alipay
):
    calls, _ = fake_alipay
    assert refund("O123") == "T9"
    assert calls == [
        {
            "method": "alipay.trade.refund",
            "refund_amount": "79.00",
            "out_trade_no": "O123",
            "out_request_no": "O123",
            "refund_reason": "r",
        }
    ]


def test_a_retry_sends_the_same_request_number_so_alipay_refunds_once(alipay_settings, fake_alipay):
    calls, _ = fake_alipay
    refund("O7")
    refund("O7")
    assert {c["out_request_no"] for c in calls} == {"O7"}


def test_alipay_refusing_is_1048(alipay_settings, fake_alipay):
    _, state = fake_alipay
    state["answer"] = {"code": "40004", "msg": "Business Failed", "sub_msg": "交易已关闭"}
    with pytest.raises(AppError) as refused:
        refund()
    assert refused.value.error.code == 1048
    assert "交易已关闭" in refused.value.detail


def test_alipay_unreachable_is_1048(alipay_settings, fake_alipay):
    _, state = fake_alipay
    state["answer"] = OSError("connection refused")
    with pytest.raises(AppError) as failed:
        refund()
    assert failed.value.error.code == 1048


def test_an_answer_with_a_bad_signature_is_1048(alipay_settings, fake_alipay, monkeypatch):
    monkeypatch.setattr(
        alipay_sdk, "urlopen", lambda url, timeout=None: io.BytesIO(b'{"x":1,"sign":"AAAA"}')
    )
    with pytest.raises(AppError) as failed:
        refund()
    assert failed.value.error.code == 1048


def test_without_alipay_keys_only_the_development_gateway_refunds_and_only_with_debug(settings):
    settings.ALIPAY_APP_ID = ""
    order = Order(order_number="O1", payment_type=Order.PAY_ALIPAY, actual_amount=Decimal("79"))
    settings.DEBUG = True
    assert order_services._refund_through_gateway(order, reason="r").endswith("DEVREFUNDO1")
    settings.DEBUG = False
    with pytest.raises(AppError) as failed:
        order_services._refund_through_gateway(order, reason="r")
    assert failed.value.error.code == 1048
