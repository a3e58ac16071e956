"""The settlement center's HTTP face: parse, call one service, render."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.views import APIView

from course.catalogue import UNREAD, queue_generation
from pay import settlement_services as services
from pay.serializers import (
    SETTLEMENT_EXAMPLE,
    SettlementCreateSerializer,
    SettlementDeleteSerializer,
    SettlementPatchSerializer,
    SettlementSerializer,
    settlement_payload,
)
from utils.authentication import side_read, token_from_headers
from utils.parsers import body, peek_body
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
    def reads_with_token(self, request, pipe, account_id: int) -> None:
        """In the token's own round trip (utils/authentication.py), a GET reads what tells whether
        its kept answer still holds; a POST the catalogue's generation (course/catalogue.py
        `courses_on_sale`) and, when its body is valid, the cart and settlement it decides on; a
        PATCH whose body is valid is decided and written there when the settlement's permit
        allows it (else it reads the settlement it decides on)."""
        if request.method == "GET":
            services.queue_kept_read(pipe, account_id)
        elif request.method == "POST":
            queue_generation(pipe)
            if (data := peek_body(SettlementCreateSerializer, request)) is not None:
                services.queue_create_read(pipe, account_id, data["course_list"])
                request.settlement_read_queued = True  # its replies: `post`
        elif request.method == "PATCH":
            choice = peek_body(SettlementPatchSerializer, request)
            token = token_from_headers(request.META)
            # the day the choose script checked, or None for a read alone: `patch`
            request.settlement_choice_day = services.queue_patch_read(
                pipe, account_id, token, choice
            )

    @extend_schema(responses={200: SETTLEMENT_ENVELOPE}, examples=[ANSWER])
    def get(self, request):
        read = getattr(request, "token_side_reads", None)  # none for a token of the old shape
        kept = services.kept_values(read) if read else None
        return ok(services.settlement_get(account_id=request.user.pk, kept=kept))

    @extend_schema(
        request=SettlementCreateSerializer,
        responses={200: SETTLEMENT_ENVELOPE},
        examples=POST_EXAMPLES,
    )
    def post(self, request):
        data = body(SettlementCreateSerializer, request)
        # the body `body` gives is the one the token's round trip read for (utils.parsers.peek_body)
        read = (
            request.token_side_reads[1:]
            if getattr(request, "settlement_read_queued", False)
            else None
        )
        priced = services.settlement_create(
            account_id=request.user.pk, generation=side_read(request, UNREAD), read=read, **data
        )
        return ok(settlement_payload(priced))

    @extend_schema(
        request=SettlementPatchSerializer,
        responses={200: SETTLEMENT_ENVELOPE},
        examples=PATCH_EXAMPLES,
    )
    def patch(self, request):
        data = body(SettlementPatchSerializer, request)
        read = side_read(request)
        # the body `body` gives is the one the choose script was sent (utils.parsers.peek_body)
        if (day := getattr(request, "settlement_choice_day", None)) is not None:
            chosen = services.chosen_with_token(read)
            if chosen.written:
                return ok(
                    services.settlement_after_choice(
                        account_id=request.user.pk, chosen=chosen, today=day, **data
                    )
                )
            read = chosen.read
        priced = services.settlement_choose(
            account_id=request.user.pk, read=read, today=day, **data
        )
        return ok(settlement_payload(priced))

    @extend_schema(
        request=SettlementDeleteSerializer,
        responses={200: SETTLEMENT_ENVELOPE},
        examples=[ANSWER],
    )
    def delete(self, request):
        data = body(SettlementDeleteSerializer, request)
        priced = services.settlement_clear(account_id=request.user.pk, **data)
        return ok(settlement_payload(priced))
