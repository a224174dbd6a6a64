"""The commune's page records a new transaction day (staff and managers; officers get 403)."""

import pytest

from groups.models import Commune
from lending.models import InterestBill
from tests.support.book import row_counts
from tests.support.pages import flash, text_of

pytestmark = pytest.mark.django_db
URL = "/communes/QH/transaction-day/"


def test_staff_record_a_new_day_and_the_bills_follow(book, as_user):
    client = as_user("staff")
    page = client.get(URL)
    assert page.status_code == 200
    assert "Hiện giao dịch ngày 20 hằng tháng" in text_of(page)
    response = client.post(URL, {"transaction_day": "10", "effective_on": "01/03/2020"})
    assert response.status_code == 302 and response["Location"] == "/communes/QH/"
    assert flash(response) == ["Đã đổi ngày giao dịch Xã Quán Hàu: ngày 10 hằng tháng từ 01/03/2020."]
    assert Commune.objects.get(code="QH").transaction_day == 10
    # HND-1 of Quán Hàu: 20/02 → 10/03, 19 days at 2.200 đ
    assert InterestBill.objects.get(loan=book.hnd1, billed_on__month=3, billed_on__year=2020).amount == 41_800
    history = text_of(client.get(URL))
    assert "ban đầu 20" in history and "01/03/2020 10" in history


def test_a_refused_change_shows_its_message_on_its_field(book, as_user):
    before = row_counts()
    response = as_user("manager").post(URL, {"transaction_day": "10", "effective_on": "15/03/2020"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "effective_on": ["Ngày hiệu lực phải là ngày đầu tháng (như 01/03/2020): mỗi tháng xã có một ngày giao dịch."]
    }
    assert row_counts() == before


def test_officers_cannot_change_the_day(book, as_user):
    assert as_user("officer_hnd").get(URL).status_code == 403
