"""The settlement center's HTTP face: parse, call one service, render."""

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from pay import settlement_services as services
from pay.serializers import (
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


class SettlementView(APIView):
    # Redis only: the token's account id suffices (utils.authentication.LazyAccount).
    account_row_needed = False

    @extend_schema(responses={200: SETTLEMENT_ENVELOPE})
    def get(self, request):
        return ok(settlement_payload(services.settlement_get(account_id=request.user.pk)))

    @extend_schema(request=SettlementCreateSerializer, responses={200: SETTLEMENT_ENVELOPE})
    def post(self, request):
        body = body_of(request)
        priced = services.settlement_create(
            account_id=request.user.pk, course_list=body.get("course_list")
        )
        return ok(settlement_payload(priced))

    @extend_schema(request=SettlementPatchSerializer, responses={200: SETTLEMENT_ENVELOPE})
    def patch(self, request):
        priced = services.settlement_choose(account_id=request.user.pk, body=body_of(request))
        return ok(settlement_payload(priced))

    @extend_schema(request=SettlementDeleteSerializer, responses={200: SETTLEMENT_ENVELOPE})
    def delete(self, request):
        body = body_of(request)
        course_id = body["course_id"] if "course_id" in body else services.UNSET
        priced = services.settlement_clear(account_id=request.user.pk, course_id=course_id)
        return ok(settlement_payload(priced))
