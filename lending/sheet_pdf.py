"""The commune's collection sheets (bảng kê thu nợ, thu lãi, tiền gửi) as one PDF.

One A4 landscape section per group, in the Vietnamese administrative layout: the office
and the national motto, the title and the day, the group's facts, the table the group
leader collects against (what each loan owes at the end of the day, with blank columns
for what is brought, and a column to sign), the amount in words, the place and date and
three signatures. The page footer names the commune, the day, who printed it and when,
the group on the page and the page number.

Drawn with ReportLab rather than through HTML: a whole commune is some 700 members and
600 loans, 40 pages and 10,000 table cells, which an HTML renderer lays out as CSS boxes
in 10 s and more, and ReportLab draws in a fraction of a second.

Text is never markup: whatever goes into a Paragraph is escaped first, so a name can
neither change the layout nor make the renderer fetch anything.
"""

from functools import cache
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from django.core.exceptions import ImproperlyConfigured
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import HRFlowable

from vbsp_district.core.money import vn_date, vnd

# Liberation Sans (Debian's fonts-liberation2, which scripts/setup.sh installs): every
# Vietnamese letter, precomposed, as the names are kept (NFC).
FONT_DIRS = ("/usr/share/fonts/truetype/liberation2", "/usr/share/fonts/truetype/liberation")
FONT = "SheetSans"
STYLES = {"": "Regular", "-Bold": "Bold", "-Italic": "Italic", "-BoldItalic": "BoldItalic"}

PAGE = landscape(A4)
MARGINS = {"leftMargin": 10 * mm, "rightMargin": 10 * mm, "topMargin": 11 * mm, "bottomMargin": 13 * mm}
WIDTH = PAGE[0] - 20 * mm
# STT, name, national ID, loan, outstanding, principal due, interest due, savings,
# principal, interest, deposit, withdrawal, signature (mm, scaled to the width)
COLUMNS = (7, 38, 21, 28, 21, 20, 19, 20, 19, 17, 17, 15, 15)
COLUMN_WIDTHS = [WIDTH * c / sum(COLUMNS) for c in COLUMNS]
HEAD_BACKGROUND = colors.HexColor("#e9efe9")
GREY = colors.HexColor("#555555")


@cache
def _font() -> str:
    """Register the sheet's font family once per process; its name."""
    for directory in FONT_DIRS:
        files = {suffix: Path(directory) / f"LiberationSans-{style}.ttf" for suffix, style in STYLES.items()}
        if all(path.exists() for path in files.values()):
            break
    else:
        raise ImproperlyConfigured("Thiếu phông chữ Liberation Sans (gói fonts-liberation2) để in bảng kê.")
    for suffix, path in files.items():
        pdfmetrics.registerFont(TTFont(FONT + suffix, str(path)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=f"{FONT}-Bold", italic=f"{FONT}-Italic", boldItalic=f"{FONT}-BoldItalic"
    )
    return FONT


def _style(name, size=8, *, bold=False, italic=False, align=TA_LEFT, leading=None, **kwargs) -> ParagraphStyle:
    suffix = ("-Bold" if bold else "") + ("Italic" if italic and bold else "-Italic" if italic else "")
    return ParagraphStyle(
        name, fontName=_font() + suffix, fontSize=size, leading=leading or size * 1.25, alignment=align, **kwargs
    )


class _Styles:
    def __init__(self):
        self.masthead = _style("masthead", 8.5, align=TA_CENTER, leading=11.5)
        self.masthead_bold = _style("masthead-bold", 8.5, bold=True, align=TA_CENTER, leading=11.5)
        self.title = _style("title", 12.5, bold=True, align=TA_CENTER, spaceBefore=2 * mm, spaceAfter=0.5 * mm)
        self.subtitle = _style("subtitle", 8, italic=True, align=TA_CENTER, spaceAfter=2.5 * mm)
        self.label = _style("label", 8.5, textColor=colors.HexColor("#333333"))
        self.value = _style("value", 8.5, bold=True)
        self.head = _style("head", 7.5, bold=True, align=TA_CENTER, leading=9)
        self.cell = _style("cell", 8)
        self.name = _style("name", 8, bold=True)
        self.number = _style("number", 8, align=TA_RIGHT)
        self.total = _style("total", 8, bold=True)
        self.note = _style("note", 7, spaceBefore=1.5 * mm)
        self.words = _style("words", 8.5)
        self.place = _style("place", 8, italic=True, align=TA_RIGHT, spaceBefore=3 * mm, rightIndent=12 * mm)
        self.role = _style("role", 8.5, bold=True, align=TA_CENTER)
        self.hint = _style("hint", 7, italic=True, align=TA_CENTER)
        self.signer = _style("signer", 8.5, align=TA_CENTER)
        self.empty = _style("empty", 8, italic=True, spaceBefore=6 * mm, spaceAfter=6 * mm)


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(text), style)


def _small(text: str) -> str:
    """A second line of a cell, already escaped: the overdue part, the prepaid interest."""
    return f'<br/><font size="6.5" color="#333333">{escape(text)}</font>'


