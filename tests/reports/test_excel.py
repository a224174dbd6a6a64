"""The quarterly report as an Excel workbook, read back with openpyxl.

On the emulation book (tests/emulation/conftest.py, through this folder's conftest) at
31/03/2020, for the office's version and the Women's union's (HPN): every figure of every
sheet equals the report's payload; each TỔNG CỘNG formula, evaluated here over the cells
above it, equals the report's own total (ratios as the quotient of the summed columns,
borrowers as the report's number); formats, frozen panes, print setup, the provisional line
on every sheet, the issue note, and a name starting with `=` that stays text.

By hand (tests/support/fixtures.py): outstanding 66.000.000 (HND-1 12.000.000, HPN-1
6.000.000, HPN-2 18.000.000, TT-1 30.000.000 direct); HPN-1 all overdue (6.000.000, interest
arrears 77.000); interest arrears 63.800 + 77.000 + 95.700 + 159.500 = 396.000.
"""

import io
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from groups.models import Member, SavingsGroup
from reporting.periods import Period
from reports.excel import write_workbook
from reports.quarterly import Meta, Version, build, figures_hash

pytestmark = pytest.mark.django_db

Q1 = Period.quarter(2020, 1)
SHEETS = [
    "Tổng hợp",
    "Theo hội",
    "Theo xã",
    "Theo chương trình",
    "Nợ quá hạn",
    "Thu lãi",
    "Chỉ tiêu thi đua",
    "Xếp loại tổ",
]
AMOUNT, RATIO = "#,##0", "0.00%"
TOTAL = "TỔNG CỘNG"
NONE = "—"
OFFICE_HEADER = "NHCSXH – PGD HUYỆN QUẢNG NINH"
ISSUED_AT = datetime(2020, 4, 6, 2, 30, tzinfo=UTC)  # 09:30 in Quảng Ninh


def meta_of(payload: dict, association=None, *, provisional: bool) -> Meta:
    """Provisional, or issued on 06/04/2020 09:30 by a manager with the figures' hash."""
    issued = not provisional
    return Meta(
        quarter=Q1,
        association_code=None if association is None else association.code,
        association_name=None if association is None else association.name,
        provisional=provisional,
        made_on=date(2020, 4, 6),
        issued_at=ISSUED_AT if issued else None,
        issued_by="Hoàng Văn Quản" if issued else None,
        sha256=figures_hash(payload) if issued else None,
    )


def workbook_of(payload: dict, meta: Meta):
    stream = io.BytesIO()
    write_workbook(stream, payload, meta)
    stream.seek(0)
    return load_workbook(stream)


# -- reading a sheet back ---------------------------------------------------------------------------
class Table:
    """A sheet's table as a reader sees it: columns by their header ("Theo xã" column "Dư nợ" /
    "Tổng" is ("Dư nợ", "Tổng"); a column without a group by its title), the data rows, and the
    TỔNG CỘNG row."""

    def __init__(self, ws):
        self.ws = ws
        self.index = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "(1)")
        top, sub = self.index - 2, self.index - 1
        groups, spans = {}, {}
        for merged in ws.merged_cells.ranges:
            if merged.min_row == top:
                for col in range(merged.min_col, merged.max_col + 1):
                    spans[col] = merged
                    if merged.max_row == top:
                        groups[col] = ws.cell(top, merged.min_col).value
        self.columns, self.spans = {}, spans
        col = 1
        while ws.cell(self.index, col).value == f"({col})":
            title = ws.cell(sub, col).value
            self.columns[(groups[col], title) if col in groups else ws.cell(top, col).value] = col
            if col not in groups and title is not None:  # a one-column group
                self.columns[(ws.cell(top, col).value, title)] = col
            col += 1
        self.rows, self.total = [], None
        for row in range(self.index + 1, ws.max_row + 1):
            values = [ws.cell(row, c).value for c in range(1, col)]
            if TOTAL in values:
                self.total = row
                break
            if values[1] is None and values[2] is None:
                break
            self.rows.append(row)

    def cell(self, row: int, column):
        return self.ws.cell(row, self.columns[column])

    def get(self, row: int, column):
        return self.cell(row, column).value

    def ref(self, row: int, column) -> str:
        return f"{get_column_letter(self.columns[column])}{row}"


