"""GET /api/orders/ in pages, and POST /api/orders/<n>/pay/: a pay URL signed only when asked."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from pay import gateways
from pay.gateways import alipay as alipay_gateway
from pay.gateways import dev
from pay.models import Order
from pay.serials import new_serial

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_orders(account):
    def make(n, status=Order.STATUS_UNPAID, owner=None):
        return [
            Order.objects.create(
                payment_type=Order.PAY_ALIPAY,
                order_number=new_serial("O"),
                account=owner or account,
                actual_amount=Decimal("10.00"),
                status=status,
            )
            for _ in range(n)
        ]

    return make


@pytest.fixture
def signatures(monkeypatch):
    """Counts the orders a gateway is asked where to pay (an RSA signing for Alipay)."""
    signed = []
    real = gateways.pay_action

    def counting(order, **kwargs):
        signed.append(order.order_number)
        return real(order, **kwargs)

    monkeypatch.setattr(gateways, "pay_action", counting)
    return signed


def test_listing_unpaid_orders_signs_no_pay_url(auth_api, make_orders, signatures):
    make_orders(20)
    body = auth_api.get("/api/orders/").json()
    assert body["code"] == 1000
    assert len(body["data"]["results"]) == 20
    assert all(o["can_pay"] and "pay_url" not in o for o in body["data"]["results"])
    assert signatures == []


def test_reading_an_unpaid_order_signs_no_pay_url(auth_api, make_orders, signatures):
    [order] = make_orders(1)
    body = auth_api.get(f"/api/orders/{order.order_number}/").json()
    assert body["data"]["can_pay"] is True
    assert signatures == []


def test_orders_come_in_pages_of_twenty_newest_first(auth_api, make_orders):
    numbers = [o.order_number for o in make_orders(45)][::-1]
    first = auth_api.get("/api/orders/").json()["data"]
    assert first["count"] == 45
    assert [o["order_number"] for o in first["results"]] == numbers[:20]
    assert first["previous"] is None
    assert first["next"].endswith("/api/orders/?page=2")
    last = auth_api.get("/api/orders/?page=3").json()["data"]
    assert [o["order_number"] for o in last["results"]] == numbers[40:]
    assert last["next"] is None


@pytest.mark.parametrize(("asked", "given"), [("5", 5), ("100", 100), ("1000", 100), ("0", 20)])
def test_page_size_is_the_clients_up_to_a_hundred(auth_api, make_orders, asked, given):
    make_orders(120, status=Order.STATUS_PAID)
    data = auth_api.get(f"/api/orders/?page_size={asked}").json()["data"]
    assert (data["count"], len(data["results"])) == (120, given)


@pytest.mark.parametrize("page", ["2", "0", "-1", "x", "1e3", "9" * 50])
def test_a_page_past_the_last_or_not_a_number_is_404_in_the_envelope(auth_api, make_orders, page):
    make_orders(3)
    response = auth_api.get(f"/api/orders/?page={page}")
    assert (response.status_code, response.json()["code"]) == (404, 1006)


def test_no_orders_is_an_empty_first_page(auth_api):
    data = auth_api.get("/api/orders/").json()["data"]
    assert data == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_page_of_orders_costs_the_same_queries_whatever_its_size(
    auth_api, make_orders, django_assert_max_num_queries
):
    make_orders(100)
    # the account + overdue orders to time out (none) + count + page + prefetched details and
    # coupon records
    with django_assert_max_num_queries(6):
        body = auth_api.get("/api/orders/?page_size=100").json()
    assert len(body["data"]["results"]) == 100


def test_only_the_accounts_own_orders_are_listed(auth_api, make_orders, make_account):
    make_orders(2, owner=make_account("other"))
    mine = make_orders(1)
    data = auth_api.get("/api/orders/").json()["data"]
    assert [o["order_number"] for o in data["results"]] == [mine[0].order_number]


def test_paying_an_order_signs_its_pay_url_once(auth_api, make_orders, signatures, settings):
    settings.ALIPAY_APP_ID = ""
    [order] = make_orders(1)
    body = auth_api.post(f"/api/orders/{order.order_number}/pay/").json()
    assert body["code"] == 1000
    assert body["data"]["pay_url"] == dev.pay_url(order.order_number, Decimal("10.00"))
    assert body["data"]["actual_amount"] == "10.00"
    assert signatures == [order.order_number]


def test_paying_another_accounts_order_is_1050(auth_api, make_orders, make_account):
    [order] = make_orders(1, owner=make_account("other"))
    response = auth_api.post(f"/api/orders/{order.order_number}/pay/")
    assert (response.status_code, response.json()["code"]) == (404, 1050)


@pytest.mark.parametrize(
    "status", [Order.STATUS_PAID, Order.STATUS_CANCELLED, Order.STATUS_TIMED_OUT]
)
def test_paying_an_order_that_waits_for_no_money_is_1053(auth_api, make_orders, status):
    [order] = make_orders(1, status=status)
    body = auth_api.post(f"/api/orders/{order.order_number}/pay/").json()
    assert (body["code"], body["data"]) == (1053, None)


def test_paying_an_order_past_its_deadline_is_1053(auth_api, make_orders, settings, signatures):
    [order] = make_orders(1)
    Order.objects.filter(pk=order.pk).update(
        date=timezone.now() - timedelta(seconds=settings.ORDER_PAY_TIMEOUT)
    )
    assert auth_api.post(f"/api/orders/{order.order_number}/pay/").json()["code"] == 1053
    assert signatures == []


def test_the_pay_url_of_a_configured_alipay_is_signed_with_the_deadline(
    auth_api, make_orders, monkeypatch
):
    asked = {}
    monkeypatch.setattr(alipay_gateway, "is_configured", lambda: True)
    monkeypatch.setattr(
        alipay_gateway, "page_pay_url", lambda **kw: asked.update(kw) or "https://x"
    )
    [order] = make_orders(1)
    body = auth_api.post(f"/api/orders/{order.order_number}/pay/").json()
    assert body["data"]["pay_url"] == "https://x"
    assert asked["order_number"] == order.order_number
    assert asked["amount"] == Decimal("10.00")
    assert asked["expires_at"] == Order.objects.get(pk=order.pk).pay_deadline