class _GroupMark(Flowable):
    """Where a group's section starts: the pages after it are that group's (footer)."""

    def __init__(self, code: str):
        super().__init__()
        self.code = code
        self.width = self.height = 0

    def draw(self):
        self.canv.sheet_group = self.code


class _NumberedCanvas(Canvas):
    """Draws "Trang n/N" on every page once the number of pages is known."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(FONT, 6.5)
            self.setFillColor(GREY)
            self.drawRightString(PAGE[0] - 10 * mm, 7 * mm, f"Trang {self._pageNumber}/{total}")
            super().showPage()
        super().save()


def collection_sheets_pdf(*, commune, day, weekday: str, sheets, printed_at, printed_by: str) -> bytes:
    """The PDF of `sheets` (`transaction_day_sheets`) of `commune` on `day`."""
    styles = _Styles()
    footer = f"Xã {commune.name} · ngày giao dịch {vn_date(day)} · in lúc {printed_at:%H:%M %d/%m/%Y} bởi {printed_by}"

    def page_end(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 6.5)
        canvas.setFillColor(GREY)
        canvas.drawString(10 * mm, 7 * mm, footer)
        group = getattr(canvas, "sheet_group", None)
        if group:
            canvas.drawCentredString(PAGE[0] / 2, 7 * mm, f"Tổ {group}")
        canvas.restoreState()

    story = []
    for index, sheet in enumerate(sheets):
        if index:
            story.append(PageBreak())
        story += _group_section(sheet, commune=commune, day=day, weekday=weekday, styles=styles)
    if not sheets:
        story.append(
            _p(
                f"Xã {commune.name} không có tổ TK&VV nào hoạt động ngày {vn_date(day)} trong phạm vi của bạn.",
                styles.empty,
            )
        )
    out = BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=PAGE,
        title=f"Bảng kê giao dịch {commune} ngày {vn_date(day)}",
        author=printed_by,
        **MARGINS,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="sheet", leftPadding=0, rightPadding=0)
    doc.addPageTemplates([PageTemplate(id="sheet", frames=[frame], onPageEnd=page_end)])
    doc.build(story, canvasmaker=_NumberedCanvas)
    return out.getvalue()


def _group_section(sheet, *, commune, day, weekday, styles) -> list:
    g = sheet.group
    rule = HRFlowable(width=38 * mm, thickness=0.6, color=colors.black, spaceBefore=0.5 * mm, hAlign="CENTER")
    masthead = Table(
        [
            [
                [
                    _p("NGÂN HÀNG CHÍNH SÁCH XÃ HỘI", styles.masthead),
                    _p("PHÒNG GIAO DỊCH HUYỆN QUẢNG NINH", styles.masthead_bold),
                    rule,
                ],
                [
                    _p("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", styles.masthead_bold),
                    _p("Độc lập - Tự do - Hạnh phúc", styles.masthead_bold),
                    rule,
                ],
            ]
        ],
        colWidths=[WIDTH / 2] * 2,
        style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2 * mm),
        ],
    )
    when = f"ngày {day:%d} tháng {day:%m} năm {day:%Y}"
    flow = [
        _GroupMark(g.code),
        masthead,
        _p("BẢNG KÊ THU NỢ GỐC, THU LÃI VÀ TIỀN GỬI TIẾT KIỆM", styles.title),
        _p(f"Ngày giao dịch: {weekday}, {when} · tại Điểm giao dịch {commune}", styles.subtitle),
        _info(sheet, styles),
    ]
    if not sheet.members:
        flow.append(
            _p(
                f"Tổ không có tổ viên nào còn dư nợ, lãi phải trả hoặc tiết kiệm ngày {vn_date(day)}.",
                styles.empty,
            )
        )
    else:
        flow += [
            _sheet_table(sheet, day, styles),
            _p(
                f"Số phải trả tính đến hết ngày {vn_date(day)}: lãi gồm lãi tồn đọng và kỳ lãi ngày {vn_date(day)}; "
                "gốc gồm các kỳ hạn đã đến hạn chưa trả. Khoản đã ghi sổ trong ngày được trừ ra; số dư tiết kiệm "
                "tính cả giao dịch đã ghi trong ngày.",
                styles.note,
            ),
            Spacer(0, 3 * mm),
            Table(
                [[_p("Tổng số tiền thực thu (bằng chữ):", styles.words), ""]],
                colWidths=[52 * mm, WIDTH - 52 * mm],
                style=[
                    ("LINEBELOW", (1, 0), (1, 0), 0.6, colors.black, None, (1, 2)),
                    ("LEFTPADDING", (0, 0), (0, 0), 0),
                ],
            ),
        ]
    signatures = Table(
        [
            [
                [
                    _p(role, styles.role),
                    _p("(Ký, ghi rõ họ tên)", styles.hint),
                    Spacer(0, 16 * mm),
                    _p(name, styles.signer),
                ]
                for role, name in (("TỔ TRƯỞNG", g.leader_name or ""), ("CÁN BỘ HỘI", ""), ("GIAO DỊCH VIÊN", ""))
            ]
        ],
        colWidths=[WIDTH / 3] * 3,
        style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
    )
    flow.append(KeepTogether([_p(f"{commune.name}, {when}", styles.place), signatures]))
    return flow


def _info(sheet, styles) -> Table:
    g = sheet.group
    rows = [
        ("Xã / thị trấn:", g.commune.name, "Tổ:", g.name, "Mã tổ:", g.code),
        (
            "Thôn / xóm:",
            g.village or "—",
            "Tổ chức Hội quản lý:",
            sheet.association_name or "—",
            "Tổ trưởng:",
            g.leader_name or "……………………………",
        ),
        (
            "Số tổ viên:",
            str(len(sheet.members)),
            "Số món vay:",
            str(len(sheet.loans)),
            "Dư nợ của tổ:",
            f"{vnd(sheet.outstanding)} đồng",
        ),
    ]
    return Table(
        [[_p(text, styles.label if i % 2 == 0 else styles.value) for i, text in enumerate(row)] for row in rows],
        colWidths=[w * mm for w in (24, 62, 32, 70, 24, 65)],
        style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 0.4 * mm),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0.4 * mm),
            ("LEFTPADDING", (0, 0), (-1, -1), 1 * mm),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 2 * mm),
        ],
    )


def _sheet_table(sheet, day, styles) -> Table:
    head = [_p(text, styles.head) for text in ("Gốc đến hạn", "Lãi phải trả", "Gốc", "Lãi", "Gửi TK", "Rút TK")]
    rows = [
        [
            _p("STT", styles.head),
            _p("Họ và tên tổ viên", styles.head),
            _p("Số CCCD/CMND", styles.head),
            _p("Số khế ước", styles.head),
            _p("Dư nợ (đồng)", styles.head),
            _p(f"Phải trả đến ngày {vn_date(day)}", styles.head),
            "",
            _p("Số dư tiết kiệm", styles.head),
            _p("Số tiền thực thu (đồng)", styles.head),
            "",
            "",
            "",
            _p("Tổ viên ký nhận", styles.head),
        ],
        ["", "", "", "", "", head[0], head[1], "", head[2], head[3], head[4], head[5], ""],
    ]
    commands = [
        ("FONT", (0, 0), (-1, -1), FONT, 8),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (4, 2), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.6),
        ("LEFTPADDING", (0, 0), (-1, -1), 1 * mm),
        ("RIGHTPADDING", (0, 0), (-1, -1), 1 * mm),
        ("BACKGROUND", (0, 0), (-1, 1), HEAD_BACKGROUND),
        ("SPAN", (5, 0), (6, 0)),
        ("SPAN", (8, 0), (11, 0)),
        *[("SPAN", (c, 0), (c, 1)) for c in (0, 1, 2, 3, 4, 7, 12)],
    ]
    for number, member in enumerate(sheet.members, start=1):
        first = len(rows)
        savings = vnd(member.savings_after)
        name = _p(member.full_name, styles.name)
        if not member.loans:
            rows.append([str(number), name, member.national_id, "—", "", "", "", savings, "", "", "", "", ""])
            commands.append(("ALIGN", (0, first), (3, first), "CENTER"))
            continue
        for k, loan in enumerate(member.loans):
            principal = vnd(loan.principal_to_collect) if loan.principal_to_collect else ""
            if loan.principal_overdue:
                principal = Paragraph(
                    escape(principal) + _small(f"quá hạn {vnd(loan.principal_overdue)}"), styles.number
                )
            interest = vnd(loan.interest_to_collect) if loan.interest_to_collect else ""
            if loan.interest_credit:
                interest = Paragraph(escape(interest) + _small(f"trả trước {vnd(loan.interest_credit)}"), styles.number)
            loan_cell = Paragraph(
                f'{escape(loan.loan_no)} <font size="6.5" color="#333333">({escape(loan.program_code)})</font>',
                styles.cell,
            )
            lead = [str(number), name, member.national_id] if k == 0 else ["", "", ""]
            rows.append(
                [*lead, loan_cell, vnd(loan.outstanding), principal, interest, savings if k == 0 else ""]
                + ["", "", "", "", ""]
            )
        last = len(rows) - 1
        commands.append(("ALIGN", (0, first), (0, last), "CENTER"))
        commands.append(("ALIGN", (2, first), (2, last), "CENTER"))
        if last > first:
            commands += [("SPAN", (c, first), (c, last)) for c in (0, 1, 2, 7, 10, 11, 12)]
    total = len(rows)
    rows.append(
        [
            _p(f"Cộng tổ ({len(sheet.members)} tổ viên, {len(sheet.loans)} món vay)", styles.total),
            "",
            "",
            "",
            vnd(sheet.outstanding),
            vnd(sheet.principal_to_collect),
            vnd(sheet.interest_to_collect),
            vnd(sheet.savings_after),
            "",
            "",
            "",
            "",
            "",
        ]
    )
    commands += [
        ("SPAN", (0, total), (3, total)),
        ("FONT", (0, total), (-1, total), f"{FONT}-Bold", 8),
        ("BACKGROUND", (0, total), (-1, total), HEAD_BACKGROUND),
    ]
    return Table(rows, colWidths=COLUMN_WIDTHS, repeatRows=2, style=TableStyle(commands))
