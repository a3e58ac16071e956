"""The cart API: `GET`/`POST`/`PUT`/`DELETE /api/shopping_car/` (API.md, "Shopping cart")."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from course.catalogue import UNREAD, queue_generation
from shopping import services
from shopping.serializers import (
    CartCourseInputSerializer,
    CartItemInputSerializer,
    CartLineSerializer,
    CartSerializer,
    cart_line_payload,
    cart_payload,
)
from utils.authentication import side_read
from utils.parsers import body
from utils.response import ok
from utils.schema import ERROR_ENVELOPE, envelope


class _BodyOnDeleteSchema(AutoSchema):
    """drf-spectacular documents request bodies for POST/PUT/PATCH only; the seed's DELETE takes
    `{"course_id"}` in its body, so document it as well."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


_READ_ERRORS = {401: ERROR_ENVELOPE, 503: ERROR_ENVELOPE}
_ERRORS = {400: ERROR_ENVELOPE, **_READ_ERRORS}
_LINE = envelope("CartLineEnvelope", CartLineSerializer)


class ShoppingCarView(APIView):
    schema = _BodyOnDeleteSchema()

    def reads_with_token(self, request, pipe, account_id: int) -> None:
        """Adding a course or changing its policy reads the catalogue's generation with the token
        (course/catalogue.py `courses_on_sale`)."""
        if request.method in ("POST", "PUT"):
            queue_generation(pipe)

    @extend_schema(
        summary="The cart, ordered by course id",
        responses={200: envelope("CartEnvelope", CartSerializer), **_READ_ERRORS},
    )
    def get(self, request):
        return ok(cart_payload(services.cart_detail(user_id=request.user.pk)))

    @extend_schema(
        summary="Add a course (or replace its policy): codes 1010, 1011, 1013",
        request=CartItemInputSerializer,
        responses={200: _LINE, **_ERRORS},
    )
    def post(self, request):
        item = services.cart_add(
            user_id=request.user.pk,
            generation=side_read(request, UNREAD),
            **body(CartItemInputSerializer, request),
        )
        return ok(cart_line_payload(item))

    @extend_schema(
        summary="Change the policy of a course in the cart: codes 1010, 1011, 1012",
        request=CartItemInputSerializer,
        responses={200: _LINE, **_ERRORS},
    )
    def put(self, request):
        item = services.cart_change_policy(
            user_id=request.user.pk,
            generation=side_read(request, UNREAD),
            **body(CartItemInputSerializer, request),
        )
        return ok(cart_line_payload(item))

    @extend_schema(
        summary="Remove a course from the cart: code 1012",
        request=CartCourseInputSerializer,
        responses={200: envelope("CartRemovedEnvelope"), **_ERRORS},
    )
    def delete(self, request):
        services.cart_remove(user_id=request.user.pk, **body(CartCourseInputSerializer, request))
        return ok()
