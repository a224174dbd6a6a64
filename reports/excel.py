"""The quarterly report as an Excel workbook (openpyxl).

`write_workbook(target, payload, meta)` writes the figures `quarterly.build` made, one table a
sheet: Tổng hợp, Theo hội, Theo xã, Theo chương trình, Nợ quá hạn, Thu lãi, Chỉ tiêu thi đua,
Xếp loại tổ. Every sheet opens with the title, the sheet's subtitle, the date line and, for a
provisional report, "Số liệu tạm tính"; then a two-level header (a group merged over its
columns) and the index row (1) (2) …, with the panes frozen below them and the header rows
repeated on every printed page (A4 landscape, one page wide).

Amounts are numbers in đồng formatted `#,##0`, ratios the payload's fractions formatted
`0.00%`. The TỔNG CỘNG row of a table is a formula over the rows above: `=SUM(…)` for
amounts and counts, and for a ratio the quotient of its summed columns (`=IF(D9=0,"—",F9/D9)`),
never a sum of ratios. Borrowers are counted once each however many loans, programs or
communes they have, so their total is the report's own figure, written as a number. A row the
payload has no figures for (the office's direct loans) holds the report's total less the
associations' rows, so that the formulas add up to the report's totals.

Every text cell goes through `vbsp_district.core.excel.cell`: a name starting with `=` stays
text. Formulas are written only here, from cell addresses.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from emulation.scorecard import COMMUNE_ASSOCIATION
from emulation.templatetags.emulation import CRITERIA
from emulation.text import COUNTED, VERDICTS
from vbsp_district.core.excel import cell
from vbsp_district.core.money import vn_date

from .quarterly import OFFICE, PROVISIONAL, Meta

AMOUNT = "#,##0"
COUNT = "#,##0"
RATIO = "0.00%"
DAY = "dd/mm/yyyy"
NONE = "—"  # a ratio whose denominator is 0 (DESIGN §4)
TOTAL = "TỔNG CỘNG"
GRADES = ("Tốt", "Khá", "Trung bình", "Yếu")
AUTHOR = "NHCSXH"
BORROWERS_NOTE = (
    "Số hộ còn dư nợ được đếm một lần dù hộ vay nhiều món, nhiều chương trình: dòng Tổng cộng "
    "ghi số hộ của báo cáo, không cộng từ các dòng trên."
)


def office_name() -> str:
    """'NHCSXH – PGD HUYỆN QUẢNG NINH', the page header of every sheet."""
    return f"NHCSXH – PGD {OFFICE[-1].removeprefix('PHÒNG GIAO DỊCH ')}"


# -- styles ---------------------------------------------------------------------------------------
_TITLE = Font(bold=True, size=13)
_BOLD = Font(bold=True)
_ITALIC = Font(italic=True)
_NOTE = Font(italic=True, size=9, color="595959")
_PROVISIONAL = Font(bold=True, color="C00000")
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="FFF2CC")
_MET_FILL = PatternFill("solid", fgColor="E2EFDA")
_MISSED_FILL = PatternFill("solid", fgColor="FCE4D6")
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_RIGHT = Alignment(horizontal="right", vertical="center")
_PLAIN_LEFT = Alignment(horizontal="left", vertical="center")


# -- tables ---------------------------------------------------------------------------------------
SUM = "sum"  # the total is =SUM of the rows above
STORED = "stored"  # the total is the report's figure (borrowers), written as a number


@dataclass(frozen=True)
class Quotient:
    """A ratio column: in the total row (and in a row the payload has no ratio for), the
    quotient of two of the table's columns, "—" when the denominator is 0."""

    numerator: str
    denominator: str


@dataclass(frozen=True)
class Col:
    key: str
    title: str
    width: float
    number_format: str | None = None  # None: text
    group: str | None = None  # the header merged over this column and its neighbours of the same group
    total: object = None  # SUM, STORED, a Quotient, or None (blank)


@dataclass
class Table:
    columns: list[Col]
    # values by column key (a key left out: a blank cell; a Quotient: that row's quotient formula),
    # and optionally "_format" (the row's number format, in the columns that have one) and "_bold"
    rows: list[dict]
    label: str = "name"  # the column holding "TỔNG CỘNG"
    totals: dict | None = None  # the STORED columns' totals; None: no total row
    frozen: int = 2  # columns kept in view left of the frozen pane
    notes: dict = field(default_factory=dict)  # (row index, key) -> a cell comment


@dataclass
class Placed:
    """Where a table landed: header rows, first and last data row, total row, columns by key."""

    head: int
    index: int
    first: int
    last: int
    total: int | None
    columns: dict


