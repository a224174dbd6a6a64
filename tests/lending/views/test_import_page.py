"""The workbook import page: every row error listed, all or nothing, the counts shown."""

import re
from datetime import date, timedelta
from html import unescape
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from groups.models import Commune, Member
from lending.models import Loan, WorkbookImport
from lending.services.batch import SHEETS, BatchRefused
from lending.workbook import workbook_import
from lending.workbook.jobs import INTERRUPTED, run_import
from tests.support.book import outstanding, row_counts
from tests.support.pages import imported, run_worker, same_queries, shows, signed_in, text_of
from vbsp_district.models import AuditEvent

pytestmark = pytest.mark.django_db

IMPORT = reverse("workbook_import")
TEMPLATE = reverse("workbook_template_download")

HEADERS = {
    "Communes": ["code", "name", "kind", "transaction_day"],
    "Groups": ["code", "name", "commune_code", "association_code", "village", "leader_name", "founded_on"],
    "Members": ["national_id", "full_name", "gender", "birth_year", "commune_code"],
    "Memberships": ["national_id", "group_code", "joined_on"],
    "Loans": ["loan_no", "national_id", "program_code", "channel", "disbursed_on", "amount"],
    "Installments": ["loan_no", "due_on", "principal"],
    "Transactions": ["loan_no", "value_date", "kind", "amount", "reference"],
    "Savings": ["national_id", "value_date", "kind", "amount"],
}


def xlsx(name: str, sheets: dict[str, list[list]]) -> SimpleUploadedFile:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        worksheet = workbook.create_sheet(title)
        worksheet.append(HEADERS.get(title, []))
        for row in rows:
            worksheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def good_book(members: int = 1) -> dict[str, list[list]]:
    """A commune, a group, `members` borrowers with a 12.000.000 đ loan each, interest and savings."""
    nids = [f"0440000100{i:02d}" for i in range(members)]
    return {
        "Communes": [["C1", "An Ninh", "xa", 20]],
        "Groups": [["G1", "Tổ 1", "C1", "HND", "Thôn 1", "Lê Văn Bình", date(2015, 1, 1)]],
        "Members": [[nid, f"Hộ {i}", "nu", 1980, "C1"] for i, nid in enumerate(nids)],
        "Memberships": [[nid, "G1", date(2015, 1, 1)] for nid in nids],
        "Loans": [[f"L{i}", nid, "01", "entrusted", date(2020, 1, 10), 12_000_000] for i, nid in enumerate(nids)],
        "Installments": [[f"L{i}", date(2022, 1, 10), 12_000_000] for i in range(members)],
        "Transactions": [[f"L{i}", date(2020, 1, 20), "interest", 22_000, f"PT-{i}"] for i in range(members)],
        "Savings": [[nid, date(2020, 1, 20), "deposit", "500.000"] for nid in nids],
    }


def bad_book(members: int = 1) -> dict[str, list[list]]:
    """The good book with wrong cells in four sheets, among right rows."""
    book = good_book(members)
    book["Communes"].append(["C2", "Vạn Ninh", "huyen", 20])
    book["Members"].append(["12345", "Hộ sai", "nu", 1980, "C1"])
    book["Loans"][0][5] = "12.5"
    book["Savings"].append([book["Members"][0][0], "31/02/2020", "rut", 100_000])
    return book


def issue_rows(response) -> list[str]:
    """The error table's rows as `Sheet!row column: message`."""
    table = re.search(r'id="import-errors".*?<tbody>(.*?)</tbody>', response.content.decode(), re.S).group(1)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        where, message = (re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row))
        rows.append(unescape(f"{where}: {message}"))
    return rows


def expected_issues(sheets) -> list[str]:
    """What the import itself reports for the workbook (the command prints the same lines)."""
    with pytest.raises(BatchRefused) as refused:
        workbook_import(xlsx("x.xlsx", sheets), acting_user=None)
    return [str(issue) for issue in refused.value.issues]


def test_a_bad_workbook_lists_every_error_and_writes_nothing(client, manager):
    signed_in(client, manager)
    before = row_counts()
    response = imported(client, xlsx("so-sai.xlsx", bad_book()))
    assert response.status_code == 200
    assert response.context["job"].status == "refused"
    lines = issue_rows(response)
    assert lines == expected_issues(bad_book())
    assert [line.split(":")[0] for line in lines] == [
        "Communes!3 kind",
        "Members!3 national_id",
        "Loans!2 amount",
        "Savings!3 value_date",
        "Savings!3 kind",
    ]
    assert "Members!3 national_id: Số CCCD/CMND phải gồm 9 hoặc 12 chữ số." in lines
    assert shows(response, f"Không nhập được: {len(lines)} lỗi; chưa ghi dữ liệu nào.")
    assert row_counts() == before


