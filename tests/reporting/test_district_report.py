"""The district_report command (formats/district-report.md) and the query budget of the report."""

import json
import os
import re
import subprocess
import sys
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.models import InterestBill, Loan
from lending.services import repayment_post
from reporting.indicators import district_figures
from reporting.periods import Period
from tests.support.book import disburse, new_member

D = date
FORMAT_DOC = Path("/work/shared/formats/district-report.md")

PERIOD_KEYS = [
    "label",
    "start",
    "end",
    "disbursed",
    "principal_repaid",
    "principal_written_off",
    "principal_due",
    "principal_collected_of_due",
    "principal_collection_rate",
    "interest_billed",
    "interest_paid",
    "interest_applied_current",
    "interest_collection_rate",
    "interest_arrears_start",
    "interest_applied_arrears",
    "arrears_recovery_rate",
    "interest_arrears_end",
]
KEYS = {
    "top": ["as_of", "portfolio", "by_association", "by_commune", "by_program", "by_group", "period"],
    "portfolio": [
        "outstanding",
        "entrusted_outstanding",
        "direct_outstanding",
        "entrusted_share",
        "outstanding_year_start",
        "entrusted_outstanding_year_start",
        "entrusted_change_since_year_start",
        "overdue",
        "overdue_ratio",
        "entrusted_overdue",
        "entrusted_overdue_ratio",
        "frozen",
        "interest_arrears",
        "loans",
        "borrowers",
        "groups",
        "savings_balance",
        "groups_with_savings",
    ],
    "by_association": [
        "code",
        "name",
        "outstanding",
        "change_since_year_start",
        "overdue",
        "overdue_ratio",
        "frozen",
        "interest_arrears",
        "loans",
        "borrowers",
        "groups",
        "savings_balance",
        "groups_with_savings",
        "period",
    ],
    "by_commune": [
        "code",
        "name",
        "outstanding",
        "entrusted_outstanding",
        "change_since_year_start",
        "overdue",
        "overdue_ratio",
        "frozen",
        "interest_arrears",
        "loans",
        "borrowers",
        "groups",
        "savings_balance",
        "groups_with_savings",
        "period",
    ],
    "by_program": ["code", "name", "outstanding", "overdue", "frozen", "loans", "borrowers", "period"],
    "by_group": [
        "code",
        "commune_code",
        "association_code",
        "outstanding",
        "overdue",
        "members",
        "borrowers",
        "savings_balance",
    ],
    "period": PERIOD_KEYS,
}


