"""The reports page and downloads for every role (an officer gets their association's
version alone, by URL or by parameter), and `manage.py quarterly_report`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from lending.services import period_close
from reports.models import IssuedReport
from tests.reports.test_issued import closed_without_its_reports

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(client, version, kind="xlsx", quarter="2020Q1", query=""):
    return client.get(reverse("report_download", args=[quarter, version, kind]) + query)


def test_the_manager_downloads_every_version(card_book, as_user):
    client = as_user("manager")
    page = client.get(reverse("report_list")).content.decode()
    for name in ("Phòng giao dịch", "Hội Nông dân", "Hội Liên hiệp Phụ nữ", "Quý 1/2020"):
        assert name in page
    for version in ("office", "HND", "HPN"):
        response = download(client, version)
        assert response.status_code == 200 and response["Content-Type"] == XLSX
        assert response["Content-Disposition"] == f'attachment; filename="bao-cao-quy-2020Q1-{version}.xlsx"'
    response = download(client, "office", "pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_staff_get_the_offices_report_alone(card_book, as_user):
    client = as_user("staff")
    assert download(client, "office").status_code == 200
    assert download(client, "HND").status_code == 404
    assert "Hội Nông dân" not in client.get(reverse("report_list")).content.decode()


def test_an_officer_gets_their_associations_version_alone(card_book, as_user):
    client = as_user("officer_hnd")
    page = client.get(reverse("report_list")).content.decode()
    assert reverse("report_download", args=["2020Q1", "HND", "xlsx"]) in page
    assert "/HPN." not in page and "/office." not in page
    assert download(client, "HND").status_code == 200
    for version in ("HPN", "office", "CCB", "hnd", "XX"):
        assert download(client, version).status_code == 404, version
        assert download(client, version, "pdf").status_code == 404, version
    # a parameter does not choose another association: the URL's version is the one written
    response = download(client, "HND", query="?association=HPN&association_id=2")
    assert response["Content-Disposition"].endswith('-HND.xlsx"')


def test_a_commune_officer_downloads_nothing(card_book, as_user):
    client = as_user("commune_officer")
    assert "tổ chức hội" in client.get(reverse("report_list")).content.decode()
    for version in ("HPN", "office"):
        assert download(client, version).status_code == 404


@pytest.mark.parametrize("quarter,kind", [("2020Q5", "xlsx"), ("2020-03", "xlsx"), ("x", "pdf"), ("2020Q1", "doc")])
def test_what_is_not_a_report(card_book, as_user, quarter, kind):
    assert download(as_user("manager"), "office", kind, quarter).status_code == 404


@pytest.mark.parametrize("quarter", ["1900Q1", "1901Q3"])
def test_the_first_quarters_the_book_takes(card_book, as_user, quarter):
    # their 24-month trend reaches back before 1900: months with nothing in them
    client = as_user("manager")
    assert download(client, "office", "pdf", quarter).content.startswith(b"%PDF")
    assert download(client, "HND", "xlsx", quarter).status_code == 200


def test_a_closed_quarter_downloads_its_issued_report(card_book, as_user, manager):
    period_close(year=2020, quarter=1, acting_user=manager)
    client = as_user("officer_hnd")
    first, second = download(client, "HND"), download(client, "HND")
    assert first.status_code == second.status_code == 200
    assert IssuedReport.objects.count() == 5  # issued at the closing, not by the downloads
    issued = IssuedReport.objects.get(association__code="HND")
    assert issued.sha256[:12] in client.get(reverse("report_list")).content.decode()


def test_a_manager_issues_a_quarter_closed_before_its_reports(card_book, as_user, manager):
    closed_without_its_reports(manager)
    client = as_user("manager")
    refused = download(client, "office")
    assert refused.status_code == 409 and "chưa được phát hành" in refused.content.decode()
    issue = reverse("report_issue", args=["2020Q1"])
    assert issue in client.get(reverse("report_list")).content.decode()
    assert client.get(issue).status_code == 200 and not IssuedReport.objects.exists()
    assert client.post(issue).status_code == 302
    assert IssuedReport.objects.count() == 5 and download(client, "office").status_code == 200
    assert as_user("staff").post(issue).status_code == 403


def test_the_command_writes_both_files(card_book, tmp_path):
    out = StringIO()
    xlsx, pdf = tmp_path / "q1.xlsx", tmp_path / "q1.pdf"
    call_command("quarterly_report", "2020Q1", xlsx=str(xlsx), pdf=str(pdf), association="HPN", stdout=out)
    assert xlsx.read_bytes()[:2] == b"PK" and pdf.read_bytes()[:4] == b"%PDF"
    assert "tạm tính" in out.getvalue()


@pytest.mark.parametrize(
    "args,options",
    [
        (["2020Q5"], {"xlsx": "x.xlsx"}),
        (["2020-03"], {"xlsx": "x.xlsx"}),
        (["2020Q1"], {"xlsx": "x.xlsx", "association": "XYZ"}),
        (["2020Q1"], {}),
    ],
)
def test_the_command_refuses_bad_arguments_with_status_2(card_book, args, options):
    with pytest.raises(CommandError) as refused:
        call_command("quarterly_report", *args, **options, stdout=StringIO())
    assert refused.value.returncode == 2 and "\n" not in str(refused.value)
