"""Token stamps in Redis under real threads on PostgreSQL: requests that read the account row while
a password change is being committed never bring the old stamp back once it is committed."""

import threading
import time
from types import SimpleNamespace

import pytest
import redis
from django.db import connection, transaction
from rest_framework.exceptions import AuthenticationFailed

from course.models import Account
from utils import keys
from utils.authentication import RedisTokenAuthentication
from utils.redis import get_redis, set_redis
from utils.token_store import token_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

READERS = 8
ROUNDS = 6


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")


@pytest.fixture(autouse=True)
def _redis_for_threads(redis_client, settings):
    if settings.REDIS_URL and not settings.REDIS_CLUSTER:
        pool = redis.BlockingConnectionPool.from_url(
            settings.REDIS_URL, max_connections=50, timeout=30, decode_responses=True
        )
        set_redis(redis.Redis(connection_pool=pool))
    yield
    set_redis(None)


def accepted(token: str) -> bool:
    request = SimpleNamespace(META={"HTTP_AUTHORIZATION": f"Token {token}"}, parser_context=None)
    try:
        RedisTokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return False
    return True


def one_round(account, round_number: int) -> None:
    token = token_create(account=Account.objects.get(pk=account.pk))
    get_redis().delete(keys.auth_stamp(account.pk))  # every reader starts from the row
    committed, stop = threading.Event(), threading.Event()
    late, errors, checks = [], [], [0]
    # Until just before the commit the stamp "expires" before every check, so that many readers
    # are between reading the (old) row and storing its stamp when the commit comes.
    expiring, gate = [True], threading.Lock()

    def reader():
        try:
            while not stop.is_set():
                with gate:
                    if expiring[0]:
                        get_redis().delete(keys.auth_stamp(account.pk))
                after = committed.is_set()
                if accepted(token) and after:
                    late.append(1)
                checks[0] += 1
        except Exception as error:  # a crash is an outcome the test must see
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=reader) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    with transaction.atomic():
        changing = Account.objects.select_for_update().get(pk=account.pk)
        changing.set_password(f"new-pass-{round_number}")
        changing.save()  # the first tombstone; readers still see the old row
        time.sleep(0.05)
        with gate:  # no expiry from here on (a real stamp key lives an hour)
            expiring[0] = False
    committed.set()  # the commit's tombstone is written by now (on_commit)
    time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert checks[0] > READERS
    assert late == [], f"round {round_number}: {len(late)} late accepts of {checks[0]}"
    assert not accepted(token)


def test_no_request_accepts_an_old_token_once_the_password_change_is_committed(account):
    for round_number in range(ROUNDS):
        one_round(account, round_number)
