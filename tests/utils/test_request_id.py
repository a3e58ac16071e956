"""Every response echoes a request id, written in the request's log lines."""

import json
import logging

import pytest

from settlement_project import settings as project_settings
from utils.request_id import RequestIdFilter


def test_a_response_carries_a_new_request_id(api):
    first = api.get("/api/health/live")["X-Request-ID"]
    second = api.get("/api/health/live")["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_an_id_from_an_untrusted_client_is_replaced(api):
    response = api.get("/api/health/live", HTTP_X_REQUEST_ID="client-made-id")
    assert response["X-Request-ID"] != "client-made-id"


def test_an_id_from_a_trusted_proxy_is_kept(api, settings):
    settings.REQUEST_ID_TRUSTED_PROXIES = ["127.0.0.1"]
    response = api.get("/api/health/live", HTTP_X_REQUEST_ID="lb-1234.5", REMOTE_ADDR="127.0.0.1")
    assert response["X-Request-ID"] == "lb-1234.5"


def test_a_malformed_id_from_a_trusted_proxy_is_replaced(api, settings):
    settings.REQUEST_ID_TRUSTED_PROXIES = ["127.0.0.1"]
    response = api.get("/api/health/live", HTTP_X_REQUEST_ID="bad id\n", REMOTE_ADDR="127.0.0.1")
    assert response["X-Request-ID"] != "bad id\n"


@pytest.mark.django_db
def test_an_error_envelope_also_carries_the_request_id(api):
    assert api.get("/api/settlement/")["X-Request-ID"]
    assert api.get("/api/no-such-route/")["X-Request-ID"]


def test_the_request_line_is_logged_with_the_id_the_response_echoes(api, caplog):
    with caplog.at_level(logging.INFO, logger="settlement.request"):
        response = api.get("/api/health/live")
    [record] = [r for r in caplog.records if r.name == "settlement.request"]
    assert record.request_id == response["X-Request-ID"]
    assert (record.status, record.code, record.route) == (200, "1000", "/api/health/live")


def test_a_log_record_becomes_one_json_object_a_line_with_the_request_id():
    config = project_settings.LOGGING["formatters"]["json"]
    formatter = config["()"].rsplit(".", 1)
    module = __import__(formatter[0], fromlist=[formatter[1]])
    options = {k: v for k, v in config.items() if k != "()"}
    fmt = getattr(module, formatter[1])(**options)
    record = logging.LogRecord("settlement", logging.WARNING, __file__, 1, "贝里 %s", ("x",), None)
    RequestIdFilter().filter(record)
    line = fmt.format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "贝里 x"
    assert parsed["level"] == "WARNING"
    assert "request_id" in parsed and "time" in parsed


@pytest.mark.django_db
def test_django_s_log_of_an_error_answer_carries_the_request_id(api, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = api.get("/api/settlement/")
    [record] = [r for r in caplog.records if r.name == "django.request"]
    RequestIdFilter().filter(record)
    assert record.request_id == response["X-Request-ID"]
