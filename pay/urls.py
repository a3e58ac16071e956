from django.urls import path, re_path, register_converter

from pay import coupon_views, ledger_views, payment_views, settlement_views
from pay.converters import OrderNumberConverter
from utils.errors import Codes
from utils.views import answer

register_converter(OrderNumberConverter, "order_number")

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
    path("coupons/redeem/", coupon_views.CouponRedeemView.as_view(), name="coupon-redeem"),
    path("payment/", payment_views.PaymentView.as_view(), name="payment"),
    path(
        "payment/alipay/notify/",
        payment_views.GatewayNotifyView.as_view(gateway_name="alipay"),
        name="alipay-notify",
    ),
    path(
        "payment/wechat/notify/",
        payment_views.GatewayNotifyView.as_view(gateway_name="wechat"),
        name="wechat-notify",
    ),
    path("payment/alipay/return/", payment_views.AlipayReturnView.as_view(), name="alipay-return"),
    path(
        "payment/dev_gateway/<order_number:order_number>/",
        payment_views.DevGatewayView.as_view(),
        name="dev-gateway",
    ),
    path("orders/", payment_views.OrderListView.as_view(), name="order-list"),
    path(
        "orders/<order_number:order_number>/",
        payment_views.OrderDetailView.as_view(),
        name="order-detail",
    ),
    path(
        "orders/<order_number:order_number>/cancel/",
        payment_views.OrderCancelView.as_view(),
        name="order-cancel",
    ),
    path(
        "orders/<order_number:order_number>/pay/",
        payment_views.OrderPayView.as_view(),
        name="order-pay",
    ),
    path(
        "orders/<order_number:order_number>/refund/",
        payment_views.OrderRefundView.as_view(),
        name="order-refund",
    ),
    # What cannot be an order number (e.g. a NUL byte) names no order: 1050, without a query.
    re_path(
        r"^orders/[^/]+/(?:cancel/|pay/|refund/)?$",
        answer(Codes.ORDER_NOT_FOUND),
        name="order-number-malformed",
    ),
]
