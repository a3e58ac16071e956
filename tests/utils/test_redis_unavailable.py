"""Redis down: the client is told 1003/503, never a 500."""

import pytest
import redis
from django_redis.cache import RedisCache

from utils.redis import set_redis
from utils.throttling import LoginRateThrottle


@pytest.fixture
def redis_down():
    set_redis(
        redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, decode_responses=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["7." + "a" * 40, "a" * 40], ids=["token", "pre-id token"])
def test_authenticated_request_with_redis_down_is_1003(api, redis_down, token):
    # (a token of no known shape is 1001 without asking Redis: tests/utils/test_token_store.py)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.post("/api/logout/")
    assert response.status_code == 503
    assert response.json()["code"] == 1003


@pytest.mark.django_db
def test_login_with_redis_down_is_1003(api, account, monkeypatch, redis_down):
    dead_cache = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2}})
    monkeypatch.setattr(LoginRateThrottle, "cache", dead_cache)
    response = api.post(
        "/api/login/", {"username": "alex", "password": "secret-pass-1"}, format="json"
    )
    assert response.status_code == 503
    assert response.json()["code"] == 1003
