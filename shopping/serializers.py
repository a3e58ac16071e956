"""Request bodies of the cart API, and the shapes of its answers (for the OpenAPI schema)."""

from rest_framework import serializers

from utils.ids import IdField


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
