"""Payment, the Alipay notification and return, the development gateway, and orders."""

from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.utils.html import escape
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from pay import alipay_gateway, order_selectors, order_services, payment_services
from pay.models import Order
from pay.serializers import (
    OrderRefundSerializer,
    OrderSerializer,
    PaymentResultSerializer,
    PaymentSerializer,
)
from utils.errors import AppError, Codes
from utils.request import body_of
from utils.response import ok
from utils.schema import ERROR_ENVELOPE, envelope


class PaymentView(APIView):
    @extend_schema(
        request=PaymentSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses={
            200: envelope("PaymentEnvelope", PaymentResultSerializer),
            409: ERROR_ENVELOPE,
            422: ERROR_ENVELOPE,
        },
    )
    def post(self, request):
        body = body_of(request)
        data = payment_services.idempotent(
            account=request.user,
            key=request.headers.get("Idempotency-Key"),
            body=body,
            run=lambda: payment_services.payment_create(account=request.user, body=body),
        )
        return ok(data)


class AlipayNotifyView(APIView):
    """Alipay's asynchronous notification (form-encoded POST). Answers `success` once handled."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def post(self, request):
        raw = request._request.POST
        notice = alipay_gateway.verify_notification({k: raw.get(k) for k in raw})
        if notice.is_paid:
            order_services.order_mark_paid(
                order_number=notice.order_number,
                amount=notice.total_amount,
                payment_number=notice.trade_no,
            )
        return HttpResponse("success", content_type="text/plain")


def _orders_page(order_number: str) -> str:
    """The frontend's orders screen, opened on one order."""
    return f"/#/orders?order={quote(order_number)}"


class AlipayReturnView(APIView):
    """Where Alipay sends the browser back. Nothing here is trusted to pay an order (only the
    verified notification does): the browser is sent to the frontend's orders page."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request):
        number = request.query_params.get("out_trade_no", "")
        return HttpResponseRedirect(_orders_page(number))


class DevGatewayView(APIView):
    """A stand-in for Alipay's page when it is not configured (only with DEBUG on)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser, JSONParser]  # its page posts a form

    def _order(self, order_number):
        if not settings.DEBUG or alipay_gateway.is_configured():
            raise Http404
        order = Order.objects.filter(order_number=order_number).first()
        if order is None:
            raise AppError(Codes.ORDER_NOT_FOUND)
        return order

    @extend_schema(exclude=True)
    def get(self, request, order_number):
        order = self._order(order_number)
        number = escape(order.order_number)
        html = f"""<!doctype html><meta charset="utf-8"><title>开发支付网关</title>
<h1>开发支付网关 / development gateway</h1>
<p>订单 {number}: ¥{order.actual_amount:.2f} ({escape(order.get_status_display())})</p>
<form method="post"><input type="hidden" name="back_to_shop" value="1">
<button type="submit">确认支付 / pay</button></form>"""
        return HttpResponse(html)

    @extend_schema(exclude=True)
    def post(self, request, order_number):
        order = self._order(order_number)
        back_to_shop = bool(body_of(request).get("back_to_shop"))  # read (and checked) first
        order = order_services.order_mark_paid(
            order_number=order.order_number,
            amount=order.actual_amount,
            payment_number=f"DEV{order.order_number}",
        )
        if back_to_shop:
            # The page's own form: back to the shop the way Alipay's return does.
            return HttpResponseRedirect(_orders_page(order.order_number))
        return ok({"order_number": order.order_number, "status": order.status})


class OrderListView(APIView):
    @extend_schema(responses={200: envelope("OrderListEnvelope", OrderSerializer, many=True)})
    def get(self, request):
        order_services.orders_time_out_due(account_id=request.user.pk)
        orders = order_selectors.orders_of(account_id=request.user.pk)
        return ok(OrderSerializer(orders, many=True).data)


class OrderDetailView(APIView):
    @extend_schema(responses={200: envelope("OrderEnvelope", OrderSerializer), 404: ERROR_ENVELOPE})
    def get(self, request, order_number):
        order_services.orders_time_out_due(account_id=request.user.pk, order_number=order_number)
        order = order_selectors.order_of(account_id=request.user.pk, order_number=order_number)
        if order is None:
            raise AppError(Codes.ORDER_NOT_FOUND)
        return ok(OrderSerializer(order).data)


class OrderCancelView(APIView):
    @extend_schema(request=None, responses={200: envelope("OrderCancelEnvelope", OrderSerializer)})
    def post(self, request, order_number):
        order_services.order_cancel(account_id=request.user.pk, order_number=order_number)
        order = order_selectors.order_of(account_id=request.user.pk, order_number=order_number)
        return ok(OrderSerializer(order).data)


class OrderRefundView(APIView):
    """The buyer asks for a refund (退费) of an order paid with money; staff decide in the admin."""

    @extend_schema(
        request=OrderRefundSerializer,
        responses={200: envelope("OrderRefundEnvelope", OrderSerializer), 404: ERROR_ENVELOPE},
    )
    def post(self, request, order_number):
        reason = body_of(request).get("reason", "")
        if not isinstance(reason, str) or len(reason) > 255 or "\x00" in reason:
            raise AppError(Codes.MALFORMED, "reason 须为255字以内的文字 / at most 255 characters")
        order_services.order_refund_request(
            account_id=request.user.pk, order_number=order_number, reason=reason
        )
        order = order_selectors.order_of(account_id=request.user.pk, order_number=order_number)
        return ok(OrderSerializer(order).data)
