"""The catalogue as plain data: the schema serializer's shape, cached, rebuilt on every change."""

from decimal import Decimal

import pytest
import redis
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache

from course.catalogue import (
    GENERATION_KEY,
    LIST_KEY,
    build_catalogue,
    catalogue,
    catalogue_changed,
)
from course.models import Course, PricePolicy
from course.selectors import courses_with_policies
from course.serializers import CourseSerializer
from tests.redis_counting import count_round_trips
from utils.redis import set_redis

pytestmark = pytest.mark.django_db


def test_plain_catalogue_equals_what_the_schema_serializer_renders(make_course):
    make_course("Python", prices=[("60", "149.50"), ("30", "99.00"), ("360", "1000.00")])
    make_course("Go", prices=[])
    make_course("offline", status=Course.STATUS_OFFLINE)
    on_sale = Course.objects.filter(status=Course.STATUS_ON_SALE)
    courses = courses_with_policies(on_sale.values_list("pk", flat=True))
    expected = [CourseSerializer(courses[course.pk]).data for course in on_sale]
    assert build_catalogue() == [dict(course) for course in expected]


def test_catalogue_is_read_from_the_cache_with_no_query(
    api, make_course, django_assert_num_queries
):
    make_course()
    api.get("/api/courses/")
    with django_assert_num_queries(0):
        body = api.get("/api/courses/").json()
    assert len(body["data"]) == 1


def test_a_new_price_shows_at_once(api, make_course):
    course = make_course("Python", prices=[("30", "99.00")])
    api.get("/api/courses/")
    PricePolicy.objects.filter(object_id=course.pk).get().delete()
    PricePolicy.objects.create(
        content_type=ContentType.objects.get_for_model(Course),
        object_id=course.pk,
        valid_period=60,
        price=Decimal("88.80"),
    )
    [shown] = api.get("/api/courses/").json()["data"]
    assert [p["price"] for p in shown["price_policy"]] == ["88.80"]


def test_a_course_taken_off_sale_leaves_the_catalogue_and_its_detail_at_once(api, make_course):
    course = make_course("Python")
    assert api.get(f"/api/courses/{course.pk}/").status_code == 200
    course.status = Course.STATUS_OFFLINE
    course.save()
    assert api.get("/api/courses/").json()["data"] == []
    assert api.get(f"/api/courses/{course.pk}/").status_code == 404


def test_a_renamed_course_shows_its_new_name(api, make_course):
    course = make_course("Python")
    api.get("/api/courses/")
    course.name = "Python 3"
    course.save()
    assert [c["name"] for c in api.get("/api/courses/").json()["data"]] == ["Python 3"]


def test_a_deleted_course_leaves_the_catalogue(api, make_course):
    course = make_course("Python")
    api.get("/api/courses/")
    course.delete()
    assert api.get("/api/courses/").json()["data"] == []


def test_catalogue_is_read_from_the_database_when_redis_is_down(make_course, settings, caplog):
    make_course("Python")
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    set_redis(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    assert [c["name"] for c in catalogue()] == ["Python"]
    assert "catalogue cache unavailable" in caplog.text


def test_a_change_with_redis_down_is_saved_all_the_same(make_course, settings, caplog):
    course = make_course("Python")
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    course.name = "Python 3"
    course.save()
    assert Course.objects.get(pk=course.pk).name == "Python 3"
    assert "catalogue cache not invalidated" in caplog.text


def test_a_list_built_before_a_change_is_not_served_after_it(api, make_course):
    course = make_course("Python")
    stale = build_catalogue()  # a reader builds from the rows before the change...
    course.name = "Python 3"
    course.save()
    catalogue_changed()
    cache.set(LIST_KEY, (0, stale))  # ...and stores it late, with the generation it read
    assert cache.get(GENERATION_KEY) != 0
    assert [c["name"] for c in api.get("/api/courses/").json()["data"]] == ["Python 3"]


def test_catalogue_read_is_one_redis_round_trip(api, make_course):
    make_course()
    api.get("/api/courses/")
    with count_round_trips() as trips:
        api.get("/api/courses/")
    assert trips.count == 1