class _Sheet:
    """A worksheet written row by row (every cell through `cell()`), tracking the row number."""

    def __init__(self, workbook: Workbook, name: str, meta: Meta, width: int):
        self.ws = workbook.create_sheet(name)
        self.meta = meta
        self.width = width
        self.row = 0

    def append(self, cells: list) -> int:
        self.ws.append(cells)
        self.row += 1
        return self.row

    def line(self, text: str, font=None, alignment=_LEFT, height: float | None = None) -> int:
        """A line of text merged across the table's width."""
        row = self.append([cell(self.ws, text, font=font, alignment=alignment)])
        if self.width > 1:
            self.ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=self.width)
        if height:
            self.ws.row_dimensions[row].height = height
        return row

    def blank(self) -> None:
        self.append([])

    def heading(self, subtitle: str, note: str | None) -> None:
        """The title, the sheet's subtitle, the date line, "Số liệu tạm tính", a note line."""
        self.line(self.meta.title, _TITLE, _CENTER, height=36)
        self.line(subtitle, _BOLD, _CENTER)
        self.line(self.meta.date_line, _ITALIC, Alignment(horizontal="right", vertical="center"))
        if self.meta.provisional:
            self.line(PROVISIONAL, _PROVISIONAL, _CENTER)
        if note:
            self.line(note, _ITALIC, _LEFT)
        self.blank()

    def table(self, table: Table) -> Placed:
        ws, columns = self.ws, table.columns
        letters = {c.key: get_column_letter(i) for i, c in enumerate(columns, start=1)}
        for c in columns:
            ws.column_dimensions[letters[c.key]].width = c.width
        head = self._header(columns)
        index = self.append(
            [cell(ws, f"({i})", font=_ITALIC, alignment=_CENTER, border=_BOX) for i in range(1, len(columns) + 1)]
        )
        position = {c.key: i for i, c in enumerate(columns)}
        first = self.row + 1
        for n, values in enumerate(table.rows):
            row = self.row + 1
            cells = [self._value(c, values, row, letters) for c in columns]
            for (i, key), text in table.notes.items():
                if i == n:
                    cells[position[key]].comment = Comment(text, AUTHOR)
            self.append(cells)
        last = self.row
        total = None
        if table.totals is not None:
            total = self.row + 1
            self.append([self._total(c, table, first, last, total, letters) for c in columns])
        ws.freeze_panes = f"{get_column_letter(table.frozen + 1)}{index + 1}"
        ws.print_title_rows = f"{head}:{index}"
        return Placed(head, index, first, last, total, letters)

    def _header(self, columns: list[Col]) -> int:
        ws = self.ws
        top = self.append(
            [cell(ws, c.group or c.title, font=_BOLD, fill=_HEAD_FILL, alignment=_CENTER, border=_BOX) for c in columns]
        )
        self.append(
            [
                cell(ws, c.title if c.group else None, font=_BOLD, fill=_HEAD_FILL, alignment=_CENTER, border=_BOX)
                for c in columns
            ]
        )
        start = 0
        while start < len(columns):
            group = columns[start].group
            end = start
            while group and end + 1 < len(columns) and columns[end + 1].group == group:
                end += 1
            if group:
                if end > start:
                    ws.merge_cells(start_row=top, start_column=start + 1, end_row=top, end_column=end + 1)
            else:
                ws.merge_cells(start_row=top, start_column=start + 1, end_row=top + 1, end_column=start + 1)
            start = end + 1
        ws.row_dimensions[top].height = 30
        ws.row_dimensions[top + 1].height = 45
        return top

    def _value(self, column: Col, values: dict, row: int, letters: dict):
        styles = {"border": _BOX, "font": _BOLD} if values.get("_bold") else {"border": _BOX}
        if column.key not in values:
            return cell(self.ws, None, **styles)
        value = values[column.key]
        number_format = (values.get("_format") or column.number_format) if column.number_format else None
        if isinstance(value, Quotient):
            return _formula(self.ws, _quotient(value, row, letters), number_format, **styles)
        if isinstance(value, date):
            return cell(self.ws, value, DAY, alignment=_CENTER, **styles)
        if value is None and number_format == RATIO:  # a ratio whose denominator is 0
            return cell(self.ws, NONE, alignment=_RIGHT, **styles)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return cell(self.ws, value, number_format, **styles)
        if value == NONE:
            return cell(self.ws, value, alignment=_RIGHT, **styles)
        if value == "":  # no group, no association: a blank cell
            return cell(self.ws, None, **styles)
        return cell(self.ws, value, alignment=_PLAIN_LEFT, **styles)

    def _total(self, column: Col, table: Table, first: int, last: int, row: int, letters: dict):
        ws, styles = self.ws, {"font": _BOLD, "fill": _TOTAL_FILL, "border": _BOX}
        if column.key == table.label:
            return cell(ws, TOTAL, alignment=_CENTER, **styles)
        if column.total == SUM:
            letter = letters[column.key]
            return _formula(ws, f"=SUM({letter}{first}:{letter}{last})", column.number_format, **styles)
        if isinstance(column.total, Quotient):
            return _formula(ws, _quotient(column.total, row, letters), column.number_format, **styles)
        if column.total == STORED:
            result = cell(ws, table.totals[column.key], column.number_format, **styles)
            result.comment = Comment(BORROWERS_NOTE, AUTHOR)
            return result
        return cell(ws, None, **styles)

    def page(self, subject: str) -> None:
        """A4 landscape, one page wide; the office and the report in the page header."""
        ws, meta = self.ws, self.meta
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.oddHeader.left.text = _header_text(office_name())
        ws.oddHeader.center.text = _header_text(subject)
        if meta.provisional:
            ws.oddHeader.right.text = _header_text(PROVISIONAL)
            ws.oddHeader.right.color = "C00000"
        for part in (ws.oddHeader.left, ws.oddHeader.center, ws.oddHeader.right):
            part.size = 9
        ws.oddFooter.center.text = "Trang &P / &N"
        ws.oddFooter.center.size = 9


def _header_text(text: str) -> str:
    return text.replace("&", "&&")  # `&` starts a code in a page header


