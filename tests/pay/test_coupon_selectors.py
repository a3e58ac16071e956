"""settlement_coupons(): the coupons a settlement may offer, in a constant number of queries."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType

from course.models import Account
from pay.models import CouponRecord
from pay.selectors import settlement_coupons

pytestmark = pytest.mark.django_db


def test_course_coupons_are_grouped_by_their_course(account, make_course, make_coupon, give_coupon):
    python, django = make_course(), make_course()
    mine = give_coupon(account, make_coupon(course=python))
    per_course, global_coupons = settlement_coupons(
        account_id=account.pk, course_ids=[python.pk, django.pk]
    )
    assert [c.id for c in per_course[python.pk]] == [mine.pk]
    assert per_course[django.pk] == []
    assert global_coupons == []


def test_global_coupons_are_those_bound_to_nothing(account, make_course, make_coupon, give_coupon):
    record = give_coupon(account, make_coupon())
    _, global_coupons = settlement_coupons(account_id=account.pk, course_ids=[make_course().pk])
    assert [c.id for c in global_coupons] == [record.pk]


def test_coupons_of_courses_not_settled_are_left_out(
    account, make_course, make_coupon, give_coupon
):
    settled, other = make_course(), make_course()
    give_coupon(account, make_coupon(course=other))
    per_course, _ = settlement_coupons(account_id=account.pk, course_ids=[settled.pk])
    assert per_course == {settled.pk: []}


def test_binding_to_another_content_type_with_the_same_id_is_not_a_course_coupon(
    account, make_course, make_coupon, give_coupon
):
    course = make_course()
    rule = make_coupon(course=course)
    # Rebind at the database level to another model with the same id (clean() forbids it).
    type(rule).objects.filter(pk=rule.pk).update(
        content_type=ContentType.objects.get_for_model(Account)
    )
    give_coupon(account, rule)
    per_course, global_coupons = settlement_coupons(account_id=account.pk, course_ids=[course.pk])
    assert per_course[course.pk] == [] and global_coupons == []


def test_used_expired_and_other_accounts_records_are_never_offered(
    account, make_account, make_course, make_coupon, give_coupon
):
    rule = make_coupon()
    give_coupon(account, rule, status=CouponRecord.STATUS_USED)
    give_coupon(account, make_coupon(), status=CouponRecord.STATUS_EXPIRED)
    give_coupon(make_account("other"), rule)
    _, global_coupons = settlement_coupons(account_id=account.pk, course_ids=[make_course().pk])
    assert global_coupons == []


def test_records_outside_their_dates_are_not_offered(
    account, make_course, make_coupon, give_coupon, today
):
    give_coupon(
        account,
        make_coupon(
            valid_begin_date=today + timedelta(days=1), valid_end_date=today + timedelta(days=5)
        ),
    )
    give_coupon(
        account,
        make_coupon(
            valid_begin_date=today - timedelta(days=5), valid_end_date=today - timedelta(days=1)
        ),
    )
    _, global_coupons = settlement_coupons(account_id=account.pk, course_ids=[make_course().pk])
    assert global_coupons == []


def test_days_records_are_offered_until_claim_day_plus_days(
    account, make_course, make_coupon, give_coupon, today
):
    rule = make_coupon(valid_begin_date=None, valid_end_date=None, coupon_valid_days=3)
    record = give_coupon(account, rule, days_ago=0)
    course_ids = [make_course().pk]
    for day, offered in [(0, True), (3, True), (4, False)]:
        _, found = settlement_coupons(
            account_id=account.pk, course_ids=course_ids, today=today + timedelta(days=day)
        )
        assert ([c.id for c in found] == [record.pk]) is offered, day


def test_query_count_is_the_same_for_1_or_30_courses(
    account, make_course, make_coupon, give_coupon, django_assert_num_queries
):
    courses = [make_course() for _ in range(30)]
    for course in courses:
        give_coupon(account, make_coupon(course=course))
    give_coupon(account, make_coupon())
    settlement_coupons(
        account_id=account.pk, course_ids=[courses[0].pk]
    )  # warm the ContentType cache
    with django_assert_num_queries(1):
        settlement_coupons(account_id=account.pk, course_ids=[courses[0].pk])
    with django_assert_num_queries(1):
        per_course, _ = settlement_coupons(
            account_id=account.pk, course_ids=[c.pk for c in courses]
        )
    assert all(len(found) == 1 for found in per_course.values())
