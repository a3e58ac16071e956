"""Admin: coupon rules (the staff's editor), records, orders with their lines, the 贝里 ledger."""

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Q, Subquery
from django.shortcuts import render

from course.models import Account, Course
from pay.models import Coupon, CouponRecord, Order, OrderDetail, TransactionRecord
from pay.services import coupon_issue


class IssueForm(forms.Form):
    accounts = forms.ModelMultipleChoiceField(
        queryset=Account.objects.filter(is_active=True).order_by("username"),
        widget=forms.SelectMultiple(attrs={"size": 12}),
        label="发放给账户",
    )


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
        "claimed",
        "used",
    )
    list_filter = ("coupon_type", "open_date", "close_date")
    search_fields = ("name", "brief")
    actions = ["issue_to_accounts"]
    fieldsets = (
        (None, {"fields": ("name", "brief", "coupon_type")}),
        ("优惠", {"fields": ("money_equivalent_value", "minimum_consume", "off_percent")}),
        ("绑定课程(不填为全局券)", {"fields": ("content_type", "object_id")}),
        ("领取", {"fields": ("open_date", "close_date", "per_account_limit")}),
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

    @admin.action(description="发放选中的优惠券给账户")
    def issue_to_accounts(self, request, queryset):
        form = IssueForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            accounts = list(form.cleaned_data["accounts"])
            total = sum(len(coupon_issue(coupon=c, accounts=accounts)) for c in queryset)
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
        "course_coupon",
        "course_discount",
        "global_discount",
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
    readonly_fields = ("order_number", "account", "actual_amount", "beili_used", "date")
    readonly_fields += ("global_coupon",)  # the order's breakdown is what was paid
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
