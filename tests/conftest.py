"""Shared fixtures: a clean Redis per test, accounts, clients with tokens, catalogue factories;
the `postgres` marker's skip. The shared steps (cart, settlement, payment, snapshots) are plain
functions in tests/helpers.py."""

from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.contrib.contenttypes.models import ContentType
from rest_framework.test import APIClient

from course.models import Account, Course, PricePolicy
from utils.redis import get_redis, set_redis
from utils.token_store import token_create


def pytest_collection_modifyitems(config, items):
    skip_postgres_tests(items, engine=django_settings.DATABASES["default"]["ENGINE"])


def skip_postgres_tests(items, *, engine: str) -> None:
    """`@pytest.mark.postgres` (or `postgres("why")`): the test needs PostgreSQL (row locks,
    threads sharing the test database) and is skipped, with its reason, on any other database."""
    if engine.endswith("postgresql"):
        return
    for item in items:
        marker = item.get_closest_marker("postgres")
        if marker is not None:
            why = marker.args[0] if marker.args else "row locks and concurrent transactions"
            item.add_marker(pytest.mark.skip(reason=f"needs PostgreSQL: {why}"))


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def redis_client():
    """A flushed Redis (fakeredis, or REDIS_URL's database) before and after each test."""
    set_redis(None)
    client = get_redis()
    client.flushdb()
    yield client
    set_redis(None)
    get_redis().flushdb()


@pytest.fixture
def make_account(db):
    def make(username="alex", password="secret-pass-1", balance=0) -> Account:
        account = Account.objects.create_user(username=username, password=password)
        if balance:
            Account.objects.filter(pk=account.pk).update(balance=balance)
            account.refresh_from_db()
        return account

    return make


@pytest.fixture
def account(make_account):
    return make_account()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def client_for():
    """An APIClient logged in as the given account (token in `Authorization: Token <t>`)."""

    def make(account: Account) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(account=account)}")
        return client

    return make


@pytest.fixture
def auth_api(account, client_for):
    return client_for(account)


@pytest.fixture
def make_course(db):
    course_type = ContentType.objects.get_for_model(Course)

    def make(name=None, prices=(("30", "99.00"),), status=Course.STATUS_ON_SALE) -> Course:
        name = name or f"course-{Course.objects.count() + 1}"
        course = Course.objects.create(name=name, status=status)
        for period, price in prices:
            PricePolicy.objects.create(
                content_type=course_type,
                object_id=course.pk,
                valid_period=int(period),
                price=Decimal(price),
            )
        return course

    return make


@pytest.fixture(autouse=True)
def _receipts_inline(settings):
    """Receipts go out in the request's thread in tests, so `mail.outbox` holds them at once."""
    settings.RECEIPTS_IN_BACKGROUND = False
