"""The dashboards' charts (each SVG holds its table's numbers), the follow-up list by hand,
its workbook, and the query counts, on the emulation book at 31/03/2020."""

import re
from datetime import date
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dashboards.charts import AMOUNT, RATIO, Chart
from groups.models import Member
from lending.services import repayment_post
from reporting import store
from tests.emulation.conftest import store_2020
from tests.support.book import disburse, new_group, new_member
from tests.support.charts import assert_charts_hold_their_tables, chart_points, chart_tables

pytestmark = pytest.mark.django_db

MARCH = "?month=2020-03"


@pytest.mark.parametrize("role", ["manager", "officer_hpn", "commune_officer"])
def test_each_chart_holds_the_numbers_of_its_table(card_book, as_user, role):
    page = as_user(role).get(reverse("dashboard") + MARCH).content.decode()
    tables = chart_tables(page, first="04/2018", last="03/2020")
    assert_charts_hold_their_tables(tables, series=5 if role == "manager" else 1)
    # March by hand: the office's outstanding, HPN's overdue ratio
    outstanding = tables["outstanding"][1]
    if role == "manager":
        assert [column[-1] for column in outstanding] == ["66.000.000", "12.000.000", "24.000.000", "0", "0"]
        assert tables["overdue-ratio"][1][2][-1] == "25,00 %"
    elif role == "officer_hpn":
        assert outstanding[0][-1] == "24.000.000" and tables["savings"][1][0][-1] == "200.000"


def test_a_chart_is_drawn_once_and_escapes_its_names():
    series = [("total", "<b>Hội</b> & tổ", [1_234_567, None]), ("HND", "B", [None, 5])]
    chart = Chart("x", "Dư nợ", AMOUNT, ["01/2020", "02/2020"], series)
    svg = chart.svg()
    assert svg is not None and chart.svg() == svg  # the same figures draw the same bytes
    assert "<b>" not in svg and "&lt;b&gt;Hội&lt;/b&gt; &amp; tổ" in svg  # in the legend, escaped
    assert chart_points(svg) == {0: ["1.234.567"], 1: ["5"]}
    assert chart.table == {
        "columns": ["<b>Hội</b> & tổ", "B"],
        "rows": [("01/2020", ["1.234.567", "—"]), ("02/2020", ["—", "5"])],
    }
    ratio = Chart("y", "Tỷ lệ", RATIO, ["01/2020"], [("total", "A", [0.123456])])
    assert chart_points(ratio.svg()) == {0: ["12,35 %"]}
    # nothing to run and nothing to fetch: no script, no address but the SVG namespace's
    assert "<script" not in ratio.svg() and "http" not in ratio.svg().replace("http://www.w3.org/", "")


