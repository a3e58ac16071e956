"""Shared fixtures: a clean Redis per test, accounts, clients with tokens, catalogue factories."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from rest_framework.test import APIClient

from course.models import Account, Course, PricePolicy
from utils.redis import get_redis, set_redis
from utils.token_store import token_create


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


def redis_dump(client) -> dict:
    """Every key in Redis with its DUMPed value, on one Redis or on every node of a Cluster (a
    Cluster's KEYS asks one node unless told otherwise)."""
    if hasattr(client, "get_nodes"):  # redis.cluster.RedisCluster
        names = client.keys("*", target_nodes=client.ALL_NODES)
    else:
        names = client.keys("*")
    return {key: client.dump(key) for key in sorted(names)}


def policies_of(course: Course) -> list[PricePolicy]:
    return list(PricePolicy.objects.filter(object_id=course.pk).order_by("valid_period"))


def add_to_cart(api, course: Course, policy_index: int = 0) -> PricePolicy:
    """Put `course` with its n-th policy (by period) into `api`'s cart; asserts it was taken."""
    policy = policies_of(course)[policy_index]
    body = api.post(
        "/api/shopping_car/", {"course_id": course.pk, "price_policy_id": policy.pk}, format="json"
    ).json()
    assert body["code"] == 1000, body
    return policy


@pytest.fixture(autouse=True)
def _receipts_inline(settings):
    """Receipts go out in the request's thread in tests, so `mail.outbox` holds them at once."""
    settings.RECEIPTS_IN_BACKGROUND = False
