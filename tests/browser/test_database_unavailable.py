"""A sheet sent through htmx while the database is away (a PostgreSQL restart): the 503
swaps nothing, so the page says so above the form and lets it be sent again; sent again
once the database is back, it posts once (its token kept)."""

import pytest
from django.db import OperationalError
from playwright.sync_api import expect

from lending.models import LoanTransaction
from lending.services import transaction_day as sheet_service
from tests.support.factories import UserFactory
from vbsp_district.models import Role

from .conftest import sign_in
from .test_staff_day import _the_group

AWAY = (
    "Không kết nối được cơ sở dữ liệu: chưa có khoản nào được ghi sổ. "
    "Vui lòng ghi lại sau ít phút (gửi lại không bao giờ ghi hai lần)."
)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sheet_sent_while_the_database_is_away_says_so_and_posts_once_when_sent_again(page, monkeypatch):
    staff = UserFactory(username="canbo", role=Role.STAFF)
    _the_group(staff)
    sign_in(page, "canbo")
    page.goto(page.base + "/transaction-day/QH/2020-02-20/")
    card = page.locator("#to-QH-01")
    button = card.locator("button[type=submit]", has_text="Ghi sổ tổ QH-01")

    real = sheet_service.loan_transaction_post

    def away(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(sheet_service, "loan_transaction_post", away)
    button.click()
    expect(card.locator(".server-error")).to_have_text(AWAY)
    expect(button).to_be_enabled()
    assert not LoanTransaction.objects.filter(reference__startswith="GD-").exists()

    monkeypatch.setattr(sheet_service, "loan_transaction_post", real)
    button.click()
    expect(page.locator("#to-QH-01 .alert-success")).to_contain_text("Đã ghi sổ tổ QH-01 ngày 20/02/2020")
    expect(page.locator("#to-QH-01 .server-error")).to_have_count(0)
    assert sorted(
        LoanTransaction.objects.filter(reference__startswith="GD-").values_list("loan__loan_no", "kind", "amount")
    ) == [("L2", "interest", 45_100), ("L2", "principal", 2_000_000)]
