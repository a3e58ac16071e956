"""Metrics: counted by route and code, readable by staff or a configured address only."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from prometheus_client import REGISTRY

from utils.redis import ConcurrentUpdate, transact

pytestmark = pytest.mark.django_db


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_request_is_counted_by_route_status_and_envelope_code(api):
    labels = {"method": "GET", "route": "/api/health/live", "status": "200", "code": "1000"}
    before = sample("settlement_http_requests_total", **labels)
    api.get("/api/health/live")
    assert sample("settlement_http_requests_total", **labels) == before + 1


def test_a_refused_request_is_counted_with_its_code(api):
    labels = {"method": "GET", "route": "/api/settlement/", "status": "401", "code": "1001"}
    before = sample("settlement_http_requests_total", **labels)
    api.get("/api/settlement/")
    assert sample("settlement_http_requests_total", **labels) == before + 1


def test_request_latency_is_observed_by_route(api):
    labels = {"method": "GET", "route": "/api/courses/"}
    before = sample("settlement_http_request_duration_seconds_count", **labels)
    api.get("/api/courses/")
    assert sample("settlement_http_request_duration_seconds_count", **labels) == before + 1


def test_a_payment_is_counted_by_its_outcome_code(auth_api):
    before = sample("settlement_payments_total", code="1040")
    assert auth_api.post("/api/payment/", {"price": "0.00"}, format="json").json()["code"] == 1040
    assert sample("settlement_payments_total", code="1040") == before + 1


def test_watch_retries_and_exhaustion_are_counted(redis_client):
    retries = sample("settlement_redis_watch_retries_total")
    exhausted = sample("settlement_redis_watch_exhausted_total")

    def build(pipe):
        redis_client.incr("{metrics}contended")  # another client changes the watched key
        pipe.multi()
        pipe.set("{metrics}written", "1")  # one hash tag: one slot on a Cluster too

    with pytest.raises(ConcurrentUpdate):
        transact(["{metrics}contended"], build, attempts=3)
    assert sample("settlement_redis_watch_retries_total") == retries + 3
    assert sample("settlement_redis_watch_exhausted_total") == exhausted + 1


def test_metrics_are_refused_without_a_login(api):
    response = api.get("/api/metrics")
    assert response.status_code == 401
    assert response.json()["code"] == 1001


def test_metrics_are_refused_to_an_account_that_is_not_staff(auth_api):
    assert auth_api.get("/api/metrics").json()["code"] == 1001


def test_metrics_are_served_to_staff_in_the_prometheus_format(account, client_for):
    account.is_staff = True
    account.save()
    response = client_for(account).get("/api/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"settlement_http_requests_total" in response.content


def test_metrics_are_served_to_a_configured_address(api, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert api.get("/api/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert api.get("/api/metrics", REMOTE_ADDR="11.1.2.3").status_code == 401


def test_a_missing_multiprocess_directory_stops_the_start(tmp_path):
    # prometheus_client would otherwise fail on the first count of every request
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "missing")}
    result = subprocess.run(
        [sys.executable, "-c", "import utils.metrics"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "is not a directory" in result.stderr
