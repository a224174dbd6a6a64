"""The holes an outside test of the running app found, each tested on the path it was
found on: the form, the URL, the import, the PDF and the export."""

import http.server
import random
import threading
import zipfile
from datetime import date
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import Resolver404, resolve, reverse
from openpyxl import load_workbook

from groups.models import Commune, Member, SavingsGroup
from groups.services import commune_create, group_create, group_transfer, meeting_record, member_register
from lending.models import Loan, WorkbookImport
from lending.services import loan_disburse, savings_deposit
from lending.services.batch import BatchRefused
from lending.workbook import WorkbookUnreadable, workbook_export, workbook_import, workbook_read
from tests.support.book import row_counts
from tests.support.pages import DISBURSE, disburse_data, imported, preview, shows
from tests.support.workbooks import header, xlsx

pytestmark = pytest.mark.django_db

KEY_MESSAGE = "chỉ gồm chữ cái không dấu, chữ số và các dấu - _ . ; bắt đầu bằng chữ cái hoặc chữ số."


def group_form(commune, hnd, code):
    return {
        "code": code,
        "name": "Tổ mới",
        "commune": commune.pk,
        "association": hnd.pk,
        "founded_on": "01/01/2020",
    }


# -- 1. a key with a slash, `.` or `..` ------------------------------------------------------
@pytest.mark.parametrize("code", ["QN01/T999", ".", "..", "QH/../QH-01", "QH 01", "QH-01?x=1", "Tổ-1"])
def test_a_group_code_that_is_not_a_key_is_refused_on_its_field(book, as_user, hnd, code):
    client = as_user("staff")
    before = row_counts()
    response = client.post(reverse("group_create"), group_form(book.quan_hau, hnd, code))
    assert response.status_code == 200
    assert shows(response, "Mã tổ " + KEY_MESSAGE)
    assert row_counts() == before
    # the commune's page and a search for the code answer as before
    assert client.get(reverse("commune_detail", args=["QH"])).status_code == 200
    assert client.get(reverse("search") + "?q=" + code).status_code in (200, 302)


def test_a_group_code_typed_in_lower_case_is_stored_in_capitals(book, as_user, hnd):
    client = as_user("staff")
    response = client.post(reverse("group_create"), group_form(book.quan_hau, hnd, " qh-09 "))
    assert response.status_code == 302
    assert response["Location"] == reverse("group_detail", args=["QH-09"])
    assert SavingsGroup.objects.filter(code="QH-09").exists()
    assert client.get(response["Location"]).status_code == 200


def test_the_import_refuses_codes_that_are_not_keys(tmp_path, staff):
    path = xlsx(
        tmp_path / "codes.xlsx",
        {
            "Communes": [header("Communes"), ["QN01/T999", "Xã A", "xa", 20], [".", "Xã B", "xa", 20]],
            "Loans": [header("Loans"), ["KU-A/../KU1", "044000000001", "01", "entrusted", "10/01/2020", 1_000_000]],
        },
    )
    with pytest.raises(BatchRefused) as refused:
        workbook_read(path)
    lines = [str(i) for i in refused.value.issues]
    assert "Communes!2 code: Mã xã " + KEY_MESSAGE in lines
    assert "Communes!3 code: Mã xã " + KEY_MESSAGE in lines
    assert any(line.startswith("Loans!2 loan_no: Số khế ước chỉ gồm") for line in lines), lines
    assert not Commune.objects.filter(code__in=["QN01/T999", "."]).exists()


# -- 2. a loan number with path segments ---------------------------------------------------------
@pytest.mark.parametrize("loan_no", ["KU-A/../HND-1", "HND-1/./X", "/HND-1", "HND-1//X", "HND-1/", ".."])
def test_a_loan_number_with_dot_or_empty_parts_is_refused(book, staff, poor, loan_no):
    before = row_counts()
    with pytest.raises(Exception) as refused:
        loan_disburse(
            loan_no=loan_no,
            member=book.an,
            program=poor,
            amount=1_000_000,
            disbursed_on=date(2020, 1, 10),
            installments=[(date(2021, 1, 10), 1_000_000)],
            acting_user=staff,
        )
    assert "Số khế ước chỉ gồm" in str(refused.value)
    assert row_counts() == before