def evaluate(ws, ref: str):
    """The value of a cell, computing the few formulas the workbook writes as Excel would."""
    value = ws[ref].value
    if not (isinstance(value, str) and value.startswith("=")) or ws[ref].data_type != "f":
        return value
    if m := re.fullmatch(r"=SUM\(([A-Z]+)(\d+):\1(\d+)\)", value):
        cells = [evaluate(ws, f"{m[1]}{r}") for r in range(int(m[2]), int(m[3]) + 1)]
        return sum(v for v in cells if isinstance(v, int | float))  # SUM skips text and blanks
    if m := re.fullmatch(rf'=IF\(([A-Z]+\d+)=0,"{NONE}",([A-Z]+\d+)/([A-Z]+\d+)\)', value):
        assert m[1] == m[3]
        numerator, denominator = evaluate(ws, m[2]) or 0, evaluate(ws, m[3]) or 0
        return NONE if denominator == 0 else numerator / denominator
    if m := re.fullmatch(r'=COUNTIF\(([A-Z]+)(\d+):\1(\d+),"([^"]+)"\)', value):
        return sum(1 for r in range(int(m[2]), int(m[3]) + 1) if ws[f"{m[1]}{r}"].value == m[4])
    if m := re.fullmatch(r"=COUNTA\(([A-Z]+)(\d+):\1(\d+)\)", value):
        return sum(1 for r in range(int(m[2]), int(m[3]) + 1) if ws[f"{m[1]}{r}"].value not in (None, ""))
    raise AssertionError(f"{ws.title}!{ref}: a formula the test does not know: {value}")


def same(actual, expected) -> bool:
    """Equal; a ratio equals the report's 6-decimal ratio once rounded (a formula's quotient is
    exact; a ratio of 1.0 reads back as the number 1)."""
    if isinstance(expected, float):
        return isinstance(actual, int | float) and round(actual, 6) == round(expected, 6)
    if expected is None:
        return actual in (None, NONE)
    return actual == expected and type(actual) is type(expected)


def check_rows(table: Table, expected: list[dict]) -> None:
    """Each data row holds the expected figures (by column header), amounts and ratios as
    numbers with their formats, a Quotient-free row's ratio as the payload's number."""
    assert len(table.rows) == len(expected), table.ws.title
    for row, figures in zip(table.rows, expected, strict=True):
        for column, value in figures.items():
            found = evaluate(table.ws, table.ref(row, column))
            assert same(found, value), (table.ws.title, row, column, found, value)
            target = table.cell(row, column)
            if isinstance(value, int) and column not in ("STT",):
                assert target.data_type in ("n", "f") and target.number_format == AMOUNT, (table.ws.title, column)
            if isinstance(value, float):
                assert target.number_format == RATIO, (table.ws.title, column)


def check_total(table: Table, totals: dict, quotients: dict, stored: dict) -> None:
    """The TỔNG CỘNG row: =SUM over the data rows for `totals`, =IF(den=0,"—",num/den) for
    `quotients` ({column: (numerator column, denominator column, expected)}), and numbers
    (borrowers, counted once each) for `stored`; every value equals the report's total."""
    ws, row = table.ws, table.total
    assert table.rows and row == table.rows[-1] + 1
    first, last = table.rows[0], table.rows[-1]
    for column, expected in totals.items():
        letter = get_column_letter(table.columns[column])
        assert table.get(row, column) == f"=SUM({letter}{first}:{letter}{last})", (ws.title, column)
        assert table.cell(row, column).number_format == AMOUNT
        assert evaluate(ws, table.ref(row, column)) == expected, (ws.title, column)
    for column, (numerator, denominator, expected) in quotients.items():
        num, den = table.ref(row, numerator), table.ref(row, denominator)
        assert table.get(row, column) == f'=IF({den}=0,"{NONE}",{num}/{den})', (ws.title, column)
        assert table.cell(row, column).number_format == RATIO
        assert same(evaluate(ws, table.ref(row, column)), expected), (ws.title, column)
    for column, expected in stored.items():
        target = table.cell(row, column)
        assert target.value == expected and target.data_type == "n", (ws.title, column)
        assert target.comment is not None and "một lần" in target.comment.text
    # every other figure column of the total row is a formula too, or blank
    for column, index in table.columns.items():
        value = ws.cell(row, index).value
        if column in totals or column in quotients or column in stored or value in (None, TOTAL):
            continue
        raise AssertionError(f"{ws.title}: unexpected total {column}: {value}")


