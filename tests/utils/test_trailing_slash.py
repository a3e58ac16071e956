"""Every /api/ route answers with or without its trailing slash (utils/trailing_slash.py)."""

import re

import pytest
from django.conf import settings as django_settings
from django.http import JsonResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, re_path, resolve
from django.urls import path as route

from utils.trailing_slash import CATCH_ALL, ApiTrailingSlashMiddleware

SAMPLES = {
    "int": "7",
    "str": "N20261125000001",
    "order_number": "O20261125000001",
    "slug": "a-slug",
    "uuid": "0" * 32,
    "path": "x",
}


def _routes(patterns=None, prefix=""):
    """(example path, URLPattern) for every route of the URLconf, includes walked."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            yield _example(prefix + route), pattern


def _example(route: str) -> str:
    """A concrete path for a `path()` route (`<int:id>` -> 7)."""
    path = re.sub(
        r"<(?:(\w+):)?\w+>", lambda m: SAMPLES[m.group(1) or "str"], route.lstrip("^")
    ).rstrip("$")
    return "/" + path


API_ROUTES = [
    (path, pattern)
    for path, pattern in _routes()
    # The catch-alls (unknown URLs, malformed order numbers) are regexes with no one example.
    if path.startswith("/api/") and pattern.name not in (CATCH_ALL, "order-number-malformed")
]


def _served_path(path: str) -> str:
    """The path the middleware hands to URL resolution for a request of `path`."""
    seen = {}

    def view(request):
        seen["path_info"], seen["path"] = request.path_info, request.path

    ApiTrailingSlashMiddleware(view)(RequestFactory().post(path))
    assert seen["path"] == seen["path_info"]  # no script prefix here
    return seen["path_info"]


def test_the_urlconf_has_api_routes_to_check():
    names = {pattern.name for _, pattern in API_ROUTES}
    assert {"settlement", "payment", "order-cancel", "schema"} <= names


@pytest.mark.parametrize(("path", "pattern"), API_ROUTES, ids=[p for p, _ in API_ROUTES])
def test_every_api_route_resolves_with_and_without_its_trailing_slash(path, pattern):
    bare, slashed = path.rstrip("/"), path.rstrip("/") + "/"
    for variant in (bare, slashed):
        match = resolve(_served_path(variant))
        assert match.func == pattern.callback, variant
        assert match.url_name == pattern.name


@pytest.mark.parametrize(("path", "pattern"), API_ROUTES, ids=[p for p, _ in API_ROUTES])
@pytest.mark.django_db
def test_every_api_route_answers_the_same_with_and_without_its_trailing_slash(
    auth_api, path, pattern
):
    slashed = auth_api.get(path.rstrip("/") + "/")
    bare = auth_api.get(path.rstrip("/"))
    assert bare.status_code == slashed.status_code
    # The view's own redirect (Alipay's return page) at most, never one to the slashed URL.
    assert bare.get("Location") == slashed.get("Location")
    if slashed["Content-Type"].startswith("application/json") and "code" in slashed.json():
        assert bare.json()["code"] == slashed.json()["code"]


def test_unknown_api_urls_still_reach_the_404_catch_all():
    for path in ("/api/no-such-thing", "/api/no-such-thing/", "/api/settlement/x"):
        assert resolve(_served_path(path)).url_name == CATCH_ALL


def _plain_view(request):
    return JsonResponse({"code": 1000, "data": "plain", "error": None})


urlpatterns = [  # a URLconf whose route has no trailing slash, for the reverse direction
    route("api/plain", _plain_view, name="plain"),
    re_path(r"^api/", _plain_view, name=CATCH_ALL),
]


def test_a_route_written_without_its_slash_answers_with_one_too(settings):
    settings.ROOT_URLCONF = __name__  # also forgets what was learnt under the real URLconf
    assert _served_path("/api/plain/") == "/api/plain"
    assert _served_path("/api/plain") == "/api/plain"
    assert _served_path("/api/settlement") == "/api/settlement"  # not a route here


def test_paths_outside_api_are_left_alone():
    assert _served_path("/admin") == "/admin"
    assert _served_path("/") == "/"


def test_the_middleware_runs_before_csrf_and_common_middleware():
    order = django_settings.MIDDLEWARE
    mine = order.index("utils.trailing_slash.ApiTrailingSlashMiddleware")
    assert mine < order.index("django.middleware.csrf.CsrfViewMiddleware")
    assert mine < order.index("django.middleware.common.CommonMiddleware")


@pytest.mark.django_db
def test_post_to_the_settlement_without_slash_answers_the_envelope_not_the_csrf_page(auth_api):
    response = auth_api.post("/api/settlement", {"course_list": []}, format="json")
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == 1021
