"""Benchmark-only URLconf: the project's URLs plus `GET /api/ping/`, a bare DRF view that answers
the envelope (no token, no SQL, no Redis), used as the throughput baseline. The project itself has
no such endpoint; this file is only loaded by bench/ping_settings.py under gunicorn in
bench/throughput.py.
"""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from settlement_project import urls as project
from utils.response import ok


class PingView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return ok({"pong": True})


urlpatterns = [path("api/ping/", PingView.as_view()), *project.urlpatterns]

handler400 = project.handler400
handler403 = project.handler403
handler404 = project.handler404
handler500 = project.handler500
