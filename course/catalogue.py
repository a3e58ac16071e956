"""The public catalogue (`GET /api/courses/`) as plain data, cached in Redis.

The courses on sale with their price policies change only when staff edit them, and every visitor
reads them: the list is built with two SQL queries of plain values (no model instances, no nested
serializers) and kept in the shared cache with the generation number it was built at. A change to
a Course or a PricePolicy (course/signals.py) moves the generation on (again once its transaction
commits), so every worker's next read, which fetches the generation and the list in one round trip
(MGET), sees that the list is older and rebuilds it; a reader that built the list from data older
than the change stores it with the old generation, which no later read accepts.
`CATALOGUE_CACHE_SECONDS` bounds what a change made without signals (a queryset `.update()`, raw
SQL) can leave stale. Both keys share a hash tag, so the MGET also works on a Redis Cluster.

The shape is `course.serializers.CourseSerializer`'s (its schema); tests/course/test_catalogue.py
compares the two on the same rows.
"""

import logging
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django_redis.exceptions import ConnectionInterrupted

from course.models import Course, PricePolicy
from utils.money import money_text
from utils.redis import UNAVAILABLE

logger = logging.getLogger("settlement")

GENERATION_KEY = "{catalogue}:generation"
LIST_KEY = "{catalogue}:courses"  # (generation, list)
_CACHE_DOWN = (ConnectionInterrupted, *UNAVAILABLE)
_PERIOD_TEXT = dict(PricePolicy.valid_period_choices)


def build_catalogue() -> list[dict]:
    """The courses on sale, in their order, each with its policies by period (2 SQL queries)."""
    courses = list(
        Course.objects.filter(status=Course.STATUS_ON_SALE).values(
            "id", "name", "course_img", "brief"
        )
    )
    by_id: dict[int, dict[str, Any]] = {c["id"]: {**c, "price_policy": []} for c in courses}
    policies = (
        PricePolicy.objects.filter(
            content_type=ContentType.objects.get_for_model(Course), object_id__in=list(by_id)
        )
        .order_by("valid_period", "id")
        .values_list("id", "object_id", "valid_period", "price")
    )
    for policy_id, course_id, period, price in policies:
        by_id[course_id]["price_policy"].append(
            {
                "id": policy_id,
                "valid_period": period,
                "valid_period_display": _PERIOD_TEXT.get(period, period),
                "price": money_text(price),
            }
        )
    return list(by_id.values())


def catalogue() -> list[dict]:
    """The cached catalogue (built on a miss); built from the database when Redis is down."""
    try:
        got = cache.get_many([GENERATION_KEY, LIST_KEY])
        generation = got.get(GENERATION_KEY, 0)
        cached = got.get(LIST_KEY)
        if cached is not None and cached[0] == generation:
            return cached[1]
        data = build_catalogue()
        cache.set(LIST_KEY, (generation, data), settings.CATALOGUE_CACHE_SECONDS)
        return data
    except _CACHE_DOWN as exc:
        logger.warning("catalogue cache unavailable, read from the database: %s", exc)
        return build_catalogue()


def catalogue_course(course_id: int) -> dict | None:
    """One course on sale, as the catalogue shows it."""
    return next((course for course in catalogue() if course["id"] == course_id), None)


def catalogue_changed() -> None:
    """Move to a new generation: the next read rebuilds the list."""
    try:
        cache.add(GENERATION_KEY, 0, timeout=None)
        cache.incr(GENERATION_KEY)
    except ValueError:  # the key vanished between add and incr (evicted, flushed): start again
        cache.set(GENERATION_KEY, 1, timeout=None)
    except _CACHE_DOWN as exc:
        # Never fail a staff edit for the cache: the TTL bounds how long the old list is served.
        logger.warning("catalogue cache not invalidated (Redis unavailable): %s", exc)