def _formula(ws, text: str, number_format: str | None = None, **styles) -> WriteOnlyCell:
    """A formula cell (never from the payload's text: only from cell addresses)."""
    result = WriteOnlyCell(ws, text)
    if number_format:
        result.number_format = number_format
    for name, style in styles.items():
        setattr(result, name, style)
    return result


def _quotient(q: Quotient, row: int, letters: dict) -> str:
    num, den = f"{letters[q.numerator]}{row}", f"{letters[q.denominator]}{row}"
    return f'=IF({den}=0,"{NONE}",{num}/{den})'


def _footnote(sheet: _Sheet, text: str) -> None:
    sheet.line(text, _NOTE, _LEFT, height=24)


def _quarter_name(meta: Meta) -> str:
    return f"quý {meta.quarter_number}/{meta.year}"


def _as_of(payload: dict) -> str:
    return vn_date(date.fromisoformat(payload["as_of"]))


def _figures_note(payload: dict) -> str:
    return f"Số liệu đến hết ngày {_as_of(payload)}. Đơn vị tính: đồng."


# -- Tổng hợp -------------------------------------------------------------------------------------
STOCK = [  # (label, key, format, office only)
    ("Tổng dư nợ", "outstanding", AMOUNT, False),
    ("– Ủy thác qua các tổ chức hội", "entrusted_outstanding", AMOUNT, True),
    ("– Cho vay trực tiếp", "direct_outstanding", AMOUNT, True),
    ("Tỷ trọng dư nợ ủy thác", "entrusted_share", RATIO, True),
    ("Dư nợ đầu năm", "outstanding_year_start", AMOUNT, False),
    ("– Trong đó ủy thác", "entrusted_outstanding_year_start", AMOUNT, True),
    ("Tăng (giảm) dư nợ ủy thác so với đầu năm", "entrusted_change_since_year_start", AMOUNT, False),
    ("Nợ quá hạn", "overdue", AMOUNT, False),
    ("Tỷ lệ nợ quá hạn", "overdue_ratio", RATIO, False),
    ("Nợ quá hạn ủy thác", "entrusted_overdue", AMOUNT, True),
    ("Tỷ lệ nợ quá hạn ủy thác", "entrusted_overdue_ratio", RATIO, True),
    ("Nợ khoanh", "frozen", AMOUNT, False),
    ("Lãi tồn đọng", "interest_arrears", AMOUNT, False),
    ("Số món vay còn dư nợ", "loans", COUNT, False),
    ("Số hộ còn dư nợ", "borrowers", COUNT, False),
    ("Số tổ TK&VV", "groups", COUNT, False),
    ("Số dư tiền gửi tiết kiệm của tổ viên", "savings_balance", AMOUNT, False),
    ("Số tổ có tiền gửi tiết kiệm", "groups_with_savings", COUNT, False),
]
FLOWS = [  # (label, key, format)
    ("Doanh số cho vay", "disbursed", AMOUNT),
    ("Doanh số thu nợ gốc", "principal_repaid", AMOUNT),
    ("Nợ gốc xử lý xóa", "principal_written_off", AMOUNT),
    ("Nợ gốc đến hạn trong kỳ", "principal_due", AMOUNT),
    ("Thu được của nợ gốc đến hạn", "principal_collected_of_due", AMOUNT),
    ("Tỷ lệ thu nợ gốc đến hạn", "principal_collection_rate", RATIO),
    ("Lãi phải thu trong kỳ", "interest_billed", AMOUNT),
    ("Lãi thực thu", "interest_paid", AMOUNT),
    ("– Thu lãi phải thu trong kỳ", "interest_applied_current", AMOUNT),
    ("– Thu lãi tồn đọng", "interest_applied_arrears", AMOUNT),
    ("Tỷ lệ thu lãi", "interest_collection_rate", RATIO),
    ("Lãi tồn đọng đầu kỳ", "interest_arrears_start", AMOUNT),
    ("Tỷ lệ thu hồi lãi tồn đọng", "arrears_recovery_rate", RATIO),
    ("Lãi tồn đọng cuối kỳ", "interest_arrears_end", AMOUNT),
]
UNITS = {AMOUNT: "đồng", RATIO: "%"}
COUNT_UNITS = {"loans": "món", "borrowers": "hộ", "groups": "tổ", "groups_with_savings": "tổ"}


