"""The coupon wallet, claimable rules, claiming (by id or public code) and redemption codes."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from pay import order_services, selectors
from pay.coupon_records import coupon_claim
from pay.coupon_throttle import RedeemGuessThrottle
from pay.redemption_codes import coupon_redeem
from pay.selectors import held_coupon
from pay.serializers import (
    ClaimableRuleSerializer,
    ClaimSerializer,
    RedeemSerializer,
    WalletCouponSerializer,
    WalletQuerySerializer,
    claimable_payload,
    wallet_payload,
)
from pay.settlement_services import settlement_add_coupon
from utils.parsers import body, validated
from utils.response import ok
from utils.schema import envelope


class CouponWalletView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("status", int, enum=[0, 1, 2], required=False)],
        responses={200: envelope("WalletEnvelope", WalletCouponSerializer, many=True)},
    )
    def get(self, request):
        query = validated(WalletQuerySerializer, request.query_params)
        # Coupons held by an unpaid order past its deadline are back before the wallet is read.
        order_services.orders_time_out_due(account_id=request.user.pk)
        today = timezone.localdate()
        held = selectors.wallet(account_id=request.user.pk, status=query.get("status"), today=today)
        return ok([wallet_payload(h, today) for h in held])


class CouponAvailableView(APIView):
    @extend_schema(
        responses={200: envelope("ClaimableEnvelope", ClaimableRuleSerializer, many=True)}
    )
    def get(self, request):
        rules = selectors.claimable_rules(account_id=request.user.pk)
        return ok([claimable_payload(item["rule"], item["held"]) for item in rules])


class CouponClaimView(APIView):
    @extend_schema(
        request=ClaimSerializer,
        responses={200: envelope("ClaimEnvelope", WalletCouponSerializer)},
    )
    def post(self, request):
        record = coupon_claim(account=request.user, **body(ClaimSerializer, request))
        settlement_add_coupon(request.user.pk, record)  # committed: joins an open settlement
        today = timezone.localdate()
        return ok(wallet_payload(held_coupon(record, today), today))


class CouponRedeemView(APIView):
    throttle_classes = [RedeemGuessThrottle]

    @extend_schema(
        request=RedeemSerializer,
        responses={200: envelope("RedeemEnvelope", WalletCouponSerializer)},
    )
    def post(self, request):
        record = coupon_redeem(account=request.user, **body(RedeemSerializer, request))
        settlement_add_coupon(request.user.pk, record)  # committed: joins an open settlement
        today = timezone.localdate()
        return ok(wallet_payload(held_coupon(record, today), today))
