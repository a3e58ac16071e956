from django.urls import path

from shopping import views

urlpatterns = [
    path("shopping_car/", views.ShoppingCarView.as_view(), name="shopping-car"),
]