def test_rule_errors_are_listed_once_the_cells_are_right(client, manager):
    signed_in(client, manager)
    book = good_book(2)
    book["Savings"].append([book["Members"][0][0], date(2020, 2, 20), "withdrawal", 900_000])
    book["Transactions"].append(["L1", date(2020, 1, 5), "principal", 1_000_000, None])
    before = row_counts()
    response = imported(client, xlsx("so.xlsx", book))
    lines = issue_rows(response)
    assert lines == expected_issues(book)
    assert [line.split(" ")[0] for line in lines] == ["Transactions!4", "Savings!4"]
    assert row_counts() == before


def test_a_clean_workbook_is_imported_whole_with_the_counts(client, manager):
    signed_in(client, manager)
    response = client.post(IMPORT, {"file": xlsx("so-dung.xlsx", good_book(2))})
    assert response.status_code == 302
    job = WorkbookImport.objects.get()
    assert response["Location"] == reverse("workbook_import_job", args=[job.pk])
    # queued: nothing written yet; the page says so and asks again by itself
    assert not Commune.objects.filter(code="C1").exists()
    page = client.get(response["Location"])
    assert shows(page, "Đã tải lên tệp so-dung.xlsx.")
    assert shows(page, "Đang chờ đến lượt nhập.")
    assert f'hx-get="{job.get_absolute_url()}?part=status" hx-trigger="every 2s"' in page.content.decode()
    run_worker()
    page = client.get(response["Location"])
    assert shows(page, "Đã nhập tệp so-dung.xlsx: 14 bản ghi")
    assert page.context["job"].counts == [
        ["Communes", 1],
        ["Groups", 1],
        ["Members", 2],
        ["Memberships", 2],
        ["Loans", 2],
        ["Installments", 2],
        ["Transactions", 2],
        ["Savings", 2],
    ]
    assert "Savings 2" in text_of(page)
    assert "hx-trigger" not in page.content.decode()  # done: no more asking
    job.refresh_from_db()
    assert (job.status, job.file_name, job.size, job.uploaded_by) == ("done", "so-dung.xlsx", len(job.content), manager)
    assert job.started_at <= job.finished_at
    assert Commune.objects.get(code="C1").transaction_day == 20
    assert Member.objects.filter(national_id__startswith="04400001000").count() == 2
    loan = Loan.objects.get(loan_no="L1")
    assert outstanding(loan, date(2020, 1, 10)) == 12_000_000
    assert AuditEvent.objects.filter(action="portfolio.write", object_key="workbook:so-dung.xlsx").count() == 1
    # the import page lists it
    listed = client.get(IMPORT)
    assert f"so-dung.xlsx {timezone.localtime(job.uploaded_at):%d/%m/%Y %H:%M} quanly đã nhập 14" in text_of(listed)
    # the same rows again (another file) double nothing: every key already exists
    before = row_counts()
    again = good_book(2)
    again["Communes"][0][1] = "An Ninh "  # other bytes, the same keys
    response = imported(client, xlsx("so-dung-2.xlsx", again))
    assert response.context["job"].status == "refused"
    assert any(line.startswith("Communes!2 code: ") for line in issue_rows(response))
    assert row_counts() == before


def test_the_same_file_twice_while_waiting_is_queued_once(client, manager):
    signed_in(client, manager)
    content = xlsx("so.xlsx", good_book()).read()  # the same bytes each time (a workbook saved again differs)
    first = client.post(IMPORT, {"file": SimpleUploadedFile("so.xlsx", content)})
    second = client.post(IMPORT, {"file": SimpleUploadedFile("so.xlsx", content)})
    assert first["Location"] == second["Location"]
    assert shows(client.get(second["Location"]), "Tệp so.xlsx này đang được nhập; không nhập lần nữa.")
    assert WorkbookImport.objects.count() == 1
    run_worker()
    assert WorkbookImport.objects.get().status == "done"
    # once done, the same file is not imported again: its job is shown
    response = client.post(IMPORT, {"file": SimpleUploadedFile("so.xlsx", content)})
    assert response["Location"] == first["Location"]
    page = client.get(response["Location"])
    assert shows(page, "Tệp này (giống hệt tệp so.xlsx) đã được nhập lúc")
    assert WorkbookImport.objects.count() == 1


def test_a_file_without_keys_is_never_imported_twice(client, manager):
    """Savings rows have no key of their own: the same file twice would post them twice."""
    signed_in(client, manager)
    book = good_book()
    first = imported(client, xlsx("so.xlsx", book))
    assert first.context["job"].status == "done"
    savings = {"Savings": [[book["Members"][0][0], date(2020, 2, 20), "deposit", "300.000"]]}
    content = xlsx("gui-them.xlsx", savings).read()
    assert imported(client, SimpleUploadedFile("gui-them.xlsx", content)).context["job"].status == "done"
    before = row_counts()
    again = imported(client, SimpleUploadedFile("gui-them-lan-2.xlsx", content))
    assert again.context["job"].file_name == "gui-them.xlsx"
    assert shows(again, "Tệp này (giống hệt tệp gui-them.xlsx) đã được nhập lúc")
    assert row_counts() == before