def _summary(workbook: Workbook, payload: dict, meta: Meta) -> None:
    report, ytd = payload["report"], payload["year_to_date"]
    po, quarter, year = report["portfolio"], report["period"], ytd["portfolio_period"]
    office = meta.association_code is None
    start, end = (vn_date(date.fromisoformat(ytd[k])) for k in ("start", "end"))
    columns = [
        Col("no", "STT", 6),
        Col("name", "Chỉ tiêu", 46),
        Col("unit", "Đơn vị tính", 10),
        Col("quarter", f"Quý {meta.quarter_number}/{meta.year} (đến {_as_of(payload)})", 22, AMOUNT, "Số liệu"),
        Col("year", f"Lũy kế từ {start} đến {end}", 22, AMOUNT, "Số liệu"),
    ]
    rows = [{"no": "I", "name": f"DƯ NỢ, NỢ QUÁ HẠN VÀ TIẾT KIỆM ĐẾN {_as_of(payload)}", "_bold": True}]
    number = 0
    for label, key, fmt, office_only in STOCK:
        if office_only and not office:
            continue
        sub = label.startswith("–")
        number += 0 if sub else 1
        unit = COUNT_UNITS.get(key) or UNITS[fmt]
        rows.append({"no": None if sub else number, "name": label, "unit": unit, "quarter": po[key], "_format": fmt})
    rows.append({"no": "II", "name": "DOANH SỐ CHO VAY, THU NỢ, THU LÃI", "_bold": True})
    number = 0
    for label, key, fmt in FLOWS:
        sub = label.startswith("–")
        number += 0 if sub else 1
        rows.append(
            {
                "no": None if sub else number,
                "name": label,
                "unit": UNITS[fmt],
                "quarter": quarter[key],
                "year": year[key],
                "_format": fmt,
            }
        )
    sheet = _Sheet(workbook, "Tổng hợp", meta, len(columns))
    sheet.heading(f"TỔNG HỢP KẾT QUẢ CHO VAY {_quarter_name(meta).upper()}", None)
    sheet.table(Table(columns, rows, frozen=0))
    sheet.blank()
    sheet.line(f"Đơn vị báo cáo: {' – '.join(OFFICE)}.", _ITALIC)
    if meta.sha256:
        issued_at = meta.issued_at
        if isinstance(issued_at, datetime):
            if timezone.is_aware(issued_at):
                issued_at = timezone.localtime(issued_at)
            issued_at = issued_at.strftime("%d/%m/%Y %H:%M")
        sheet.line(f"Báo cáo đã phát hành lúc {issued_at or ''}, người phát hành: {meta.issued_by or ''}.", _BOLD)
        sheet.line(f"Mã SHA-256 của số liệu: {meta.sha256}", _ITALIC)
    sheet.page(f"Tổng hợp – {_quarter_name(meta)}")


# -- Theo hội -------------------------------------------------------------------------------------
ADDITIVE = (
    "outstanding",
    "change",
    "current",
    "overdue",
    "frozen",
    "loans",
    "groups",
    "savings",
    "groups_with_savings",
    "disbursed",
    "disbursed_year",
    "repaid",
    "repaid_year",
    "written_off",
    "written_off_year",
    "due",
    "collected",
)
OUTSIDE_GROUPS = ("groups", "savings", "groups_with_savings")  # not of direct loans: blank unless a remainder


def _unit_figures(row: dict, quarter: dict, year: dict) -> dict:
    return {
        "outstanding": row["outstanding"],
        "change": row["change"],
        "current": row["outstanding"] - row["overdue"] - row["frozen"],
        "overdue": row["overdue"],
        "frozen": row["frozen"],
        "overdue_ratio": row.get("overdue_ratio"),
        "loans": row["loans"],
        "borrowers": row["borrowers"],
        "groups": row["groups"],
        "savings": row["savings_balance"],
        "groups_with_savings": row["groups_with_savings"],
        "disbursed": quarter["disbursed"],
        "disbursed_year": year.get("disbursed", 0),
        "repaid": quarter["principal_repaid"],
        "repaid_year": year.get("principal_repaid", 0),
        "written_off": quarter["principal_written_off"],
        "written_off_year": year.get("principal_written_off", 0),
        "due": quarter["principal_due"],
        "collected": quarter["principal_collected_of_due"],
        "collection_rate": quarter["principal_collection_rate"],
    }


def association_totals(payload: dict) -> dict:
    """The report's totals of the Theo hội columns (what the TỔNG CỘNG row adds up to)."""
    report = payload["report"]
    po = report["portfolio"]
    return _unit_figures(
        {**po, "change": po["outstanding"] - po["outstanding_year_start"]},
        report["period"],
        payload["year_to_date"]["portfolio_period"],
    )


