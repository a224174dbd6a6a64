"""The scorecard (formats/scorecard.md) on the page tests' book, first quarter of 2020,
against hand-computed values (see tests/support/fixtures.py and test_grading_book.py).

Added here: meetings of QH-01 on 17/03 (3 days before Quán Hàu's 20/03) and of QH-02 on
15/03 (5 days), of VN-01 on 22/03 (6 days before Vạn Ninh's 28/03: late); two HND news
items on television in Q1 and one broadcast of Quán Hàu's HND in Q1.

- T1 (groups saving / groups): QH-01 saves from 20/01, QH-02 from 20/02, VN-01 never.
- T2 at 31/03: HPN-1's 6.000.000 overdue of 36.000.000 entrusted (HPN: of 24.000.000).
- T3 and T4 in March: HPN-1's 6.000.000 due 20/03, nothing paid.
- T5 Q1: QH-HND Khá, QH-HPN Yếu, VN-HPN Khá.  T6 March: Khá, Yếu, Khá.
- T8 Q1: bills 154.000 (HND-1) + 77.000 (HPN-1) + 198.000 (HPN-2) = 429.000; applied
  90.200 + 0 + 102.300 = 192.500; nothing in arrears at 31/12/2019.
"""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from tests.support.book import row_counts

pytestmark = pytest.mark.django_db

AS_OF = "2020-03-31"


