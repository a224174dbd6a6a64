"""The quarterly report as a PDF, read back with poppler (pdfinfo, pdftotext, pdftoppm).

On the emulation book (tests/emulation/conftest.py) at 31/03/2020, the office's version
(provisional) and the Women's union's (HPN, issued). By hand (tests/support/fixtures.py):
outstanding 66.000.000 (HND-1 12.000.000, HPN-1 6.000.000, HPN-2 18.000.000, TT-1
30.000.000 direct) → 66,0 million đồng, entrusted 36,0, direct 30,0, HPN 24,0; HPN-1 all
overdue: 6,0, that is 9,09 % of the office's outstanding and 25,00 % of HPN's.

Page 1 of the office's PDF is kept as tests/artifacts/quarterly-pdf-page1.png to look at.
"""

import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path

import pytest

from groups.models import Association
from reporting.periods import Period
from reports.pdf import OVERDUE_ROWS, million, ratio, render_html, render_pdf
from reports.quarterly import OFFICE, Meta, Version, build, figures_hash
from tests.emulation.conftest import card_book  # noqa: F401

Q1 = Period.quarter(2020, 1)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PROVISIONAL = "Số liệu tạm tính"
poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


# -- the formatter --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "amount, written",
    [
        (66_000_000, "66,0"),
        (24_000_000, "24,0"),
        (0, "0,0"),
        (49_999, "0,0"),
        (50_000, "0,1"),  # half up, from the exact đồng
        (1_234_549_999, "1.234,5"),
        (1_234_550_000, "1.234,6"),
        (348_308_150_000, "348.308,2"),
        (123_456_789_000_000, "123.456.789,0"),
        (-358_500_000, "-358,5"),
        (-1_250_000, "-1,3"),  # halves away from zero
        (-40_000, "0,0"),  # no "-0,0"
        (None, "—"),
    ],
)
def test_million_dong_with_one_decimal(amount, written):
    assert million(amount) == written


@pytest.mark.parametrize(
    "value, written",
    [
        (0.0011, "0,11 %"),
        (0.001245, "0,12 %"),
        (0.00125, "0,13 %"),  # half up from the 6-decimal ratio (a float's format writes 0,12)
        (0.000005, "0,00 %"),
        (0.00005, "0,01 %"),
        (0.090909, "9,09 %"),
        (0.25, "25,00 %"),
        (1.0, "100,00 %"),
        (0.0, "0,00 %"),
        (Fraction(1, 3), "33,33 %"),
        (Fraction(2, 3), "66,67 %"),
        (12.5, "1.250,00 %"),
        (None, "—"),
    ],
)
def test_ratios_as_percent(value, written):
    assert ratio(value) == written


# -- reading the PDF back -------------------------------------------------------------------------
def _run(*args) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


class Pdf:
    def __init__(self, data: bytes, folder: Path, name: str):
        self.path = folder / f"{name}.pdf"
        self.path.write_bytes(data)
        info = _run("pdfinfo", "-f", "1", "-l", "999", str(self.path))
        self.pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.M)[1])
        self.sizes = [
            "landscape" if float(w) > float(h) else "portrait"
            for w, h in re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
        ]
        self.text = _run("pdftotext", "-layout", str(self.path), "-")
        # pdftotext ends each page with a form feed
        self.page_texts = self.text.split("\f")[: self.pages]

    def page_of(self, needle: str) -> int:
        return next(i for i, t in enumerate(self.page_texts, 1) if needle in t)

    def line_with(self, needle: str, page: int | None = None, after: str = "") -> str:
        """The first line holding `needle` (on a page; below a heading)."""
        text = self.page_texts[page - 1] if page else self.text
        text = text[text.index(after) :] if after else text
        return next(line for line in text.splitlines() if needle in line)


def cells(line: str) -> list[str]:
    """A table row as pdftotext -layout writes it: columns apart by two spaces or more."""
    return re.split(r"\s{2,}", line.strip())


def figure(pdf: "Pdf", label: str, page: int = 1) -> str:
    """The figure written right after a label of the summary (its two-column table)."""
    found = re.search(rf"^\s*{re.escape(label)}\s+(-?[\d.]+,\d+(?: %)?|—)", pdf.page_texts[page - 1], re.M)
    return found[1] if found else None


def meta_of(payload, association=None, *, provisional=True, issued_by=None) -> Meta:
    return Meta(
        quarter=Q1,
        association_code=None if association is None else association.code,
        association_name=None if association is None else association.name,
        provisional=provisional,
        made_on=date(2020, 4, 5),
        issued_at=None if provisional else datetime(2020, 4, 6, 2, 30, tzinfo=UTC),  # 09:30 in Việt Nam
        issued_by=issued_by,
        sha256=None if provisional else figures_hash(payload),
    )


