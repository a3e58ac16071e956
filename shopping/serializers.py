"""Request bodies of the cart API, and the shapes of its answers (for the OpenAPI schema)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from utils.ids import parse_id


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1},
            {"type": "string", "pattern": "^[0-9]+$"},
        ],
        "description": "an id, as an integer or a numeric string",
    }
)
class IdField(serializers.Field):
    """A positive id sent as an int or a numeric string (utils.ids.parse_id); anything else, bools
    and floats included, is a validation error (1002)."""

    default_error_messages = {"invalid": "不是合法的id / not a valid id"}

    def to_internal_value(self, data) -> int:
        value = parse_id(data)
        if value is None:
            self.fail("invalid")
        return value

    def to_representation(self, value) -> int:
        return int(value)


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
    id = serializers.IntegerField(help_text="course id")
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
