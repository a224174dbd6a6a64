"""The quarterly report of a version (the office's, or one association's): its figures and
heading facts, issued and kept once the quarter is closed.

- A quarter not closed: the figures are computed now, and every page and sheet says
  "Số liệu tạm tính".
- A closed quarter: its reports (the office's and each association's) are issued when
  the manager closes it, in the same transaction (their figures as canonical JSON, their
  hash, the time and the user, an audit event each); every export writes the figures
  kept. A quarter closed before its reports could be issued gets them from a manager's
  "Phát hành" (or the `quarterly_report` command); until then an export is refused: a
  page opened with GET never writes. Each export also computes the figures again: a closed quarter's figures
  never change (every write that would change them is refused), so a difference means the
  book was changed behind the app's back, and the export is refused rather than sent out
  with other figures than the issued ones.
"""

import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from lending.models import ClosedPeriod
from vbsp_district.core.audit import audit_record
from vbsp_district.core.errors import refuse

from .models import IssuedReport
from .quarterly import Meta, Version, build, canonical, figures_hash


class ReportChanged(Exception):
    """A closed quarter's figures are no longer those of its issued report."""


class NotIssued(Exception):
    """A closed quarter whose report has not been issued yet."""


@dataclass
class QuarterlyReport:
    version: Version
    figures: dict
    meta: Meta
    issued: IssuedReport | None = None


def _closed(version: Version) -> ClosedPeriod | None:
    return ClosedPeriod.objects.filter(start=version.quarter.start, reopened_at__isnull=True).first()


def _meta(version: Version, *, provisional: bool, issued: IssuedReport | None = None) -> Meta:
    association = version.association
    return Meta(
        quarter=version.quarter,
        association_code=None if association is None else association.code,
        association_name=None if association is None else association.name,
        provisional=provisional,
        made_on=timezone.localdate(issued.issued_at) if issued else timezone.localdate(),
        issued_at=issued.issued_at if issued else None,
        issued_by=_name(issued.issued_by) if issued else None,
        sha256=issued.sha256 if issued else None,
    )


def _name(user) -> str:
    if user is None:
        return "lệnh quarterly_report"
    return user.get_full_name() or user.username


def quarterly_report(version: Version, *, acting_user=None, issue: bool = False) -> QuarterlyReport:
    """The version's report: provisional for a quarter not closed, else the issued one
    (with `issue`, issued now by `acting_user` if it was not; else NotIssued)."""
    if version.quarter.start > timezone.localdate():
        refuse("quarter", f"Quý {version.quarter.label} chưa bắt đầu.")
    figures = build(version)
    closed = _closed(version)
    if closed is None:
        return QuarterlyReport(version, figures, _meta(version, provisional=True))
    text = canonical(figures).decode()
    digest = figures_hash(figures)
    issued = IssuedReport.objects.filter(closed_period=closed, association=version.association).first()
    if issued is None:
        if not issue:
            raise NotIssued(
                f"Quý {version.quarter.label} đã khóa sổ nhưng báo cáo chưa được phát hành: "
                "lãnh đạo phòng giao dịch bấm “Phát hành” trên trang Báo cáo quý."
            )
        issued = _issue(version, closed, text, digest, acting_user)
    kept = json.loads(issued.figures)
    if canonical(book_part(kept)) != canonical(book_part(figures)):
        raise ReportChanged(
            f"Số liệu quý {version.quarter.label} hiện nay khác với báo cáo đã phát hành ngày "
            f"{timezone.localtime(issued.issued_at):%d/%m/%Y %H:%M} (mã {issued.sha256[:12]}): "
            "sổ đã bị sửa ngoài các nghiệp vụ của ứng dụng; cần kiểm tra trước khi gửi báo cáo."
        )
    return QuarterlyReport(version, kept, _meta(version, provisional=False, issued=issued), issued)


def book_part(figures: dict) -> dict:
    """The figures that come from the book alone (not from targets or grading rules)."""
    return {key: value for key, value in figures.items() if key not in ("scorecard", "grades")}


def _issue(version: Version, closed: ClosedPeriod, text: str, digest: str, acting_user) -> IssuedReport:
    try:
        with transaction.atomic():
            issued = IssuedReport.objects.create(
                closed_period=closed,
                quarter=version.quarter.label,
                association=version.association,
                issued_by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
                sha256=digest,
                figures=text,
            )
            audit_record(
                user=acting_user,
                action="report.issue",
                obj=issued,
                key=f"{version.quarter.label}-{version.unit_code}",
                data={"sha256": digest},
            )
            return issued
    except IntegrityError:  # issued by someone else since the check: theirs is the report
        return IssuedReport.objects.get(closed_period=closed, association=version.association)


def versions_of_office() -> list:
    """Every version: the office's (None) and each association's."""
    from groups.models import Association

    return [None, *Association.objects.order_by("position", "code")]


def issue_all(quarter, *, acting_user) -> list[QuarterlyReport]:
    """Issue every version's report of a closed quarter (those already issued are kept)."""
    return [
        quarterly_report(Version(quarter, association), acting_user=acting_user, issue=True)
        for association in versions_of_office()
    ]


def issue_on_close(sender, *, period, acting_user, **kwargs):
    """`quarter_closed`: the quarter's reports are issued with its closing."""
    from reporting.periods import Period

    issue_all(Period.quarter(period.start.year, (period.start.month - 1) // 3 + 1), acting_user=acting_user)