def test_a_job_whose_worker_died_shows_interrupted_and_is_marked_failed(client, manager):
    signed_in(client, manager)
    response = client.post(IMPORT, {"file": xlsx("so.xlsx", good_book())})
    job = WorkbookImport.objects.get()
    # what a worker killed mid-import leaves: RUNNING, its process gone, nothing written
    dead_pid = 2**22 + 1  # above Linux's pid_max: no such process
    WorkbookImport.objects.filter(pk=job.pk).update(
        status="running", worker_pid=dead_pid, started_at=timezone.now() - timedelta(minutes=5)
    )
    page = client.get(response["Location"])
    assert shows(page, "Bị gián đoạn: tiến trình nhập đã dừng giữa chừng")
    assert "hx-trigger" not in page.content.decode()
    assert "bị gián đoạn" in text_of(client.get(IMPORT))
    # the next import marks it failed for good, and the file imports when sent again
    again = imported(client, xlsx("so.xlsx", good_book()))
    job.refresh_from_db()
    assert (job.status, job.message) == ("failed", INTERRUPTED)
    assert again.context["job"].status == "done"


def test_an_unexpected_error_is_a_failed_job_with_nothing_written(client, manager, monkeypatch):
    signed_in(client, manager)
    before = row_counts()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("lending.workbook.jobs.workbook_import", broken)
    page = imported(client, xlsx("so.xlsx", good_book()))
    assert page.context["job"].status == "failed"
    assert shows(page, "Lỗi hệ thống khi nhập tệp")
    assert "disk full" not in page.content.decode()
    assert row_counts() == before


def test_files_that_are_not_workbooks(client, manager):
    signed_in(client, manager)
    response = client.post(IMPORT, {"file": SimpleUploadedFile("so.csv", b"code,name\n")})
    assert shows(response, "Chỉ nhận tệp Excel .xlsx theo mẫu.")
    response = client.post(IMPORT, {"file": SimpleUploadedFile("so.xlsx", b"not a zip")})
    assert shows(response, "Không đọc được tệp so.xlsx: phải là tệp Excel .xlsx.")
    assert not WorkbookImport.objects.exists()  # refused on the form, never queued
    response = client.post(IMPORT, {})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_only_managers_import(client, staff, officer_hnd, manager):
    before = row_counts()
    for user in (staff, officer_hnd):
        signed_in(client, user)
        assert client.get(IMPORT).status_code == 403
        assert client.post(IMPORT, {"file": xlsx("so.xlsx", good_book())}).status_code == 403
    assert row_counts() == before
    signed_in(client, manager)
    job = client.post(IMPORT, {"file": xlsx("so.xlsx", good_book())})["Location"]
    for user in (staff, officer_hnd):
        signed_in(client, user)
        assert client.get(job).status_code == 403
        assert client.get(job + "?part=status").status_code == 403


def test_the_blank_template_downloads(client, staff, manager, officer_hnd):
    for user in (staff, manager):
        response = signed_in(client, user).get(TEMPLATE)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert response["Content-Disposition"] == 'attachment; filename="mau-so-cho-vay.xlsx"'
        workbook = load_workbook(BytesIO(response.content), read_only=True)
        assert workbook.sheetnames == SHEETS
        first = next(workbook["Loans"].iter_rows(max_row=1, values_only=True))
        assert first[:2] == ("loan_no", "national_id")
    assert signed_in(client, officer_hnd).get(TEMPLATE).status_code == 403


def test_import_page_queries(client, manager, django_assert_max_num_queries):
    signed_in(client, manager)
    small = {"Communes": [["C9", "Xã", "xa", 99]]}
    large = {"Communes": [[f"C{i}", "Xã", "xa", 99] for i in range(40)]}
    # queueing a workbook: the same queries whatever it holds (PostgreSQL: and its lock)
    postgres = connection.vendor == "postgresql"
    same_queries(
        django_assert_max_num_queries,
        11 + postgres,
        lambda: client.post(IMPORT, {"file": xlsx("a.xlsx", small)}),
        lambda: client.post(IMPORT, {"file": xlsx("b.xlsx", large)}),
    )
    # a refused workbook: the batch loads what its rows refer to in a fixed number of queries
    jobs = list(WorkbookImport.objects.order_by("pk"))
    same_queries(
        django_assert_max_num_queries,
        22 + postgres,
        lambda: run_import.call(jobs[0].pk),
        lambda: run_import.call(jobs[1].pk),
    )
    # the list of the last imports and a refused job's page with its errors
    same_queries(django_assert_max_num_queries, 4, lambda: client.get(IMPORT))
    same_queries(
        django_assert_max_num_queries,
        4,
        lambda: client.get(jobs[0].get_absolute_url()),
        lambda: client.get(jobs[1].get_absolute_url()),
        lambda: client.get(jobs[1].get_absolute_url() + "?part=status"),
    )
