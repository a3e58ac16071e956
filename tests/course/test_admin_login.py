"""The admin login is locked (django-axes) after repeated failures, until the cool-off ends;
the API login is left to its own throttles."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-1")


def admin_login(client, password, username="root", **extra):
    return client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, **extra
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_is_refused_after_25_wrong_ones_until_the_cool_off(root, settings):
    client = Client()
    for _ in range(25):
        admin_login(client, "wrong")
    response = admin_login(client, "root-pass-1")
    assert response.status_code == 429
    assert not logged_in(client)

    # The cool-off passes (the attempts are older than it): the right password works again.
    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=past)
    assert admin_login(client, "root-pass-1").status_code == 302
    assert logged_in(client)


def test_the_lockout_holds_for_the_username_from_another_address(root, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        admin_login(Client(), "wrong", REMOTE_ADDR=f"198.51.100.{i}")
    client = Client()
    assert admin_login(client, "root-pass-1", REMOTE_ADDR="203.0.113.9").status_code == 429
    assert not logged_in(client)


def test_a_few_mistakes_do_not_lock_the_admin_out(root, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert admin_login(client, "wrong").status_code == 200  # the form again, with its error
    assert admin_login(client, "root-pass-1").status_code == 302


def test_admin_lockouts_do_not_touch_the_api_login(root, api, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        admin_login(Client(), "wrong")
    response = api.post(
        "/api/login/", {"username": "root", "password": "root-pass-1"}, format="json"
    )
    assert response.json()["code"] == 1000


def test_failed_api_logins_never_meet_the_admin_lockout(root, api, settings):
    settings.LOGIN_THROTTLE_RATE = settings.LOGIN_USERNAME_THROTTLE_RATE = "1000/min"
    body = {"username": "root", "password": "wrong"}
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        response = api.post("/api/login/", body, format="json")
        assert response.json()["code"] == 1005
    assert not AccessAttempt.objects.exists()
    assert admin_login(Client(), "root-pass-1").status_code == 302
