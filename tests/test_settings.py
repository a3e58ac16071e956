"""The settings are safe by default: DEBUG only when asked for, and production (`check --deploy`)
clean with just the variables it must set. Each case runs Django in a fresh process."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What settings.py reads that a developer's or CI's environment may hold.
SETTINGS_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_COOKIES",
    "SECURE_PROXY_SSL_HEADER",
    "NUM_PROXIES",
}


def django(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run `python <args>` with the production settings module and only `env` configured."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    clean["DJANGO_SETTINGS_MODULE"] = "settlement_project.settings"
    clean.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


PRINT_SETTING = (
    "import django; django.setup(); from django.conf import settings; print(settings.{})"
)


def test_debug_is_off_when_nothing_asks_for_it():
    result = django("-c", PRINT_SETTING.format("DEBUG"), SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_debug_is_on_only_when_asked_for():
    assert django("-c", PRINT_SETTING.format("DEBUG"), DEBUG="1").stdout.strip() == "True"


def test_without_debug_the_service_refuses_to_start_without_a_secret_key():
    result = django("manage.py", "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_forwarded_addresses_are_not_trusted_unless_proxies_are_configured():
    code = PRINT_SETTING.format("REST_FRAMEWORK['NUM_PROXIES']")
    assert django("-c", code, DEBUG="1").stdout.strip() == "0"
    assert django("-c", code, DEBUG="1", NUM_PROXIES="1").stdout.strip() == "1"


def test_check_deploy_is_clean_with_the_production_settings():
    result = django(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="shop.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
