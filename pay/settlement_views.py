"""The settlement center's HTTP face: parse, call one service, render."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.views import APIView

from pay import settlement_services as services
from pay.serializers import (
    SETTLEMENT_EXAMPLE,
    SettlementCreateSerializer,
    SettlementDeleteSerializer,
    SettlementPatchSerializer,
    SettlementSerializer,
    settlement_payload,
)
from utils.request import body_of
from utils.response import ok
from utils.schema import envelope

SETTLEMENT_ENVELOPE = envelope("SettlementEnvelope", SettlementSerializer)
ANSWER = OpenApiExample(
    "the settlement",
    value={"code": 1000, "data": SETTLEMENT_EXAMPLE, "error": None},
    response_only=True,
)
POST_EXAMPLES = [
    ANSWER,
    OpenApiExample("course ids", value={"course_list": [1, 2]}, request_only=True),
    OpenApiExample("as the seed's frontend", value={"course_list": ["1", "2"]}, request_only=True),
]
PATCH_EXAMPLES = [
    ANSWER,
    OpenApiExample("a course coupon", value={"course_id": 1, "coupon_id": 12}, request_only=True),
    OpenApiExample(
        "the global coupon, by a key of global_coupon_info",
        value={"global_coupon_id": "17"},
        request_only=True,
    ),
    OpenApiExample(
        "clear a course's coupon", value={"course_id": 1, "coupon_id": None}, request_only=True
    ),
]


class SettlementView(APIView):
    @extend_schema(responses={200: SETTLEMENT_ENVELOPE}, examples=[ANSWER])
    def get(self, request):
        return ok(settlement_payload(services.settlement_get(account_id=request.user.pk)))

    @extend_schema(
        request=SettlementCreateSerializer,
        responses={200: SETTLEMENT_ENVELOPE},
        examples=POST_EXAMPLES,
    )
    def post(self, request):
        body = body_of(request)
        priced = services.settlement_create(
            account_id=request.user.pk, course_list=body.get("course_list")
        )
        return ok(settlement_payload(priced))

    @extend_schema(
        request=SettlementPatchSerializer,
        responses={200: SETTLEMENT_ENVELOPE},
        examples=PATCH_EXAMPLES,
    )
    def patch(self, request):
        priced = services.settlement_choose(account_id=request.user.pk, body=body_of(request))
        return ok(settlement_payload(priced))

    @extend_schema(
        request=SettlementDeleteSerializer,
        responses={200: SETTLEMENT_ENVELOPE},
        examples=[ANSWER],
    )
    def delete(self, request):
        body = body_of(request)
        course_id = body["course_id"] if "course_id" in body else services.UNSET
        priced = services.settlement_clear(account_id=request.user.pk, course_id=course_id)
        return ok(settlement_payload(priced))
