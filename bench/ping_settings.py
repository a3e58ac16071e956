"""Benchmark-only settings: the project's, with bench/ping_urls.py as the URLconf."""

from settlement_project.settings import *  # noqa: F403

ROOT_URLCONF = "ping_urls"
