"""The scorecard pages for every role on the emulation book (tests/emulation/conftest.py):
who sees which unit, the missed cells and what is behind them, the group's grades."""

from datetime import date

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

YEAR = "?year=2020"


def page(client, name, *args, status=200):
    response = client.get(reverse(name, args=args) + YEAR)
    assert response.status_code == status, (name, args, response.status_code)
    return response.content.decode() if status == 200 else ""


def test_the_manager_sees_every_unit_and_follows_a_missed_cell(card_book, as_user):
    client = as_user("manager")
    summary = page(client, "scorecard")
    for name in ("Toàn phòng giao dịch", "Hội Nông dân", "Hội Liên hiệp Phụ nữ", "Hội Nông dân Quán Hàu"):
        assert name in summary
    unit = page(client, "scorecard_unit", "district")
    missed = reverse("scorecard_cell", args=["district", "T2", "2020-03"])
    assert missed in unit  # March's 16,67 % overdue is a link
    assert "16,67 %" in unit
    cell = page(client, "scorecard_cell", "district", "T2", "2020-03")
    assert "HPN-1" in cell and "6.000.000" in cell and "HND-1" not in cell


@pytest.mark.parametrize(
    "code,period,expected",
    [
        ("T1", "2020-03", ["VN-01"]),
        ("T3", "2020-03", ["HPN-1", "20/03/2020: 6.000.000"]),
        ("T4", "2020-03", ["HPN-1"]),
        ("T5", "2020Q1", ["Quán Hàu", "Yếu"]),
        ("T6", "2020-03", ["QH-02", "25"]),
        ("T7", "2020-03", ["VN-01", "6 ngày"]),
        ("T8", "2020Q1", ["QH-02", "77.000", "VN-01", "95.700"]),
        ("T9", "2020Q1", ["Tín dụng chính sách"]),
        ("T10", "2020Q1", ["Loa", "Hội Liên hiệp Phụ nữ Vạn Ninh"]),
    ],
)
def test_what_is_behind_each_target(card_book, as_user, code, period, expected):
    content = page(as_user("manager"), "scorecard_cell", "district", code, period)
    for text in expected:
        assert text in content, (code, text)


def test_an_officer_sees_their_association_and_its_commune_associations(card_book, as_user):
    client = as_user("officer_hpn")
    summary = page(client, "scorecard")
    assert "Hội Liên hiệp Phụ nữ Quán Hàu" in summary and "Hội Liên hiệp Phụ nữ Vạn Ninh" in summary
    assert "Toàn phòng giao dịch" not in summary and "Hội Nông dân" not in summary
    page(client, "scorecard_unit", "HPN")
    page(client, "scorecard_unit", "QH-HPN")
    for other in ("district", "HND", "QH-HND", "CCB"):
        page(client, "scorecard_unit", other, status=404)
        page(client, "scorecard_cell", other, "T2", "2020-03", status=404)
    cell = page(client, "scorecard_cell", "HPN", "T2", "2020-03")
    assert "HPN-1" in cell and "HND-1" not in cell and "Nguyễn Văn An" not in cell


def test_a_commune_officer_sees_their_commune_association_alone(card_book, as_user):
    client = as_user("commune_officer")  # HPN, Vạn Ninh
    summary = page(client, "scorecard")
    assert "Hội Liên hiệp Phụ nữ Vạn Ninh" in summary and "Quán Hàu" not in summary
    page(client, "scorecard_unit", "VN-HPN")
    for other in ("HPN", "QH-HPN", "district"):
        page(client, "scorecard_unit", other, status=404)


def test_cells_that_do_not_exist(card_book, as_user):
    client = as_user("manager")
    page(client, "scorecard_cell", "district", "T2", "2020Q1", status=404)  # a monthly target
    page(client, "scorecard_cell", "district", "T8", "2020-03", status=404)  # a quarterly one
    page(client, "scorecard_cell", "QH-HND", "T9", "2020Q1", status=404)  # not evaluated there
    page(client, "scorecard_cell", "district", "T2", "2030-03", status=404)
    page(client, "scorecard_cell", "district", "T99", "2020-03", status=404)
    page(client, "scorecard_unit", "XX-HND", status=404)
    assert client.get(reverse("scorecard") + "?year=abc").status_code == 404


def test_the_group_page_shows_its_grades(card_book, as_user):
    client = as_user("manager")
    url = reverse("group_detail", args=["QH-02"]) + "?date=31/03/2020&month=2020-03"
    content = client.get(url).content.decode()
    assert "25 điểm, Yếu" in content
    assert "Tỷ lệ nợ quá hạn cuối tháng" in content and "100,00 %" in content
    # the officer of another association does not reach the group at all
    assert as_user("officer_hnd").get(url).status_code == 404


def test_the_pages_query_counts_do_not_grow_with_the_units(card_book, as_user, django_assert_max_num_queries):
    client = as_user("manager")
    with django_assert_max_num_queries(80):
        client.get(reverse("scorecard") + YEAR)
    with django_assert_max_num_queries(80):
        client.get(reverse("scorecard_unit", args=["HND"]) + YEAR)


def test_each_period_shows_the_association_that_managed_the_group_then(card_book, as_user, staff, hnd):
    """QH-02 (Bình, HPN-1 overdue from 21/03) passes from HPN to HND on 01/07/2020: March
    is HPN's, December HND's, on every page of the scorecard, for both officers."""
    from groups.services import group_transfer

    group_transfer(group=card_book.g2, association=hnd, effective_on=date(2020, 7, 1), acting_user=staff)
    client = as_user("officer_hpn")
    assert "HPN-1" in page(client, "scorecard_cell", "QH-HPN", "T2", "2020-03")
    assert "HPN-1" not in page(client, "scorecard_cell", "QH-HPN", "T2", "2020-12")  # no group then
    client = as_user("officer_hnd")
    assert "HPN-1" not in page(client, "scorecard_cell", "QH-HND", "T2", "2020-03")
    assert "HPN-1" in page(client, "scorecard_cell", "QH-HND", "T2", "2020-12")
    # the group's page: HND's officer sees the months HND graded it, never HPN's
    content = client.get(reverse("group_detail", args=["QH-02"]) + "?date=31/12/2020").content.decode()
    assert "12/2020" in content and "03/2020 ·" not in content


def test_a_cell_with_nothing_counted(card_book, as_user):
    """Vạn Ninh's HPN heard no broadcast in Q1 and HPN published no news item: the cells
    say so (a regression: an empty list once fell back to the page's own data)."""
    client = as_user("manager")
    assert "Không có tin, bài nào được ghi." in page(client, "scorecard_cell", "VN-HPN", "T10", "2020Q1")
    assert "Không có tin, bài nào được ghi." in page(client, "scorecard_cell", "HPN", "T9", "2020Q1")
