"""deploy/nginx.conf in front of gunicorn with deploy/gunicorn.conf.py: what nginx itself refuses
(a request line or a header past its buffers, a body past client_max_body_size, a request that is
not HTTP) answers the API's envelope (1002), never an HTML page, and what it lets through reaches
the service. A copy of the sample site is served on loopback over plain HTTP (TLS and the port-80
redirect left out). Needs Debian's nginx (apt-get install nginx-light): skipped without it unless
NGINX_REQUIRED is set, as on CI.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def site_config(nginx_port: int, app_port: int, work: Path) -> str:
    """deploy/nginx.conf as a whole config, on plain HTTP: the same server block otherwise."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    site = re.sub(r"server \{\n    listen 80;.*?\n\}\n", "", site, count=1, flags=re.S)
    site = re.sub(r"    listen 443 ssl http2;\n    listen \[::\]:443 ssl http2;\n", "", site)
    site = site.replace(
        "    server_name shop.example.com;\n", f"    listen 127.0.0.1:{nginx_port};\n"
    )
    site = re.sub(r"    ssl_[a-z_]+ .*\n", "", site)
    assert f"listen 127.0.0.1:{nginx_port};" in site and "ssl" not in site
    temp = " ".join(f"{kind}_temp_path {work / kind};" for kind in ("client_body", "proxy"))
    user = "user root;" if os.geteuid() == 0 else ""
    return (
        f"{user}\npid {work / 'nginx.pid'};\nerror_log {work / 'error.log'};\n"
        "events { worker_connections 64; }\n"
        f"http {{\naccess_log off;\n{temp}\n"
        "fastcgi_temp_path /tmp; uwsgi_temp_path /tmp; scgi_temp_path /tmp;\n"
        f"{site}\n}}\n"
    )


def wait_for(port: int, process: subprocess.Popen, what: str, logs: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None or what == "nginx", f"{what} exited; logs in {logs}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert time.monotonic() < deadline, f"{what} did not start; logs in {logs}"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    """nginx (the sample site) in front of one gunicorn (the production config); the base URL."""
    if NGINX is None:
        if os.environ.get("NGINX_REQUIRED"):
            pytest.fail("nginx is missing (apt-get install nginx-light)")
        pytest.skip("needs nginx (apt-get install nginx-light)")
    work = tmp_path_factory.mktemp("nginx")
    work.chmod(0o755)
    app_port, nginx_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "DATABASE_"))},
        "DEBUG": "1",  # the in-process Redis, no database needed by what is asked below
        "ALLOWED_HOSTS": "shop.example.com",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{app_port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESSLOG": "",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = open(work / "gunicorn.log", "wb")
    app = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn"),
            "-c",
            "deploy/gunicorn.conf.py",
            "settlement_project.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    config = work / "nginx.conf"
    config.write_text(site_config(nginx_port, app_port, work))
    checked = subprocess.run([NGINX, "-t", "-c", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proxy = subprocess.Popen([NGINX, "-c", str(config)], stdout=log, stderr=log)
    try:
        wait_for(app_port, app, "gunicorn", work)
        wait_for(nginx_port, proxy, "nginx", work)
        yield f"http://127.0.0.1:{nginx_port}"
    finally:
        subprocess.run([NGINX, "-c", str(config), "-s", "stop"], capture_output=True)
        app.terminate()
        app.wait(timeout=30)
        log.close()


def fetch(base: str, path: str, *, headers=None, body: bytes | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        base + path,
        data=body,
        headers={"Host": "shop.example.com", **(headers or {})},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_request_within_the_limits_reaches_the_service(front):
    assert fetch(front, "/api/health/live?q=" + "a" * 3000) == (
        200,
        {"code": 1000, "data": None, "error": None},
    )


def test_a_request_line_past_nginxs_buffer_is_the_envelope_not_a_page(front):
    status, body = fetch(front, "/api/health/live?q=" + "a" * 9000)
    assert (status, body["code"]) == (414, 1002)


def test_a_header_line_past_nginxs_buffer_is_the_envelope(front):
    status, body = fetch(front, "/api/health/live", headers={"X-Big": "a" * 5000})
    assert (status, body["code"]) == (400, 1002)


def test_a_body_past_the_limit_is_the_envelope(front):
    big = b'{"username": "' + b"a" * 2_000_000 + b'"}'
    status, body = fetch(
        front, "/api/login/", body=big, headers={"Content-Type": "application/json"}
    )
    assert (status, body["code"]) == (413, 1002)


def test_a_request_that_is_not_http_is_the_envelope(front):
    port = int(front.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(b"GARBAGE\r\n\r\n")
        answer = b""
        while chunk := raw.recv(4096):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(payload)["code"] == 1002