def test_a_loan_number_ending_like_an_action_is_its_own_loan(book, staff, poor):
    loan = loan_disburse(
        loan_no="hnd-1/post",
        member=book.an,
        program=poor,
        amount=1_000_000,
        disbursed_on=date(2020, 1, 10),
        installments=[(date(2021, 1, 10), 1_000_000)],
        acting_user=staff,
    )
    assert loan.loan_no == "HND-1/POST"
    url = loan.get_absolute_url()
    match = resolve(url)
    # the new loan's own page, never the posting form of HND-1
    assert (match.url_name, match.kwargs) == ("loan_detail", {"loan_no": "HND-1/POST"})
    assert resolve(reverse("loan_post", args=["HND-1"])).kwargs == {"loan_no": "HND-1"}


@pytest.mark.parametrize(
    "path", ["/loans/KU-A/../HND-1/post/", "/loans/HND-1/./post/", "/loans/hnd-1/", "/groups/../communes/"]
)
def test_urls_never_read_dot_segments_as_keys(path):
    with pytest.raises(Resolver404):
        resolve(path)


def test_the_disbursement_form_redirects_to_the_new_loan(book, as_user, poor):
    client = as_user("staff")
    data = disburse_data(poor, member=book.an.national_id, loan_no="HND-1/post")
    response, token, digest = preview(client, data)
    response = client.post(DISBURSE, {**data, "token": token, "previewed": digest, "action": "confirm"})
    assert response.status_code == 302
    assert response["Location"] == "/loans/HND-1/POST/"
    assert resolve(response["Location"]).url_name == "loan_detail"
    assert client.get(response["Location"]).status_code == 200
    assert Loan.objects.filter(loan_no="HND-1/POST").exists()
    for loan_no in ("KU-A/../HND-1", "HND-1/./post"):
        response = client.post(DISBURSE, {**disburse_data(poor, member=book.an.national_id, loan_no=loan_no)})
        assert response.status_code == 200
        assert shows(response, "Số khế ước chỉ gồm chữ cái không dấu")


# -- 3. looking back before a handover -----------------------------------------------------------
@pytest.fixture
def handover(book, staff, hnd, hpn, poor):
    """QH-09 moves from HND to HPN on 01/07/2020; its member Hoa borrows before and after."""
    group = group_create(
        code="QH-09", name="Tổ chuyển giao", commune=book.quan_hau, association=hnd,
        founded_on=date(2015, 1, 1), acting_user=staff,
    )  # fmt: skip
    hoa = member_register(
        national_id="044000000009", full_name="Hoàng Thị Hoa", commune=book.quan_hau,
        group=group, joined_on=date(2016, 1, 1), acting_user=staff,
    )  # fmt: skip
    before = loan_disburse(
        loan_no="HH-1", member=hoa, program=poor, amount=5_000_000, disbursed_on=date(2020, 1, 10),
        installments=[(date(2021, 1, 10), 5_000_000)], acting_user=staff,
    )  # fmt: skip
    savings_deposit(member=hoa, amount=111_000, value_date=date(2020, 6, 20), acting_user=staff)
    meeting_record(group=group, held_on=date(2020, 6, 15), attendees=20, acting_user=staff)
    group_transfer(group=group, association=hpn, effective_on=date(2020, 7, 1), acting_user=staff)
    after = loan_disburse(
        loan_no="HH-2", member=hoa, program=poor, amount=7_000_000, disbursed_on=date(2020, 8, 10),
        installments=[(date(2021, 8, 10), 7_000_000)], acting_user=staff,
    )  # fmt: skip
    savings_deposit(member=hoa, amount=222_000, value_date=date(2020, 12, 10), acting_user=staff)
    meeting_record(group=group, held_on=date(2020, 11, 15), attendees=19, acting_user=staff)
    return {"group": group, "hoa": hoa, "before": before, "after": after}


