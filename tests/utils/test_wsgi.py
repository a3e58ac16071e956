"""utils/wsgi.py: a chunked request body (no Content-Length) reaches Django whole, through the
WSGI application gunicorn serves."""

import io
import json

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from settlement_project.wsgi import application

# The body is checked before any row is read: an answer that names the password (missing) shows
# that the username was read.
LOGIN = {"username": "nobody"}


@pytest.fixture(autouse=True)
def keep_connections():
    """As Django's test client does: the handler must not close the test's database connections
    at the start and end of a request."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def call(body: bytes, *, chunked: bool, content_length: bool = False) -> tuple[str, dict]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/login/",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": "application/json",
    }
    if chunked:  # as gunicorn passes a chunked body on: decoded, no length, input terminated
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
    if content_length:
        environ["CONTENT_LENGTH"] = str(len(body))
    status: list[str] = []

    def start_response(line, headers, exc_info=None):
        status.append(line)
        return lambda data: None

    out = b"".join(application(environ, start_response))
    return status[0], json.loads(out)


def test_a_chunked_body_is_read_whole():
    status, body = call(json.dumps(LOGIN).encode(), chunked=True)
    assert (status[:3], body["code"]) == ("400", 1002)
    assert "password" in body["error"] and "username" not in body["error"]


def test_a_chunked_body_answers_as_the_same_body_with_a_length():
    raw = json.dumps(LOGIN).encode()
    assert call(raw, chunked=True) == call(raw, chunked=False, content_length=True)


def test_a_chunked_body_over_the_upload_limit_is_refused_like_any_other(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = json.dumps({**LOGIN, "username": "a" * 2000}).encode()
    assert call(raw, chunked=True) == call(raw, chunked=False, content_length=True)
    status, body = call(raw, chunked=True)
    assert (status[:3], body["code"]) == ("400", 1002)


def test_an_empty_chunked_body_reads_as_no_body():
    _, body = call(b"", chunked=True)
    assert body["code"] == 1002 and "username" in body["error"]
