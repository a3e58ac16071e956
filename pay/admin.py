"""Admin: coupon rules (the staff's editor), records, orders with their lines, the 贝里 ledger.

Orders, order lines, coupon records and the ledger are read-only: no form can change a status or
a money field. What staff may do to them is an action that calls the same service the API calls
(cancel an order, approve or reject a refund, issue coupons, credit or debit an account's 贝里).
"""

import csv
from decimal import Decimal
from types import SimpleNamespace

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth.admin import UserAdmin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone

from course.models import Account, Course
from pay import order_services
from pay.coupon_records import coupon_issue
from pay.ledger import MAX_BALANCE, beili_adjust
from pay.models import (
    Coupon,
    CouponRecord,
    Order,
    OrderDetail,
    RedemptionCode,
    TransactionRecord,
)
from pay.redemption_codes import (
    REDEMPTION_MAX_BATCH,
    redemption_code_format,
    redemption_codes_generate,
)
from utils.admin import IdsChoiceField, IdsOnlySearch, unless_redis_is_down
from utils.errors import AppError
from utils.money import money_text

# --- Coupon rules: a searchable course field instead of a content type and an id -------------

COURSE_SEARCH_PAGE = 20


class CourseSearchSelect(IdsOnlySearch, AutocompleteSelect):
    """The admin's select2 search box over courses, for a field that is not a ForeignKey (the
    seed's generic binding): answers come from CouponAdmin.course_search."""

    def __init__(self, **kwargs):
        ref = SimpleNamespace(
            model=Coupon, name="course", remote_field=SimpleNamespace(model=Course, field_name="id")
        )
        super().__init__(ref, admin.site, **kwargs)

    def get_url(self):
        return reverse("admin:pay_coupon_course_search")


class AccountSearchSelect(IdsOnlySearch, AutocompleteSelectMultiple):
    """The admin's select2 search box over accounts (several)."""

    def __init__(self, **kwargs):
        super().__init__(CouponRecord._meta.get_field("account"), admin.site, **kwargs)