def _pages(h):
    return {
        "group": reverse("group_detail", args=["QH-09"]),
        "member": reverse("member_detail", args=[h["hoa"].national_id]),
        "before": reverse("loan_detail", args=["HH-1"]),
        "after": reverse("loan_detail", args=["HH-2"]),
    }


# (officer, day) → the pages they may open; every other page answers 404.
HANDOVER_VISIBLE = {
    ("officer_hnd", "30/06/2020"): {"group", "member", "before"},
    ("officer_hnd", "01/07/2020"): set(),
    ("officer_hnd", "31/12/2020"): set(),
    ("officer_hpn", "30/06/2020"): set(),
    ("officer_hpn", "01/07/2020"): {"group", "member", "before"},
    ("officer_hpn", "31/12/2020"): {"group", "member", "before", "after"},
    ("commune_officer", "30/06/2020"): set(),
    ("commune_officer", "31/12/2020"): set(),
}


@pytest.mark.parametrize("role,day", sorted(HANDOVER_VISIBLE))
def test_looking_back_shows_the_handover_as_it_was(handover, as_user, role, day):
    client = as_user(role)
    visible = HANDOVER_VISIBLE[(role, day)]
    for name, url in _pages(handover).items():
        response = client.get(f"{url}?date={day}")
        assert response.status_code == (200 if name in visible else 404), (role, day, name)
    search = client.get(reverse("search") + f"?q=HH-&date={day}").content.decode()
    assert ("HH-2" in search) == ("after" in visible), (role, day)


def test_a_page_as_at_a_day_shows_nothing_dated_after_it(handover, as_user):
    client = as_user("officer_hnd")
    date = "?date=30/06/2020"
    member = client.get(_pages(handover)["member"] + date).content.decode()
    assert "HH-1" in member and "HH-2" not in member
    assert "111.000" in member and "222.000" not in member and "10/12/2020" not in member
    group = client.get(_pages(handover)["group"] + date).content.decode()
    assert "15/06/2020" in group and "15/11/2020" not in group
    assert "01/07/2020" not in group  # the handover is after the day shown
    staff = as_user("staff")
    loan = staff.get(_pages(handover)["before"] + "?date=20/01/2020").content.decode()
    assert "20/01/2020" in loan and "20/02/2020" not in loan  # bills to the day, not after
    assert staff.get(_pages(handover)["after"] + date).status_code == 404  # not yet disbursed


