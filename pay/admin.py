"""Admin: coupon rules (the staff's editor), records, orders with their lines, the 贝里 ledger."""

import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from course.models import Account, Course
from pay.models import (
    Coupon,
    CouponRecord,
    Order,
    OrderDetail,
    RedemptionCode,
    TransactionRecord,
)
from pay.services import (
    REDEMPTION_MAX_BATCH,
    coupon_issue,
    redemption_code_format,
    redemption_codes_generate,
)
from utils.errors import AppError


class IssueForm(forms.Form):
    accounts = forms.ModelMultipleChoiceField(
        queryset=Account.objects.filter(is_active=True).order_by("username"),
        widget=forms.SelectMultiple(attrs={"size": 12}),
        label="发放给账户",
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
        ("绑定课程(不填为全局券)", {"fields": ("content_type", "object_id")}),
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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "content_type":
            kwargs["queryset"] = ContentType.objects.filter(
                pk=ContentType.objects.get_for_model(Course).pk
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
            created = []
            for coupon in queryset:
                try:
                    batch = redemption_codes_generate(
                        coupon=coupon, count=form.cleaned_data["count"]
                    )
                except AppError as error:
                    self.message_user(request, f"{coupon}: {error.detail}", messages.ERROR)
                    continue
                created += [entry.pk for entry in batch]
            if not created:
                return None
            codes = RedemptionCode.objects.filter(pk__in=created)
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
            return codes_csv(
                codes.select_related("coupon", "redeemed_by").order_by("coupon_id", "id"),
                f"redemption-codes-{stamp}.csv",
            )
        return render(
            request,
            "admin/pay/coupon/generate_codes.html",
            {
                **self.admin_site.each_context(request),
                "title": "生成兑换码",
                "coupons": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="发放选中的优惠券给账户")
    def issue_to_accounts(self, request, queryset):
        form = IssueForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            accounts = list(form.cleaned_data["accounts"])
            total = 0
            for coupon in queryset:
                try:
                    total += len(coupon_issue(coupon=coupon, accounts=accounts))
                except AppError as error:  # past the rule's total_quantity
                    self.message_user(request, f"{coupon}: {error.detail}", messages.ERROR)
            self.message_user(request, f"已发放 {total} 张优惠券", messages.SUCCESS)
            return None
        return render(
            request,
            "admin/pay/coupon/issue.html",
            {
                **self.admin_site.each_context(request),
                "title": "发放优惠券",
                "coupons": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(CouponRecord)
class CouponRecordAdmin(admin.ModelAdmin):
    list_display = ("number", "coupon", "account", "status", "get_time", "used_time", "order")
    list_filter = ("status",)
    search_fields = ("number", "account__username", "coupon__name")
    list_select_related = ("coupon", "account", "order")
    raw_id_fields = ("coupon", "account", "order")


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
        from pay.services import redemption_code_normalize

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


class OrderDetailInline(admin.TabularInline):
    model = OrderDetail
    extra = 0
    can_delete = False
    readonly_fields = (
        "content_type",
        "object_id",
        "original_price",
        "price",
        "valid_period_display",
        "valid_period",
        "memo",
    )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "order_number",
        "account",
        "status",
        "payment_type",
        "actual_amount",
        "beili_used",
        "date",
        "pay_time",
        "refund_flagged",
    )
    list_filter = ("status", "payment_type", "refund_flagged")
    search_fields = ("order_number", "payment_number", "account__username")
    list_select_related = ("account",)
    readonly_fields = ("order_number", "account", "actual_amount", "beili_used", "date", "code_url")
    inlines = [OrderDetailInline]


@admin.register(TransactionRecord)
class TransactionRecordAdmin(admin.ModelAdmin):
    """The ledger is read-only: 贝里 change only through services."""

    list_display = (
        "transaction_number",
        "account",
        "transaction_type",
        "amount",
        "balance",
        "date",
    )
    list_filter = ("transaction_type",)
    search_fields = ("transaction_number", "account__username")
    list_select_related = ("account",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
