"""Login, logout and the token headers the seed's frontends send."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.redis_counting import count_round_trips
from utils import keys
from utils.redis import get_redis
from utils.token_store import token_create

pytestmark = pytest.mark.django_db


def login(api, username="alex", password="secret-pass-1"):
    return api.post("/api/login/", {"username": username, "password": password}, format="json")


def test_login_returns_a_token_the_username_and_the_balance(api, make_account):
    make_account(balance=120)
    body = login(api).json()
    assert body["code"] == 1000
    assert body["data"]["username"] == "alex"
    assert body["data"]["balance"] == 120
    assert len(body["data"]["access_token"]) >= 32


def test_login_token_expires_after_the_configured_ttl(api, account, settings):
    settings.TOKEN_TTL_SECONDS = 3600
    token = login(api).json()["data"]["access_token"]
    assert 3590 < get_redis().ttl(keys.auth_token(token)) <= 3600


def test_wrong_password_is_1005_with_http_200(api, account):
    response = login(api, password="wrong")
    assert response.status_code == 200
    assert response.json()["code"] == 1005


def test_unknown_user_is_1005(api, db):
    assert login(api, username="nobody").json()["code"] == 1005


def test_login_is_throttled_past_the_configured_rate(api, account, settings):
    settings.LOGIN_THROTTLE_RATE = "3/min"
    codes = [login(api, password="wrong").json()["code"] for _ in range(3)]
    assert codes == [1005, 1005, 1005]
    response = login(api)
    assert response.status_code == 429
    assert response.json()["code"] == 1004
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    "header,template",
    [
        ("HTTP_AUTHORIZATION", "Token {}"),
        ("HTTP_AUTHORIZATION", "Bearer {}"),
        ("HTTP_AUTHORIZATION", "{}"),
        ("HTTP_AUTHENTICATION", "{}"),
    ],
)
def test_each_accepted_token_header_authenticates(api, account, header, template):
    token = token_create(account=account)
    response = api.post("/api/logout/", **{header: template.format(token)})
    assert response.json()["code"] == 1000


def test_unknown_token_is_1001(api, db):
    response = api.post("/api/logout/", HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401
    assert response.json()["code"] == 1001


def test_malformed_authorization_header_is_1001(api, db):
    response = api.post("/api/logout/", HTTP_AUTHORIZATION="Token a b c")
    assert response.json()["code"] == 1001


def test_expired_token_is_1001(api, account):
    token = token_create(account=account)
    get_redis().delete(keys.auth_token(token))  # what expiry does
    response = api.post("/api/logout/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.json()["code"] == 1001


def test_token_of_an_inactive_account_is_1001(api, account):
    token = token_create(account=account)
    account.is_active = False
    account.save()
    response = api.post("/api/logout/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.json()["code"] == 1001


def test_logout_ends_the_token(api, account):
    token = login(api).json()["data"]["access_token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.post("/api/logout/").json()["code"] == 1000
    assert api.post("/api/logout/").json()["code"] == 1001


def two_logins(api):
    return [login(api).json()["data"]["access_token"] for _ in range(2)]


def status_with(token) -> int:
    return APIClient().get("/api/account/", HTTP_AUTHORIZATION=f"Token {token}").json()["code"]


def test_changing_the_password_ends_every_token_of_the_account(api, account, make_account):
    tokens = two_logins(api)
    other = token_create(account=make_account("bob"))
    account.set_password("a-new-pass-2")
    account.save()
    assert [status_with(t) for t in tokens] == [1001, 1001]
    assert status_with(other) == 1000
    assert login(api, password="a-new-pass-2").json()["code"] == 1000


def test_a_password_changed_in_the_admin_ends_the_tokens(api, account, django_user_model):
    token = login(api).json()["data"]["access_token"]
    staff = Client()
    staff.force_login(django_user_model.objects.create_superuser("root", "r@x.cn", "root-pass-1"))
    response = staff.post(
        f"/admin/course/account/{account.pk}/password/",
        {
            "password1": "changed-by-staff-3",
            "password2": "changed-by-staff-3",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert status_with(token) == 1001


def test_logout_all_ends_every_token_of_the_caller_and_only_theirs(api, account, make_account):
    first, second = two_logins(api)
    other = token_create(account=make_account("bob"))
    response = APIClient().post("/api/logout/all/", HTTP_AUTHORIZATION=f"Token {first}")
    assert response.json()["code"] == 1000
    assert [status_with(first), status_with(second)] == [1001, 1001]
    assert not get_redis().exists(keys.auth_token(first))
    assert status_with(other) == 1000
    assert status_with(login(api).json()["data"]["access_token"]) == 1000


def test_logout_all_needs_a_token(api, db):
    assert api.post("/api/logout/all/").json()["code"] == 1001


def test_a_token_stored_without_a_stamp_is_refused(api, account):
    get_redis().set(keys.auth_token("old-style"), str(account.pk))
    assert status_with("old-style") == 1001


def test_an_authenticated_request_costs_one_redis_round_trip(auth_api):
    with count_round_trips() as trips:
        assert auth_api.get("/api/account/").json()["code"] == 1000
    assert trips.count == 1
