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


def test_staff_issue_a_coupon_to_accounts_found_by_name_and_see_who_was_skipped(page, shot, demo):
    Account.objects.create_superuser("boss", "boss@example.com", "boss-pass-123")
    rule = Coupon.objects.get(name="全场通用10元")  # one per account; alex and wusir hold one
    Account.objects.create_user("zhangsan", password="zhangsan-pass-1")
    page.goto("/admin/login/?next=/admin/pay/coupon/")
    page.get_by_label("用户名").fill("boss")
    page.get_by_label("密码").fill("boss-pass-123")
    page.locator("input[type=submit]").click()
    page.locator("#result_list tr", has_text="全场通用10元").locator(
        "input[name=_selected_action]"
    ).check()
    page.locator("select[name=action]").select_option("issue_to_accounts")
    page.locator("button[name=index]").click()

    for name in ("alex", "zhangsan"):
        page.locator("#id_accounts + .select2 .select2-search__field").fill(name[:3])
        page.locator(".select2-results__option", has_text=name).click()
    shot("accounts-chosen")
    page.get_by_role("button", name="发放 / issue").click()

    messages = page.locator("ul.messagelist")
    expect(messages).to_contain_text("已发放 1 张")
    expect(messages).to_contain_text("跳过 alex: 已达每人限领张数 1")
    shot("issued")
    held = Coupon.objects.get(pk=rule.pk).couponrecord_set.values_list(
        "account__username", flat=True
    )
    assert sorted(held) == ["alex", "wusir", "zhangsan"]
