"""Coupon factories, the development gateway and an offline WeChat Pay for the pay tests."""

from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from course.models import Course
from pay.gateways import wechat
from pay.models import Coupon, CouponRecord
from pay.serials import new_serial
from tests.helpers import add_to_cart, patch_settlement, settle
from tests.pay import wechat_fakes as fakes


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def make_coupon(db, today):
    """A valid rule: 通用券 of 10.00, claimable and valid for 30 days around today, global unless
    `course` is given."""

    def make(course: Course | None = None, **fields) -> Coupon:
        defaults = {
            "name": "coupon",
            "coupon_type": Coupon.TYPE_GENERAL,
            "money_equivalent_value": Decimal("10.00"),
            "open_date": today - timedelta(days=1),
            "close_date": today + timedelta(days=30),
            "valid_begin_date": today - timedelta(days=1),
            "valid_end_date": today + timedelta(days=30),
        }
        if course is not None:
            defaults["content_type"] = ContentType.objects.get_for_model(Course)
            defaults["object_id"] = course.pk
        defaults.update(fields)
        return Coupon.objects.create(**defaults)

    return make


@pytest.fixture
def give_coupon(db):
    """A record of `rule` held by `account`, claimed `days_ago` days ago."""

    def give(account, rule: Coupon, status=CouponRecord.STATUS_UNUSED, days_ago=0) -> CouponRecord:
        seq = CouponRecord.objects.filter(account=account, coupon=rule).count() + 1
        get_time = timezone.now() - timedelta(days=days_ago)
        return CouponRecord.objects.create(
            coupon=rule,
            account=account,
            number=new_serial("C"),
            status=status,
            get_time=get_time,
            used_time=get_time if status == CouponRecord.STATUS_USED else None,
            claim_seq=seq,
        )

    return give


@pytest.fixture
def fund(db):
    """Give an account 贝里 the way the product does: through the ledger."""
    from pay.ledger import beili_change
    from pay.models import TransactionRecord

    def fund(account, beili: int):
        beili_change(account=account, amount=beili, transaction_type=TransactionRecord.TYPE_INCOME)
        account.refresh_from_db()
        return account

    return fund


def assert_ledgers_consistent():
    """Every account's balance equals its ledger's running sum, and each row's `balance` is the
    running sum up to it."""
    from course.models import Account
    from pay.models import TransactionRecord

    for account in Account.objects.all():
        running = 0
        for row in TransactionRecord.objects.filter(account=account).order_by("id"):
            running += row.signed_amount
            assert row.balance == running, (account.username, row.transaction_number)
        assert account.balance == running, account.username
        assert account.balance >= 0


@pytest.fixture
def staff(django_user_model):
    """A superuser's admin session (a module may define its own, narrower staff)."""
    from django.test import Client

    user = django_user_model.objects.create_superuser("admin", "a@example.com", "admin-pass-1")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ledgers_stay_consistent(db):
    """After the test, every ledger still adds up (a module asks for it with usefixtures)."""
    yield
    assert_ledgers_consistent()


@pytest.fixture
def checkout(make_course):
    """Put courses into `api`'s cart and settle them; returns the settlement data."""

    def checkout(api, *courses, global_coupon=None, course_coupons=None):
        for course in courses:
            add_to_cart(api, course)
        body = settle(api, [c.pk for c in courses])
        assert body["code"] == 1000, body
        for course, record in (course_coupons or {}).items():
            body = patch_settlement(api, course_id=course.pk, coupon_id=record.pk)
            assert body["code"] == 1000, body
        if global_coupon is not None:
            body = patch_settlement(api, global_coupon_id=global_coupon.pk)
            assert body["code"] == 1000, body
        return body["data"]

    return checkout


@pytest.fixture(autouse=True)
def dev_gateway(settings):
    """Money left to pay goes through the development gateway (DEBUG on, no gateway configured),
    unless a test configures a gateway or turns DEBUG off."""
    settings.DEBUG = True
    settings.ALIPAY_APP_ID = ""
    settings.WECHAT_MCHID = ""
    return settings


# --- WeChat Pay, offline (tests/pay/wechat_fakes.py) ------------------------------------------


@pytest.fixture(scope="session")
def merchant_key():
    return fakes.rsa_key()


@pytest.fixture(scope="session")
def platform():
    return fakes.make_platform()


@pytest.fixture
def wechat_settings(settings, tmp_path, merchant_key, platform):
    """WeChat Pay configured: the merchant's key in a file, the platform certificate in the
    certificate directory (so the SDK never downloads one)."""
    (tmp_path / "apiclient_key.pem").write_text(fakes.private_pem(merchant_key))
    certs = tmp_path / "wechatpay_certs"
    certs.mkdir()
    (certs / f"{platform.serial}.pem").write_text(platform.pem())
    settings.WECHAT_MCHID = fakes.MCHID
    settings.WECHAT_APPID = fakes.APPID
    settings.WECHAT_PRIVATE_KEY = ""
    settings.WECHAT_PRIVATE_KEY_PATH = str(tmp_path / "apiclient_key.pem")
    settings.WECHAT_CERT_SERIAL_NO = fakes.MERCHANT_SERIAL
    settings.WECHAT_APIV3_KEY = fakes.APIV3_KEY
    settings.WECHAT_NOTIFY_URL = "https://shop.example.com/api/payment/wechat/notify/"
    settings.WECHAT_CERT_DIR = str(certs)
    settings.WECHAT_H5_REDIRECT_URL = "https://shop.example.com/#/payment/{order_number}"
    wechat._client_for.cache_clear()
    yield settings
    wechat._client_for.cache_clear()


class WeChatServer:
    """Stands in for api.mch.weixin.qq.com: records each request, answers the next reply."""

    def __init__(self, platform):
        self.platform = platform
        self.calls = []
        self.replies = []

    def reply(self, status, payload):
        self.replies.append((status, payload))

    def post(self, url, json=None, headers=None, **kwargs):
        self.calls.append({"url": url, "json": json, "headers": headers})
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return fakes.FakeResponse(self.platform, *reply)


@pytest.fixture
def wechat_server(monkeypatch, platform, wechat_settings):
    server = WeChatServer(platform)
    monkeypatch.setattr(requests, "post", server.post)
    return server


# Orders in each state (refunds, timeouts, receipts, admin): fixtures kept in their own module.
from tests.pay.order_fixtures import course_coupon, paid_order, place_order, python  # noqa: E402, F401