# -- 4. CSS injection into the collection-sheet PDF ----------------------------------------------
class _Listener(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):
        _Listener.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    _Listener.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_name_never_reaches_the_pdf_css_nor_makes_the_server_fetch(listener, staff, hnd, as_user):
    port = listener.server_address[1]
    # a new line ends a CSS string: what follows it would be read as rules
    hostile = f"X\n}}}}html{{background:url(http://127.0.0.1:{port}/x)}}"
    # the services refuse such a name now: it stands for a row written before they did
    commune = commune_create(code="XN", name="Xuân Ninh", transaction_day=20, acting_user=staff)
    type(commune).objects.filter(pk=commune.pk).update(name=hostile)
    group_create(
        code="XN-01", name=f"Tổ <img src=http://127.0.0.1:{port}/z>", commune=commune, association=hnd,
        founded_on=date(2015, 1, 1), acting_user=staff,
    )  # fmt: skip
    response = as_user("staff").get(reverse("transaction_day_pdf", args=["XN", "2020-03-20"]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert _Listener.hits == []


def test_the_pdf_fetcher_serves_static_files_and_refuses_everything_else(listener):
    from weasyprint.urls import URLFetchingError, fetch

    from vbsp_district.core.pdf import BASE_URL, StaticFilesFetcher

    fetcher = StaticFilesFetcher()
    with fetch(fetcher, BASE_URL + "static/css/app.css") as response:
        assert b"{" in response.read()
    port = listener.server_address[1]
    for url in (
        f"http://127.0.0.1:{port}/x",
        "file:///etc/passwd",
        BASE_URL + "static/../../vbsp_district/settings/base.py",
        BASE_URL + "login/",
    ):
        with pytest.raises(URLFetchingError):
            with fetch(fetcher, url):
                pass
    assert _Listener.hits == []


# -- 5, 6. workbooks that would eat the server, and damaged sheets -----------------------------------
def _with_sheet_xml(path, xml: bytes, *, compresslevel=9):
    """Replace the first sheet's XML of a workbook written by openpyxl."""
    source = zipfile.ZipFile(path)
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as target:
        for info in source.infolist():
            data = xml if info.filename == "xl/worksheets/sheet1.xml" else source.read(info.filename)
            target.writestr(info.filename, data)
    path.write_bytes(out.getvalue())
    return path


SHEET_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>'
SHEET_OPEN = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_CLOSE = b"</sheetData></worksheet>"
HEADER_ROW = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c>'
    b'<c r="C1" t="inlineStr"><is><t>kind</t></is></c><c r="D1" t="inlineStr"><is><t>transaction_day</t></is></c></row>'
)


def test_a_whitespace_bomb_is_refused_before_it_is_read(tmp_path, staff):
    padding = b" " * (32 * 1024 * 1024)  # 32 MB of nothing compresses to about 32 KB
    xml = SHEET_HEAD + SHEET_OPEN + HEADER_ROW + padding + SHEET_CLOSE
    path = _with_sheet_xml(xlsx(tmp_path / "bomb.xlsx", {"Communes": [header("Communes")]}), xml)
    assert path.stat().st_size < 200_000
    before = row_counts()
    with pytest.raises(WorkbookUnreadable, match="Không nhập trang Communes: giải nén ra 32 MB hoặc nén bất thường"):
        workbook_import(path, acting_user=staff)
    assert row_counts() == before


def test_a_sheet_over_the_size_bound_is_refused(tmp_path, staff, monkeypatch):
    from lending.workbook import reader

    monkeypatch.setattr(reader, "MAX_PART_BYTES", 60_000)
    rows = [header("Communes")] + [[f"C{i:04d}", f"Xã {i}", "xa", 20] for i in range(1000)]
    with pytest.raises(WorkbookUnreadable, match="Không nhập trang Communes"):
        workbook_import(xlsx(tmp_path / "big.xlsx", {"Communes": rows}), acting_user=staff)


def test_a_sheet_claiming_columns_to_xfd_is_read_quickly_and_listed_briefly(tmp_path, as_user, book):
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>C%d</t></is></c><c r="XFD%d"><v>1</v></c></row>' % (n, n, n, n)
        for n in range(2, 10_002)
    )
    xml = SHEET_HEAD + SHEET_OPEN + HEADER_ROW + rows + SHEET_CLOSE
    path = _with_sheet_xml(xlsx(tmp_path / "wide.xlsx", {"Communes": [header("Communes")]}), xml)
    client = as_user("manager")
    before = row_counts()
    upload = SimpleUploadedFile("wide.xlsx", path.read_bytes())
    response = imported(client, upload)
    assert response.status_code == 200
    page = response.content.decode()
    # three missing values on each of 10,000 rows; the cell at XFD is never read
    assert "Không nhập được: 30.000 lỗi; chưa ghi dữ liệu nào." in page
    assert "Dưới đây là 200 lỗi đầu tiên" in page
    assert page.count("<code>Communes!") == 200
    assert len(page) < 200_000
    assert row_counts() == before