# -- the sheets ---------------------------------------------------------------------------------------
STOCK = {
    "Tổng dư nợ": "outstanding",
    "Dư nợ đầu năm": "outstanding_year_start",
    "Tăng (giảm) dư nợ ủy thác so với đầu năm": "entrusted_change_since_year_start",
    "Nợ quá hạn": "overdue",
    "Tỷ lệ nợ quá hạn": "overdue_ratio",
    "Nợ khoanh": "frozen",
    "Lãi tồn đọng": "interest_arrears",
    "Số món vay còn dư nợ": "loans",
    "Số hộ còn dư nợ": "borrowers",
    "Số tổ TK&VV": "groups",
    "Số dư tiền gửi tiết kiệm của tổ viên": "savings_balance",
    "Số tổ có tiền gửi tiết kiệm": "groups_with_savings",
}
OFFICE_STOCK = {
    "– Ủy thác qua các tổ chức hội": "entrusted_outstanding",
    "– Cho vay trực tiếp": "direct_outstanding",
    "Tỷ trọng dư nợ ủy thác": "entrusted_share",
    "– Trong đó ủy thác": "entrusted_outstanding_year_start",
    "Nợ quá hạn ủy thác": "entrusted_overdue",
    "Tỷ lệ nợ quá hạn ủy thác": "entrusted_overdue_ratio",
}
FLOWS = {
    "Doanh số cho vay": "disbursed",
    "Doanh số thu nợ gốc": "principal_repaid",
    "Nợ gốc xử lý xóa": "principal_written_off",
    "Nợ gốc đến hạn trong kỳ": "principal_due",
    "Thu được của nợ gốc đến hạn": "principal_collected_of_due",
    "Tỷ lệ thu nợ gốc đến hạn": "principal_collection_rate",
    "Lãi phải thu trong kỳ": "interest_billed",
    "Lãi thực thu": "interest_paid",
    "– Thu lãi phải thu trong kỳ": "interest_applied_current",
    "– Thu lãi tồn đọng": "interest_applied_arrears",
    "Tỷ lệ thu lãi": "interest_collection_rate",
    "Lãi tồn đọng đầu kỳ": "interest_arrears_start",
    "Tỷ lệ thu hồi lãi tồn đọng": "arrears_recovery_rate",
    "Lãi tồn đọng cuối kỳ": "interest_arrears_end",
}
QUARTER = ("Số liệu", "Quý 1/2020 (đến 31/03/2020)")
YEAR = ("Số liệu", "Lũy kế từ 01/01/2020 đến 31/03/2020")


def check_summary(ws, payload: dict, office: bool) -> None:
    table = Table(ws)
    po, period, year = payload["report"]["portfolio"], payload["report"]["period"], payload["year_to_date"]
    by_label = {table.get(row, "Chỉ tiêu"): row for row in table.rows}
    stock = {**STOCK, **(OFFICE_STOCK if office else {})}
    sections = {"DƯ NỢ, NỢ QUÁ HẠN VÀ TIẾT KIỆM ĐẾN 31/03/2020", "DOANH SỐ CHO VAY, THU NỢ, THU LÃI"}
    assert set(by_label) == {*stock, *FLOWS, *sections}
    for label, key in stock.items():
        row = by_label[label]
        assert same(table.get(row, QUARTER), po[key]), label
        assert table.get(row, YEAR) is None
        if table.get(row, QUARTER) != NONE:
            assert table.cell(row, QUARTER).number_format == (RATIO if "Tỷ" in label else AMOUNT)
    for label, key in FLOWS.items():
        row = by_label[label]
        assert same(table.get(row, QUARTER), period[key]), label
        assert same(table.get(row, YEAR), year["portfolio_period"][key]), label
        for column in (QUARTER, YEAR):
            if table.get(row, column) != NONE:  # a ratio with nothing to divide by reads "—"
                assert table.cell(row, column).number_format == (RATIO if "Tỷ" in label else AMOUNT)
        assert table.get(row, "Đơn vị tính") == ("%" if "Tỷ" in label else "đồng")
    assert table.get(by_label["Số hộ còn dư nợ"], "Đơn vị tính") == "hộ"


ASSOCIATION_COLUMNS = {  # column: the row's figure
    ("Dư nợ", "Tổng"): lambda r, p, y: r["outstanding"],
    ("Dư nợ", "Tăng (giảm) so với đầu năm"): lambda r, p, y: r["change_since_year_start"],
    ("Dư nợ", "Trong hạn"): lambda r, p, y: r["outstanding"] - r["overdue"] - r["frozen"],
    ("Dư nợ", "Quá hạn"): lambda r, p, y: r["overdue"],
    ("Dư nợ", "Khoanh"): lambda r, p, y: r["frozen"],
    ("Dư nợ", "Tỷ lệ nợ quá hạn"): lambda r, p, y: r["overdue_ratio"],
    "Số món vay còn dư nợ": lambda r, p, y: r["loans"],
    "Số hộ còn dư nợ": lambda r, p, y: r["borrowers"],
    "Số tổ TK&VV": lambda r, p, y: r["groups"],
    ("Tiết kiệm của tổ viên", "Số dư"): lambda r, p, y: r["savings_balance"],
    ("Tiết kiệm của tổ viên", "Số tổ có tiền gửi"): lambda r, p, y: r["groups_with_savings"],
    ("Doanh số cho vay", "Trong quý"): lambda r, p, y: p["disbursed"],
    ("Doanh số cho vay", "Lũy kế năm"): lambda r, p, y: y["disbursed"],
    ("Doanh số thu nợ gốc", "Trong quý"): lambda r, p, y: p["principal_repaid"],
    ("Doanh số thu nợ gốc", "Lũy kế năm"): lambda r, p, y: y["principal_repaid"],
    ("Nợ gốc xử lý xóa", "Trong quý"): lambda r, p, y: p["principal_written_off"],
    ("Nợ gốc xử lý xóa", "Lũy kế năm"): lambda r, p, y: y["principal_written_off"],
    ("Thu nợ gốc đến hạn trong quý", "Nợ gốc đến hạn"): lambda r, p, y: p["principal_due"],
    ("Thu nợ gốc đến hạn trong quý", "Đã thu"): lambda r, p, y: p["principal_collected_of_due"],
    ("Thu nợ gốc đến hạn trong quý", "Tỷ lệ thu"): lambda r, p, y: p["principal_collection_rate"],
}
ADDS_UP = [c for c in ASSOCIATION_COLUMNS if c not in ("Số hộ còn dư nợ",) and "Tỷ lệ" not in str(c)]
ASSOCIATION_RATIOS = {
    ("Dư nợ", "Tỷ lệ nợ quá hạn"): (("Dư nợ", "Quá hạn"), ("Dư nợ", "Tổng")),
    ("Thu nợ gốc đến hạn trong quý", "Tỷ lệ thu"): (
        ("Thu nợ gốc đến hạn trong quý", "Đã thu"),
        ("Thu nợ gốc đến hạn trong quý", "Nợ gốc đến hạn"),
    ),
}


