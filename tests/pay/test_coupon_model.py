"""Coupon.clean(): the seed's save() rules and the type rules, through the model and the admin."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.sites import AdminSite
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from course.models import Account
from pay.admin import CouponAdmin
from pay.models import Coupon

pytestmark = pytest.mark.django_db


def invalid_fields(make_coupon, **fields) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        make_coupon(**fields)
    return set(caught.value.message_dict)


def test_a_valid_rule_saves(make_coupon):
    assert make_coupon().pk


def test_valid_end_must_be_after_valid_begin(make_coupon, today):
    assert "valid_end_date" in invalid_fields(
        make_coupon, valid_begin_date=today, valid_end_date=today
    )


def test_validity_dates_come_in_pairs(make_coupon, today):
    assert "valid_end_date" in invalid_fields(make_coupon, valid_end_date=None)


def test_coupon_valid_days_must_not_be_zero(make_coupon):
    fields = invalid_fields(
        make_coupon, valid_begin_date=None, valid_end_date=None, coupon_valid_days=0
    )
    assert "coupon_valid_days" in fields


def test_a_rule_needs_dates_or_days(make_coupon):
    fields = invalid_fields(make_coupon, valid_begin_date=None, valid_end_date=None)
    assert "coupon_valid_days" in fields


def test_a_rule_takes_dates_or_days_not_both(make_coupon):
    assert "coupon_valid_days" in invalid_fields(make_coupon, coupon_valid_days=7)


def test_a_days_rule_saves(make_coupon):
    assert make_coupon(valid_begin_date=None, valid_end_date=None, coupon_valid_days=7).pk


def test_close_date_must_not_be_before_open_date(make_coupon, today):
    fields = invalid_fields(make_coupon, open_date=today, close_date=today - timedelta(days=1))
    assert "close_date" in fields


def test_general_coupon_needs_a_value(make_coupon):
    assert "money_equivalent_value" in invalid_fields(make_coupon, money_equivalent_value=None)


def test_threshold_coupon_needs_minimum_above_its_value(make_coupon):
    fields = invalid_fields(
        make_coupon,
        coupon_type=Coupon.TYPE_THRESHOLD,
        money_equivalent_value=Decimal("30"),
        minimum_consume=Decimal("30"),
    )
    assert "minimum_consume" in fields


def test_threshold_coupon_with_minimum_above_value_saves(make_coupon):
    rule = make_coupon(
        coupon_type=Coupon.TYPE_THRESHOLD,
        money_equivalent_value=Decimal("30"),
        minimum_consume=Decimal("100"),
    )
    assert rule.pk


@pytest.mark.parametrize("off_percent", [None, 0, 100])
def test_discount_coupon_needs_off_percent_in_1_to_99(make_coupon, off_percent):
    fields = invalid_fields(
        make_coupon,
        coupon_type=Coupon.TYPE_DISCOUNT,
        money_equivalent_value=None,
        off_percent=off_percent,
    )
    assert "off_percent" in fields


def test_bound_coupon_needs_an_existing_course(make_coupon):
    from course.models import Course

    fields = invalid_fields(
        make_coupon, content_type=ContentType.objects.get_for_model(Course), object_id=999999
    )
    assert "object_id" in fields


def test_bound_coupon_must_bind_to_a_course_content_type(make_coupon, account):
    fields = invalid_fields(
        make_coupon, content_type=ContentType.objects.get_for_model(Account), object_id=account.pk
    )
    assert "content_type" in fields


def test_bound_coupon_needs_both_type_and_id(make_coupon, make_course):
    course = make_course()
    assert "object_id" in invalid_fields(make_coupon, object_id=course.pk)


def test_database_refuses_off_percent_outside_1_to_99_even_without_clean(make_coupon):
    rule = make_coupon()
    with pytest.raises(IntegrityError), transaction.atomic():
        Coupon.objects.filter(pk=rule.pk).update(off_percent=100)


def admin_form_errors(data: dict) -> dict:
    admin = CouponAdmin(Coupon, AdminSite())
    form_class = admin.get_form(request=HttpRequest(), obj=None, change=False, fields=None)
    form = form_class(data=data)
    assert not form.is_valid()
    return form.errors


def admin_data(today, **fields):
    data = {
        "name": "rule",
        "coupon_type": Coupon.TYPE_GENERAL,
        "money_equivalent_value": "10.00",
        "minimum_consume": "0",
        "open_date": today.isoformat(),
        "close_date": (today + timedelta(days=5)).isoformat(),
        "valid_begin_date": today.isoformat(),
        "valid_end_date": (today + timedelta(days=5)).isoformat(),
        "per_account_limit": "1",
    }
    data.update(fields)
    return data


def test_admin_form_shows_the_date_rule_as_a_form_error(today):
    errors = admin_form_errors(admin_data(today, valid_end_date=today.isoformat()))
    assert "valid_end_date" in errors


def test_admin_form_shows_the_type_rule_as_a_form_error(today):
    errors = admin_form_errors(admin_data(today, coupon_type=Coupon.TYPE_DISCOUNT))
    assert "off_percent" in errors


def test_admin_form_accepts_a_valid_rule(today):
    admin = CouponAdmin(Coupon, AdminSite())
    form = admin.get_form(request=None, obj=None, change=False)(data=admin_data(today))
    assert form.is_valid(), form.errors