def _by_association(workbook: Workbook, payload: dict, meta: Meta) -> None:
    report = payload["report"]
    ytd = {r["code"]: r["period"] for r in payload["year_to_date"]["by_association"]}
    rows = [
        {
            "no": i,
            "name": r["name"],
            **_unit_figures({**r, "change": r["change_since_year_start"]}, r["period"], ytd.get(r["code"], {})),
        }
        for i, r in enumerate(report["by_association"], start=1)
    ]
    totals = association_totals(payload)
    notes = {}
    if meta.association_code is None:
        direct = {key: totals[key] - sum(r[key] for r in rows) for key in ADDITIVE}
        for key in OUTSIDE_GROUPS:
            direct[key] = direct[key] or None
        direct.update(
            no=len(rows) + 1,
            name="Cho vay trực tiếp",
            overdue_ratio=Quotient("overdue", "outstanding"),
            collection_rate=Quotient("collected", "due"),
        )
        rows.append(direct)
        notes[(len(rows) - 1, "name")] = (
            "Phần của phòng giao dịch ngoài bốn tổ chức hội: tổng của báo cáo trừ các dòng trên "
            "(các món cho vay trực tiếp; tiền gửi của tổ viên không thuộc tổ TK&VV nào, nếu có). "
            "Số hộ vay trực tiếp không có riêng trong số liệu báo cáo."
        )
    columns = [
        Col("no", "STT", 5),
        Col("name", "Tổ chức hội", 24),
        Col("outstanding", "Tổng", 16, AMOUNT, "Dư nợ", SUM),
        Col("change", "Tăng (giảm) so với đầu năm", 15, AMOUNT, "Dư nợ", SUM),
        Col("current", "Trong hạn", 16, AMOUNT, "Dư nợ", SUM),
        Col("overdue", "Quá hạn", 13, AMOUNT, "Dư nợ", SUM),
        Col("frozen", "Khoanh", 12, AMOUNT, "Dư nợ", SUM),
        Col("overdue_ratio", "Tỷ lệ nợ quá hạn", 9, RATIO, "Dư nợ", Quotient("overdue", "outstanding")),
        Col("loans", "Số món vay còn dư nợ", 9, COUNT, None, SUM),
        Col("borrowers", "Số hộ còn dư nợ", 9, COUNT, None, STORED),
        Col("groups", "Số tổ TK&VV", 7, COUNT, None, SUM),
        Col("savings", "Số dư", 15, AMOUNT, "Tiết kiệm của tổ viên", SUM),
        Col("groups_with_savings", "Số tổ có tiền gửi", 8, COUNT, "Tiết kiệm của tổ viên", SUM),
        Col("disbursed", "Trong quý", 15, AMOUNT, "Doanh số cho vay", SUM),
        Col("disbursed_year", "Lũy kế năm", 15, AMOUNT, "Doanh số cho vay", SUM),
        Col("repaid", "Trong quý", 15, AMOUNT, "Doanh số thu nợ gốc", SUM),
        Col("repaid_year", "Lũy kế năm", 15, AMOUNT, "Doanh số thu nợ gốc", SUM),
        Col("written_off", "Trong quý", 11, AMOUNT, "Nợ gốc xử lý xóa", SUM),
        Col("written_off_year", "Lũy kế năm", 11, AMOUNT, "Nợ gốc xử lý xóa", SUM),
        Col("due", "Nợ gốc đến hạn", 15, AMOUNT, "Thu nợ gốc đến hạn trong quý", SUM),
        Col("collected", "Đã thu", 15, AMOUNT, "Thu nợ gốc đến hạn trong quý", SUM),
        Col("collection_rate", "Tỷ lệ thu", 9, RATIO, "Thu nợ gốc đến hạn trong quý", Quotient("collected", "due")),
    ]
    sheet = _Sheet(workbook, "Theo hội", meta, len(columns))
    whom = "CÁC TỔ CHỨC HỘI NHẬN ỦY THÁC" if meta.association_code is None else "TỔ CHỨC HỘI"
    sheet.heading(f"KẾT QUẢ CHO VAY THEO {whom} – {_quarter_name(meta).upper()}", _figures_note(payload))
    sheet.table(Table(columns, rows, totals={"borrowers": totals["borrowers"]}, notes=notes))
    _footnote(sheet, f"(*) {BORROWERS_NOTE}")
    sheet.page(f"Theo tổ chức hội – {_quarter_name(meta)}")


# -- Theo xã --------------------------------------------------------------------------------------
def _by_commune(workbook: Workbook, payload: dict, meta: Meta) -> None:
    rows = [{"no": i, **row} for i, row in enumerate(payload["by_commune"], start=1)]
    columns = [
        Col("no", "STT", 5),
        Col("name", "Xã, thị trấn", 18),
        Col("disbursed_quarter", "Trong quý", 15, AMOUNT, "Doanh số cho vay", SUM),
        Col("disbursed_year", "Lũy kế năm", 15, AMOUNT, "Doanh số cho vay", SUM),
        Col("repaid_quarter", "Trong quý", 15, AMOUNT, "Doanh số thu nợ", SUM),
        Col("repaid_year", "Lũy kế năm", 15, AMOUNT, "Doanh số thu nợ", SUM),
        Col("written_off_quarter", "Trong quý", 11, AMOUNT, "Nợ xóa", SUM),
        Col("written_off_year", "Lũy kế năm", 11, AMOUNT, "Nợ xóa", SUM),
        Col("outstanding", "Tổng", 16, AMOUNT, "Dư nợ", SUM),
        Col("current", "Trong hạn", 16, AMOUNT, "Dư nợ", SUM),
        Col("overdue", "Quá hạn", 13, AMOUNT, "Dư nợ", SUM),
        Col("frozen", "Khoanh", 12, AMOUNT, "Dư nợ", SUM),
        Col("overdue_ratio", "Tỷ lệ nợ quá hạn", 9, RATIO, "Dư nợ", Quotient("overdue", "outstanding")),
        Col("short_term", "Ngắn hạn", 14, AMOUNT, "Dư nợ theo thời hạn", SUM),
        Col("medium_term", "Trung hạn", 16, AMOUNT, "Dư nợ theo thời hạn", SUM),
        Col("long_term", "Dài hạn", 14, AMOUNT, "Dư nợ theo thời hạn", SUM),
        Col("borrowers", "Số hộ còn dư nợ", 9, COUNT, None, STORED),
    ]
    sheet = _Sheet(workbook, "Theo xã", meta, len(columns))
    sheet.heading(f"KẾT QUẢ CHO VAY THEO XÃ, THỊ TRẤN – {_quarter_name(meta).upper()}", _figures_note(payload))
    borrowers = payload["report"]["portfolio"]["borrowers"]
    sheet.table(Table(columns, rows, totals={"borrowers": borrowers}))
    _footnote(
        sheet,
        "Ngắn hạn: đến 12 tháng; trung hạn: trên 12 đến 60 tháng; dài hạn: trên 60 tháng (từ ngày vay đến hạn "
        f"trả cuối cùng). (*) {BORROWERS_NOTE}",
    )
    sheet.page(f"Theo xã, thị trấn – {_quarter_name(meta)}")