def check_by_association(ws, payload: dict, office: bool) -> None:
    table = Table(ws)
    report = payload["report"]
    po = report["portfolio"]
    ytd = {r["code"]: r["period"] for r in payload["year_to_date"]["by_association"]}
    expected = [
        {
            "STT": i,
            "Tổ chức hội": r["name"],
            **{c: f(r, r["period"], ytd[r["code"]]) for c, f in ASSOCIATION_COLUMNS.items()},
        }
        for i, r in enumerate(report["by_association"], start=1)
    ]
    whole = {**po, "change_since_year_start": po["outstanding"] - po["outstanding_year_start"]}
    totals = {
        c: ASSOCIATION_COLUMNS[c](whole, report["period"], payload["year_to_date"]["portfolio_period"]) for c in ADDS_UP
    }
    if office:  # the direct loans: the report's total less the associations'
        direct = {c: totals[c] - sum(row[c] for row in expected) for c in ADDS_UP}
        assert direct[("Dư nợ", "Tổng")] == po["direct_outstanding"]
        assert direct[("Dư nợ", "Quá hạn")] == po["overdue"] - po["entrusted_overdue"]
        for column in (
            "Số tổ TK&VV",
            ("Tiết kiệm của tổ viên", "Số dư"),
            ("Tiết kiệm của tổ viên", "Số tổ có tiền gửi"),
        ):
            direct[column] = direct[column] or None  # groups and savings are the associations'
        for ratio, (num, den) in ASSOCIATION_RATIOS.items():  # a formula in the row, as in the total
            direct[ratio] = NONE if not direct[den] else direct[num] / direct[den]
            row = table.rows[-1]
            assert (
                table.get(row, ratio)
                == f'=IF({table.ref(row, den)}=0,"{NONE}",{table.ref(row, num)}/{table.ref(row, den)})'
            )
        expected.append(
            {"STT": len(expected) + 1, "Tổ chức hội": "Cho vay trực tiếp", **direct, "Số hộ còn dư nợ": None}
        )
        assert table.cell(table.rows[-1], "Tổ chức hội").comment is not None
    check_rows(table, expected)
    expected_ratios = {
        ("Dư nợ", "Tỷ lệ nợ quá hạn"): po["overdue_ratio"],
        ("Thu nợ gốc đến hạn trong quý", "Tỷ lệ thu"): report["period"]["principal_collection_rate"],
    }
    check_total(
        table,
        totals,
        {c: (num, den, expected_ratios[c]) for c, (num, den) in ASSOCIATION_RATIOS.items()},
        {"Số hộ còn dư nợ": po["borrowers"]},
    )


COMMUNE_COLUMNS = {
    ("Doanh số cho vay", "Trong quý"): "disbursed_quarter",
    ("Doanh số cho vay", "Lũy kế năm"): "disbursed_year",
    ("Doanh số thu nợ", "Trong quý"): "repaid_quarter",
    ("Doanh số thu nợ", "Lũy kế năm"): "repaid_year",
    ("Nợ xóa", "Trong quý"): "written_off_quarter",
    ("Nợ xóa", "Lũy kế năm"): "written_off_year",
    ("Dư nợ", "Tổng"): "outstanding",
    ("Dư nợ", "Trong hạn"): "current",
    ("Dư nợ", "Quá hạn"): "overdue",
    ("Dư nợ", "Khoanh"): "frozen",
    ("Dư nợ", "Tỷ lệ nợ quá hạn"): "overdue_ratio",
    ("Dư nợ theo thời hạn", "Ngắn hạn"): "short_term",
    ("Dư nợ theo thời hạn", "Trung hạn"): "medium_term",
    ("Dư nợ theo thời hạn", "Dài hạn"): "long_term",
    "Số hộ còn dư nợ": "borrowers",
}


