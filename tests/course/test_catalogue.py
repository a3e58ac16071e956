"""The catalogue as plain data: the schema serializer's shape, cached, rebuilt on every change."""

import time
from decimal import Decimal

import pytest
import redis
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Prefetch

from course import catalogue as course_catalogue
from course.catalogue import (
    GENERATION_KEY,
    LIST_KEY,
    build_catalogue,
    catalogue,
    catalogue_changed,
    courses_on_sale,
)
from course.models import Course, PricePolicy
from course.serializers import CourseSerializer
from tests.redis_counting import count_round_trips
from utils.redis import set_redis

pytestmark = pytest.mark.django_db


def take_redis_down(settings) -> None:
    """Point the cache and the stores at a port where no Redis listens."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    set_redis(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))


def test_plain_catalogue_equals_what_the_schema_serializer_renders(make_course):
    make_course("Python", prices=[("60", "149.50"), ("30", "99.00"), ("360", "1000.00")])
    make_course("Go", prices=[])
    make_course("offline", status=Course.STATUS_OFFLINE)
    on_sale = Course.objects.filter(status=Course.STATUS_ON_SALE).prefetch_related(
        Prefetch("price_policy", queryset=PricePolicy.objects.order_by("valid_period", "id"))
    )
    expected = [CourseSerializer(course).data for course in on_sale]
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
    take_redis_down(settings)
    assert [c["name"] for c in catalogue()] == ["Python"]
    assert "catalogue cache unavailable" in caplog.text


def test_a_change_with_redis_down_is_saved_all_the_same(make_course, settings, caplog):
    course = make_course("Python")
    take_redis_down(settings)
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


# --- Courses on sale for the cart and the settlement (remembered per worker) -----------------


def test_adding_a_remembered_course_to_the_cart_asks_the_database_nothing(
    auth_api, make_course, django_assert_num_queries, settings
):
    course = make_course("Python")
    policy = course.price_policy.first()
    pick = {"course_id": course.pk, "price_policy_id": policy.pk}
    assert auth_api.post("/api/shopping_car/", pick, format="json").json()["code"] == 1000
    with django_assert_num_queries(0), count_round_trips() as trips:
        assert auth_api.post("/api/shopping_car/", pick, format="json").json()["code"] == 1000
    # the token (with the generation: on another node of a Cluster), and the cart's one script
    assert trips.count == (3 if settings.REDIS_CLUSTER else 2)


def test_a_remembered_course_is_read_again_once_the_catalogue_changed(make_course):
    python, go = make_course("Python"), make_course("Go")
    courses_on_sale([python.pk, go.pk])
    go.name = "Go 2"
    go.save()  # another worker's change: the generation moves on
    assert courses_on_sale([python.pk, go.pk])[go.pk]["name"] == "Go 2"


def test_rows_read_before_a_change_are_never_used_after_it(make_course, django_assert_num_queries):
    course = make_course("Python")
    before = cache.get(GENERATION_KEY)
    catalogue_changed()  # a change lands between the generation's read and the rows' read
    courses_on_sale([course.pk], before)  # remembered under the generation read before it
    with django_assert_num_queries(2):
        courses_on_sale([course.pk])


def test_a_change_made_without_signals_shows_within_the_cache_lifetime(
    make_course, settings, monkeypatch
):
    course = make_course("Python")
    courses_on_sale([course.pk])
    Course.objects.filter(pk=course.pk).update(name="Python 3")  # no signal, no new generation
    assert courses_on_sale([course.pk])[course.pk]["name"] == "Python"
    later = time.monotonic() + settings.CATALOGUE_CACHE_SECONDS
    monkeypatch.setattr(course_catalogue.time, "monotonic", lambda: later)
    assert courses_on_sale([course.pk])[course.pk]["name"] == "Python 3"


def test_an_emptied_redis_brings_back_no_remembered_course(make_course, redis_client):
    course = make_course("Python")
    courses_on_sale([course.pk])
    redis_client.flushdb()  # the generation is gone: a new one is made, never an old one again
    Course.objects.filter(pk=course.pk).update(name="Python 3")
    assert courses_on_sale([course.pk])[course.pk]["name"] == "Python 3"


def test_courses_off_sale_or_missing_are_absent(make_course):
    on_sale, offline = make_course("on sale"), make_course("off", status=Course.STATUS_OFFLINE)
    assert list(courses_on_sale([on_sale.pk, offline.pk, 999_999])) == [on_sale.pk]
    assert list(courses_on_sale([on_sale.pk, offline.pk, 999_999])) == [on_sale.pk]  # remembered


def test_courses_are_read_from_the_database_when_redis_is_down(make_course, settings, caplog):
    course = make_course("Python")
    take_redis_down(settings)
    assert courses_on_sale([course.pk])[course.pk]["name"] == "Python"
    assert "catalogue generation unavailable" in caplog.text


@pytest.mark.parametrize("key", [GENERATION_KEY, LIST_KEY])
@pytest.mark.parametrize("junk", ["abc", "\\x80\\x04junk", "[1, 2]"])
def test_a_catalogue_key_that_cannot_be_read_is_dropped_not_a_500(
    api, make_course, redis_client, key, junk, caplog
):
    make_course("Python")
    redis_client.set(cache.make_key(key), junk)  # written by another program
    for _ in range(2):  # read from the database, then cached anew
        response = api.get("/api/courses/")
        assert response.status_code == 200
        assert [c["name"] for c in response.json()["data"]] == ["Python"]
    assert "catalogue cache unreadable" in caplog.text
    assert cache.get(LIST_KEY) is not None
