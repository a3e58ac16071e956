from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from utils import health, metrics_views
from utils.views import not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # Probes: with or without the trailing slash (balancers are configured by hand).
    re_path(r"^api/health/live/?$", health.LiveView.as_view(), name="health-live"),
    re_path(r"^api/health/ready/?$", health.ReadyView.as_view(), name="health-ready"),
    re_path(r"^api/metrics/?$", metrics_views.MetricsView.as_view(), name="metrics"),
    path("api/", include("course.urls")),
    path("api/", include("shopping.urls")),
    path("api/", include("pay.urls")),
    # Any other /api/ URL answers the 404 envelope, with DEBUG on too (handler404 is only used
    # with DEBUG off, and Django's technical 404 page is HTML).
    # csrf_exempt: an unknown URL answers 404 whatever the method, never the HTML CSRF page.
    # Its name tells utils.trailing_slash that a path resolved to no real view.
    re_path(r"^api/", csrf_exempt(not_found), name="api-not-found"),
    # The single-page shop at / (its screens are #/ routes, so this is its only URL).
    path("", include("frontend.urls")),
]

handler400 = "utils.views.bad_request"
handler403 = "utils.views.permission_denied"
handler404 = "utils.views.not_found"
handler500 = "utils.views.server_error"
