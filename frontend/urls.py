from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from frontend import views

urlpatterns = [
    path("", views.index, name="frontend"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("frontend/favicon.svg"), permanent=True)),
]
