"""The shopping cart's use cases: add, change policy, remove, read.

Every write is checked in full against the catalogue (course on sale, policy of the course:
course/catalogue.py `courses_on_sale`, rows as current as the catalogue's generation) before the
cart store writes anything; the store's own check (cart full, course in cart) and its write are
one atomic step (one script: no retry, so a busy cart never makes them fail). Failures raise
`AppError` with a cart code (1010-1013).
"""

from typing import Any

from django.conf import settings

from course.catalogue import UNREAD, courses_on_sale, on_sale_with
from course.selectors import OFF_SALE
from shopping import cart_store
from shopping.cart_store import CartItem
from utils.errors import AppError, Codes


def price_policy_dict(entry: dict) -> dict[str, dict]:
    """The cart's `price_policy_dict` of a catalogue entry (course/catalogue.py): policy id ->
    {valid_period, valid_period_text, price}."""
    return {
        str(policy["id"]): {
            "valid_period": policy["valid_period"],
            "valid_period_text": policy["valid_period_display"],
            "price": policy["price"],
        }
        for policy in entry["price_policy"]
    }


def cart_item_build(*, course_id: int, price_policy_id: int, generation: Any = UNREAD) -> CartItem:
    """The cart line for a course on sale with the chosen policy, as the catalogue has it
    (`generation`: its generation as the view read it, see `courses_on_sale`). 1010 if the course
    does not exist or is not on sale; 1011 if the policy is not one of the course's."""
    entry = courses_on_sale([course_id], generation).get(course_id)
    _, problem = on_sale_with(entry, price_policy_id)
    if problem == OFF_SALE:
        raise AppError(Codes.CART_COURSE_INVALID)
    if problem is not None:
        raise AppError(Codes.CART_POLICY_INVALID)
    assert entry is not None  # no problem: the course is on sale
    return CartItem(
        course_id=course_id,
        title=entry["name"],
        img_src=str(entry["course_img"]),
        price_policy_dict=price_policy_dict(entry),
        default_policy=price_policy_id,
    )


def cart_add(
    *, user_id: int, course_id: int, price_policy_id: int, generation: Any = UNREAD
) -> CartItem:
    """Add a course to the cart, or replace its policy (and refresh its snapshot) if it is there.

    1013 when the cart already holds `settings.SHOPPING_CAR_LIMIT` other courses.
    """
    item = cart_item_build(
        course_id=course_id, price_policy_id=price_policy_id, generation=generation
    )
    if not cart_store.cart_add(user_id, item, limit=settings.SHOPPING_CAR_LIMIT):
        raise AppError(Codes.CART_FULL)
    return item


def cart_change_policy(
    *, user_id: int, course_id: int, price_policy_id: int, generation: Any = UNREAD
) -> CartItem:
    """Change the policy of a course already in the cart (its snapshot is refreshed too).

    1010/1011 as for adding; 1012 if the course is not in the cart.
    """
    item = cart_item_build(
        course_id=course_id, price_policy_id=price_policy_id, generation=generation
    )
    if not cart_store.cart_replace(user_id, item):
        raise AppError(Codes.CART_NOT_IN_CART)
    return item


def cart_remove(*, user_id: int, course_id: int) -> None:
    """Remove a course from the cart, whatever its status now; 1012 if it is not in the cart."""
    if cart_store.cart_remove(user_id, [course_id]) == 0:
        raise AppError(Codes.CART_NOT_IN_CART)


def cart_detail(*, user_id: int) -> list[CartItem]:
    """The cart's lines as GET shows them: Redis only (no SQL), two round trips whatever its
    size."""
    return cart_store.cart_items(user_id)
