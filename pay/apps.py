from django.apps import AppConfig


class PayConfig(AppConfig):
    name = "pay"
    verbose_name = "优惠券、订单与贝里"