def follow_up_page(client, unit: str) -> str:
    response = client.get(reverse("dashboard_follow_up", args=[unit]) + MARCH, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def entries(page: str) -> list[tuple[str, str]]:
    """(title of the loan or group, its reasons) of each entry."""
    rows = re.findall(r"<td><a href=\"[^\"]*\">([^<]*)</a></td>\s*<td>(.*?)</td>", page, re.S)
    return [(title, re.sub(r"<[^>]+>", " | ", reasons).strip(" |").replace(" |  | ", " | ")) for title, reasons in rows]


def test_the_follow_up_list_by_hand(card_book, as_user):
    page = follow_up_page(as_user("manager"), "district")
    assert "<html" not in page  # the dashboard's section, for htmx
    found = dict(entries(page))
    assert found == {
        # Quán Hàu, transaction day 20/04/2020
        "QH-02 · Tổ thôn Tân Mỹ": "Tổ xếp loại dưới Khá (Yếu, 25 điểm, tháng 03/2020)",
        "HND-1 · Nguyễn Văn An": "Lãi tồn đọng: 63.800 đồng",
        "HPN-1 · Trần Thị Bình": (
            "Nợ quá hạn mới trong tháng: 6.000.000 đồng | Kỳ trả gốc trong tháng chưa thu: 6.000.000 đồng"
            " | Lãi tồn đọng: 77.000 đồng"
        ),
        "TT-1 · Phạm Văn Dũng": "Lãi tồn đọng: 159.500 đồng",
        # Vạn Ninh, 28/04/2020: VN-01 met on 22/03, six days before the 28th
        "VN-01 · Tổ thôn Vạn Ninh": "Không họp tổ đúng 3–5 ngày trước ngày giao dịch (ngày giao dịch 28/03/2020)",
        "HPN-2 · Lê Thị Cúc": "Lãi tồn đọng: 95.700 đồng",
    }
    assert page.index("20/04/2020") < page.index("28/04/2020")
    assert set(dict(entries(follow_up_page(as_user("officer_hpn"), "HPN")))) == {
        "QH-02 · Tổ thôn Tân Mỹ",
        "HPN-1 · Trần Thị Bình",
        "VN-01 · Tổ thôn Vạn Ninh",
        "HPN-2 · Lê Thị Cúc",
    }
    assert set(dict(entries(follow_up_page(as_user("commune_officer"), "VN-HPN")))) == {
        "VN-01 · Tổ thôn Vạn Ninh",
        "HPN-2 · Lê Thị Cúc",
    }
    # without htmx: a page of its own, its entries linking to the loans at the same date
    full = as_user("officer_hnd").get(reverse("dashboard_follow_up", args=["HND"]) + MARCH).content.decode()
    assert "<html" in full and reverse("loan_detail", args=["HND-1"]) + "?date=31/03/2020" in full


def test_the_follow_up_workbook(card_book, as_user):
    Member.objects.filter(pk=card_book.cuc.pk).update(full_name='=HYPERLINK("http://x","Cúc")')
    response = as_user("officer_hpn").get(reverse("dashboard_follow_up_xlsx", args=["HPN"]) + MARCH)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="theo-doi-HPN-20200331.xlsx"'
    ws = load_workbook(BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    assert [r[5] for r in rows] == [None, "HPN-1", "HPN-1", "HPN-1", None, "HPN-2"]
    assert rows[1][7] == "Nợ quá hạn mới trong tháng" and rows[1][8] == 6_000_000
    assert ws.cell(5, 9).number_format == "#,##0" and ws.cell(5, 3).value.date() == date(2020, 4, 20)
    formula = ws.cell(9, 7)
    assert formula.value.startswith("=HYPERLINK") and formula.data_type == "s"  # text, never a formula
    assert ws.freeze_panes == "A4" and ws.print_title_rows == "$3:$3"


def _grow(book, staff, hnd, poor):
    """Three more groups with two borrowers each, in both communes, with repayments."""
    for n in range(3):
        group = new_group(f"QH-1{n}", f"Tổ mới {n}", book.quan_hau, hnd, staff, village="Thôn 2")
        for k in range(2):
            member = new_member(f"0440000001{n}{k}", book.quan_hau, staff, group, full_name=f"Hộ {n}{k}")
            loan = disburse(member, poor, staff, f"HND-1{n}{k}", amount=10_000_000, due_on=date(2021, 1, 20))
            repayment_post(loan=loan, amount=1_000_000, value_date=date(2020, 3, 20), acting_user=staff)


# The statements of a dashboard and of its follow-up list, whatever the size of the book
# (with the store built: the month's, quarter's and year's figures, the series, the
# scorecard's facts, the grades; the follow-up list's loans in one statement; each
# figure set also reads the book's state first, reporting/cache.py) and, once today's
# figures are stored, when they are read again with nothing written meanwhile.
QUERIES = {"dashboard": 43, "follow-up": 20}
KEPT_QUERIES = {"dashboard": 23, "follow-up": 7}


def _counts(client) -> dict[str, int]:
    counts = {}
    for name, url in (
        ("dashboard", reverse("dashboard") + MARCH),
        ("follow-up", reverse("dashboard_follow_up", args=["district"]) + MARCH),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[name] = len(queries)
    return counts


def test_query_counts_are_pinned(card_book, as_user):
    assert _counts(as_user("manager")) == QUERIES
    store.build_today()
    _counts(as_user("manager"))
    assert _counts(as_user("manager")) == KEPT_QUERIES


def test_query_counts_do_not_grow_with_the_book(book, as_user, staff, hnd, poor):
    _grow(book, staff, hnd, poor)
    store_2020()
    assert _counts(as_user("manager")) == QUERIES


@pytest.mark.parametrize("month", ["2020-03", "2020-01"])
def test_a_dashboard_at_a_quarter_end_or_its_first_month_reads_only_the_store(card_book, as_user, month):
    """At 31/03 the year so far is the first quarter; at 31/01 the quarter and the year so
    far are January: stored, no statement over the ledger (the follow-up list aside)."""
    with CaptureQueriesContext(connection) as queries:
        assert as_user("officer_hpn").get(reverse("dashboard") + f"?month={month}").status_code == 200
    assert not [q for q in queries.captured_queries if "live_txn" in q["sql"]]  # the ledger's statement
