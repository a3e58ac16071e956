"""Every /api/ route answers with or without its trailing slash (API.md, "Settlement center").

The seed's frontends call `/api/settlement` as often as `/api/settlement/`. Django's APPEND_SLASH
cannot help: it redirects (a POST loses its body) and only when nothing resolves, while the /api/
catch-all (the 404 envelope) resolves everything. So, before URL resolution, a path under /api/
that resolves to no real view is tried with its trailing slash toggled; when that one resolves to a
view, the request goes there. Unknown URLs still reach the catch-all and its 404 envelope.
One place for every route, present and future: no route needs its own pattern.
"""

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.urls import Resolver404, get_urlconf, resolve

API_PREFIX = "/api/"
CATCH_ALL = "api-not-found"  # the URL name of the /api/ catch-all in settlement_project/urls.py


def _resolves_to_a_view(path: str, urlconf) -> bool:
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return False
    return match.url_name != CATCH_ALL


def api_path(path: str, urlconf=None) -> str:
    """The path a request for `path` is served from: itself, or itself with the trailing slash
    added or removed when only that form names a route."""
    if not path.startswith(API_PREFIX):
        return path
    return _api_path(path, urlconf or get_urlconf() or settings.ROOT_URLCONF)


@lru_cache(maxsize=4096)
def _api_path(path: str, urlconf) -> str:
    # Cached: the answer depends only on the path and the URLconf (a resolve costs ~0.1 ms, and
    # most requests repeat a few paths); bounded, so odd paths cannot grow it.
    if _resolves_to_a_view(path, urlconf):
        return path
    other = path[:-1] if path.endswith("/") else f"{path}/"
    return other if _resolves_to_a_view(other, urlconf) else path


def _forget(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _api_path.cache_clear()


setting_changed.connect(_forget)


class ApiTrailingSlashMiddleware:
    """Serves `/api/x` as `/api/x/` (and the reverse) without a redirect. Place it before
    CommonMiddleware and CsrfViewMiddleware, which act on the resolved path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        old = request.path_info
        path = api_path(old, getattr(request, "urlconf", None))
        if path != old:
            # request.path is the script prefix followed by path_info.
            request.path = request.path[: len(request.path) - len(old)] + path
            request.path_info = path
        return self.get_response(request)
