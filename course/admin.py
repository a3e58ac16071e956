from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.contenttypes.admin import GenericTabularInline

from course.models import Account, Course, PricePolicy


@admin.register(Account)
class AccountAdmin(UserAdmin):
    list_display = ("username", "email", "balance", "is_staff", "is_active")
    # 贝里 changes only through the ledger (pay app), so the balance is shown, not edited.
    readonly_fields = ("balance",)
    fieldsets = (*UserAdmin.fieldsets, ("贝里", {"fields": ("balance",)}))


class PricePolicyInline(GenericTabularInline):
    model = PricePolicy
    extra = 1


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "order")
    list_filter = ("status",)
    search_fields = ("name",)
    inlines = [PricePolicyInline]


@admin.register(PricePolicy)
class PricePolicyAdmin(admin.ModelAdmin):
    list_display = ("id", "content_type", "object_id", "valid_period", "price")
    list_filter = ("valid_period",)
