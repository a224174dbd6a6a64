"""Issued quarterly reports: provisional while the quarter is open; issued once closed (time,
user, hash, audit event) and the same figures and hash at every later export; a back-dated
posting refused keeps them so; figures changed behind the app's back stop the export."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from lending.models import LoanTransaction
from lending.services import period_close, repayment_post
from reporting.periods import Period
from reports.models import IssuedReport
from reports.quarterly import Version, canonical, figures_hash
from reports.services import NotIssued, ReportChanged, issue_on_close, quarterly_report
from vbsp_district.core.signals import quarter_closed
from vbsp_district.models import AuditEvent

pytestmark = pytest.mark.django_db

Q1 = Period.quarter(2020, 1)


def test_an_open_quarter_gives_a_provisional_report(card_book, hpn):
    report = quarterly_report(Version(Q1, hpn))
    assert report.meta.provisional and report.issued is None and report.meta.sha256 is None
    assert report.figures["report"]["portfolio"]["entrusted_outstanding"] == 24_000_000  # HPN-1 6M + HPN-2 18M
    assert report.figures["association"] == "HPN"
    assert not IssuedReport.objects.exists()


def test_a_closed_quarter_is_issued_with_its_closing_and_kept(card_book, manager, staff):
    period_close(year=2020, quarter=1, acting_user=manager)
    # the office's and every association's, in the closing's transaction
    codes = sorted(IssuedReport.objects.values_list("association__code", flat=True), key=str)
    assert codes == ["CCB", "DTN", "HND", "HPN", None]
    first = quarterly_report(Version(Q1), acting_user=staff)
    assert not first.meta.provisional
    issued = IssuedReport.objects.get(association=None)
    assert (issued.quarter, issued.issued_by) == ("2020Q1", manager)
    assert issued.sha256 == figures_hash(first.figures) == first.meta.sha256
    assert json.loads(issued.figures) == first.figures and issued.figures.encode() == canonical(first.figures)
    assert AuditEvent.objects.filter(action="report.issue", object_key="2020Q1-district").count() == 1
    assert first.figures["report"]["portfolio"]["outstanding"] == 66_000_000

    # a back-dated posting into the closed quarter is refused, and the report stays the same
    with pytest.raises(ValidationError, match="đã khóa sổ"):
        repayment_post(loan=card_book.hnd1, amount=1_000_000, value_date=date(2020, 3, 20), acting_user=staff)
    again = quarterly_report(Version(Q1), acting_user=staff)
    assert again.figures == first.figures and again.meta.sha256 == issued.sha256
    assert again.meta.issued_by == (manager.get_full_name() or manager.username)
    assert IssuedReport.objects.count() == 5  # exporting again issues nothing new


def closed_without_its_reports(manager):
    """Q1 closed while its reports could not be issued (as a quarter closed before they existed)."""
    quarter_closed.disconnect(dispatch_uid="reports.issue_on_close")
    try:
        period_close(year=2020, quarter=1, acting_user=manager)
    finally:
        quarter_closed.connect(issue_on_close, dispatch_uid="reports.issue_on_close")


def test_a_quarter_closed_before_its_reports_is_issued_on_demand(card_book, manager, hnd):
    closed_without_its_reports(manager)
    with pytest.raises(NotIssued, match="chưa được phát hành"):
        quarterly_report(Version(Q1, hnd))
    assert not IssuedReport.objects.exists()  # an export never issues by itself
    report = quarterly_report(Version(Q1, hnd), acting_user=manager, issue=True)
    assert IssuedReport.objects.get().sha256 == report.meta.sha256


def test_figures_changed_behind_the_apps_back_stop_the_export(card_book, manager):
    period_close(year=2020, quarter=1, acting_user=manager)
    quarterly_report(Version(Q1), acting_user=manager)
    # a row written outside the services (a shell): the closed quarter's figures move
    LoanTransaction.objects.create(
        loan=card_book.hnd1, kind=LoanTransaction.Kind.PRINCIPAL, amount=500_000, value_date=date(2020, 3, 20)
    )
    with pytest.raises(ReportChanged, match="khác với báo cáo đã phát hành"):
        quarterly_report(Version(Q1), acting_user=manager)


def test_a_quarter_not_begun_has_no_report(card_book):
    with pytest.raises(ValidationError):
        quarterly_report(Version(Period.quarter(2999, 1)))


def test_the_reports_figures_are_the_district_reports_and_the_apis(card_book, as_user, hpn):
    """The workbook and the PDF write `report`: `district_report`'s JSON for the quarter
    (the office's), the report API's for an officer of the association (theirs)."""
    out = StringIO()
    call_command(
        "district_report", "--as-of", "2020-03-31", "--period", "2020Q1", "--by-group", "--format", "json", stdout=out
    )
    assert quarterly_report(Version(Q1)).figures["report"] == json.loads(out.getvalue())
    api = as_user("officer_hpn").get("/api/v1/report?as_of=2020-03-31&period=2020Q1&by_group=1").json()
    assert quarterly_report(Version(Q1, hpn)).figures["report"] == api
