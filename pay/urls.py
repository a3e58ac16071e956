from django.urls import path

from pay import coupon_views, settlement_views

urlpatterns = [
    path("settlement/", settlement_views.SettlementView.as_view(), name="settlement"),
    path("coupons/", coupon_views.CouponWalletView.as_view(), name="coupon-wallet"),
    path("coupons/available/", coupon_views.CouponAvailableView.as_view(), name="coupon-available"),
    path("coupons/claim/", coupon_views.CouponClaimView.as_view(), name="coupon-claim"),
]
