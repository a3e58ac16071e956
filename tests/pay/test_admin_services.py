"""The admin goes through the services: records are read-only, actions call what the API calls,
and the ledger stays equal to the balance after each of them."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from course.models import Account
from pay.models import Coupon, CouponRecord, Order, TransactionRecord
from tests.helpers import apply_admin_action
from tests.pay.order_fixtures import mark_paid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ledgers_stay_consistent")]


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", "a@example.com", "admin-pass-1")


@pytest.fixture
def staff(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


def act(staff, model, action, objects, **extra):
    return staff.post(
        f"/admin/{model}/",
        {"action": action, "_selected_action": [o.pk for o in objects], **extra},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- read-only ------------------------------------------------------------------------------


def test_no_form_can_change_an_orders_status_or_money(staff, paid_order):
    page = staff.get(f"/admin/pay/order/{paid_order.pk}/change/")
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    assert 'name="actual_amount"' not in page.content.decode()
    response = staff.post(
        f"/admin/pay/order/{paid_order.pk}/change/",
        {"status": 4, "actual_amount": "0.00", "beili_used": 0, "settlement_token": "x"},
    )
    assert response.status_code in (401, 403)  # refused (issue 13 makes admin refusals 403)
    before = (paid_order.status, paid_order.actual_amount, paid_order.settlement_token)
    paid_order.refresh_from_db()
    assert (paid_order.status, paid_order.actual_amount, paid_order.settlement_token) == before


@pytest.mark.parametrize(
    "model", ["pay/order", "pay/couponrecord", "pay/transactionrecord", "pay/orderdetail"]
)
def test_records_cannot_be_added_or_deleted(staff, paid_order, model):
    assert staff.get(f"/admin/{model}/add/").status_code in (401, 403, 404)


def test_a_coupon_record_cannot_be_edited(staff, course_coupon):
    response = staff.post(
        f"/admin/pay/couponrecord/{course_coupon.pk}/change/", {"status": 1, "order": ""}
    )
    assert response.status_code in (401, 403)
    course_coupon.refresh_from_db()
    assert course_coupon.status == CouponRecord.STATUS_UNUSED


def test_an_order_cannot_be_deleted(staff, paid_order):
    assert staff.post(f"/admin/pay/order/{paid_order.pk}/delete/", {"post": "yes"}).status_code in (
        401,
        403,
    )
    assert Order.objects.filter(pk=paid_order.pk).exists()


def test_the_account_form_cannot_change_the_balance(staff, account, staff_user):
    page = staff.get(f"/admin/course/account/{account.pk}/change/").content.decode()
    assert 'name="balance"' not in page


# --- order actions --------------------------------------------------------------------------


def test_cancelling_in_the_admin_gives_everything_back(staff, account, place_order, course_coupon):
    order = place_order(beili=100, coupon=course_coupon)
    response = act(staff, "pay/order", "cancel_orders", [order])
    assert any("已取消" in m for m in messages_of(response))
    order.refresh_from_db()
    account.refresh_from_db()
    course_coupon.refresh_from_db()
    assert (order.status, account.balance, course_coupon.status) == (4, 100, 0)
    assert order.cancel_time is not None


def test_cancelling_an_order_paid_with_money_is_refused_in_words(staff, paid_order):
    response = act(staff, "pay/order", "cancel_orders", [paid_order])
    assert any("1051" in m for m in messages_of(response))
    paid_order.refresh_from_db()
    assert paid_order.status == Order.STATUS_PAID


def test_approving_a_refund_in_the_admin(staff, auth_api, account, paid_order, course_coupon):
    auth_api.post(f"/api/orders/{paid_order.order_number}/refund/", {"reason": "r"}, format="json")
    response = act(staff, "pay/order", "approve_refund", [paid_order])
    assert any("已退费" in m for m in messages_of(response))
    paid_order.refresh_from_db()
    account.refresh_from_db()
    course_coupon.refresh_from_db()
    assert (paid_order.status, account.balance, course_coupon.status) == (3, 100, 0)


def test_approving_an_order_with_no_refund_asked_reports_1052(staff, paid_order):
    response = act(staff, "pay/order", "approve_refund", [paid_order])
    assert any("1052" in m for m in messages_of(response))


def test_rejecting_asks_for_a_memo_then_returns_to_status_0(staff, auth_api, paid_order):
    auth_api.post(f"/api/orders/{paid_order.order_number}/refund/")
    form = staff.post(
        "/admin/pay/order/", {"action": "reject_refund", "_selected_action": [paid_order.pk]}
    )
    assert form.status_code == 200 and "驳回说明" in form.content.decode()
    act(staff, "pay/order", "reject_refund", [paid_order], apply="1", memo="已超过试听范围")
    paid_order.refresh_from_db()
    assert (paid_order.status, paid_order.refund_memo) == (0, "已超过试听范围")


def test_rejecting_without_a_memo_changes_nothing(staff, auth_api, paid_order):
    auth_api.post(f"/api/orders/{paid_order.order_number}/refund/")
    act(staff, "pay/order", "reject_refund", [paid_order], apply="1", memo="")
    paid_order.refresh_from_db()
    assert paid_order.status == Order.STATUS_REFUNDING


def test_staff_who_may_only_view_orders_get_no_actions(paid_order, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="x-pass-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client = Client()
    client.force_login(viewer)
    page = client.get("/admin/pay/order/")
    assert page.status_code == 200
    assert "cancel_orders" not in page.content.decode()
    act(client, "pay/order", "cancel_orders", [paid_order])
    paid_order.refresh_from_db()
    assert paid_order.status == Order.STATUS_PAID


def test_the_order_list_shows_the_money_totals_of_the_filtered_list(staff, place_order, paid_order):
    place_order()  # unpaid, 99.00
    everything = staff.get("/admin/pay/order/").content.decode()
    assert "2 个订单" in everything and "¥178.00" in everything
    paid_only = staff.get("/admin/pay/order/?status__exact=0").content.decode()
    assert "1 个订单" in paid_only and "¥79.00" in paid_only


@pytest.mark.parametrize(
    "page",
    [
        "pay/order/?q=alex",
        "pay/order/?status__exact=2&payment_type__exact=1",
        "pay/couponrecord/?status__exact=0",
        "pay/transactionrecord/?transaction_type__exact=1",
        "course/account/?q=al",
    ],
)
def test_list_pages_filter_and_search(staff, paid_order, page):
    assert staff.get(f"/admin/{page}").status_code == 200


# --- 贝里 ------------------------------------------------------------------------------------


def test_staff_credit_beili_with_a_memo_and_a_ledger_row(staff, account):
    act(
        staff, "course/account", "adjust_beili", [account], apply="1", amount="500", memo="活动奖励"
    )
    account.refresh_from_db()
    assert account.balance == 500
    row = TransactionRecord.objects.get(account=account)
    assert (row.transaction_type, row.amount, row.memo) == (0, 500, "人工调整: 活动奖励")


def test_a_debit_below_zero_is_refused_and_changes_nothing(staff, account, fund):
    fund(account, 50)
    response = act(
        staff, "course/account", "adjust_beili", [account], apply="1", amount="-80", memo="扣减"
    )
    assert any("贝里不足" in m for m in messages_of(response))
    account.refresh_from_db()
    assert account.balance == 50
    assert TransactionRecord.objects.filter(account=account).count() == 1


def test_a_debit_within_the_balance_is_a_spend_row(staff, account, fund):
    fund(account, 50)
    act(staff, "course/account", "adjust_beili", [account], apply="1", amount="-30", memo="更正")
    account.refresh_from_db()
    assert account.balance == 20


@pytest.mark.parametrize("amount", ["0", "99999999999", "abc", "1.5"])
def test_an_amount_out_of_bounds_is_a_form_error(staff, account, amount):
    response = apply_admin_action(
        staff, "course/account", "adjust_beili", [account.pk], amount=amount, memo="x"
    )
    assert response.status_code == 200  # the form again, with its error
    account.refresh_from_db()
    assert account.balance == 0


def test_a_credit_past_the_largest_balance_is_refused(staff, account, fund):
    fund(account, 2_147_483_000)
    response = act(
        staff, "course/account", "adjust_beili", [account], apply="1", amount="1000", memo="x"
    )
    assert any("上限" in m for m in messages_of(response))
    account.refresh_from_db()
    assert account.balance == 2_147_483_000


# --- issuing coupons ------------------------------------------------------------------------


def test_issuing_honours_the_limit_skips_staff_and_says_why(
    staff, staff_user, make_coupon, make_account, give_coupon
):
    rule = make_coupon(per_account_limit=1)
    holder, fresh = make_account("holder"), make_account("fresh")
    give_coupon(holder, rule)
    response = act(
        staff,
        "pay/coupon",
        "issue_to_accounts",
        [rule],
        apply="1",
        accounts=[holder.pk, fresh.pk, staff_user.pk],
    )
    said = " | ".join(messages_of(response))
    assert "已发放 1 张" in said
    assert "跳过 holder: 已达每人限领张数 1" in said
    assert "跳过 admin: 员工账户" in said
    held = dict(
        CouponRecord.objects.filter(coupon=rule)
        .values_list("account__username")
        .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
    )
    assert held == {"holder": 1, "fresh": 1}


def test_issuing_to_staff_when_asked(staff, staff_user, make_coupon):
    rule = make_coupon()
    act(
        staff,
        "pay/coupon",
        "issue_to_accounts",
        [rule],
        apply="1",
        accounts=[staff_user.pk],
        include_staff="on",
    )
    assert CouponRecord.objects.filter(coupon=rule, account=staff_user).count() == 1


def test_the_account_search_for_issuing_answers(staff, make_coupon, make_account):
    make_account("zhangsan")
    response = staff.get(
        "/admin/autocomplete/",
        {
            "term": "zhang",
            "app_label": "pay",
            "model_name": "couponrecord",
            "field_name": "account",
        },
    )
    assert [r["text"] for r in response.json()["results"]] == ["zhangsan"]


# --- coupon rules: course binding and bounds -----------------------------------------------


def rule_form(**fields):
    today = timezone.localdate()
    return {
        "name": "rule",
        "coupon_type": 0,
        "money_equivalent_value": "10",
        "minimum_consume": "0",
        "open_date": today.isoformat(),
        "close_date": (today + timedelta(days=10)).isoformat(),
        "per_account_limit": "1",
        "coupon_valid_days": "30",
        **fields,
    }


def test_a_rule_binds_to_a_course_chosen_by_name(staff, python):
    response = staff.post("/admin/pay/coupon/add/", rule_form(course=python.pk))
    assert response.status_code == 302
    rule = Coupon.objects.get()
    assert (rule.content_type.model, rule.object_id) == ("course", python.pk)
    page = staff.get(f"/admin/pay/coupon/{rule.pk}/change/").content.decode()
    assert 'name="content_type"' not in page and 'name="object_id"' not in page
    assert f'<option value="{python.pk}" selected>Python</option>' in page


def test_a_rule_without_a_course_is_global_and_unbinding_works(staff, python, make_coupon):
    rule = make_coupon(course=python)
    data = rule_form(course="", valid_begin_date="", valid_end_date="")
    assert staff.post(f"/admin/pay/coupon/{rule.pk}/change/", data).status_code == 302
    rule.refresh_from_db()
    assert (rule.content_type, rule.object_id) == (None, None)


def test_the_course_search_finds_courses_by_name(staff, python, make_course):
    make_course("Django")
    found = staff.get("/admin/pay/coupon/course-search/", {"term": "pyt"}).json()
    assert found == {
        "results": [{"id": str(python.pk), "text": "Python"}],
        "pagination": {"more": False},
    }


@pytest.mark.parametrize(
    "field, value",
    [
        ("coupon_valid_days", "3000000"),
        ("coupon_valid_days", "3651"),
        ("coupon_valid_days", "-1"),
        ("per_account_limit", "0"),
        ("per_account_limit", "1001"),
        ("per_account_limit", "99999999999"),
        ("money_equivalent_value", "-5"),
        ("money_equivalent_value", "100000000"),
        ("money_equivalent_value", "1e30"),
        ("minimum_consume", "-1"),
        ("minimum_consume", "123456789012"),
        ("off_percent", "100"),
        ("course", "99999999999999999999"),
        ("course", "abc"),
        ("open_date", "99999-01-01"),
    ],
)
def test_every_number_the_rule_form_accepts_is_bounded(staff, field, value):
    response = staff.post("/admin/pay/coupon/add/", rule_form(**{field: value}))
    assert response.status_code == 200  # the form again with its error, never a 500
    assert "errorlist" in response.content.decode()
    assert not Coupon.objects.exists()


def test_the_largest_validity_is_accepted_and_computes(staff, account, give_coupon, auth_api):
    assert (
        staff.post("/admin/pay/coupon/add/", rule_form(coupon_valid_days="3650")).status_code == 302
    )
    give_coupon(account, Coupon.objects.get())
    assert auth_api.get("/api/coupons/").json()["code"] == 1000


@pytest.mark.parametrize("price", ["-1", "100000000", "nan"])
def test_a_price_policy_price_is_bounded(staff, python, price):
    response = staff.post(
        "/admin/course/pricepolicy/add/",
        {
            "content_type": python.price_policy.first().content_type_id,
            "object_id": python.pk,
            "valid_period": 60,
            "price": price,
        },
    )
    assert response.status_code == 200
    assert python.price_policy.count() == 1


def test_a_course_order_number_is_bounded(staff):
    response = staff.post(
        "/admin/course/course/add/",
        {
            "name": "X",
            "status": 0,
            "order": "99999999999999999999",
            "course-pricepolicy-content_type-object_id-TOTAL_FORMS": "0",
            "course-pricepolicy-content_type-object_id-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert not Account.objects.filter(username="X").exists()


def test_the_order_list_shows_an_overdue_order_as_timed_out(staff, place_order, settings):
    order = place_order()
    Order.objects.filter(pk=order.pk).update(
        date=timezone.now() - timedelta(seconds=settings.ORDER_PAY_TIMEOUT + 1)
    )
    assert "超时取消(待处理)" in staff.get("/admin/pay/order/").content.decode()


def test_a_payment_after_the_cancel_is_returned_once_by_staff(staff, auth_api, place_order):
    order = place_order()
    auth_api.post(f"/api/orders/{order.order_number}/cancel/")
    mark_paid(order)
    assert order.refund_flagged
    response = act(staff, "pay/order", "refund_late_payment", [order])
    assert any("已退回" in m for m in messages_of(response))
    order.refresh_from_db()
    assert (order.status, order.refund_flagged) == (Order.STATUS_CANCELLED, False)
    assert order.refund_time is not None
    again = act(staff, "pay/order", "refund_late_payment", [order])
    assert any("1052" in m for m in messages_of(again))
