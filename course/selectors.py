"""Reads of courses with their price policies and of the logged-in account (the public catalogue
itself is course/catalogue.py)."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType

from course.models import Account, Course, PricePolicy
from utils import sql


def account_summary(account: Account) -> dict:
    """The account as its owner sees it: the row authentication has just read, so no query."""
    return {
        "username": account.username,
        "balance": account.balance,
        "beili_per_yuan": settings.BEILI_PER_YUAN,
    }


# --- "Course on sale with this policy" (the one rule; cart, settlement and payment ask it) ------

OFF_SALE = "course"  # no such course, or not on sale
POLICY_GONE = "policy"  # the course does not offer this policy


def sale_problem(
    *, course_status: int | None, policy_course_id: int | None, course_id: int
) -> str | None:
    """Why a course cannot be sold with a policy, or None when it can: the course exists and is
    on sale (`course_status`, None when there is no such course), and the policy is one of that
    course's (`policy_course_id`, the course the policy belongs to; None when no such policy)."""
    if course_status != Course.STATUS_ON_SALE:
        return OFF_SALE
    if policy_course_id != course_id:
        return POLICY_GONE
    return None


def policies_on_sale(choices: dict[int, int]) -> dict[int, PricePolicy | None]:
    """Course id -> its chosen policy (`choices`: course id -> policy id) when the course is on
    sale with it, else None. One SQL query whatever their number: the policies with their
    course's status (what payment needs; the cart and the settlement also show every policy, so
    they read the catalogue's entries and ask course/catalogue.py `on_sale_with`)."""
    return on_sale_among(choices, policies_with_course_status(choices.values()))


def policies_with_course_status(
    policy_ids, *, also: Mapping[str, tuple[str, Sequence[Any]]] | None = None
) -> dict[int, PricePolicy]:
    """Course policies by id, each with its course's status (`course_status`, None when the
    course is gone): one SQL statement, written once (utils/sql.py; none without ids).

    `also`: name -> an SQL condition and its parameters, evaluated in the same statement; each
    policy then carries its truth under that name (the payment asks whether its checkout was
    paid and whether its Idempotency-Key was used)."""
    ids = list(policy_ids)
    if not ids:
        return {}
    course_type = ContentType.objects.get_for_model(Course)  # cached after the first call
    conditions = list((also or {}).items())
    truths = "".join(
        f", CASE WHEN {condition} THEN 1 ELSE 0 END" for _, (condition, _) in conditions
    )
    rows = sql.Read([None, None, None, _PRICE, None, *[None] * len(conditions)]).rows(
        f"SELECT p.id, p.object_id, p.valid_period, p.price, c.status{truths}"
        " FROM course_pricepolicy p LEFT JOIN course_course c ON c.id = p.object_id"
        f" WHERE p.content_type_id = %s AND p.id IN ({sql.placeholders(len(ids))})",
        [*(param for _, (_, params) in conditions for param in params), course_type.pk, *ids],
    )
    found = {}
    for pk, object_id, valid_period, price, status, *truth in rows:
        policy = sql.instance(PricePolicy, (pk, course_type.pk, object_id, valid_period, price))
        policy.course_status = status  # type: ignore[attr-defined]
        for (name, _), value in zip(conditions, truth, strict=True):
            setattr(policy, name, bool(value))
        found[pk] = policy
    return found


_PRICE = PricePolicy._meta.get_field("price")


def on_sale_among(
    choices: dict[int, int], policies: dict[int, PricePolicy]
) -> dict[int, PricePolicy | None]:
    """`policies_on_sale` over rows read by `policies_with_course_status`."""
    found: dict[int, PricePolicy | None] = {}
    for course_id, policy_id in choices.items():
        policy = policies.get(policy_id)
        problem = sale_problem(
            course_status=getattr(policy, "course_status", None),
            policy_course_id=policy.object_id if policy is not None else None,
            course_id=course_id,
        )
        found[course_id] = policy if problem is None else None
    return found