def check_by_commune(ws, payload: dict) -> None:
    table = Table(ws)
    po, period, year = payload["report"]["portfolio"], payload["report"]["period"], payload["year_to_date"]
    rows = payload["by_commune"]
    check_rows(
        table,
        [
            {"STT": i, "Xã, thị trấn": r["name"], **{c: r[k] for c, k in COMMUNE_COLUMNS.items()}}
            for i, r in enumerate(rows, 1)
        ],
    )
    totals = {c: sum(r[k] for r in rows) for c, k in COMMUNE_COLUMNS.items() if k not in ("overdue_ratio", "borrowers")}
    # …and those sums are the report's own totals
    assert totals[("Doanh số cho vay", "Trong quý")] == period["disbursed"]
    assert totals[("Doanh số cho vay", "Lũy kế năm")] == year["portfolio_period"]["disbursed"]
    assert totals[("Doanh số thu nợ", "Trong quý")] == period["principal_repaid"]
    assert totals[("Doanh số thu nợ", "Lũy kế năm")] == year["portfolio_period"]["principal_repaid"]
    assert totals[("Nợ xóa", "Trong quý")] == period["principal_written_off"]
    assert totals[("Dư nợ", "Tổng")] == po["outstanding"]
    assert totals[("Dư nợ", "Quá hạn")] == po["overdue"] and totals[("Dư nợ", "Khoanh")] == po["frozen"]
    assert totals[("Dư nợ", "Trong hạn")] == po["outstanding"] - po["overdue"] - po["frozen"]
    assert sum(totals[("Dư nợ theo thời hạn", t)] for t in ("Ngắn hạn", "Trung hạn", "Dài hạn")) == po["outstanding"]
    check_total(
        table,
        totals,
        {("Dư nợ", "Tỷ lệ nợ quá hạn"): (("Dư nợ", "Quá hạn"), ("Dư nợ", "Tổng"), po["overdue_ratio"])},
        {"Số hộ còn dư nợ": po["borrowers"]},
    )


PROGRAM_COLUMNS = {
    ("Doanh số trong quý", "Cho vay"): lambda r: r["period"]["disbursed"],
    ("Doanh số trong quý", "Thu nợ gốc"): lambda r: r["period"]["principal_repaid"],
    ("Doanh số trong quý", "Xóa nợ"): lambda r: r["period"]["principal_written_off"],
    ("Dư nợ", "Tổng"): lambda r: r["outstanding"],
    ("Dư nợ", "Trong hạn"): lambda r: r["outstanding"] - r["overdue"] - r["frozen"],
    ("Dư nợ", "Quá hạn"): lambda r: r["overdue"],
    ("Dư nợ", "Khoanh"): lambda r: r["frozen"],
    "Số món vay còn dư nợ": lambda r: r["loans"],
    ("Thu nợ gốc đến hạn", "Nợ gốc đến hạn"): lambda r: r["period"]["principal_due"],
    ("Thu nợ gốc đến hạn", "Đã thu"): lambda r: r["period"]["principal_collected_of_due"],
    ("Thu lãi trong quý", "Lãi phải thu"): lambda r: r["period"]["interest_billed"],
    ("Thu lãi trong quý", "Đã thu"): lambda r: r["period"]["interest_applied_current"],
}


def check_by_program(ws, payload: dict) -> None:
    table = Table(ws)
    report = payload["report"]
    po, period = report["portfolio"], report["period"]
    programs = report["by_program"]
    check_rows(
        table,
        [
            {
                "STT": i,
                "Mã": r["code"],
                "Chương trình cho vay": r["name"],
                **{c: f(r) for c, f in PROGRAM_COLUMNS.items()},
                "Số hộ còn dư nợ": r["borrowers"],
                ("Dư nợ", "Tỷ lệ nợ quá hạn"): r["overdue"] / r["outstanding"] if r["outstanding"] else None,
                ("Thu nợ gốc đến hạn", "Tỷ lệ thu"): r["period"]["principal_collection_rate"],
                ("Thu lãi trong quý", "Tỷ lệ thu lãi"): r["period"]["interest_collection_rate"],
            }
            for i, r in enumerate(programs, 1)
        ],
    )
    totals = {c: sum(f(r) for r in programs) for c, f in PROGRAM_COLUMNS.items()}
    assert totals[("Dư nợ", "Tổng")] == po["outstanding"] and totals["Số món vay còn dư nợ"] == po["loans"]
    assert totals[("Doanh số trong quý", "Cho vay")] == period["disbursed"]
    assert totals[("Thu lãi trong quý", "Lãi phải thu")] == period["interest_billed"]
    check_total(
        table,
        totals,
        {
            ("Dư nợ", "Tỷ lệ nợ quá hạn"): (("Dư nợ", "Quá hạn"), ("Dư nợ", "Tổng"), po["overdue_ratio"]),
            ("Thu nợ gốc đến hạn", "Tỷ lệ thu"): (
                ("Thu nợ gốc đến hạn", "Đã thu"),
                ("Thu nợ gốc đến hạn", "Nợ gốc đến hạn"),
                period["principal_collection_rate"],
            ),
            ("Thu lãi trong quý", "Tỷ lệ thu lãi"): (
                ("Thu lãi trong quý", "Đã thu"),
                ("Thu lãi trong quý", "Lãi phải thu"),
                period["interest_collection_rate"],
            ),
        },
        {"Số hộ còn dư nợ": po["borrowers"]},
    )


