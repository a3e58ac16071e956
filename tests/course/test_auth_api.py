"""Login, logout and the token headers the seed's frontends send."""

import pytest

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
    token = token_create(account_id=account.pk)
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
    token = token_create(account_id=account.pk)
    get_redis().delete(keys.auth_token(token))  # what expiry does
    response = api.post("/api/logout/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.json()["code"] == 1001


def test_token_of_an_inactive_account_is_1001(api, account):
    token = token_create(account_id=account.pk)
    account.is_active = False
    account.save()
    response = api.post("/api/logout/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.json()["code"] == 1001


def test_logout_ends_the_token(api, account):
    token = login(api).json()["data"]["access_token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.post("/api/logout/").json()["code"] == 1000
    assert api.post("/api/logout/").json()["code"] == 1001