# -- the office's report, provisional -------------------------------------------------------------
@poppler
@pytest.mark.django_db
def test_the_office_pdf(card_book, tmp_path):  # noqa: F811
    payload = build(Version(Q1))
    pdf = Pdf(render_pdf(payload, meta_of(payload)), tmp_path, "office")
    page1 = pdf.page_texts[0]

    # the heading: the office block (left), the motto and the date line (right), the title
    lines = [line for line in page1.splitlines() if line.strip()]
    assert lines[0].strip() == PROVISIONAL  # the page's header
    assert [cells(line)[0] for line in lines[1:4]] == list(OFFICE)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in pdf.line_with(OFFICE[0])
    assert "Độc lập - Tự do - Hạnh phúc" in pdf.line_with(OFFICE[1])
    assert "Quảng Ninh, ngày 05 tháng 4 năm 2020" in page1
    assert "BÁO CÁO KẾT QUẢ CHO VAY ỦY THÁC QUÝ 1/2020" in page1
    assert "Kỳ báo cáo: từ ngày 01/01/2020 đến ngày 31/03/2020" in page1

    # figures in million đồng, ratios in per cent, the diacritics whole
    assert figure(pdf, "Tổng dư nợ") == "66,0"
    assert figure(pdf, "– Ủy thác qua các tổ chức hội") == "36,0"
    assert figure(pdf, "– Cho vay trực tiếp") == "30,0"
    assert figure(pdf, "Tỷ lệ nợ quá hạn") == "9,09 %"
    assert figure(pdf, "Tỷ lệ nợ quá hạn ủy thác") == "16,67 %"  # 6,0 of 36,0
    assert figure(pdf, "Doanh số cho vay") == "66,0"
    heading = "DƯ NỢ THEO TỔ CHỨC HỘI NHẬN ỦY THÁC"
    units = pdf.page_of(heading)

    def row(name):
        return cells(pdf.line_with(name, units, after=heading))

    assert row("Hội Liên hiệp Phụ nữ")[2:6] == ["24,0", "24,0", "6,0", "25,00 %"]
    assert row("Hội Nông dân")[2:6] == ["12,0", "12,0", "0,0", "0,00 %"]
    assert row("Cho vay trực tiếp")[1:5] == ["30,0", "30,0", "0,0", "0,00 %"]  # the direct loans apart
    assert row("Tổng cộng")[1:5] == ["66,0", "66,0", "6,0", "9,09 %"]

    # the wide tables on landscape pages, the rest portrait
    assert pdf.sizes[0] == "portrait" and pdf.sizes[-1] == "portrait"
    for heading in (
        "BÁO CÁO TÍN DỤNG THEO XÃ, THỊ TRẤN",
        "KẾT QUẢ THỰC HIỆN CHỈ TIÊU THI ĐUA",
        "DANH SÁCH KHOẢN VAY CÓ NỢ QUÁ HẠN",
    ):
        assert pdf.sizes[pdf.page_of(heading) - 1] == "landscape", heading
    for heading in ("DƯ NỢ THEO CHƯƠNG TRÌNH CHO VAY", "THU LÃI TRONG QUÝ", "XẾP LOẠI TỔ", "DIỄN BIẾN 24 THÁNG"):
        assert pdf.sizes[pdf.page_of(heading) - 1] == "portrait", heading
    communes = pdf.page_of("BÁO CÁO TÍN DỤNG THEO XÃ, THỊ TRẤN")
    # every loan lent in the quarter: HND-1 12,0 + HPN-1 6,0 + TT-1 30,0 in Quán Hàu
    assert cells(pdf.line_with("Quán Hàu", communes))[2:4] == ["48,0", "48,0"]
    assert cells(pdf.line_with("Tổng cộng", communes))[7:11] == ["66,0", "60,0", "6,0", "0,0"]
    overdue = pdf.page_of("DANH SÁCH KHOẢN VAY CÓ NỢ QUÁ HẠN")
    assert cells(pdf.line_with("HPN-1", overdue))[1:3] == ["HPN-1", "Trần Thị Bình"]
    assert cells(pdf.line_with("HPN-1", overdue))[-3:] == ["6,0", "6,0", "0,1"]  # arrears 77.000
    assert "Tổng cộng (1 khoản)" in pdf.page_texts[overdue - 1]
    card = pdf.page_of("KẾT QUẢ THỰC HIỆN CHỈ TIÊU THI ĐUA NĂM 2020")
    assert "Toàn phòng giao dịch" in pdf.page_texts[card - 1]
    assert re.search(r"Hội Nông dân\s+[ĐK–]{3}\s", pdf.page_texts[card - 1])  # T1, its three months

    # the charts are the dashboards' SVG, drawn (their titles are text in the PDF)
    for title in ("Dư nợ cuối tháng (đồng)", "Tỷ lệ nợ quá hạn cuối tháng", "Tỷ lệ thu lãi trong tháng"):
        assert title in pdf.text

    # provisional on every page; numbered from page 2 on; signed at the end; not issued
    assert [PROVISIONAL in t for t in pdf.page_texts] == [True] * pdf.pages
    assert pdf.pages >= 6
    last_lines = [[line.strip() for line in t.splitlines() if line.strip()][-1] for t in pdf.page_texts]
    assert last_lines[0] != "1" and not re.fullmatch(r"\d+", last_lines[0])
    assert last_lines[1:] == [str(n) for n in range(2, pdf.pages + 1)]
    last = pdf.page_texts[-1]
    assert re.search(r"Người lập biểu\s+Kiểm soát\s+Giám đốc", last)
    assert len(re.findall(r"\(Ký, ghi rõ họ tên\)", last)) == 3
    assert "Quảng Ninh, ngày 05 tháng 4 năm 2020" in last
    assert "SHA-256" not in pdf.text

    # page 1 as an image, to look at
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "quarterly-pdf-page1"
    _run("pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", "-singlefile", str(pdf.path), str(target))
    png = target.with_suffix(".png")
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 10_000

    # the overdue list stops at 50 rows, the rest in one line with its total
    many = [
        {
            **payload["overdue_loans"][0],
            "loan_no": f"KU{n:04d}",
            "outstanding": 1_000_000,
            "overdue": 400_000,
            "interest_arrears": 50_000,
        }
        for n in range(OVERDUE_ROWS + 3)
    ]
    html = render_html({**payload, "overdue_loans": many}, meta_of(payload))
    assert "KU0049" in html and "KU0050" not in html
    assert re.search(
        r"… và 3 khoản khác</td><td class=\"num\">3,0</td><td class=\"num\">1,2</td><td class=\"num\">0,2</td>", html
    )
    assert re.search(
        r"Tổng cộng \(53 khoản\)</td><td class=\"num\">53,0</td><td class=\"num\">21,2</td><td class=\"num\">2,7</td>",
        html,
    )