def check_overdue(ws, payload: dict) -> None:
    table = Table(ws)
    loans = payload["overdue_loans"]
    check_rows(
        table,
        [
            {
                "STT": i,
                ("Hộ vay", "Họ và tên"): loan["borrower"],
                ("Hộ vay", "Số CCCD/CMND"): loan["national_id"],
                "Xã, thị trấn": loan["commune"],
                "Tổ TK&VV": loan["group"] or None,
                "Tổ chức hội": loan["association"] or "Trực tiếp",
                ("Món vay", "Số khế ước"): loan["loan_no"],
                ("Món vay", "Chương trình"): loan["program"],
                ("Món vay", "Ngày vay"): datetime.fromisoformat(loan["disbursed_on"]),
                ("Món vay", "Hạn trả cuối cùng"): loan["maturity"] and datetime.fromisoformat(loan["maturity"]),
                ("Số tiền", "Dư nợ"): loan["outstanding"],
                ("Số tiền", "Nợ quá hạn"): loan["overdue"],
                ("Số tiền", "Lãi tồn đọng"): loan["interest_arrears"],
            }
            for i, loan in enumerate(loans, 1)
        ],
    )
    for row in table.rows:
        assert table.cell(row, ("Món vay", "Ngày vay")).number_format == "dd/mm/yyyy"
        assert table.cell(row, ("Hộ vay", "Số CCCD/CMND")).data_type == "s"  # an ID keeps its leading 0
    check_total(
        table,
        {
            ("Số tiền", "Dư nợ"): sum(loan["outstanding"] for loan in loans),
            ("Số tiền", "Nợ quá hạn"): payload["report"]["portfolio"]["overdue"],
            ("Số tiền", "Lãi tồn đọng"): sum(loan["interest_arrears"] for loan in loans),
        },
        {},
        {},
    )


INTEREST_COLUMNS = {
    ("Lãi phát sinh trong quý", "Lãi phải thu"): "interest_billed",
    ("Lãi phát sinh trong quý", "Đã thu"): "interest_applied_current",
    ("Lãi phát sinh trong quý", "Tỷ lệ thu lãi"): "interest_collection_rate",
    ("Lãi tồn đọng", "Đầu quý"): "interest_arrears_start",
    ("Lãi tồn đọng", "Đã thu hồi"): "interest_applied_arrears",
    ("Lãi tồn đọng", "Tỷ lệ thu hồi"): "arrears_recovery_rate",
    ("Lãi tồn đọng", "Cuối quý"): "interest_arrears_end",
}
INTEREST_RATIOS = {
    ("Lãi phát sinh trong quý", "Tỷ lệ thu lãi"): (
        ("Lãi phát sinh trong quý", "Đã thu"),
        ("Lãi phát sinh trong quý", "Lãi phải thu"),
    ),
    ("Lãi tồn đọng", "Tỷ lệ thu hồi"): (("Lãi tồn đọng", "Đã thu hồi"), ("Lãi tồn đọng", "Đầu quý")),
}


def check_interest(ws, payload: dict, office: bool) -> None:
    table = Table(ws)
    report = payload["report"]
    units = report["by_association"] if office else report["by_commune"]
    name = "Tổ chức hội" if office else "Xã, thị trấn"
    expected = [
        {"STT": i, name: r["name"], **{c: r["period"][k] for c, k in INTEREST_COLUMNS.items()}}
        for i, r in enumerate(units, 1)
    ]
    amounts = [c for c in INTEREST_COLUMNS if c not in INTEREST_RATIOS]
    totals = {c: report["period"][INTEREST_COLUMNS[c]] for c in amounts}
    if office:
        direct = {c: totals[c] - sum(r[c] for r in expected) for c in amounts}
        expected.append({"STT": len(expected) + 1, name: "Cho vay trực tiếp", **direct})
        row = table.rows[-1]
        for ratio, (num, den) in INTEREST_RATIOS.items():
            assert evaluate(ws, table.ref(row, ratio)) == (NONE if not direct[den] else direct[num] / direct[den])
    else:
        assert {c: sum(r[c] for r in expected) for c in amounts} == totals
    check_rows(table, expected)
    check_total(
        table,
        totals,
        {c: (num, den, report["period"][INTEREST_COLUMNS[c]]) for c, (num, den) in INTEREST_RATIOS.items()},
        {},
    )


def _period_title(label: str) -> str:
    return f"Quý {label[-1]}/{label[:4]}" if "Q" in label else f"Tháng {label[5:7]}/{label[:4]}"


