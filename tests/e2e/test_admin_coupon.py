"""Staff in the admin: a coupon rule bound to a course found by typing its name."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from course.models import Account, Course
from pay.models import Coupon
from tests.e2e.test_shop_flow import PYTHON, demo

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
__all__ = ["demo"]


def test_staff_bind_a_new_coupon_rule_to_a_course_by_searching_its_name(page, shot, demo):
    Account.objects.create_superuser("boss", "boss@example.com", "boss-pass-123")
    page.goto("/admin/login/?next=/admin/pay/coupon/add/")
    page.get_by_label("用户名").fill("boss")
    page.get_by_label("密码").fill("boss-pass-123")
    page.locator("input[type=submit]").click()

    today = timezone.localdate()
    page.locator("#id_name").fill("Python 限时立减")
    page.locator("#id_money_equivalent_value").fill("15")
    page.locator("#id_open_date").fill(today.isoformat())
    page.locator("#id_close_date").fill((today + timedelta(days=7)).isoformat())
    page.locator("#id_coupon_valid_days").fill("30")
    # The course field is a search box: type part of the name, pick the course
    page.locator("#id_course + .select2").click()
    page.locator(".select2-search__field").fill("Python")
    page.locator(".select2-results__option", has_text=PYTHON).click()
    shot("course-chosen")
    page.locator("input[name=_save]").click()

    expect(page.locator("ul.messagelist")).to_contain_text("Python 限时立减")
    expect(page.locator("#result_list")).to_contain_text(PYTHON)
    shot("saved")
    rule = Coupon.objects.get(name="Python 限时立减")
    assert rule.object_id == Course.objects.get(name=PYTHON).pk
    assert rule.content_type.model == "course"
