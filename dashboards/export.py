"""The follow-up list as an Excel workbook, for the officer to take to the commune.

One row per reason (a loan with two reasons has two rows, so that each can be ticked off),
amounts as numbers formatted `#,##0`, dates as dates; every text cell goes through
`vbsp_district.core.excel.cell`, so a name starting with `=` stays text.
"""

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from vbsp_district.core.excel import cell
from vbsp_district.core.money import vn_date

_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")

COLUMNS = [
    ("STT", 6),
    ("Xã, thị trấn", 18),
    ("Ngày giao dịch tới", 14),
    ("Tổ TK&VV", 12),
    ("Tên tổ", 24),
    ("Số khế ước", 14),
    ("Hộ vay", 24),
    ("Việc cần xem", 34),
    ("Số tiền (đồng)", 16),
    ("Ghi chú", 30),
    ("Đã xử lý", 10),
]


def follow_up_workbook(target, entries, *, unit_name: str, as_of) -> int:
    """Write the list to `target` (a path or a binary stream); returns the rows written."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("Danh sách theo dõi")
    for index, (_title, width) in enumerate(COLUMNS):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    ws.freeze_panes = "A4"
    ws.print_options.gridLines = True
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "3:3"
    ws.append([cell(ws, f"Danh sách cần theo dõi trước ngày giao dịch – {unit_name}", font=Font(bold=True, size=13))])
    ws.append([cell(ws, f"Số liệu cuối ngày {vn_date(as_of)}")])
    ws.append([cell(ws, title, font=_BOLD, fill=_HEAD_FILL, alignment=_WRAP) for title, _width in COLUMNS])
    count = 0
    for entry in entries:
        for reason in entry.reasons:
            count += 1
            ws.append(
                [
                    cell(ws, count),
                    cell(ws, entry.commune.name),
                    cell(ws, entry.next_transaction_day, "dd/mm/yyyy"),
                    cell(ws, entry.group.code if entry.group else ""),
                    cell(ws, entry.group.name if entry.group else ""),
                    cell(ws, entry.loan.loan_no if entry.loan else ""),
                    cell(ws, entry.loan.member.full_name if entry.loan else ""),
                    cell(ws, reason.title),
                    cell(ws, reason.amount, "#,##0") if reason.amount is not None else cell(ws, None),
                    cell(ws, reason.note),
                    cell(ws, ""),
                ]
            )
    workbook.save(target)
    return count