class CouponAdminForm(forms.ModelForm):
    """The course choice maps onto the seed's generic columns (content_type, object_id)."""

    course = forms.ModelChoiceField(
        queryset=Course.objects.order_by("name"),
        required=False,
        label="绑定课程",
        help_text="输入课程名搜索;不填为全局券",
        widget=CourseSearchSelect(),
    )

    class Meta:
        model = Coupon
        fields = (
            "name",
            "brief",
            "coupon_type",
            "money_equivalent_value",
            "minimum_consume",
            "off_percent",
            "open_date",
            "close_date",
            "per_account_limit",
            "total_quantity",
            "code",
            "valid_begin_date",
            "valid_end_date",
            "coupon_valid_days",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.object_id:
            self.initial.setdefault("course", self.instance.object_id)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns (the stub allows None)
        course = cleaned.get("course")
        self.instance.content_type = (
            ContentType.objects.get_for_model(Course) if course is not None else None
        )
        self.instance.object_id = course.pk if course is not None else None
        return cleaned


class IssueForm(forms.Form):
    accounts = IdsChoiceField(
        queryset=Account.objects.filter(is_active=True).order_by("username"),
        widget=AccountSearchSelect(),
        label="发放给账户",
        help_text="输入用户名搜索,可多选",
    )
    include_staff = forms.BooleanField(
        required=False, label="包括员工账户", help_text="默认不发给员工账户"
    )


class GenerateCodesForm(forms.Form):
    count = forms.IntegerField(
        min_value=1, max_value=REDEMPTION_MAX_BATCH, label="每个规则生成的兑换码数"
    )


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (usernames are chosen by users)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def codes_csv(codes, filename: str) -> HttpResponse:
    """Redemption codes as a CSV download (UTF-8 with BOM, so that Excel reads the Chinese)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["code", "coupon_id", "coupon", "created", "redeemed_by", "redeemed_at"])
    for entry in codes:
        redeemed_at = entry.redeemed_at
        writer.writerow(
            [
                redemption_code_format(entry.code),
                entry.coupon_id,
                _cell(entry.coupon.name),
                timezone.localtime(entry.created).isoformat(timespec="seconds"),
                _cell(entry.redeemed_by.username) if entry.redeemed_by_id else "",
                timezone.localtime(redeemed_at).isoformat(timespec="seconds")
                if redeemed_at
                else "",
            ]
        )
    return response


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    form = CouponAdminForm
    list_display = (
        "name",
        "coupon_type",
        "binding",
        "open_date",
        "close_date",
        "validity",
        "per_account_limit",
        "code",
        "total_quantity",
        "claimed",
        "used",
        "codes_left",
        "remaining_display",
    )
    list_filter = ("coupon_type", "open_date", "close_date")
    search_fields = ("name", "brief", "code")
    actions = ["issue_to_accounts", "generate_redemption_codes"]
    readonly_fields = ("issued_count", "codes_outstanding", "remaining_display")
    fieldsets = (
        (None, {"fields": ("name", "brief", "coupon_type")}),
        ("优惠", {"fields": ("money_equivalent_value", "minimum_consume", "off_percent")}),
        ("绑定课程(不填为全局券)", {"fields": ("course",)}),
        ("领取", {"fields": ("open_date", "close_date", "per_account_limit")}),
        (
            "发行总量与优惠码",
            {
                "fields": (
                    "total_quantity",
                    "code",
                    "issued_count",
                    "codes_outstanding",
                    "remaining_display",
                )
            },
        ),
        (
            "有效期(日期或天数)",
            {"fields": ("valid_begin_date", "valid_end_date", "coupon_valid_days")},
        ),
    )

    def get_urls(self):
        search = path(
            "course-search/",
            self.admin_site.admin_view(self.course_search),
            name="pay_coupon_course_search",
        )
        return [search, *super().get_urls()]

    def course_search(self, request):
        """select2's JSON for the course field: courses whose name contains `term`."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        term = request.GET.get("term", "").strip()
        try:
            page = max(1, min(int(request.GET.get("page", "1")), 1000))
        except ValueError:
            page = 1
        courses = Course.objects.order_by("name")
        if term:
            courses = courses.filter(name__icontains=term)
        start = (page - 1) * COURSE_SEARCH_PAGE
        found = list(courses[start : start + COURSE_SEARCH_PAGE + 1])
        return JsonResponse(
            {
                "results": [{"id": str(c.pk), "text": c.name} for c in found[:COURSE_SEARCH_PAGE]],
                "pagination": {"more": len(found) > COURSE_SEARCH_PAGE},
            }
        )

    def get_queryset(self, request):
        course_name = Course.objects.filter(pk=OuterRef("object_id")).values("name")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(
                bound_course=Subquery(course_name),
                claimed_count=Count("couponrecord"),
                used_count=Count("couponrecord", filter=Q(couponrecord__status=1)),
            )
        )

    @admin.display(description="绑定课程")
    def binding(self, obj):
        return obj.bound_course if obj.object_id else "全局"

    @admin.display(description="有效期")
    def validity(self, obj):
        if obj.valid_begin_date:
            return f"{obj.valid_begin_date} ~ {obj.valid_end_date}"
        return f"领取后{obj.coupon_valid_days}天"

    @admin.display(description="已领", ordering="claimed_count")
    def claimed(self, obj):
        return obj.claimed_count

    @admin.display(description="已用", ordering="used_count")
    def used(self, obj):
        return obj.used_count

    @admin.display(description="未兑换的兑换码", ordering="codes_outstanding")
    def codes_left(self, obj):
        return obj.codes_outstanding

    @admin.display(description="剩余")
    def remaining_display(self, obj):
        return "不限" if obj.remaining is None else obj.remaining

    @admin.action(description="生成兑换码并下载 CSV")
    def generate_redemption_codes(self, request, queryset):
        form = GenerateCodesForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            created: list[RedemptionCode] = []
            for coupon in queryset:
                try:
                    batch = redemption_codes_generate(
                        coupon=coupon, count=form.cleaned_data["count"]
                    )
                except AppError as error:
                    self.message_user(request, f"{coupon}: {error.detail}", messages.ERROR)
                    continue
                created += batch
            if not created:
                return None
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
            # the new codes as made (their rule at hand, none redeemed): no query of tens of
            # thousands of ids, which PostgreSQL refuses past 65,535 bound values
            created.sort(key=lambda entry: (entry.coupon_id, entry.pk))
            return codes_csv(created, f"redemption-codes-{stamp}.csv")
        return render(
            request,
            "admin/pay/coupon/generate_codes.html",
            {
                **self.admin_site.each_context(request),
                "title": "生成兑换码",
                "coupons": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="发放选中的优惠券给账户")
    def issue_to_accounts(self, request, queryset):
        form = IssueForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            accounts = list(form.cleaned_data["accounts"])
            for coupon in queryset:
                try:
                    result = coupon_issue(
                        coupon=coupon,
                        accounts=accounts,
                        include_staff=form.cleaned_data["include_staff"],
                    )
                except AppError as error:  # past the rule's total_quantity: nothing issued
                    self.message_user(request, f"{coupon}: {error.detail}", messages.ERROR)
                    continue
                self.message_user(
                    request, f"{coupon}: 已发放 {len(result.issued)} 张", messages.SUCCESS
                )
                for account, reason in result.skipped:
                    self.message_user(
                        request, f"{coupon}: 跳过 {account.username}: {reason}", messages.WARNING
                    )
            return None
        return render(
            request,
            "admin/pay/coupon/issue.html",
            {
                **self.admin_site.each_context(request),
                "title": "发放优惠券",
                "coupons": queryset,
                "form": form,
                "media": self.media + form.media,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


# --- Read-only records: changes only through actions that call the services -------------------


@admin.register(RedemptionCode)
class RedemptionCodeAdmin(admin.ModelAdmin):
    """Codes are made by the rule's action and changed only by a redemption: read-only here."""

    list_display = ("printed", "coupon", "created", "redeemed_by", "redeemed_at", "record")
    list_filter = (("redeemed_at", admin.EmptyFieldListFilter), "coupon")
    search_fields = ("code", "redeemed_by__username", "coupon__name")
    list_select_related = ("coupon", "redeemed_by", "record")
    actions = ["download_csv"]

    def get_search_results(self, request, queryset, search_term):
        # what staff read off paper: XXXX-XXXX-XXXX-XXXX, in any case
        from pay.redemption_codes import redemption_code_normalize

        normalized = redemption_code_normalize(search_term)
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        if normalized and normalized != search_term:
            queryset |= self.model.objects.filter(code=normalized)
        return queryset, duplicates

    @admin.display(description="兑换码", ordering="code")
    def printed(self, obj):
        return redemption_code_format(obj.code)

    @admin.action(description="下载选中的兑换码 (CSV)")
    def download_csv(self, request, queryset):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        return codes_csv(
            queryset.select_related("coupon", "redeemed_by").order_by("coupon_id", "id"),
            f"redemption-codes-{stamp}.csv",
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never written by a form: no add, no change, no delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CouponRecord)
class CouponRecordAdmin(ReadOnlyAdmin):
    list_display = ("number", "coupon", "account", "status", "get_time", "used_time", "order")
    list_filter = ("status", "coupon__coupon_type", "coupon")
    search_fields = ("number", "account__username", "coupon__name", "order__order_number")
    list_select_related = ("coupon", "account", "order")
    date_hierarchy = "get_time"


class OrderDetailInline(admin.TabularInline):
    model = OrderDetail
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "memo",
        "object_id",
        "original_price",
        "price",
        "valid_period_display",
        "course_coupon",
        "course_discount",
        "global_discount",
    )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RefundMemoForm(forms.Form):
    memo = forms.CharField(
        label="驳回说明", max_length=255, help_text="买家会在订单中看到", widget=forms.Textarea
    )


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = (
        "order_number",
        "account",
        "status_shown",
        "payment_type",
        "actual_amount",
        "beili_used",
        "date",
        "pay_time",
        "refund_request_time",
        "refund_flagged",
    )
    list_filter = ("status", "payment_type", "refund_flagged", "date", "pay_time")
    search_fields = ("order_number", "payment_number", "account__username", "refund_reason")
    list_select_related = ("account",)
    date_hierarchy = "date"
    inlines = [OrderDetailInline]
    actions = ["cancel_orders", "approve_refund", "reject_refund", "refund_late_payment"]
    fieldsets = (
        (None, {"fields": ("order_number", "account", "status", "date")}),
        (
            "支付",
            {
                "fields": (
                    "payment_type",
                    "payment_number",
                    "actual_amount",
                    "beili_used",
                    "global_coupon",
                    "code_url",
                )
            },
        ),
        ("时间", {"fields": ("pay_time", "cancel_time", "refund_flagged")}),
        (
            "退费",
            {"fields": ("refund_reason", "refund_request_time", "refund_time", "refund_memo")},
        ),
    )

    @admin.display(description="状态", ordering="status")
    def status_shown(self, obj):
        """An unpaid order past its deadline counts as timed out before the job writes it."""
        if obj.is_overdue():
            return "超时取消(待处理)"
        return obj.get_status_display()

    def has_operate_permission(self, request):
        """Actions change orders through the services: for staff who may change orders."""
        return request.user.has_perm("pay.change_order")

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            totals = context["cl"].queryset.aggregate(
                orders=Count("id"), money=Sum("actual_amount"), beili=Sum("beili_used")
            )
            totals["money"] = money_text(totals["money"] or Decimal(0))
            context["totals"] = totals
        return response

    def _each(self, request, queryset, work, done_text):
        done = 0
        for order in queryset.order_by("id"):
            try:
                work(order)
                done += 1
            except AppError as error:
                self.message_user(
                    request,
                    f"订单 {order.order_number}: {error.error.code} {error.detail}",
                    messages.ERROR,
                )
        if done:
            self.message_user(request, f"{done} 个订单{done_text}", messages.SUCCESS)

    @admin.action(description="取消选中的订单(退回优惠券和贝里)", permissions=["operate"])
    def cancel_orders(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda o: order_services.order_cancel(account_id=None, order_number=o.order_number),
            "已取消,优惠券和贝里已退回",
        )

    @admin.action(description="同意退费(原路退款,退回贝里和优惠券)", permissions=["operate"])
    def approve_refund(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda o: order_services.order_refund_approve(order_number=o.order_number),
            "已退费",
        )

    @admin.action(description="退回取消后到账的款项(待退款)", permissions=["operate"])
    def refund_late_payment(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda o: order_services.order_refund_late_payment(order_number=o.order_number),
            "取消后到账的款项已退回",
        )

    @admin.action(description="驳回退费申请", permissions=["operate"])
    def reject_refund(self, request, queryset):
        form = RefundMemoForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            memo = form.cleaned_data["memo"]
            self._each(
                request,
                queryset,
                lambda o: order_services.order_refund_reject(
                    order_number=o.order_number, memo=memo
                ),
                "的退费申请已驳回",
            )
            return None
        return render(
            request,
            "admin/pay/action_form.html",
            {
                **self.admin_site.each_context(request),
                "title": "驳回退费申请",
                "objects": queryset,
                "form": form,
                "action": "reject_refund",
                "submit": "驳回",
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(TransactionRecord)
class TransactionRecordAdmin(ReadOnlyAdmin):
    """The ledger is read-only: 贝里 change only through services (see the account actions)."""

    list_display = (
        "transaction_number",
        "account",
        "transaction_type",
        "amount",
        "balance",
        "order",
        "memo",
        "date",
    )
    list_filter = ("transaction_type", "date")
    search_fields = ("transaction_number", "account__username", "order__order_number", "memo")
    list_select_related = ("account", "order")
    date_hierarchy = "date"


# --- Accounts: 贝里 credited or debited by staff, a ledger row each time -----------------------


class BeiliAdjustForm(forms.Form):
    amount = forms.IntegerField(
        label="贝里数量",
        min_value=-MAX_BALANCE,
        max_value=MAX_BALANCE,
        help_text="正数增加,负数扣减;余额不会变为负数",
    )
    memo = forms.CharField(label="备注", max_length=100, help_text="记入贝里交易记录")

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("数量不能为0")
        return amount


@admin.register(Account)
class AccountAdmin(UserAdmin):
    list_display = ("username", "email", "balance", "is_staff", "is_active", "date_joined")
    # 贝里 changes only through the ledger (pay app), so the balance is shown, not edited;
    # staff credit or debit it with the action below (a ledger row each time).
    readonly_fields = ("balance",)
    fieldsets = (*(UserAdmin.fieldsets or ()), ("贝里", {"fields": ("balance",)}))
    actions = ["adjust_beili"]

    # A change of password, active flag or the account itself tells Redis first (its tokens end)
    def changeform_view(self, request, *args, **kwargs):
        return unless_redis_is_down(
            self,
            request,
            lambda: super(AccountAdmin, self).changeform_view(request, *args, **kwargs),
        )

    def user_change_password(self, request, *args, **kwargs):
        return unless_redis_is_down(
            self,
            request,
            lambda: super(AccountAdmin, self).user_change_password(request, *args, **kwargs),
        )

    def delete_view(self, request, *args, **kwargs):
        return unless_redis_is_down(
            self, request, lambda: super(AccountAdmin, self).delete_view(request, *args, **kwargs)
        )

    @admin.action(description="调整贝里(增加或扣减,记入流水)", permissions=["change"])
    def adjust_beili(self, request, queryset):
        form = BeiliAdjustForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            amount, memo = form.cleaned_data["amount"], form.cleaned_data["memo"]
            for account in queryset.order_by("username"):
                try:
                    row = beili_adjust(account_id=account.pk, amount=amount, memo=memo)
                except AppError as error:
                    self.message_user(
                        request, f"{account.username}: 未调整: {error.detail}", messages.ERROR
                    )
                else:
                    self.message_user(
                        request,
                        f"{account.username}: {amount:+d} 贝里,余额 {row.balance}",
                        messages.SUCCESS,
                    )
            return None
        return render(
            request,
            "admin/pay/action_form.html",
            {
                **self.admin_site.each_context(request),
                "title": "调整贝里",
                "objects": queryset,
                "form": form,
                "action": "adjust_beili",
                "submit": "调整",
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )
