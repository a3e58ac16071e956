"""Health checks: live answers without database or Redis; ready checks both."""

import pytest
import redis
from django.db import OperationalError

from utils import health
from utils.redis import set_redis


def test_live_answers_the_envelope_without_database_or_redis(api):
    # no database fixture: any query would raise; and Redis cannot be reached
    set_redis(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    response = api.get("/api/health/live")
    assert response.status_code == 200
    assert response.json() == {"code": 1000, "data": None, "error": None}


def test_live_and_ready_also_answer_with_a_trailing_slash(api, db):
    assert api.get("/api/health/live/").status_code == 200
    assert api.get("/api/health/ready/").status_code == 200


@pytest.mark.django_db
def test_ready_answers_1000_when_database_and_redis_answer(api):
    response = api.get("/api/health/ready")
    assert response.status_code == 200
    assert response.json()["data"] == {"database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_ready_is_1003_with_503_when_redis_is_down(api):
    set_redis(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    response = api.get("/api/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == 1003
    assert body["data"] == {"database": "ok", "redis": "unavailable"}
    assert "redis" in body["error"]


@pytest.mark.django_db
def test_ready_is_1003_with_503_when_the_database_is_down(api, monkeypatch):
    class BrokenCursor:
        def __enter__(self):
            raise OperationalError("connection refused")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(health.connection, "cursor", lambda: BrokenCursor())
    response = api.get("/api/health/ready")
    assert response.status_code == 503
    assert response.json()["data"] == {"database": "unavailable", "redis": "ok"}


def test_health_routes_accept_only_get(api, db):
    assert api.post("/api/health/live").json()["code"] == 1007
    assert api.post("/api/health/ready").json()["code"] == 1007