def run(*args) -> str:
    out = StringIO()
    call_command("district_report", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def book(member, poor, staff, commune2, group2):
    disburse(member, poor, staff, "J1", amount=1_234_567, installments=[(D(2020, 6, 30), 1_234_567)])
    other = new_member("044000000021", commune2, staff, group=group2)
    loan = disburse(other, poor, staff, "J2", amount=5_000_000, installments=[(D(2020, 2, 28), 5_000_000)])
    repayment_post(loan=loan, amount=1_000_000, value_date=D(2020, 2, 28), acting_user=staff)


@pytest.mark.skipif(not FORMAT_DOC.exists(), reason="the format document is not beside the code")
def test_key_list_matches_the_format_document():
    block = re.search(r"```json\n(.*?)```", FORMAT_DOC.read_text(encoding="utf-8"), re.S)[1]
    doc = json.loads(block)
    assert list(doc) == KEYS["top"]
    for section in ("portfolio", "period"):
        assert list(doc[section]) == KEYS[section]
    for section in ("by_association", "by_commune", "by_program", "by_group"):
        documented = list(doc[section][0])
        assert documented == [k for k in KEYS[section] if k in documented]
        assert set(KEYS[section]) - set(documented) <= {"period"}


def test_json_has_every_documented_key(book):
    report = json.loads(run("--as-of", "2020-03-31", "--period", "2020Q1", "--by-group", "--format", "json"))
    assert list(report) == KEYS["top"]
    assert report["as_of"] == "2020-03-31"
    assert list(report["portfolio"]) == KEYS["portfolio"]
    assert list(report["period"]) == KEYS["period"]
    assert [r["code"] for r in report["by_association"]] == ["HND", "HPN", "CCB", "DTN"]
    assert [r["code"] for r in report["by_commune"]] == ["QH", "VN"]
    assert [r["code"] for r in report["by_program"]] == ["01"]
    assert [r["code"] for r in report["by_group"]] == ["QH-01", "VN-01"]
    for section in ("by_association", "by_commune", "by_program"):
        for r in report[section]:
            assert list(r) == KEYS[section]
            assert list(r["period"]) == PERIOD_KEYS
    for r in report["by_group"]:
        assert list(r)[: len(KEYS["by_group"])] == KEYS["by_group"]
    # Amounts are integers, ratios 6-decimal fractions or null.
    p = report["portfolio"]
    assert p["outstanding"] == 1_234_567 + 4_000_000
    assert p["overdue"] == 4_000_000 and p["overdue_ratio"] == 0.764151  # 4.000.000 / 5.234.567 = 0,76415107…
    assert report["period"]["principal_due"] == 5_000_000
    assert report["period"]["principal_collection_rate"] == 0.2


def test_json_without_period_or_groups_has_no_period_keys(book):
    report = json.loads(run("--as-of", "2020-03-31", "--format", "json"))
    assert list(report) == ["as_of", "portfolio", "by_association", "by_commune", "by_program"]
    for section in ("by_association", "by_commune", "by_program"):
        for r in report[section]:
            assert list(r) == [k for k in KEYS[section] if k != "period"]


def test_as_of_defaults_to_the_period_end(book):
    assert json.loads(run("--period", "2020-02", "--format", "json"))["as_of"] == "2020-02-29"


def test_text_format_is_a_vietnamese_table(book):
    text = run("--as-of", "2020-03-31", "--period", "2020Q1")
    assert "Số liệu đến hết ngày 31/03/2020" in text
    assert "Kỳ báo cáo: quý 1/2020 (từ 01/01/2020 đến 31/03/2020)" in text
    assert re.search(r"Tổng dư nợ\s+5\.234\.567$", text, re.M)
    assert re.search(r"^01 Cho vay hộ nghèo\s+5\.234\.567\s+4\.000\.000", text, re.M)
    assert "76,42 %" in text  # overdue ratio 0,764151
    assert "20,00 %" in text  # principal collection rate 0,2
    assert "—" in text  # the associations without loans have no overdue ratio
    text = run("--as-of", "2020-03-31")
    assert re.search(r"Tổng dư nợ\s+5\.234\.567$", text, re.M)
    assert "Kỳ báo cáo" not in text and "THEO TỔ TK&VV" not in text


@pytest.mark.parametrize(
    "args",
    [
        ["--as-of", "2020-02-30"],
        ["--as-of", "31/03/2020"],
        ["--period", "2020Q5"],
        ["--period", "2020-13"],
        ["--format", "xml"],
        ["--bogus"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(args):
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "vbsp_district.settings.test"}
    result = subprocess.run(
        [sys.executable, "manage.py", "district_report", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("manage.py district_report: lỗi: ")


def test_bad_arguments_through_call_command():
    with pytest.raises(CommandError) as exc:
        run("--period", "2020Q9")
    assert exc.value.returncode == 2
    assert "2020Q9" in str(exc.value)


def _add_loans(n, start, commune, group, poor, staff):
    for i in range(start, start + n):
        m = new_member(f"0460000{i:05d}", commune, staff, group=group)
        loan = disburse(
            m,
            poor,
            staff,
            f"Q{i:03d}",
            amount=2_000_000 + i * 100_000,
            installments=[(D(2020, 2, 20), 1_000_000), (D(2020, 8, 20), 1_000_000 + i * 100_000)],
        )
        repayment_post(loan=loan, amount=500_000, value_date=D(2020, 2, 20), acting_user=staff)


def test_query_count_does_not_depend_on_the_number_of_loans(poor, staff, commune, group, commune2, group2):
    period = Period.parse("2020Q1")

    def count():
        with CaptureQueriesContext(connection) as queries:
            district_figures(period.end, period, by_group=True)
        return len(queries)

    _add_loans(3, 0, commune, group, poor, staff)
    small = count()
    _add_loans(27, 3, commune2, group2, poor, staff)
    assert count() == small
    # the store's lookup, the book's state (reporting/cache.py), the bills check, the
    # statement, the lists (associations, communes, programs, groups)
    assert small == 8


def test_stale_bills_are_computed_in_memory_and_nothing_is_written(member, poor, staff):
    loan = disburse(member, poor, staff, "S1", installments=[(D(2021, 1, 10), 12_000_000)])
    expected = district_figures(D(2020, 6, 30), "2020Q2")
    # As if the bills had been built on 31/03/2020 and nothing posted since: the stored
    # bills after it are left in place (they must not count twice) or gone.
    Loan.objects.filter(pk=loan.pk).update(bills_through=D(2020, 3, 31))
    for _ in range(2):
        stored = list(InterestBill.objects.filter(loan=loan).values_list("billed_on", "amount"))
        with CaptureQueriesContext(connection) as queries:
            assert district_figures(D(2020, 6, 30), "2020Q2") == expected
        assert not [q["sql"] for q in queries if re.match(r"\s*(INSERT|UPDATE|DELETE)|.*FOR UPDATE", q["sql"])]
        assert list(InterestBill.objects.filter(loan=loan).values_list("billed_on", "amount")) == stored
        assert Loan.objects.get(pk=loan.pk).bills_through == D(2020, 3, 31)
        InterestBill.objects.filter(loan=loan, billed_on__gt=D(2020, 3, 31)).delete()