DAMAGED = "Không đọc được trang Communes của tệp bad.xlsx: trang bị hỏng hoặc không đúng định dạng Excel."
# what Excel never writes into a sheet is refused on the form, before the file is queued
NOT_EXCEL = (
    "Không nhập trang Communes: có nội dung Excel không ghi (chú thích, khai báo XML hoặc đoạn chữ dài "
    "quá 1 MB); hãy mở bằng Excel và lưu lại thành .xlsx."
)


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (SHEET_HEAD + SHEET_OPEN + HEADER_ROW + b'<row r="2"><c r="A2" t="inlineStr"><is><t>C1', DAMAGED),
        (
            SHEET_HEAD
            + b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">'
            + b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
            + SHEET_OPEN
            + b'<row r="1"><c r="A1" t="inlineStr"><is><t>&c;</t></is></c></row>'
            + SHEET_CLOSE,
            NOT_EXCEL,
        ),
        (
            SHEET_HEAD
            + b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            + SHEET_OPEN
            + b'<row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row>'
            + SHEET_CLOSE,
            NOT_EXCEL,
        ),
        (SHEET_HEAD + SHEET_OPEN + HEADER_ROW + b"<!-- a comment -->" + SHEET_CLOSE, NOT_EXCEL),
        (
            SHEET_HEAD
            + SHEET_OPEN
            + b'<row r="1"><c r="A1" t="inlineStr"><is><t>'
            + bytes(random.Random(1).choices(b"abcdefghijklmnopqrstuvwxyz ", k=2 * 1024 * 1024))
            + b"</t></is></c></row>"
            + SHEET_CLOSE,
            NOT_EXCEL,
        ),
    ],
    ids=["truncated", "entities", "external-entity", "comment", "long-text"],
)
def test_a_damaged_sheet_is_one_message_naming_it(tmp_path, xml, message, as_user, book):
    """A comment or a text of megabytes would hold the XML parser for hours (its time grows
    with the square of a token's length in the expat of Python 3.11.7)."""
    path = _with_sheet_xml(xlsx(tmp_path / "bad.xlsx", {"Communes": [header("Communes")]}), xml)
    before = row_counts()
    with pytest.raises(CommandError) as refused:  # manage.py prints it on one line, exit status 1
        call_command("import_workbook", str(path))
    assert str(refused.value) == message
    upload = SimpleUploadedFile("bad.xlsx", path.read_bytes())
    if message == DAMAGED:
        response = imported(as_user("manager"), upload)
    else:
        response = as_user("manager").post(reverse("workbook_import"), {"file": upload})
        assert not WorkbookImport.objects.exists()
    assert response.status_code == 200
    assert shows(response, message.split(":")[0])
    assert row_counts() == before


def test_an_empty_workbook_is_refused(tmp_path, staff, as_user, book):
    from lending.workbook import workbook_template

    template = tmp_path / "mau.xlsx"
    workbook_template(template)
    blank = xlsx(tmp_path / "blank.xlsx", {"Communes": [[" "], [None, "  "]]})
    for path in (template, blank):
        with pytest.raises(WorkbookUnreadable, match="không có dòng dữ liệu nào để nhập"):
            workbook_import(path, acting_user=staff)
        with pytest.raises(CommandError, match="không có dòng dữ liệu nào để nhập"):
            call_command("import_workbook", str(path))
    response = imported(as_user("manager"), SimpleUploadedFile("mau.xlsx", template.read_bytes()))
    assert shows(response, "Tệp mau.xlsx không có dòng dữ liệu nào để nhập")


# -- 7. formulas in exports --------------------------------------------------------------------
FORMULA = '=HYPERLINK("http://127.0.0.1/x","x")'


def test_a_name_like_a_formula_is_exported_as_text_and_imports_again(book, as_user, tmp_path):
    client = as_user("staff")
    response = client.post(
        reverse("member_register"),
        {"national_id": "044000000077", "full_name": FORMULA, "commune": book.quan_hau.pk},
    )
    assert response.status_code == 302
    assert Member.objects.get(national_id="044000000077").full_name == FORMULA
    path = tmp_path / "so.xlsx"
    workbook_export(path)
    with zipfile.ZipFile(path) as archive:
        assert all(b"<f>" not in archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))
    workbook = load_workbook(path)  # formulas kept as formulas, were there any
    names = [row[1].value for row in workbook["Members"].iter_rows(min_row=3)]
    assert FORMULA in names
    cell = next(row[1] for row in workbook["Members"].iter_rows(min_row=3) if row[1].value == FORMULA)
    assert cell.data_type == "s"
    members = workbook_read(path)["Members"]
    assert FORMULA in [row.data["full_name"] for row in members]


