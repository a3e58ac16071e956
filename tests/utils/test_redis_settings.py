"""settings.py refuses a Redis configuration that cannot be right, in one line, at import."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache

from utils.redis import get_cache_redis

ROOT = Path(__file__).resolve().parents[2]
REDIS_VARIABLES = (
    "REDIS_URL",
    "REDIS_SENTINELS",
    "REDIS_SENTINEL_MASTER",
    "REDIS_CLUSTER",
    "REDIS_IN_PROCESS",
)


def import_settings(**env) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with only these Redis variables set."""
    environ = {k: v for k, v in os.environ.items() if k not in (*REDIS_VARIABLES, "DEBUG")}
    environ.update(SECRET_KEY="a-real-secret-for-this-test", ALLOWED_HOSTS="shop.example", **env)
    return subprocess.run(
        [sys.executable, "-c", "import settlement_project.settings"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def refusal(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


def test_debug_off_without_a_shared_redis_refuses_to_start():
    reason = refusal(import_settings(DEBUG="0"))
    assert reason.startswith("django.core.exceptions.ImproperlyConfigured: REDIS_URL")
    assert "DEBUG is off" in reason


@pytest.mark.parametrize(
    "env",
    [
        {"DEBUG": "0", "REDIS_URL": "redis://127.0.0.1:6379/0"},
        {"DEBUG": "0", "REDIS_SENTINELS": "127.0.0.1:26379", "REDIS_SENTINEL_MASTER": "shop"},
        {"DEBUG": "1"},
    ],
    ids=["one-redis", "sentinel", "debug-with-fakeredis"],
)
def test_a_configuration_that_can_be_right_starts(env):
    result = import_settings(**env)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"REDIS_CLUSTER": "1"}, "REDIS_CLUSTER needs REDIS_URL"),
        ({"REDIS_SENTINELS": "127.0.0.1:26379"}, "needs REDIS_SENTINEL_MASTER"),
        ({"REDIS_SENTINELS": "127.0.0.1", "REDIS_SENTINEL_MASTER": "m"}, "host:port"),
        (
            {"REDIS_CLUSTER": "1", "REDIS_URL": "redis://h:1", "REDIS_SENTINELS": "h:2"},
            "exclude each other",
        ),
        ({"REDIS_URL": "redis://h:1", "REDIS_SENTINELS": "h:2"}, "exclude each other"),
    ],
    ids=["cluster-without-url", "sentinel-without-master", "sentinel-bad-address", "both", "url"],
)
def test_a_contradictory_redis_configuration_refuses_to_start(env, words):
    assert words in refusal(import_settings(DEBUG="1", **env))


def test_the_cache_uses_the_client_factorys_client():
    cache.set("probe", 42)
    assert cache.client.get_client() is get_cache_redis()
    assert cache.get("probe") == 42
