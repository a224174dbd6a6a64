from datetime import timedelta

import pytest
from django.conf import settings

from tests.support.factories import UserFactory
from vbsp_district.models import Role


@pytest.mark.django_db
def test_every_page_needs_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_sign_in_and_out(client):
    UserFactory(username="canbo", role=Role.STAFF)
    response = client.post("/login/", {"username": "canbo", "password": "secret-pass-1"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_repeated_failures_lock_the_account_out(client):
    UserFactory(username="canbo", role=Role.STAFF)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/login/", {"username": "canbo", "password": "nope"})
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.content.decode()
    response = client.post("/login/", {"username": "canbo", "password": "nope"})
    assert response.status_code == 429
    # Locked out: even the right password is refused until the cool-off ends.
    response = client.post("/login/", {"username": "canbo", "password": "secret-pass-1"})
    assert response.status_code == 429
    assert "tạm bị khóa" in response.content.decode()
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)


@pytest.mark.django_db
def test_lock_out_ends_after_the_cool_off(client, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=0)
    UserFactory(username="canbo", role=Role.STAFF)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "canbo", "password": "nope"})
    response = client.post("/login/", {"username": "canbo", "password": "secret-pass-1"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_an_english_browser_still_gets_vietnamese(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Tên đăng nhập" in response.content.decode()
    assert response.headers.get("Content-Language", "vi") == "vi"
