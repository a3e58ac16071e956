"""'Course on sale with this policy' (course.selectors.sale_problem): one rule, asked over the
catalogue's entries (cart, settlement: course/catalogue.py) or in one query (payment), with the
same answers."""

import pytest

from course.catalogue import courses_on_sale, on_sale_with
from course.models import Course
from course.selectors import OFF_SALE, POLICY_GONE, policies_on_sale
from tests.helpers import policies_of

pytestmark = pytest.mark.django_db

MISSING = 999_999


@pytest.fixture
def cases(make_course):
    """(course id, policy id, expected problem) for every kind of course and policy."""
    on_sale = make_course("on sale", prices=[("30", "10.00"), ("60", "20.00")])
    offline = make_course("offline", status=Course.STATUS_OFFLINE)
    coming = make_course("coming", status=Course.STATUS_COMING)
    other = make_course("other")
    own, second = policies_of(on_sale)
    return [
        (on_sale.pk, own.pk, None),
        (on_sale.pk, second.pk, None),
        (on_sale.pk, policies_of(other)[0].pk, POLICY_GONE),
        (on_sale.pk, MISSING, POLICY_GONE),
        (offline.pk, policies_of(offline)[0].pk, OFF_SALE),
        (coming.pk, policies_of(coming)[0].pk, OFF_SALE),
        (MISSING, own.pk, OFF_SALE),
    ]


def test_a_catalogue_entry_answers_each_case(cases):
    courses = courses_on_sale({course_id for course_id, _, _ in cases})
    for course_id, policy_id, problem in cases:
        policy, found = on_sale_with(courses.get(course_id), policy_id)

        assert found == problem, (course_id, policy_id)
        assert (policy is not None and policy["id"] == policy_id) == (problem is None)


def test_one_query_answers_as_the_catalogue_entry_does(cases, django_assert_num_queries):
    courses = courses_on_sale({course_id for course_id, _, _ in cases})
    for course_id, policy_id, _ in cases:
        with django_assert_num_queries(1):
            sold = policies_on_sale({course_id: policy_id})[course_id]
        policy, _ = on_sale_with(courses.get(course_id), policy_id)

        assert (sold.pk if sold else None) == (policy["id"] if policy else None), (
            course_id,
            policy_id,
        )


def test_one_query_whatever_the_number_of_courses(make_course, django_assert_num_queries):
    courses = [make_course(f"c{i}") for i in range(10)]
    choices = {course.pk: policies_of(course)[0].pk for course in courses}

    with django_assert_num_queries(1):
        found = policies_on_sale(choices)

    assert {cid: p.pk for cid, p in found.items()} == choices
