"""Login throttles: per client address (X-Forwarded-For only from configured proxies) and per
username, so neither a rotating header nor a guess spread over many addresses gets through."""

import pytest

pytestmark = pytest.mark.django_db


def login(api, username="alex", password="wrong", **extra):
    body = {"username": username, "password": password}
    return api.post("/api/login/", body, format="json", **extra)


@pytest.fixture
def trusted_proxies(settings):
    def trust(count: int):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}

    return trust


def test_a_rotating_x_forwarded_for_does_not_escape_the_address_throttle(api, account, settings):
    settings.LOGIN_THROTTLE_RATE = "3/min"
    statuses = [login(api, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_behind_one_trusted_proxy_the_address_it_saw_is_counted(
    api, account, settings, trusted_proxies
):
    trusted_proxies(1)
    settings.LOGIN_THROTTLE_RATE = "3/min"
    # The client writes what it likes on the left; the proxy appends the address it saw.
    statuses = [
        login(api, HTTP_X_FORWARDED_FOR=f"10.9.9.{i}, 198.51.100.7").status_code for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    other_client = login(api, username="bob", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert other_client.json()["code"] == 1005


def test_a_guess_at_one_username_from_many_addresses_is_throttled(api, account, settings):
    settings.LOGIN_THROTTLE_RATE = "100/min"
    settings.LOGIN_USERNAME_THROTTLE_RATE = "3/min"
    statuses = [login(api, REMOTE_ADDR=f"198.51.100.{i}").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = login(api, username="ALEX", REMOTE_ADDR="198.51.100.50")
    assert response.status_code == 429  # case does not make it another target
    assert response.json()["code"] == 1004
    assert int(response["Retry-After"]) > 0


def test_the_username_throttle_leaves_other_usernames_alone(api, account, settings):
    settings.LOGIN_USERNAME_THROTTLE_RATE = "1/min"
    login(api, REMOTE_ADDR="198.51.100.1")
    assert login(api, REMOTE_ADDR="198.51.100.1").status_code == 429
    response = login(api, password="secret-pass-1", username="alex2", REMOTE_ADDR="198.51.100.2")
    assert response.json()["code"] == 1005


def test_a_body_without_a_username_is_still_1002(api, db):
    assert api.post("/api/login/", [1, 2], format="json").json()["code"] == 1002
    assert api.post("/api/login/", {"username": 7}, format="json").json()["code"] == 1002
