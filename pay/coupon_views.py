"""The coupon wallet, claimable rules, claiming (by id or public code) and redemption codes."""

import orjson
from django.core.exceptions import RequestDataTooBig
from django.http.request import RawPostDataException
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from pay import coupon_stock, order_services, selectors
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
from utils.authentication import side_read
from utils.ids import parse_id
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


_JSON = {"application/json", "application/json;charset=utf-8"}


def _claimed_rule(request) -> tuple[int | None, bool]:
    """The rule id a claim's JSON body names, if it is one (else None; the view's serializer reads
    and checks the body again), and whether the body is exactly `{"coupon_id": <id>}` sent as
    JSON: a body the serializer is sure to accept as it is."""
    try:
        body = orjson.loads(request._request.body)
    except (ValueError, RawPostDataException, RequestDataTooBig):
        return None, False
    rule_id = parse_id(body.get("coupon_id")) if isinstance(body, dict) else None
    content_type = request.content_type.replace(" ", "").lower()
    return rule_id, rule_id is not None and len(body) == 1 and content_type in _JSON


class CouponClaimView(APIView):
    def reads_with_token(self, request, pipe, account_id: int) -> None:
        """The rush's fast path: the claim gate of the rule named in the body is read in the
        token's own round trip, so a sold-out (or limit-reached) answer costs one round trip and
        no SQL (the gate's Lua script answers the same; the database stays the truth)."""
        rule_id, plain = _claimed_rule(request)
        if rule_id is not None:
            request.peeked_rule_id, request.peeked_plain_body = rule_id, plain
            coupon_stock.peek(pipe, rule_id=rule_id, account_id=account_id)

    @extend_schema(
        request=ClaimSerializer,
        responses={200: envelope("ClaimEnvelope", WalletCouponSerializer)},
    )
    def post(self, request):
        gate = side_read(request)  # the rule's gate, read in the token's round trip
        plain = getattr(request, "peeked_plain_body", False)
        if gate is not None and plain:
            coupon_stock.refuse_from_peek(gate)  # before parsing: the body can only pass
        claim = body(ClaimSerializer, request)
        same_rule = claim.get("coupon_id") == getattr(request, "peeked_rule_id", 0)
        if gate is not None and not plain and same_rule:
            coupon_stock.refuse_from_peek(gate)  # the same rule, named in a longer body
        record = coupon_claim(account=request.user, **claim)
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
