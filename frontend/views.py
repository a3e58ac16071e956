"""The single-page shop: one HTML page; everything else is static JavaScript over the public API."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
@never_cache
def index(request):
    # never_cache: a new deploy's page (and its static URLs) reaches browsers at once.
    # With DEBUG on (development, `make run`) the login screen names the demo accounts.
    return render(request, "frontend/index.html", {"demo_hint": settings.DEBUG})