def check_scorecard(ws, payload: dict) -> None:
    card = payload["scorecard"]
    table = Table(ws)
    marks = {True: "Đạt", False: "Không đạt", None: NONE}
    verdicts = {True: "Đạt", False: "Không đạt", None: "Chưa đánh giá"}
    rows = iter(table.rows)
    checked = 0
    for number, unit in enumerate(card["units"], start=1):
        for i, target in enumerate(card["targets"]):
            result = unit["results"][target["code"]]
            row = next(rows)
            assert table.get(row, "STT") == (number if i == 0 else None)
            assert (table.get(row, "Đơn vị"), table.get(row, "Chỉ tiêu")) == (unit["name"], target["code"])
            assert table.get(row, "Kết quả đến nay") == verdicts[result["met"]]
            counted = target["code"] == "T9" or (target["code"] == "T10" and unit["level"] == "commune_association")
            for entry in result["periods"]:
                column = _period_title(entry["period"])
                value = table.cell(row, (column, "Giá trị"))
                assert same(value.value, entry["value"]), (unit["name"], target["code"], entry)
                if entry["value"] is not None:
                    assert value.number_format == ("0" if counted else RATIO)
                assert table.get(row, (column, "Đạt")) == marks[entry["met"]]
                checked += 1
            if any("arrears_recovery" in e for e in result["periods"]):  # T8's second figure
                row = next(rows)
                assert table.get(row, "Kết quả đến nay") == "thu hồi lãi tồn đọng"
                for entry in result["periods"]:
                    assert same(table.get(row, (_period_title(entry["period"]), "Giá trị")), entry["arrears_recovery"])
    assert next(rows, None) is None and checked > 0
    assert table.total is None  # targets do not add up


def check_grades(ws, payload: dict) -> None:
    table = Table(ws)
    grades = payload["grades"]
    criteria = {
        "Giao dịch đúng ngày": "transaction_day",
        "Nợ quá hạn": "overdue",
        "Thu nợ gốc": "principal_collection",
        "Thu lãi": "interest_collection",
        "Tổ viên gửi tiết kiệm": "members_saving",
        "Tăng tiết kiệm": "savings_growth",
    }
    assert [title for group, title in (c for c in table.columns if isinstance(c, tuple))] == list(criteria)
    check_rows(
        table,
        [
            {
                "STT": i,
                "Mã tổ": g["group"],
                "Tên tổ": g["name"],
                "Xã, thị trấn": g["commune"],
                "Tổ chức hội": g["association"],
                **{("Điểm theo tiêu chí", title): g["criteria"][code] for title, code in criteria.items()},
                "Tổng điểm": g["points"],
                "Xếp loại": g["grade"],
            }
            for i, g in enumerate(grades, 1)
        ],
    )
    name, points = table.columns["Tên tổ"], table.columns["Tổng điểm"]
    tally = {
        ws.cell(r, name).value: evaluate(ws, f"{get_column_letter(points)}{r}")
        for r in range(table.rows[-1] + 2, ws.max_row + 1)
    }
    assert tally == {
        **{
            f"Số tổ xếp loại {g}": sum(1 for x in grades if x["grade"] == g)
            for g in ("Tốt", "Khá", "Trung bình", "Yếu")
        },
        "Tổng số tổ được xếp loại": len(grades),
    }


def check_layout(wb, meta: Meta) -> None:
    """Every sheet: the title, date line and provisional line; the two-level header; panes and
    print setup."""
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        lines = [ws.cell(r, 1).value for r in range(1, 6)]
        assert lines[0] == meta.title and lines[2] == meta.date_line, ws.title
        assert ("Số liệu tạm tính" in lines) == meta.provisional, ws.title
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.oddHeader.left.text == OFFICE_HEADER
        assert ws.oddHeader.right.text == ("Số liệu tạm tính" if meta.provisional else None)
        assert ws.oddFooter.center.text == "Trang &P / &N"
        if ws.title == "Chỉ tiêu thi đua" and ws.max_row < 10:
            continue  # a year without targets: one line, no table
        table = Table(ws)
        assert re.fullmatch(r"[A-Z](\d+)", ws.freeze_panes)[1] == str(table.index + 1), ws.title
        assert ws.print_title_rows == f"${table.index - 2}:${table.index}", ws.title
        assert [ws.cell(table.index, c).value for c in range(1, 4)] == ["(1)", "(2)", "(3)"]