def test_the_import_command_says_one_line_and_exits_1_on_a_damaged_sheet(tmp_path):
    import subprocess
    import sys

    from django.conf import settings

    xml = SHEET_HEAD + SHEET_OPEN + HEADER_ROW + b'<row r="2"><c r="A2"'
    path = _with_sheet_xml(xlsx(tmp_path / "bad.xlsx", {"Communes": [header("Communes")]}), xml)
    done = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "import_workbook", str(path)],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "vbsp_district.settings.test"},
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "CommandError: Không đọc được trang Communes của tệp bad.xlsx: trang bị hỏng hoặc không đúng định dạng Excel."
    )


# -- found by a second attack: numbers, shared strings, cells, the export's lock ------------------
def test_a_huge_attendance_is_a_message_in_the_form_the_service_and_the_import(book, as_user, staff, tmp_path):
    from groups.services import meeting_record as record

    client = as_user("staff")
    before = row_counts()
    for attendees in ("99999999999999999999", "9223372036854775808", "3000000000", "10001"):
        response = client.post(
            reverse("meeting_record", args=["QH-01"]), {"held_on": "20/06/2020", "attendees": attendees}
        )
        assert response.status_code == 200, attendees
        assert shows(response, "Số người dự quá lớn (tối đa 10.000).") or shows(
            response, "Số người dự phải là số nguyên."
        )
    with pytest.raises(Exception, match="Số người dự quá lớn"):
        record(group=book.g1, held_on=date(2020, 6, 20), attendees=3_000_000_000, acting_user=staff)
    huge = xlsx(
        tmp_path / "huge.xlsx",
        {
            "Meetings": [header("Meetings"), ["QH-01", "22/06/2020", 10**20]],
            "Trainings": [header("Trainings"), ["22/06/2020", None, None, "Tổ trưởng", 10**20]],
        },
    )
    with pytest.raises(BatchRefused) as refused:  # read as cells: too large for any count
        workbook_import(huge, acting_user=staff)
    assert [str(i) for i in refused.value.issues] == [
        "Meetings!2 attendees: Giá trị 100000000000000000000 quá lớn.",
        "Trainings!2 trainees: Giá trị 100000000000000000000 quá lớn.",
    ]
    large = xlsx(
        tmp_path / "large.xlsx",
        {
            "Meetings": [header("Meetings"), ["QH-01", "23/06/2020", 20_000]],
            "Trainings": [header("Trainings"), ["23/06/2020", None, None, "x", 200_000]],
        },
    )
    with pytest.raises(BatchRefused) as refused:  # the services' own bounds, with their messages
        workbook_import(large, acting_user=staff)
    assert [str(i) for i in refused.value.issues] == [
        "Meetings!2 attendees: Số người dự quá lớn (tối đa 10.000).",
        "Trainings!2 trainees: Số học viên quá lớn (tối đa 100.000).",
    ]
    assert row_counts() == before


def test_a_shared_string_table_over_its_bound_is_refused(tmp_path, staff, monkeypatch):
    from lending.workbook import reader

    monkeypatch.setattr(reader, "MAX_SHARED_STRINGS_BYTES", 1000)
    path = tmp_path / "strings.xlsx"
    source = xlsx(tmp_path / "base.xlsx", {"Communes": [header("Communes")]})
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in original.infolist():
            target.writestr(info.filename, original.read(info.filename))
        items = b"".join(b"<si><t>abc</t></si>" for _ in range(200))
        target.writestr(
            "xl/sharedStrings.xml",
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + items + b"</sst>",
        )
    with pytest.raises(WorkbookUnreadable, match="bảng chuỗi dùng chung giải nén ra 0 MB"):
        workbook_import(path, acting_user=staff)


