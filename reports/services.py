"""The quarterly report of a version (the office's, or one association's): its figures and
heading facts, issued and kept once the quarter is closed.

- A quarter not closed: the figures are computed now, and every page and sheet says
  "Số liệu tạm tính".
- A closed quarter: the first export issues the report (its figures as canonical JSON,
  their hash, the time and the user, and an audit event); every later export writes the
  figures kept. Each export also computes the figures again: a closed quarter's figures
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


def quarterly_report(version: Version, *, acting_user=None) -> QuarterlyReport:
    """The version's report: provisional for a quarter not closed, else the issued one
    (issued now by `acting_user` if it is the first export)."""
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
