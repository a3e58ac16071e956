"""The buyer's 贝里 history: GET /api/account/transactions/ (paginated, newest first)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import APIView

from pay.models import TransactionRecord
from pay.serializers import TransactionSerializer
from utils.response import ok
from utils.schema import envelope


class LedgerPagination(PageNumberPagination):
    """`?page=` (from 1) and `?page_size=` (default 20, at most 100)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def account_transactions(*, account_id: int):
    """The account's ledger rows, newest first (the ledger's index is (account, id))."""
    return (
        TransactionRecord.objects.filter(account_id=account_id)
        .select_related("order")
        .only(*TransactionSerializer.MODEL_FIELDS, "order__order_number")
        .order_by("-id")
    )


PAGE = inline_serializer(
    name="TransactionPage",
    fields={
        "count": serializers.IntegerField(),
        "next": serializers.CharField(allow_null=True),
        "previous": serializers.CharField(allow_null=True),
        "results": TransactionSerializer(many=True),
    },
)


class TransactionListView(APIView):
    pagination = LedgerPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("page", int, required=False, description="from 1"),
            OpenApiParameter("page_size", int, required=False, description="1..100, default 20"),
        ],
        responses={200: envelope("TransactionPageEnvelope", PAGE)},
    )
    def get(self, request):
        paginator = self.pagination()
        rows: list[TransactionRecord] | None = paginator.paginate_queryset(
            account_transactions(account_id=request.user.pk), request, view=self
        )
        assert paginator.page is not None  # set by paginate_queryset: page_size has a default
        return ok(
            {
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": TransactionSerializer(rows, many=True).data,
            }
        )