def test_a_shared_string_table_under_another_name_is_bounded_too(tmp_path, staff, monkeypatch):
    """openpyxl finds the shared strings through [Content_Types].xml, whatever the part's name."""
    from lending.workbook import reader

    monkeypatch.setattr(reader, "MAX_SHARED_STRINGS_BYTES", 1000)
    path = tmp_path / "strings.xlsx"
    source = xlsx(tmp_path / "base.xlsx", {"Communes": [header("Communes")]})
    override = (
        b'<Override PartName="/xl/strs.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", override)
            target.writestr(info.filename, data)
        items = b"".join(b"<si><t>abc</t></si>" for _ in range(200))
        target.writestr(
            "xl/strs.xml",
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + items + b"</sst>",
        )
    with pytest.raises(WorkbookUnreadable, match="bảng chuỗi dùng chung giải nén ra 0 MB"):
        workbook_import(path, acting_user=staff)


@pytest.mark.parametrize("how", ["encrypted", "deflate64", "no-workbook"])
def test_what_excel_never_writes_is_refused_on_the_form(tmp_path, how, as_user, book):
    """An encrypted part, a compression zipfile cannot read (a 500 before), a zip of
    something else: each refused at once on the form with a message, nothing queued."""
    source = xlsx(tmp_path / "base.xlsx", {"Communes": [header("Communes"), ["QX", "Xã X", "xa", 20]]})
    out = BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in original.infolist():
            if how == "no-workbook" and info.filename == "xl/workbook.xml":
                continue
            target.writestr(info.filename, original.read(info.filename))
    content = bytearray(out.getvalue())
    if how != "no-workbook":
        # patch the central directory entry of xl/workbook.xml: its flag bits or compression method
        entry = content.rfind(b"PK\x01\x02", 0, content.find(b"xl/workbook.xml", content.find(b"PK\x01\x02")))
        if how == "encrypted":
            content[entry + 8] |= 0x1
        else:
            content[entry + 10 : entry + 12] = (9).to_bytes(2, "little")
    before = row_counts()
    response = as_user("manager").post(
        reverse("workbook_import"), {"file": SimpleUploadedFile("x.xlsx", bytes(content))}
    )
    assert response.status_code == 200
    expected = (
        "phải là tệp Excel .xlsx" if how == "no-workbook" else "tệp bị đặt mật khẩu hoặc nén không theo cách Excel ghi"
    )
    assert expected in text_of_response(response)
    assert not WorkbookImport.objects.exists()
    assert row_counts() == before


def text_of_response(response) -> str:
    from tests.support.pages import text_of

    return text_of(response)


def test_a_sheet_of_too_many_cells_is_refused_before_it_is_parsed(tmp_path, staff, monkeypatch):
    from lending.workbook import reader

    monkeypatch.setattr(reader, "MAX_CELLS", 1000)
    rows = [header("Communes")] + [[f"C{i:04d}", f"Xã {i}", "xa", 20] for i in range(300)]
    with pytest.raises(WorkbookUnreadable, match=r"Không nhập trang Communes: có 1\.\d{3} ô \(tối đa 1\.000\)"):
        workbook_import(xlsx(tmp_path / "cells.xlsx", {"Communes": rows}), acting_user=staff)


def test_a_damaged_part_that_is_not_a_sheet_is_named(tmp_path, staff):
    source = xlsx(tmp_path / "base.xlsx", {"Communes": [header("Communes"), ["QX", "Xã X", "xa", 20]]})
    path = tmp_path / "styles.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in original.infolist():
            data = b"<styleSheet><broken" if info.filename == "xl/styles.xml" else original.read(info.filename)
            target.writestr(info.filename, data)
    with pytest.raises(WorkbookUnreadable, match="Không đọc được tệp styles.xlsx: phần xl/styles.xml bị hỏng."):
        workbook_import(path, acting_user=staff)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_export_reads_one_snapshot_that_blocks_no_writer(tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        workbook_export(tmp_path / "so.xlsx")
    sqls = [q["sql"] for q in queries.captured_queries]
    if connection.vendor == "sqlite":
        # WAL mode and a DEFERRED read: the export holds no write lock while it runs
        assert "BEGIN DEFERRED" in sqls and not any("IMMEDIATE" in sql for sql in sqls)
    else:
        assert any("REPEATABLE READ READ ONLY" in sql for sql in sqls)
