"""Payment, the gateways' notifications (Alipay, WeChat Pay), Alipay's return, the development
gateway's page, and orders."""

from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from pay import (
    gateways,
    order_selectors,
    order_services,
    payment_services,
    records_version,
    settlement_services,
)
from pay.qr import qr_svg_data_uri
from pay.serializers import (
    DevGatewayPaySerializer,
    OrderPageSerializer,
    OrderPaySerializer,
    OrderRefundSerializer,
    OrderSerializer,
    PaymentResultSerializer,
    PaymentSerializer,
)
from utils.authentication import side_read, token_from_headers
from utils.errors import AppError, Codes
from utils.money import money_text
from utils.parsers import BoundedJSONParser, body, json_body, peek_body, peek_json_object
from utils.response import ok
from utils.schema import ERROR_ENVELOPE, envelope


class PaymentView(APIView):
    def reads_with_token(self, request, pipe, account_id: int) -> None:
        """The settlement it pays is read in the token's own round trip (utils/authentication.py),
        and a keyed payment's lease is taken there (a script that checks the token itself). Only
        a POST whose body `post` accepts takes one: any other is refused after authentication as
        before, with no lease left behind."""
        settlement_services.queue_settlement_read(pipe, account_id)
        key, token = request.headers.get("Idempotency-Key"), token_from_headers(request.META)
        if request.method != "POST" or not key or token is None:
            return
        if peek_body(PaymentSerializer, request) is None:
            return
        raw = peek_json_object(request)  # the key's fingerprint is of the body as sent
        payment_services.queue_lease_with_token(pipe, account_id, token=token, key=key, body=raw)

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
        raw = json_body(request)  # the key's fingerprint is of the body as sent
        payment = body(PaymentSerializer, request)  # 1002 before a key is taken or a row read
        data = payment_services.payment_submit(
            account=request.user,
            key=request.headers.get("Idempotency-Key"),
            body=raw,
            read=side_read(request),
            leased=side_read(request, index=1),
            **payment,
            user_agent=request.headers.get("User-Agent", ""),
            client_ip=request.META.get("REMOTE_ADDR"),
        )
        return ok(data)


class GatewayNotifyView(APIView):
    """A gateway's asynchronous notification, verified by that gateway and answered the way it
    expects once handled (Alipay: `success`; WeChat Pay: 204). Only a configured gateway
    listens: the development gateway has no notifications."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = []  # each gateway reads the raw body its own way
    gateway_name = ""

    @extend_schema(exclude=True)
    def post(self, request):
        gateway = gateways.real(self.gateway_name)
        if gateway is None:
            raise AppError(Codes.PAYMENT_NOTIFY_INVALID, "支付网关未配置 / gateway not configured")
        order_services.order_notified(gateway=gateway, request=request._request)
        return gateway.acknowledge()


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


# The development gateway's page: pay/templates/pay/dev_gateway.html (restyled by the shop).
DEV_PAGE = "pay/dev_gateway.html"


class DevGatewayView(APIView):
    """A stand-in for Alipay's or WeChat Pay's page where that gateway is not configured (only
    with DEBUG on). Its URL's signature (pay/gateways/dev.py) is checked on GET and POST."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser, BoundedJSONParser]  # its page posts a form

    def _order(self, request, order_number):
        if not settings.DEBUG:
            raise Http404
        found = order_services.order_on_dev_gateway(
            order_number=order_number, sign=request.query_params.get("sign")
        )
        if found is None:
            raise Http404  # the real gateway takes this order's money, or none does
        return found

    @extend_schema(exclude=True)
    def get(self, request, order_number):
        order, gateway = self._order(request, order_number)
        url = gateway.resume(order).pay_url
        wechat = gateway.name == gateways.WECHAT
        context = {
            "title": f"{gateway.stands_for}(开发)",
            # Dark enough for white text (WCAG AA): Alipay's blue, WeChat's green.
            "color": "#07813f" if wechat else "#1665d8",
            "number": order.order_number,
            "amount": money_text(order.actual_amount),
            "status": order.get_status_display(),
            "qr": qr_svg_data_uri(request.build_absolute_uri(url)) if wechat else None,
            "action": url,
        }
        return HttpResponse(render_to_string(DEV_PAGE, context, request=request))

    @extend_schema(exclude=True)
    def post(self, request, order_number):
        order, gateway = self._order(request, order_number)
        back_to_shop = body(DevGatewayPaySerializer, request)["back_to_shop"]  # checked first
        order = order_services.order_mark_paid(
            order_number=order.order_number,
            amount=order.actual_amount,
            payment_number=f"DEV{order.order_number}",
            payment_type=gateway.payment_type,
        )
        if back_to_shop:
            # The page's own form: back to the shop the way Alipay's return does.
            return HttpResponseRedirect(_orders_page(order.order_number))
        return ok({"order_number": order.order_number, "status": order.status})


