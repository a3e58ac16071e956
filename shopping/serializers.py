"""Request bodies of the cart API, and the shapes of its answers: the one definition of each
(the answers render through them, the OpenAPI schema is made from them)."""

from collections.abc import Sequence

from rest_framework import serializers

from shopping.cart_store import CartItem
from utils.ids import IdField
from utils.render import Renderer


class CartItemInputSerializer(serializers.Serializer):
    """POST and PUT: the course and the price policy to put in the cart."""

    course_id = IdField()
    price_policy_id = IdField()


class CartCourseInputSerializer(serializers.Serializer):
    """DELETE: the course to remove from the cart."""

    course_id = IdField()


class CartPolicySerializer(serializers.Serializer):
    valid_period = serializers.IntegerField(help_text="days")
    valid_period_text = serializers.CharField(help_text="e.g. 1个月")
    price = serializers.CharField(help_text='a decimal string, e.g. "99.00"')


class CartLineSerializer(serializers.Serializer):
    """A course in the cart; renders a CartItem."""

    id = serializers.IntegerField(source="course_id", help_text="course id")
    title = serializers.CharField()
    img_src = serializers.CharField()
    price_policy_dict = serializers.DictField(
        child=CartPolicySerializer(), help_text="policy id -> policy"
    )
    default_policy = serializers.IntegerField(help_text="the chosen policy id")
    price = serializers.CharField(help_text="the chosen policy's price")


class CartSerializer(serializers.Serializer):
    cart = CartLineSerializer(many=True)
    total_count = serializers.IntegerField()


_CART_LINE = Renderer(CartLineSerializer())
_CART = Renderer(CartSerializer())


def cart_line_payload(item: CartItem) -> dict:
    """A cart line as the API shows it (POST and PUT answer it)."""
    return _CART_LINE(item)


def cart_payload(items: Sequence[CartItem]) -> dict:
    """GET /api/shopping_car/'s data: the lines ordered by course id, and how many."""
    return _CART({"cart": items, "total_count": len(items)})
