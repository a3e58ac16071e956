"""Health checks for load balancers and orchestrators.

- `GET /api/health/live`: the process answers (the envelope; no database, no Redis). Also the
  benchmarks' baseline: the cheapest request through Django + DRF.
- `GET /api/health/ready`: the database and Redis both answer; otherwise 1003/503 with which one
  failed in `data`, so that a balancer stops sending traffic to this instance.
"""

import logging

from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from utils.errors import Codes
from utils.redis import get_redis
from utils.response import fail, ok
from utils.schema import envelope

logger = logging.getLogger("settlement")


SERVICE_STATES = ["ok", "unavailable"]  # one choice set (the schema names it ServiceStateEnum)


class ReadinessSerializer(serializers.Serializer):
    database = serializers.ChoiceField(choices=SERVICE_STATES)
    redis = serializers.ChoiceField(choices=SERVICE_STATES)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except DatabaseError as exc:
        logger.warning("readiness: database unavailable: %s", exc)
        return False


def _redis_ok() -> bool:
    try:
        return bool(get_redis().ping())
    except Exception as exc:  # any failure to answer PING means "not ready", never a 500
        logger.warning("readiness: Redis unavailable: %s", exc)
        return False


class LiveView(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(responses={200: envelope("LiveEnvelope")}, auth=[])
    def get(self, request):
        return ok()


class ReadyView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: envelope("ReadyEnvelope", ReadinessSerializer),
            503: envelope("NotReadyEnvelope", ReadinessSerializer),
        },
        auth=[],
    )
    def get(self, request):
        state = {
            "database": "ok" if _database_ok() else "unavailable",
            "redis": "ok" if _redis_ok() else "unavailable",
        }
        if all(value == "ok" for value in state.values()):
            return ok(state)
        failed = ", ".join(name for name, value in state.items() if value != "ok")
        return fail(Codes.UNAVAILABLE, f"{Codes.UNAVAILABLE.message}: {failed}", data=state)