class OrderPagination(PageNumberPagination):
    """`?page=` (from 1) and `?page_size=` (default 20, at most 100); a page past the last is
    1006/404."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class OrderListView(APIView):
    @extend_schema(
        operation_id="orders_list",
        parameters=[
            OpenApiParameter("page", int, description="from 1"),
            OpenApiParameter("page_size", int, description="default 20, at most 100"),
        ],
        responses={200: envelope("OrderPageEnvelope", OrderPageSerializer), 404: ERROR_ENVELOPE},
    )
    def get(self, request):
        order_services.orders_time_out_due(account_id=request.user.pk)
        paginator = OrderPagination()
        orders = paginator.paginate_queryset(
            order_selectors.orders_of(account_id=request.user.pk), request, view=self
        )
        assert paginator.page is not None  # set by paginate_queryset: page_size has a default
        return ok(
            {
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                # The list links an order to scan to its payment screen; only that draws the code.
                "results": OrderSerializer(orders, many=True, context={"qr_code": False}).data,
            }
        )


class OrderDetailView(APIView):
    @extend_schema(responses={200: envelope("OrderEnvelope", OrderSerializer), 404: ERROR_ENVELOPE})
    def get(self, request, order_number):
        order_services.orders_time_out_due(account_id=request.user.pk, order_number=order_number)
        order = order_selectors.order_of(account_id=request.user.pk, order_number=order_number)
        if order is None:
            raise AppError(Codes.ORDER_NOT_FOUND)
        return ok(OrderSerializer(order).data)


class OrderCancelView(APIView):
    def reads_with_token(self, request, pipe, account_id: int) -> None:
        """The coupons a cancel gives back move the account's coupon-records version on: done in
        the token's round trip, with a marker that stops readers keeping coupon checks while the
        cancel runs (pay/records_version.py), instead of a round trip after the commit."""
        token = token_from_headers(request.META)
        if request.method == "POST" and token is not None:
            started = records_version.clock()
            if records_version.queue_move_with_token(pipe, account_id, token):
                request.records_move_sent = started

    @extend_schema(request=None, responses={200: envelope("OrderCancelEnvelope", OrderSerializer)})
    def post(self, request, order_number):
        order_services.order_cancel(
            account_id=request.user.pk,
            order_number=order_number,
            records_moved_at=(
                getattr(request, "records_move_sent", None)
                if records_version.moved_with_token(side_read(request))
                else None
            ),
        )
        order = order_selectors.order_of(account_id=request.user.pk, order_number=order_number)
        return ok(OrderSerializer(order).data)


class OrderPayView(APIView):
    @extend_schema(
        request=None,
        responses={200: envelope("OrderPayEnvelope", OrderPaySerializer), 404: ERROR_ENVELOPE},
    )
    def post(self, request, order_number):
        return ok(
            order_services.order_pay(
                account_id=request.user.pk,
                order_number=order_number,
                client_ip=request.META.get("REMOTE_ADDR"),
            )
        )


class OrderRefundView(APIView):
    """The buyer asks for a refund (退费) of an order paid with money; staff decide in the admin."""

    @extend_schema(
        request=OrderRefundSerializer,
        responses={200: envelope("OrderRefundEnvelope", OrderSerializer), 404: ERROR_ENVELOPE},
    )
    def post(self, request, order_number):
        order_services.order_refund_request(
            account_id=request.user.pk,
            order_number=order_number,
            **body(OrderRefundSerializer, request),
        )
        order = order_selectors.order_of(account_id=request.user.pk, order_number=order_number)
        return ok(OrderSerializer(order).data)
