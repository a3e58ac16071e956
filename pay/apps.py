from django.apps import AppConfig


class PayConfig(AppConfig):
    name = "pay"
    verbose_name = "优惠券、订单与贝里"

    def ready(self):
        from pay import gateways, signals  # noqa: F401 (signals connect on import)

        gateways.log_active()  # says at start-up which gateways take money
