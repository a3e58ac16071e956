from django.urls import path

from pay import coupon_views, ledger_views, payment_views, settlement_views

urlpatterns = [
    path(
        "account/transactions/",
        ledger_views.TransactionListView.as_view(),
        name="account-transactions",
    ),
    path("settlement/", settlement_views.SettlementView.as_view(), name="settlement"),
    path("coupons/", coupon_views.CouponWalletView.as_view(), name="coupon-wallet"),
    path("coupons/available/", coupon_views.CouponAvailableView.as_view(), name="coupon-available"),
    path("coupons/claim/", coupon_views.CouponClaimView.as_view(), name="coupon-claim"),
    path("payment/", payment_views.PaymentView.as_view(), name="payment"),
    path("payment/alipay/notify/", payment_views.AlipayNotifyView.as_view(), name="alipay-notify"),
    path("payment/alipay/return/", payment_views.AlipayReturnView.as_view(), name="alipay-return"),
    path(
        "payment/dev_gateway/<str:order_number>/",
        payment_views.DevGatewayView.as_view(),
        name="dev-gateway",
    ),
    path("orders/", payment_views.OrderListView.as_view(), name="order-list"),
    path(
        "orders/<str:order_number>/", payment_views.OrderDetailView.as_view(), name="order-detail"
    ),
    path(
        "orders/<str:order_number>/cancel/",
        payment_views.OrderCancelView.as_view(),
        name="order-cancel",
    ),
]