# -- Theo chương trình ----------------------------------------------------------------------------
def _by_program(workbook: Workbook, payload: dict, meta: Meta) -> None:
    rows = []
    for i, r in enumerate(payload["report"]["by_program"], start=1):
        p = r["period"]
        rows.append(
            {
                "no": i,
                "code": r["code"],
                "name": r["name"],
                "disbursed": p["disbursed"],
                "repaid": p["principal_repaid"],
                "written_off": p["principal_written_off"],
                "outstanding": r["outstanding"],
                "current": r["outstanding"] - r["overdue"] - r["frozen"],
                "overdue": r["overdue"],
                "frozen": r["frozen"],
                "overdue_ratio": Quotient("overdue", "outstanding"),
                "loans": r["loans"],
                "borrowers": r["borrowers"],
                "due": p["principal_due"],
                "collected": p["principal_collected_of_due"],
                "collection_rate": p["principal_collection_rate"],
                "billed": p["interest_billed"],
                "applied": p["interest_applied_current"],
                "interest_rate": p["interest_collection_rate"],
            }
        )
    columns = [
        Col("no", "STT", 5),
        Col("code", "Mã", 5),
        Col("name", "Chương trình cho vay", 30),
        Col("disbursed", "Cho vay", 15, AMOUNT, "Doanh số trong quý", SUM),
        Col("repaid", "Thu nợ gốc", 15, AMOUNT, "Doanh số trong quý", SUM),
        Col("written_off", "Xóa nợ", 11, AMOUNT, "Doanh số trong quý", SUM),
        Col("outstanding", "Tổng", 16, AMOUNT, "Dư nợ", SUM),
        Col("current", "Trong hạn", 16, AMOUNT, "Dư nợ", SUM),
        Col("overdue", "Quá hạn", 13, AMOUNT, "Dư nợ", SUM),
        Col("frozen", "Khoanh", 12, AMOUNT, "Dư nợ", SUM),
        Col("overdue_ratio", "Tỷ lệ nợ quá hạn", 9, RATIO, "Dư nợ", Quotient("overdue", "outstanding")),
        Col("loans", "Số món vay còn dư nợ", 9, COUNT, None, SUM),
        Col("borrowers", "Số hộ còn dư nợ", 9, COUNT, None, STORED),
        Col("due", "Nợ gốc đến hạn", 15, AMOUNT, "Thu nợ gốc đến hạn", SUM),
        Col("collected", "Đã thu", 15, AMOUNT, "Thu nợ gốc đến hạn", SUM),
        Col("collection_rate", "Tỷ lệ thu", 9, RATIO, "Thu nợ gốc đến hạn", Quotient("collected", "due")),
        Col("billed", "Lãi phải thu", 14, AMOUNT, "Thu lãi trong quý", SUM),
        Col("applied", "Đã thu", 14, AMOUNT, "Thu lãi trong quý", SUM),
        Col("interest_rate", "Tỷ lệ thu lãi", 9, RATIO, "Thu lãi trong quý", Quotient("applied", "billed")),
    ]
    sheet = _Sheet(workbook, "Theo chương trình", meta, len(columns))
    sheet.heading(f"KẾT QUẢ CHO VAY THEO CHƯƠNG TRÌNH – {_quarter_name(meta).upper()}", _figures_note(payload))
    borrowers = payload["report"]["portfolio"]["borrowers"]
    sheet.table(Table(columns, rows, totals={"borrowers": borrowers}, frozen=3))
    _footnote(sheet, f"(*) {BORROWERS_NOTE}")
    sheet.page(f"Theo chương trình – {_quarter_name(meta)}")


# -- Nợ quá hạn -----------------------------------------------------------------------------------
def _overdue(workbook: Workbook, payload: dict, meta: Meta) -> None:
    rows = [
        {
            **loan,
            "no": i,
            "association": loan["association"] or "Trực tiếp",
            "disbursed_on": date.fromisoformat(loan["disbursed_on"]),
            "maturity": date.fromisoformat(loan["maturity"]) if loan["maturity"] else None,
        }
        for i, loan in enumerate(payload["overdue_loans"], start=1)
    ]
    columns = [
        Col("no", "STT", 5),
        Col("borrower", "Họ và tên", 24, None, "Hộ vay"),
        Col("national_id", "Số CCCD/CMND", 14, None, "Hộ vay"),
        Col("commune", "Xã, thị trấn", 15),
        Col("group", "Tổ TK&VV", 12),
        Col("association", "Tổ chức hội", 9),
        Col("loan_no", "Số khế ước", 16, None, "Món vay"),
        Col("program", "Chương trình", 9, None, "Món vay"),
        Col("disbursed_on", "Ngày vay", 11, DAY, "Món vay"),
        Col("maturity", "Hạn trả cuối cùng", 11, DAY, "Món vay"),
        Col("outstanding", "Dư nợ", 15, AMOUNT, "Số tiền", SUM),
        Col("overdue", "Nợ quá hạn", 15, AMOUNT, "Số tiền", SUM),
        Col("interest_arrears", "Lãi tồn đọng", 13, AMOUNT, "Số tiền", SUM),
    ]
    sheet = _Sheet(workbook, "Nợ quá hạn", meta, len(columns))
    sheet.heading(
        f"DANH SÁCH MÓN VAY QUÁ HẠN ĐẾN {_as_of(payload)}",
        f"{_figures_note(payload)} {len(rows)} món vay có nợ quá hạn.",
    )
    sheet.table(Table(columns, rows, label="borrower", totals={}))
    sheet.page(f"Nợ quá hạn – {_quarter_name(meta)}")


