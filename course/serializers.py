from rest_framework import serializers

from course.models import Course, PricePolicy


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class LoginResultSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    username = serializers.CharField()
    balance = serializers.IntegerField()


class AccountSerializer(serializers.Serializer):
    username = serializers.CharField()
    balance = serializers.IntegerField(help_text="贝里")
    beili_per_yuan = serializers.IntegerField(help_text="how many 贝里 make one 元")


class PricePolicySerializer(serializers.ModelSerializer):
    valid_period_display = serializers.CharField(source="get_valid_period_display")

    class Meta:
        model = PricePolicy
        fields = ("id", "valid_period", "valid_period_display", "price")


class CourseSerializer(serializers.ModelSerializer):
    price_policy = PricePolicySerializer(many=True)

    class Meta:
        model = Course
        fields = ("id", "name", "course_img", "brief", "price_policy")
