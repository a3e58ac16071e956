"""`GET /api/metrics`: the Prometheus text format (utils/metrics.py), for staff and scrapers.

Readable by staff (an admin session or a staff account's token) and by the addresses in
`METRICS_ALLOWED_IPS` (a scraper's, CIDR allowed); anyone else gets the 1001 envelope.
"""

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

from utils.authentication import RedisTokenAuthentication
from utils.metrics import registry


@cache
def _allowed_networks(raw: tuple[str, ...]):
    return tuple(ipaddress.ip_network(item, strict=False) for item in raw)


def address_allowed(address: str | None) -> bool:
    if not address or not settings.METRICS_ALLOWED_IPS:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _allowed_networks(tuple(settings.METRICS_ALLOWED_IPS)))


class MetricsReader(BasePermission):
    def has_permission(self, request, view):
        if address_allowed(request.META.get("REMOTE_ADDR")):
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class MetricsView(APIView):
    authentication_classes = [RedisTokenAuthentication, SessionAuthentication]
    permission_classes = [MetricsReader]
    schema = None  # the Prometheus text format, not an API answer

    def get(self, request):
        return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