# -- the tests ------------------------------------------------------------------------------------------
def test_the_offices_workbook_holds_every_figure_of_the_report(card_book):
    payload = build(Version(Q1))
    meta = meta_of(payload, provisional=False)
    wb = workbook_of(payload, meta)

    check_layout(wb, meta)
    check_summary(wb["Tổng hợp"], payload, office=True)
    check_by_association(wb["Theo hội"], payload, office=True)
    check_by_commune(wb["Theo xã"], payload)
    check_by_program(wb["Theo chương trình"], payload)
    check_overdue(wb["Nợ quá hạn"], payload)
    check_interest(wb["Thu lãi"], payload, office=True)
    check_scorecard(wb["Chỉ tiêu thi đua"], payload)
    check_grades(wb["Xếp loại tổ"], payload)

    # by hand (tests/support/fixtures.py)
    summary = Table(wb["Tổng hợp"])
    stock = {summary.get(r, "Chỉ tiêu"): summary.get(r, QUARTER) for r in summary.rows}
    assert stock["Tổng dư nợ"] == 66_000_000
    assert (stock["– Ủy thác qua các tổ chức hội"], stock["– Cho vay trực tiếp"]) == (36_000_000, 30_000_000)
    assert (stock["Nợ quá hạn"], stock["Lãi tồn đọng"], stock["Số hộ còn dư nợ"]) == (6_000_000, 396_000, 4)
    associations = Table(wb["Theo hội"])
    outstanding = {
        associations.get(r, "Tổ chức hội"): associations.get(r, ("Dư nợ", "Tổng")) for r in associations.rows
    }
    assert outstanding == {
        "Hội Nông dân": 12_000_000,
        "Hội Liên hiệp Phụ nữ": 24_000_000,
        "Hội Cựu chiến binh": 0,
        "Đoàn Thanh niên": 0,
        "Cho vay trực tiếp": 30_000_000,
    }
    assert evaluate(associations.ws, associations.ref(associations.total, ("Dư nợ", "Tổng"))) == 66_000_000
    overdue = Table(wb["Nợ quá hạn"])
    assert [
        (overdue.get(r, ("Món vay", "Số khế ước")), overdue.get(r, ("Số tiền", "Lãi tồn đọng"))) for r in overdue.rows
    ] == [("HPN-1", 77_000)]

    # issued: the summary says when, by whom, and the figures' hash
    notes = [
        c.value for row in wb["Tổng hợp"].iter_rows(min_row=summary.total or summary.rows[-1]) for c in row if c.value
    ]
    assert "Báo cáo đã phát hành lúc 06/04/2020 09:30, người phát hành: Hoàng Văn Quản." in notes
    assert f"Mã SHA-256 của số liệu: {meta.sha256}" in notes


def test_an_associations_workbook_holds_its_figures_and_says_provisional(card_book, hpn):
    payload = build(Version(Q1, hpn))
    meta = meta_of(payload, hpn, provisional=True)
    wb = workbook_of(payload, meta)

    check_layout(wb, meta)  # "Số liệu tạm tính" on every sheet and in every page header
    check_summary(wb["Tổng hợp"], payload, office=False)
    check_by_association(wb["Theo hội"], payload, office=False)
    check_by_commune(wb["Theo xã"], payload)
    check_by_program(wb["Theo chương trình"], payload)
    check_overdue(wb["Nợ quá hạn"], payload)
    check_interest(wb["Thu lãi"], payload, office=False)  # by commune
    check_scorecard(wb["Chỉ tiêu thi đua"], payload)
    check_grades(wb["Xếp loại tổ"], payload)

    assert meta.title.endswith("– Hội Liên hiệp Phụ nữ")
    associations = Table(wb["Theo hội"])
    assert [associations.get(r, "Tổ chức hội") for r in associations.rows] == ["Hội Liên hiệp Phụ nữ"]
    assert associations.get(associations.rows[0], ("Dư nợ", "Tổng")) == 24_000_000  # HPN-1 6M + HPN-2 18M
    communes = Table(wb["Theo xã"])
    assert {communes.get(r, "Xã, thị trấn"): communes.get(r, ("Dư nợ", "Tổng")) for r in communes.rows} == {
        "Quán Hàu": 6_000_000,
        "Vạn Ninh": 18_000_000,
    }
    assert {g["group"] for g in payload["grades"]} == {"QH-02", "VN-01"}  # HPN's groups only
    everything = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert "Báo cáo đã phát hành" not in " ".join(str(v) for v in everything if v)


def test_text_stays_text_and_a_year_without_targets_says_so(card_book, tmp_path):
    name = '=HYPERLINK("http://example.com","Bình")'
    Member.objects.filter(pk=card_book.binh.pk).update(full_name=name)  # as an import may bring it
    SavingsGroup.objects.filter(pk=card_book.g2.pk).update(name="=1+1")
    payload = build(Version(Q1))
    payload["scorecard"] = None
    meta = meta_of(payload, provisional=True)
    write_workbook(tmp_path / "q1.xlsx", payload, meta)  # a path as well as a stream
    wb = load_workbook(tmp_path / "q1.xlsx")

    overdue = Table(wb["Nợ quá hạn"])
    borrower = overdue.cell(overdue.rows[0], ("Hộ vay", "Họ và tên"))
    assert (borrower.value, borrower.data_type) == (name, "s")
    grades = Table(wb["Xếp loại tổ"])
    names = {grades.get(r, "Mã tổ"): grades.cell(r, "Tên tổ") for r in grades.rows}
    assert (names["QH-02"].value, names["QH-02"].data_type) == ("=1+1", "s")
    formulas = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas and all(re.match(r"=(SUM|IF|COUNTIF|COUNTA)\([A-Z]", c.value) for c in formulas)

    card = wb["Chỉ tiêu thi đua"]
    lines = [c.value for row in card.iter_rows() for c in row if c.value]
    assert lines[-1] == "Năm 2020 chưa có chỉ tiêu thi đua."
    assert "Số liệu tạm tính" in lines
