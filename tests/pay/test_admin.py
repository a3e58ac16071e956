"""The admin pages staff use for coupon rules, records, orders and the ledger."""

import pytest

from pay.models import CouponRecord
from tests.helpers import apply_admin_action

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["coupon", "couponrecord", "order", "transactionrecord"])
def test_admin_changelists_render(staff, make_coupon, make_course, page):
    make_coupon(course=make_course("Python"))
    response = staff.get(f"/admin/pay/{page}/")
    assert response.status_code == 200


def test_coupon_changelist_shows_the_bound_course_name(staff, make_coupon, make_course):
    make_coupon(course=make_course("Python 入门"))
    assert "Python 入门" in staff.get("/admin/pay/coupon/").content.decode()


def test_issue_action_gives_each_chosen_account_a_record(staff, make_coupon, make_account):
    rule = make_coupon()
    alice, bob = make_account("alice"), make_account("bob")
    response = apply_admin_action(
        staff, "pay/coupon", "issue_to_accounts", [rule.pk], accounts=[alice.pk, bob.pk]
    )
    assert response.status_code == 302
    numbers = CouponRecord.objects.filter(coupon=rule).values_list("number", flat=True)
    assert len(set(numbers)) == 2


def test_issue_action_first_asks_for_the_accounts(staff, make_coupon):
    rule = make_coupon()
    response = staff.post(
        "/admin/pay/coupon/", {"action": "issue_to_accounts", "_selected_action": [rule.pk]}
    )
    assert response.status_code == 200
    assert "发放" in response.content.decode()


def test_admin_coupon_form_error_is_shown_not_a_crash(staff, today):
    response = staff.post(
        "/admin/pay/coupon/add/",
        {
            "name": "bad",
            "coupon_type": 2,
            "minimum_consume": "0",
            "open_date": today.isoformat(),
            "close_date": today.isoformat(),
            "coupon_valid_days": "5",
            "per_account_limit": "1",
        },
    )
    assert response.status_code == 200
    assert "off_percent" in response.content.decode() or "折扣" in response.content.decode()


def test_admin_permission_denied_is_the_admin_html_page_not_the_api_envelope(
    django_user_model, client
):
    clerk = django_user_model.objects.create_user("clerk", password="clerk-pass-1", is_staff=True)
    client.force_login(clerk)  # staff, but no permission on orders
    response = client.get("/admin/pay/order/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_a_page_outside_the_api_that_is_not_there_is_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


FORGED = ["abc", "99999999999999999999", "-1", "1\x00", ""]


@pytest.mark.parametrize("forged", FORGED)
@pytest.mark.parametrize(
    ("page", "action"),
    [
        ("pay/coupon", "issue_to_accounts"),
        ("pay/redemptioncode", "download_csv"),
        ("pay/order", "delete_selected"),
        ("course/course", "delete_selected"),
        ("course/account", "adjust_beili"),
        ("axes/accessattempt", "delete_selected"),
        ("axes/accesslog", "delete_selected"),
        ("auth/group", "delete_selected"),
    ],
)
def test_a_forged_selection_is_refused_with_a_message_not_a_crash(staff, page, action, forged):
    response = staff.post(
        f"/admin/{page}/", {"action": action, "_selected_action": [forged]}, follow=True
    )
    assert response.status_code == 200  # back on the list, with the message
    assert "not a valid selection" in response.content.decode()


@pytest.mark.parametrize("forged", FORGED)
def test_issue_action_refuses_a_forged_account_in_the_form(staff, make_coupon, forged):
    rule = make_coupon()
    response = apply_admin_action(
        staff, "pay/coupon", "issue_to_accounts", [rule.pk], accounts=[forged]
    )
    assert response.status_code == 200  # the form again, with its error
    assert not CouponRecord.objects.filter(coupon=rule).exists()


@pytest.mark.parametrize("page", ["axes/accessattempt", "axes/accesslog", "auth/group"])
def test_other_apps_admin_lists_render_behind_the_same_guard(staff, page):
    from django.contrib import admin

    from utils.admin import SelectionGuard

    assert staff.get(f"/admin/{page}/").status_code == 200
    assert all(isinstance(a, SelectionGuard) for a in admin.site._registry.values())


def _unreachable_redis():
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )


def test_a_password_change_with_redis_down_is_refused_with_a_message_not_a_500(staff, make_account):
    from utils.redis import set_redis

    bob = make_account("bob")
    before = bob.password
    set_redis(_unreachable_redis())
    try:
        response = staff.post(
            f"/admin/course/account/{bob.pk}/password/",
            {"password1": "a-new-pass-123", "password2": "a-new-pass-123"},
            follow=True,
        )
    finally:
        set_redis(None)
    assert response.status_code == 200
    assert "Redis is unavailable: not saved" in response.content.decode()
    bob.refresh_from_db()
    assert bob.password == before  # nothing changed: old tokens still end with the old password


def test_deactivating_an_account_with_redis_down_is_refused_with_a_message_not_a_500(
    staff, make_account
):
    from utils.redis import set_redis

    bob = make_account("bob")
    page = f"/admin/course/account/{bob.pk}/change/"
    form = {"username": "bob", "is_active": "", "date_joined_0": "2026-01-01"}
    form |= {"date_joined_1": "00:00:00", "_save": "Save"}
    set_redis(_unreachable_redis())
    try:
        response = staff.post(page, form, follow=True)
    finally:
        set_redis(None)
    assert response.status_code == 200
    assert "Redis is unavailable: not saved" in response.content.decode()
    bob.refresh_from_db()
    assert bob.is_active