# -- Thu lãi --------------------------------------------------------------------------------------
INTEREST_ADDITIVE = ("billed", "applied", "arrears_start", "recovered", "arrears_end")


def _interest_figures(p: dict) -> dict:
    return {
        "billed": p["interest_billed"],
        "applied": p["interest_applied_current"],
        "collection_rate": p["interest_collection_rate"],
        "arrears_start": p["interest_arrears_start"],
        "recovered": p["interest_applied_arrears"],
        "recovery_rate": p["arrears_recovery_rate"],
        "arrears_end": p["interest_arrears_end"],
    }


def _interest(workbook: Workbook, payload: dict, meta: Meta) -> None:
    report = payload["report"]
    office = meta.association_code is None
    units = report["by_association"] if office else report["by_commune"]
    rows = [{"no": i, "name": r["name"], **_interest_figures(r["period"])} for i, r in enumerate(units, start=1)]
    if office:
        total = _interest_figures(report["period"])
        direct = {key: total[key] - sum(r[key] for r in rows) for key in INTEREST_ADDITIVE}
        direct.update(
            no=len(rows) + 1,
            name="Cho vay trực tiếp",
            collection_rate=Quotient("applied", "billed"),
            recovery_rate=Quotient("recovered", "arrears_start"),
        )
        rows.append(direct)
    columns = [
        Col("no", "STT", 5),
        Col("name", "Tổ chức hội" if office else "Xã, thị trấn", 24),
        Col("billed", "Lãi phải thu", 16, AMOUNT, "Lãi phát sinh trong quý", SUM),
        Col("applied", "Đã thu", 16, AMOUNT, "Lãi phát sinh trong quý", SUM),
        Col("collection_rate", "Tỷ lệ thu lãi", 10, RATIO, "Lãi phát sinh trong quý", Quotient("applied", "billed")),
        Col("arrears_start", "Đầu quý", 15, AMOUNT, "Lãi tồn đọng", SUM),
        Col("recovered", "Đã thu hồi", 15, AMOUNT, "Lãi tồn đọng", SUM),
        Col("recovery_rate", "Tỷ lệ thu hồi", 10, RATIO, "Lãi tồn đọng", Quotient("recovered", "arrears_start")),
        Col("arrears_end", "Cuối quý", 15, AMOUNT, "Lãi tồn đọng", SUM),
    ]
    sheet = _Sheet(workbook, "Thu lãi", meta, len(columns))
    whom = "TỔ CHỨC HỘI" if office else "XÃ, THỊ TRẤN"
    sheet.heading(f"KẾT QUẢ THU LÃI THEO {whom} – {_quarter_name(meta).upper()}", _figures_note(payload))
    sheet.table(Table(columns, rows, totals={}))
    _footnote(
        sheet,
        "Đã thu: tiền lãi thu được trừ vào lãi phải thu trong quý; đã thu hồi: phần trừ vào lãi tồn đọng đầu quý.",
    )
    sheet.page(f"Thu lãi – {_quarter_name(meta)}")


# -- Chỉ tiêu thi đua -----------------------------------------------------------------------------
def _period_order(label: str) -> tuple[int, int, int]:
    if "Q" in label:  # 2020Q1: after the quarter's last month
        year, quarter = label.split("Q")
        return int(year), 3 * int(quarter), 1
    return int(label[:4]), int(label[5:7]), 0


def _period_title(label: str) -> str:
    if "Q" in label:
        year, quarter = label.split("Q")
        return f"Quý {quarter}/{year}"
    return f"Tháng {label[5:7]}/{label[:4]}"


def _counted(code: str, unit: dict) -> bool:
    """A value that is a number of items, not a share (as the scorecard's page shows it)."""
    return code in COUNTED or (code == "T10" and unit["level"] == COMMUNE_ASSOCIATION)


MARKS = {True: "Đạt", False: "Không đạt", None: NONE}