# -- an association's report, issued --------------------------------------------------------------
@poppler
@pytest.mark.django_db
def test_an_association_pdf_issued(card_book, tmp_path):  # noqa: F811
    hpn = Association.objects.get(code="HPN")
    card_book.binh.full_name = "Trần <b>Bình</b> & Co"
    card_book.binh.save(update_fields=["full_name"])
    payload = build(Version(Q1, hpn))
    meta = meta_of(payload, hpn, provisional=False, issued_by="Hoàng <i>Văn</i> Quản")
    pdf = Pdf(render_pdf(payload, meta), tmp_path, "hpn")

    assert f"BÁO CÁO KẾT QUẢ CHO VAY ỦY THÁC QUÝ 1/2020 – {hpn.name}" in pdf.page_texts[0]
    assert PROVISIONAL not in pdf.text
    assert figure(pdf, "Tổng dư nợ") == "24,0"
    assert figure(pdf, "Tỷ lệ nợ quá hạn") == "25,00 %"
    assert "Cho vay trực tiếp" not in pdf.text  # an association has no direct loans
    heading = "DƯ NỢ THEO XÃ, THỊ TRẤN"
    units = pdf.page_of(heading)
    assert cells(pdf.line_with("Quán Hàu", units, after=heading))[2:6] == ["6,0", "6,0", "6,0", "100,00 %"]
    assert cells(pdf.line_with("Vạn Ninh", units, after=heading))[2:6] == ["18,0", "18,0", "0,0", "0,00 %"]

    # names from the book are text, never markup
    assert "Trần <b>Bình</b> & Co" in pdf.text
    html = render_html(payload, meta)
    assert "Trần &lt;b&gt;Bình&lt;/b&gt; &amp; Co" in html and "<b>Bình" not in html
    assert "Hoàng &lt;i&gt;Văn&lt;/i&gt; Quản" in html

    # the issue line on the last page only: time, issuer, the figures' hash
    last = pdf.page_texts[-1]
    assert "Phát hành lúc 09:30 ngày 06/04/2020 bởi Hoàng <i>Văn</i> Quản" in last
    assert meta.sha256 in last.replace(" ", "") and all(meta.sha256 not in t for t in pdf.page_texts[:-1])
    assert [line.strip() for line in last.splitlines() if line.strip()][-1] == str(pdf.pages)
