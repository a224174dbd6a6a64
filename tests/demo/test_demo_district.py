"""The Quảng Ninh demo district reproduces the article's table at 31/12/2019."""

import json
import subprocess
from datetime import date
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from groups.models import Training
from reporting import store
from reporting.indicators import district_figures
from reporting.periods import Period
from reports.excel import write_workbook
from reports.pdf import render_pdf
from reports.quarterly import Version
from reports.services import quarterly_report
from tests.support.charts import assert_charts_hold_their_tables, chart_tables
from tests.support.scorecard import assert_scorecard_agrees_with_district_report
from vbsp_district.core.money import vnd

# The demo district's rolled-back rows are reclaimed before the next module
# (tests/support/fixtures.py).
pytestmark = pytest.mark.usefixtures("vacuum_afterwards")

GOLDEN_DIR = Path(__file__).parent / "golden"
# file → the command's arguments; regenerate with scripts/district_report_golden.sh
GOLDEN = {
    "district_report_2018-12-31.json": ["--as-of", "2018-12-31"],
    "district_report_2019-12-31_2019.json": ["--as-of", "2019-12-31", "--period", "2019"],
    "district_report_2020-03-31_2020-03.json": ["--as-of", "2020-03-31", "--period", "2020-03"],
    "district_report_2020-06-30_2020Q2_by_group.json": ["--as-of", "2020-06-30", "--period", "2020Q2", "--by-group"],
    "district_report_2020-12-31_2020Q4.json": ["--as-of", "2020-12-31", "--period", "2020Q4"],
}


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def rounded_millions(amount: int) -> int:
    return (amount + 500_000) // 1_000_000


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())


@pytest.mark.django_db
def test_demo_district_reproduces_the_article(settings):
    out = StringIO()
    # the store is built below, month by month (a test runs in one transaction, so
    # seed_demo's build would go one period at a time over every period to today)
    call_command("seed_demo", force=True, without_figures=True, stdout=out)
    printed = out.getvalue()
    for username in ("quanly", "canbo", "hnd", "hpn", "ccb", "dtn"):
        assert username in printed
    assert "vbsp-demo-2020" in printed

    report_out = StringIO()
    call_command("district_report", as_of="2019-12-31", format="json", stdout=report_out)
    report = json.loads(report_out.getvalue())
    portfolio = report["portfolio"]
    assert rounded_millions(portfolio["entrusted_outstanding"]) == 326_326
    by_association = {row["code"]: row for row in report["by_association"]}
    assert rounded_millions(by_association["HND"]["outstanding"]) == 132_702
    assert rounded_millions(by_association["HPN"]["outstanding"]) == 145_509
    assert rounded_millions(by_association["CCB"]["outstanding"]) == 23_046
    assert rounded_millions(by_association["DTN"]["outstanding"]) == 25_067
    assert round(portfolio["entrusted_share"] * 100, 2) == 99.33
    assert rounded_millions(portfolio["entrusted_change_since_year_start"]) == 16_961
    assert round(portfolio["entrusted_overdue"] / 1_000_000, 2) == 348.51
    assert round(portfolio["entrusted_overdue_ratio"] * 100, 2) == 0.11
    assert portfolio["groups"] == 210
    assert len(report["by_commune"]) == 15
    assert sum(row["groups"] for row in report["by_association"]) == 210
    assert portfolio["groups_with_savings"] == 210

    trainees = Training.objects.filter(held_on__year=2019).aggregate(t=Sum("trainees"), p=Sum("planned"))
    assert trainees == {"t": 602, "p": 602}

    check = StringIO()
    call_command("rebuild_interest", check=True, stdout=check)
    assert " 0 khác biệt" in check.getvalue()

    # The report is byte-identical to the one the book gave before the rules were moved
    # (tests/demo/golden/, written by `district_report` on the demo before consolidation).
    for name, args in GOLDEN.items():
        out = StringIO()
        call_command("district_report", *args, format="json", stdout=out)
        assert out.getvalue() == (GOLDEN_DIR / name).read_text(encoding="utf-8"), name

    # The demo is deterministic: a second district with the same seed is refused (not empty),
    # and the date range ends on 31/12/2020.
    with pytest.raises(CommandError):
        call_command("seed_demo", force=True, stdout=StringIO())
    from lending.models import LoanTransaction

    assert LoanTransaction.objects.order_by("-value_date").values_list("value_date", flat=True)[0] <= date(2020, 12, 31)

    # The month ends stored answer exactly what the ledger answers: every month of 2019 and
    # 2020 (the dashboards' 24 months and the scorecard's year) and each earlier year's
    # last month (the store's own tests hold every period on smaller books).
    first = store.first_book_day()
    assert first <= date(2015, 1, 31)
    months = [(year, 12) for year in range(2015, 2019)] + [(y, m) for y in (2019, 2020) for m in range(1, 13)]
    for year, month in months:
        period = Period.month(year, month)
        live = district_figures(period.end, period, by_group=True)
        store.build(period)
        with CaptureQueriesContext(connection) as queries:
            assert district_figures(period.end, period, by_group=True) == live, period.label
        assert any("reporting_periodcube" in q["sql"] for q in queries)
        assert not any("lending_loantransaction" in q["sql"] for q in queries)

    # The 2020 scorecard's figure targets are the report's figures, unit by unit.
    assert assert_scorecard_agrees_with_district_report(2020, date(2020, 12, 31)) == 5 * (3 * 12 + 4)

    # The dashboards at 31/12/2020: each chart draws the figures of its table, and the
    # headline is the report's (the quarter and the year stored, as after a real close).
    store.build(Period.quarter(2020, 4))
    store.build(Period.year(2020))
    report = district_figures(date(2020, 12, 31), "2020-12")
    client = Client()
    for username, series in (("quanly", 5), ("hpn", 1)):
        client.force_login(User.objects.get(username=username))
        page = client.get("/dashboard/?month=2020-12").content.decode()
        assert_charts_hold_their_tables(chart_tables(page, first="01/2019", last="12/2020"), series=series)
        if username == "quanly":
            assert f'data-figure="outstanding">{vnd(report["portfolio"]["outstanding"])}<' in page

    # The office's 2019Q4 report: the workbook's Tổng hợp shows the article's entrusted
    # outstanding, Theo hội the associations' (rounded to millions); the PDF the same.
    quarterly = quarterly_report(Version(Period.quarter(2019, 4)))
    buffer = BytesIO()
    write_workbook(buffer, quarterly.figures, quarterly.meta)
    workbook = load_workbook(buffer)
    summary = [c.value for row in workbook["Tổng hợp"].iter_rows() for c in row]
    assert 326_325_750_000 in summary and "Số liệu tạm tính" in summary
    by_association = {}
    for row in workbook["Theo hội"].iter_rows(values_only=True):
        names = [v for v in row if isinstance(v, str)]
        if names and names[0] in ("Hội Nông dân", "Hội Liên hiệp Phụ nữ", "Hội Cựu chiến binh", "Đoàn Thanh niên"):
            by_association[names[0]] = next(v for v in row if isinstance(v, int) and v > 10**9)
    assert [rounded_millions(v) for v in by_association.values()] == [132_702, 145_509, 23_046, 25_067]
    text = pdf_text(render_pdf(quarterly.figures, quarterly.meta))
    assert "326.325,8" in text and "PHÒNG GIAO DỊCH HUYỆN QUẢNG NINH" in text and "Số liệu tạm tính" in text
