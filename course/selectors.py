"""Reads of courses with their price policies and of the logged-in account (the public catalogue
itself is course/catalogue.py)."""

from django.conf import settings
from django.db.models import Prefetch

from course.models import Account, Course, PricePolicy


def account_summary(account: Account) -> dict:
    """The account as its owner sees it: the row authentication has just read, so no query."""
    return {
        "username": account.username,
        "balance": account.balance,
        "beili_per_yuan": settings.BEILI_PER_YUAN,
    }


def courses_with_policies(course_ids) -> dict[int, Course]:
    """Courses by id (any status), with their policies prefetched: the cart and settlement check
    status themselves to give the right code."""
    courses = Course.objects.filter(pk__in=list(course_ids)).prefetch_related(
        Prefetch("price_policy", queryset=PricePolicy.objects.order_by("valid_period", "id"))
    )
    return {course.pk: course for course in courses}