def _scorecard(workbook: Workbook, payload: dict, meta: Meta) -> None:
    card = payload["scorecard"]
    subtitle = f"CHỈ TIÊU THI ĐUA NĂM {meta.year}"
    if card is None:
        sheet = _Sheet(workbook, "Chỉ tiêu thi đua", meta, 8)
        sheet.heading(subtitle, None)
        sheet.line(f"Năm {meta.year} chưa có chỉ tiêu thi đua.", _BOLD)
        sheet.page(f"Chỉ tiêu thi đua – {_quarter_name(meta)}")
        return
    labels = sorted(
        {e["period"] for u in card["units"] for r in u["results"].values() for e in r["periods"]}, key=_period_order
    )
    columns = [
        Col("no", "STT", 5),
        Col("unit", "Đơn vị", 34),
        Col("code", "Chỉ tiêu", 8),
        Col("result", "Kết quả đến nay", 13),
    ]
    for label in labels:
        columns += [
            Col(f"{label}:value", "Giá trị", 9, RATIO, _period_title(label)),
            Col(f"{label}:met", "Đạt", 9, None, _period_title(label)),
        ]
    rows = []
    for n, unit in enumerate(card["units"], start=1):
        for i, target in enumerate(card["targets"]):
            code = target["code"]
            result = unit["results"].get(code, {"met": None, "periods": []})
            row = {
                "no": n if i == 0 else None,
                "unit": unit["name"],
                "code": code,
                "result": VERDICTS[result["met"]],
                "_format": "0" if _counted(code, unit) else RATIO,
            }
            recovery = {}
            for entry in result["periods"]:
                row[f"{entry['period']}:value"] = NONE if entry["value"] is None else entry["value"]
                row[f"{entry['period']}:met"] = MARKS[entry["met"]]
                if "arrears_recovery" in entry:
                    recovery[f"{entry['period']}:value"] = entry["arrears_recovery"]
            rows.append(row)
            if recovery:  # T8's second figure, on a line of its own
                rows.append({"unit": unit["name"], "code": code, "result": "thu hồi lãi tồn đọng", **recovery})
    sheet = _Sheet(workbook, "Chỉ tiêu thi đua", meta, min(len(columns), 12))
    sheet.heading(
        subtitle,
        f"Các kỳ đã kết thúc đến hết ngày {vn_date(date.fromisoformat(card['as_of']))}. "
        "Giá trị: tỷ lệ (%), hoặc số lượng (T9: tin, bài; T10 của hội cấp xã: lần phát loa).",
    )
    for target in card["targets"]:
        every = "hằng tháng" if target["every"] == "month" else "hằng quý"
        sheet.append([cell(sheet.ws, target["code"], font=_BOLD), cell(sheet.ws, f"{target['title']} ({every})")])
    sheet.blank()
    placed = sheet.table(Table(columns, rows, frozen=4))
    for label in labels:
        letter = placed.columns[f"{label}:met"]
        for row in range(placed.first, placed.last + 1):
            mark = sheet.ws[f"{letter}{row}"]
            if mark.value in ("Đạt", "Không đạt"):
                mark.fill = _MET_FILL if mark.value == "Đạt" else _MISSED_FILL
    sheet.page(f"Chỉ tiêu thi đua năm {meta.year}")


# -- Xếp loại tổ ----------------------------------------------------------------------------------
def _grades(workbook: Workbook, payload: dict, meta: Meta) -> None:
    grades = payload["grades"]
    month = f"{meta.quarter.end.month:02d}/{meta.quarter.end.year}"
    seen = [code for g in grades for code in g["criteria"]]
    criteria = [c for c in CRITERIA if c in seen] + sorted({c for c in seen if c not in CRITERIA})
    columns = [
        Col("no", "STT", 5),
        Col("group", "Mã tổ", 12),
        Col("name", "Tên tổ", 26),
        Col("commune", "Xã, thị trấn", 15),
        Col("association", "Tổ chức hội", 9),
        *(Col(f"criterion:{c}", CRITERIA.get(c, c), 11, COUNT, "Điểm theo tiêu chí") for c in criteria),
        Col("points", "Tổng điểm", 8, COUNT),
        Col("grade", "Xếp loại", 11),
    ]
    sheet = _Sheet(workbook, "Xếp loại tổ", meta, len(columns))
    sheet.heading(f"XẾP LOẠI TỔ TK&VV THÁNG {month}", f"Tháng cuối của {_quarter_name(meta)}.")
    if not grades:
        sheet.line(f"Chưa có kết quả xếp loại tổ tháng {month}.", _BOLD)
        sheet.page(f"Xếp loại tổ tháng {month}")
        return
    rows = [
        {
            "no": i,
            "group": g["group"],
            "name": g["name"],
            "commune": g["commune"],
            "association": g["association"],
            **{f"criterion:{c}": g["criteria"].get(c) for c in criteria},
            "points": g["points"],
            "grade": g["grade"],
        }
        for i, g in enumerate(grades, start=1)
    ]
    placed = sheet.table(Table(columns, rows, frozen=3))
    # the tally under the table: COUNTIF over the grade column
    keys = [c.key for c in columns]
    span = f"{placed.columns['grade']}{placed.first}:{placed.columns['grade']}{placed.last}"
    sheet.blank()
    tally = [(f"Số tổ xếp loại {name}", f'=COUNTIF({span},"{name}")') for name in GRADES]
    tally.append(("Tổng số tổ được xếp loại", f"=COUNTA({span})"))
    for text, formula in tally:
        cells = [None] * len(columns)
        cells[keys.index("name")] = cell(sheet.ws, text, font=_BOLD)
        cells[keys.index("points")] = _formula(sheet.ws, formula, COUNT, font=_BOLD)
        sheet.append(cells)
    sheet.page(f"Xếp loại tổ tháng {month}")


SHEETS = (_summary, _by_association, _by_commune, _by_program, _overdue, _interest, _scorecard, _grades)


def write_workbook(target, payload: dict, meta: Meta) -> None:
    """Write the report's workbook to `target` (a path or a binary stream)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for write in SHEETS:
        write(workbook, payload, meta)
    workbook.properties.title = meta.title
    workbook.properties.creator = office_name()
    workbook.calculation.fullCalcOnLoad = True  # no cached values: Excel computes the totals on opening
    workbook.save(target)