def card(*args):
    out = StringIO()
    call_command("scorecard", "--year", "2020", *args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def periods(unit, code):
    return [(p["period"], p["value"], p["met"]) for p in unit["results"][code]["periods"]]


def test_the_object_follows_the_contract(card_book):
    result = card("--as-of", AS_OF)
    assert result["year"] == 2020 and result["as_of"] == AS_OF
    assert [t["code"] for t in result["targets"]] == [f"T{i}" for i in range(1, 11)]
    assert result["targets"][1] == {
        "code": "T2",
        "title": "Tỷ lệ nợ quá hạn dưới 0,1 % hằng tháng",
        "every": "month",
        "threshold": 0.001,
    }
    assert [(u["level"], u["code"]) for u in result["units"]] == [
        ("district", None),
        ("association", "HND"),
        ("association", "HPN"),
        ("association", "CCB"),
        ("association", "DTN"),
        ("commune_association", "QH-HND"),
        ("commune_association", "QH-HPN"),
        ("commune_association", "VN-HPN"),
    ]
    unit = result["units"][5]
    assert (unit["commune"], unit["association"], unit["name"]) == ("QH", "HND", "Hội Nông dân Quán Hàu")
    for unit in result["units"]:
        assert set(unit["results"]) == {t["code"] for t in result["targets"]}
        months = [p["period"] for p in unit["results"]["T1"]["periods"]]
        assert months == ["2020-01", "2020-02", "2020-03"]
        assert [p["period"] for p in unit["results"]["T8"]["periods"]] == ["2020Q1"]


def test_the_figure_targets_by_hand(card_book):
    units = {u["code"]: u for u in card("--as-of", AS_OF)["units"]}
    district, hnd, hpn, ccb = units[None], units["HND"], units["HPN"], units["CCB"]
    assert periods(district, "T1") == [
        ("2020-01", 0.333333, False),
        ("2020-02", 0.666667, False),
        ("2020-03", 0.666667, False),
    ]
    assert periods(hnd, "T1") == [("2020-01", 1.0, True), ("2020-02", 1.0, True), ("2020-03", 1.0, True)]
    assert periods(ccb, "T1") == [("2020-01", None, None), ("2020-02", None, None), ("2020-03", None, None)]
    assert ccb["results"]["T1"]["met"] is None
    assert periods(district, "T2") == [("2020-01", 0.0, True), ("2020-02", 0.0, True), ("2020-03", 0.166667, False)]
    assert periods(hpn, "T2")[-1] == ("2020-03", 0.25, False)
    # nothing due in January or February: met; March: 6.000.000 due, nothing paid
    assert periods(district, "T3") == [("2020-01", None, True), ("2020-02", None, True), ("2020-03", 0.0, False)]
    assert periods(district, "T4") == [("2020-01", None, True), ("2020-02", None, True), ("2020-03", 0.0, False)]
    assert periods(hnd, "T4")[-1] == ("2020-03", None, True)
    t8 = district["results"]["T8"]["periods"]
    assert t8 == [{"period": "2020Q1", "value": 0.448718, "arrears_recovery": None, "met": False}]
    assert hpn["results"]["T8"]["periods"][0]["value"] == 0.372
    assert district["results"]["T8"]["met"] is False


def test_the_grade_and_outreach_targets_by_hand(card_book):
    units = {u["code"]: u for u in card("--as-of", AS_OF)["units"]}
    district, hnd, hpn = units[None], units["HND"], units["HPN"]
    assert periods(district, "T5") == [("2020Q1", 0.666667, False)]
    assert periods(hnd, "T5") == [("2020Q1", 1.0, True)]
    assert periods(units["QH-HPN"], "T5") == [("2020Q1", 0.0, False)]
    assert periods(district, "T6")[-1] == ("2020-03", 0.666667, False)
    assert periods(hnd, "T6")[-1] == ("2020-03", 1.0, True)
    # T7: two of three groups met 3 to 5 days before their commune's day; none did before March
    assert periods(district, "T7") == [("2020-01", 0.0, False), ("2020-02", 0.0, False), ("2020-03", 0.666667, False)]
    assert periods(hpn, "T7")[-1] == ("2020-03", 0.5, False)
    assert periods(units["QH-HPN"], "T7")[-1] == ("2020-03", 1.0, True)
    # T9: HND has its two items, the others none; the district counts the associations that did
    assert periods(hnd, "T9") == [("2020Q1", 2, True)]
    assert periods(hpn, "T9") == [("2020Q1", 0, False)]
    assert periods(district, "T9") == [("2020Q1", 1, False)]
    assert periods(units["QH-HND"], "T9") == [("2020Q1", None, None)]
    assert units["QH-HND"]["results"]["T9"]["met"] is None
    # T10: Quán Hàu's HND broadcast; a quarter with no broadcast for the others
    assert periods(units["QH-HND"], "T10") == [("2020Q1", 1, True)]
    assert periods(units["VN-HPN"], "T10") == [("2020Q1", 0, False)]
    assert periods(hnd, "T10") == [("2020Q1", 1.0, True)]
    assert periods(hpn, "T10") == [("2020Q1", 0.0, False)]
    assert periods(district, "T10") == [("2020Q1", 0.333333, False)]


def test_periods_count_only_once_ended(card_book):
    result = card("--as-of", "2020-03-30")
    unit = result["units"][0]
    assert [p["period"] for p in unit["results"]["T1"]["periods"]] == ["2020-01", "2020-02"]
    assert unit["results"]["T8"] == {"met": None, "periods": []}


def test_a_group_handed_over_mid_year_counts_for_each_association_in_its_months(card_book, staff, hnd):
    """QH-02 passes from HPN to HND on 01/03/2020: both pairs are units of the year, and
    March's figures follow the group to HND (HND-1 and HPN-1: 6.000.000 overdue of
    18.000.000)."""
    from groups.services import group_transfer

    group_transfer(group=card_book.g2, association=hnd, effective_on=date(2020, 3, 1), acting_user=staff)
    units = {u["code"]: u for u in card("--as-of", AS_OF)["units"]}
    assert periods(units["QH-HPN"], "T1") == [("2020-01", 0.0, False), ("2020-02", 1.0, True), ("2020-03", None, None)]
    assert periods(units["QH-HND"], "T2")[2] == ("2020-03", 0.333333, False)
    assert periods(units["QH-HND"], "T1")[2] == ("2020-03", 1.0, True)


def test_a_group_dissolved_mid_year_counts_until_it_ends(card_book, staff, hnd):
    """VN-02 (HND, no members) is dissolved on 15/02/2020: Vạn Ninh's HND is a unit of the
    year; its group counts in January (no savings, no meeting) and not after."""
    from groups.services import group_dissolve
    from tests.support.book import new_group

    doomed = new_group("VN-02", "Tổ thôn Vạn Ninh 2", card_book.van_ninh, hnd, staff)
    group_dissolve(group=doomed, dissolved_on=date(2020, 2, 15), acting_user=staff)
    units = {u["code"]: u for u in card("--as-of", AS_OF)["units"]}
    assert periods(units["VN-HND"], "T1") == [("2020-01", 0.0, False), ("2020-02", None, None), ("2020-03", None, None)]
    assert periods(units["VN-HND"], "T7") == [("2020-01", 0.0, False), ("2020-02", None, None), ("2020-03", None, None)]


def test_text_and_errors(card_book, capsys):
    out = StringIO()
    call_command("scorecard", "--year", "2020", "--as-of", AS_OF, stdout=out)
    text = out.getvalue()
    assert "CHỈ TIÊU THI ĐUA NĂM 2020" in text and "Toàn phòng giao dịch" in text and "QH-HND" in text
    assert "T2   Không đạt" in text
    before = row_counts()
    with pytest.raises(SystemExit) as exc:
        call_command("scorecard", "--year", "2019", stdout=StringIO())
    assert exc.value.code == 1
    assert row_counts() == before


@pytest.mark.parametrize("args", [["--year", "20x0"], ["--year", "2020", "--as-of", "31/03/2020"]])
def test_bad_arguments_exit_2_with_one_line(args):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "manage.py", "scorecard", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_contract_on_an_imported_workbook(tmp_path):
    """Any valid portfolio workbook, imported: the command's JSON follows the contract."""
    from datetime import date

    from tests.lending.workbook.test_workbook import portfolio
    from tests.support.scorecard import check_contract
    from tests.support.workbooks import xlsx

    call_command("import_workbook", str(xlsx(tmp_path / "book.xlsx", portfolio())), stdout=StringIO())
    result = card()
    check_contract(result, 2020, date(2020, 12, 31))
    units = {u["code"]: u for u in result["units"]}
    # G2 was HPN's until 01/06/2019, DTN's since; G3 (C2, CCB) was dissolved in 2018
    assert [code for code in units if code and "-" in code] == ["C1-HND", "C1-DTN"]
    assert units["C1-HND"]["results"]["T7"]["periods"][0] == {"period": "2020-01", "value": 1.0, "met": True}
    assert units["HPN"]["results"]["T9"]["periods"][1] == {"period": "2020Q2", "value": 1, "met": False}
