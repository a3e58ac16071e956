from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/", include("course.urls")),
    path("api/", include("shopping.urls")),
    path("api/", include("pay.urls")),
]

handler400 = "utils.views.bad_request"
handler403 = "utils.views.permission_denied"
handler404 = "utils.views.not_found"
handler500 = "utils.views.server_error"
