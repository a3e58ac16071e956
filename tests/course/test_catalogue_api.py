"""The public course catalogue."""

import pytest

from course.models import Course

pytestmark = pytest.mark.django_db


def test_catalogue_lists_courses_on_sale_with_their_price_policies(api, make_course):
    make_course("Python", prices=[("30", "99.00"), ("60", "149.50")])
    body = api.get("/api/courses/").json()
    assert body["code"] == 1000
    [course] = body["data"]
    assert set(course) == {"id", "name", "course_img", "brief", "price_policy"}
    assert course["price_policy"] == [
        {"id": course["price_policy"][0]["id"], "valid_period": 30,
         "valid_period_display": "1个月", "price": "99.00"},
        {"id": course["price_policy"][1]["id"], "valid_period": 60,
         "valid_period_display": "2个月", "price": "149.50"},
    ]  # fmt: skip


def test_catalogue_hides_offline_and_coming_courses(api, make_course):
    make_course("on sale")
    make_course("offline", status=Course.STATUS_OFFLINE)
    make_course("coming", status=Course.STATUS_COMING)
    names = [c["name"] for c in api.get("/api/courses/").json()["data"]]
    assert names == ["on sale"]


def test_catalogue_needs_no_token(api, make_course):
    make_course()
    assert api.get("/api/courses/").status_code == 200


def test_catalogue_takes_the_same_queries_for_1_or_20_courses(
    api, make_course, django_assert_num_queries
):
    make_course()
    with django_assert_num_queries(2):
        api.get("/api/courses/")
    for _ in range(19):
        make_course(prices=[("30", "10.00"), ("60", "20.00")])
    with django_assert_num_queries(2):
        assert len(api.get("/api/courses/").json()["data"]) == 20


def test_course_detail_shows_one_course(api, make_course):
    course = make_course("Django")
    body = api.get(f"/api/courses/{course.pk}/").json()
    assert body["data"]["name"] == "Django"


def test_course_detail_of_an_offline_course_is_404(api, make_course):
    course = make_course(status=Course.STATUS_OFFLINE)
    response = api.get(f"/api/courses/{course.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == 1006
