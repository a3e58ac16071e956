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

Adding to the cart and settling need a few courses of it, not the list: `courses_on_sale` gives
their entries from a small memo in each worker, each tagged with the generation read before its
rows were read, and used only while that generation is still the current one. The view reads the
generation in the token's own round trip (`queue_generation`, utils/authentication.py), so while
the catalogue has not changed those requests read no course from the database and send nothing
more to Redis. A generation is a random number, never a count: a Redis emptied and filled again
cannot bring back a generation a memo saw before.

The shape is `course.serializers.CourseSerializer`'s (its schema); tests/course/test_catalogue.py
compares the two on the same rows.
"""

import logging
import pickle
import secrets
import time
from collections.abc import Iterable
from typing import Any, Final

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from course.models import Course, PricePolicy
from course.selectors import OFF_SALE, sale_problem
from utils.money import money_text
from utils.redis import UNAVAILABLE, get_redis

logger = logging.getLogger("settlement")

GENERATION_KEY = "{catalogue}:generation"
LIST_KEY = "{catalogue}:courses"  # (generation, list)
_CACHE_DOWN = (ConnectionInterrupted, RedisError, *UNAVAILABLE)
# what a key holds that django-redis cannot decode (written by hand, or by another program)
_UNREADABLE = (pickle.UnpicklingError, ValueError, TypeError, EOFError, IndexError, KeyError)
_PERIOD_TEXT = dict(PricePolicy.valid_period_choices)


def build_catalogue(course_ids: Iterable[int] | None = None) -> list[dict]:
    """The courses on sale (those of `course_ids` only, when given), in their order, each with
    its policies by period (2 SQL queries)."""
    on_sale = Course.objects.filter(status=Course.STATUS_ON_SALE)
    if course_ids is not None:
        on_sale = on_sale.filter(pk__in=list(course_ids))
    courses = list(on_sale.values("id", "name", "course_img", "brief"))
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
    """The cached catalogue (built on a miss); built from the database when Redis is down, or
    when what the keys hold cannot be read (both are dropped then: the next read starts anew)."""
    try:
        try:
            got = cache.get_many([GENERATION_KEY, LIST_KEY])
            generation = got.get(GENERATION_KEY, 0)
            cached = got.get(LIST_KEY)
            if cached is not None and cached[0] == generation:
                return cached[1]
        except _UNREADABLE as exc:
            logger.warning("catalogue cache unreadable, dropped: %r", exc)
            cache.delete_many([GENERATION_KEY, LIST_KEY])
            return build_catalogue()
        data = build_catalogue()
        cache.set(LIST_KEY, (generation, data), settings.CATALOGUE_CACHE_SECONDS)
        return data
    except _CACHE_DOWN as exc:
        logger.warning("catalogue cache unavailable, read from the database: %s", exc)
        return build_catalogue()


def catalogue_course(course_id: int) -> dict | None:
    """One course on sale, as the catalogue shows it."""
    return next((course for course in catalogue() if course["id"] == course_id), None)


def _new_generation() -> int:
    return 1 + secrets.randbelow(2**62)  # stored as digits (django-redis keeps ints unpickled)


def _generation_key() -> str:
    # The cache's key (the list's MGET reads it too), written with the stores' client: under
    # Sentinel a new generation is acknowledged only once a replica holds it, so a failover
    # cannot bring back a generation whose courses a worker remembers.
    return cache.make_key(GENERATION_KEY)


def catalogue_changed() -> None:
    """Move to a new generation: the next read rebuilds the list, and no memo of a course is
    used again."""
    try:
        get_redis().set(_generation_key(), _new_generation())
    except _CACHE_DOWN as exc:
        # Never fail a staff edit for the cache: the TTL bounds how long the old list is served.
        logger.warning("catalogue cache not invalidated (Redis unavailable): %s", exc)


# --- Courses on sale for the cart and the settlement ----------------------------------------

UNREAD: Final = object()  # `courses_on_sale`'s caller has not read the generation
MEMO_SIZE = 4096  # courses a worker remembers; emptied when full
# course id -> (generation it was read under, when, its entry or None when not on sale)
_memo: dict[int, tuple[str, float, dict | None]] = {}


def queue_generation(pipe) -> None:
    """Queue a read of the catalogue's generation on `pipe` (a view's `reads_with_token`): its
    reply is `courses_on_sale`'s `generation`."""
    pipe.get(_generation_key())


def forget_courses(course_ids: Iterable[int]) -> None:
    """Forget these courses in this worker's memo (benchmarks: the cost of a course first read)."""
    for course_id in course_ids:
        _memo.pop(course_id, None)


def courses_on_sale(course_ids: Iterable[int], generation: Any = UNREAD) -> dict[int, dict]:
    """Course id -> its entry as the catalogue shows it (`{"id", "name", "course_img", "brief",
    "price_policy": [{"id", "valid_period", "valid_period_display", "price"}]}`, prices as
    two-decimal strings), for those of `course_ids` that are on sale. Callers only read it.

    `generation`: the catalogue's generation as read before (the token's round trip), None when
    the key was missing; read here when not given. Courses remembered under that generation, no
    older than CATALOGUE_CACHE_SECONDS, come from memory; the others from the database (2
    queries for all of them), remembered under it. With Redis down, from the database."""
    ids = list(dict.fromkeys(course_ids))
    tag = _generation_tag(generation)
    now = time.monotonic()
    found: dict[int, dict] = {}
    unknown: list[int] = []
    for course_id in ids:
        memo = _memo.get(course_id) if tag is not None else None
        if memo is None or memo[0] != tag or now - memo[1] >= settings.CATALOGUE_CACHE_SECONDS:
            unknown.append(course_id)
        elif memo[2] is not None:
            found[course_id] = memo[2]
    if unknown:
        built = {entry["id"]: entry for entry in build_catalogue(unknown)}
        if tag is not None:
            if len(_memo) + len(unknown) > MEMO_SIZE:
                _memo.clear()
            for course_id in unknown:
                _memo[course_id] = (tag, now, built.get(course_id))
        found.update(built)
    return found


def _generation_tag(generation: Any) -> str | None:
    """The generation the rows about to be read may be remembered under, or None (do not
    remember them). A missing generation is created here first: remembering under "missing"
    could bring back rows older than a change made between an emptied Redis and this read."""
    try:
        if generation is UNREAD:
            generation = get_redis().get(_generation_key())
        if generation is None:
            created = _new_generation()
            return str(created) if get_redis().set(_generation_key(), created, nx=True) else None
    except _CACHE_DOWN as exc:
        logger.warning("catalogue generation unavailable, courses read from the database: %s", exc)
        return None
    return str(generation)


def on_sale_with(entry: dict | None, policy_id: int) -> tuple[dict | None, str | None]:
    """An entry of `courses_on_sale` (None: no such course on sale) and a policy id: (the
    policy's entry, None) when the course can be sold with it, else (None, OFF_SALE or
    POLICY_GONE): course.selectors.sale_problem, the one rule."""
    if entry is None:
        return None, OFF_SALE
    policy = next((p for p in entry["price_policy"] if p["id"] == policy_id), None)
    problem = sale_problem(
        course_status=Course.STATUS_ON_SALE,
        policy_course_id=entry["id"] if policy is not None else None,
        course_id=entry["id"],
    )
    return (policy if problem is None else None), problem
