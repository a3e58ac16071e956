from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.shortcuts import render

from course.models import Account, Course, PricePolicy
from pay.services import MAX_BALANCE, beili_adjust
from utils.errors import AppError


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


class PricePolicyInline(GenericTabularInline):
    model = PricePolicy
    extra = 1


class CourseForm(forms.ModelForm):
    # The column is a 32-bit integer on PostgreSQL; the same bound on every database.
    order = forms.IntegerField(
        label="课程顺序", min_value=-2_147_483_648, max_value=2_147_483_647, initial=0
    )

    class Meta:
        model = Course
        fields = ("name", "course_img", "brief", "status", "order")


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    form = CourseForm
    list_display = ("name", "status", "order")
    list_filter = ("status",)
    search_fields = ("name",)
    inlines = [PricePolicyInline]


@admin.register(PricePolicy)
class PricePolicyAdmin(admin.ModelAdmin):
    list_display = ("id", "content_type", "object_id", "valid_period", "price")
    list_filter = ("valid_period",)
