"""The database gone mid-request (a PostgreSQL restart): a 503 page in Vietnamese, never a
traceback, and nothing written. `manage.py restart_test` does it for real under load."""

from datetime import date
from html import unescape

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError
from django.test import Client, override_settings
from django.urls import reverse

from lending.models import LoanTransaction
from lending.services import transaction_day as sheet_service
from tests.support.book import disburse, row_counts

pytestmark = pytest.mark.django_db

FEB = date(2020, 2, 20)  # the commune's transaction day (the 20th)
TOKEN = "a1b2c3d4e5f60708"
HEADING = "Không kết nối được cơ sở dữ liệu"
NOTHING_SAVED = "Yêu cầu vừa gửi chưa được thực hiện: không có khoản nào được ghi sổ."
TRY_AGAIN = "Vui lòng thử lại sau ít phút."


def assert_the_503_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"] == "text/html; charset=utf-8"
    text = unescape(response.content.decode())
    assert HEADING in text and NOTHING_SAVED in text and TRY_AGAIN in text
    for leak in ("Traceback", "OperationalError", "InterfaceError", "psycopg", "server closed", 'File "'):
        assert leak not in text


@pytest.fixture
def loan(member, poor, staff):
    return disburse(member=member, program=poor, user=staff)


def sheet_post(client, commune, group, loan):
    prefix = f"g{group.pk}"
    data = {
        "group": group.code,
        f"{prefix}-token": TOKEN,
        f"{prefix}-p-{loan.pk}": "1.000.000",
        f"{prefix}-i-{loan.pk}": "90.200",
    }
    return client.post(reverse("transaction_day_sheet", args=[commune.code, FEB.isoformat()]), data)


@pytest.mark.parametrize("debug", [False, True])
def test_a_sheet_post_that_loses_the_database_midway_answers_503_and_writes_nothing(
    client, commune, group, loan, staff, monkeypatch, debug
):
    real = sheet_service.loan_transaction_post
    calls = []

    def post_then_lose_the_server(**kwargs):
        calls.append(kwargs["kind"])
        if len(calls) == 2:  # the principal is written, then the server goes away
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(sheet_service, "loan_transaction_post", post_then_lose_the_server)
    client.force_login(staff)
    before = row_counts()
    with override_settings(DEBUG=debug):
        response = sheet_post(client, commune, group, loan)
    assert calls == ["principal", "interest"]
    assert_the_503_page(response)
    assert row_counts() == before  # the principal written first was rolled back with the sheet
    assert not LoanTransaction.objects.filter(reference__startswith=f"GD-{TOKEN}").exists()

    # The server is back: the same form posts, once.
    monkeypatch.setattr(sheet_service, "loan_transaction_post", real)
    assert sheet_post(client, commune, group, loan).status_code == 302
    assert sheet_post(client, commune, group, loan).status_code == 302
    assert sorted(
        LoanTransaction.objects.filter(reference__startswith=f"GD-{TOKEN}").values_list("kind", "amount")
    ) == [("interest", 90_200), ("principal", 1_000_000)]


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_session_that_cannot_be_read_answers_503(staff, monkeypatch, error):
    """Before any view: the sign-in check reads the session from the database."""
    client = Client(raise_request_exception=False)
    client.force_login(staff)

    def lost(self):
        raise error("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(SessionStore, "load", lost)
    assert_the_503_page(client.get(reverse("home")))


def test_any_other_error_is_still_the_500_page(staff, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(staff)

    def broken(self):
        raise RuntimeError("a bug")

    monkeypatch.setattr(SessionStore, "load", broken)
    response = client.get(reverse("home"))
    assert response.status_code == 500
    text = unescape(response.content.decode())
    assert "Lỗi hệ thống" in text and HEADING not in text and "Traceback" not in text
