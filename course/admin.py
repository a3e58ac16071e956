"""Admin of the catalogue: courses and their price policies. Accounts are administered with their
贝里 in pay/admin.py (a balance changes only through the ledger).
"""

from django import forms
from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline

from course.models import Course, PricePolicy


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
