from django.apps import AppConfig


class ShoppingConfig(AppConfig):
    name = "shopping"
    verbose_name = "购物车与结算中心"
