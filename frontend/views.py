"""The single-page shop: one HTML page; everything else is static JavaScript over the public API."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

# Scripts and styles only from this site (the page has no inline script); course images may come
# from a CDN. The page builds its DOM from text nodes only; this is the second line of defence.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' https: data:",
        "style-src 'self' 'unsafe-inline'",  # the course covers' colour is a style attribute
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


@require_safe
@never_cache
def index(request):
    # never_cache: the page is tiny and always current. Its modules are plain static files
    # (WhiteNoise gives unhashed files a short max-age), so a deploy reaches browsers within that.
    # With DEBUG on (development, `make run`) the login screen names the demo accounts.
    response = render(request, "frontend/index.html", {"demo_hint": settings.DEBUG})
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response
