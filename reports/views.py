"""The reports page: the quarters and the downloads each user may make.

A manager downloads the office's report and each association's; branch staff the
office's; an association officer their association's alone (a commune-level officer,
whose scope is one commune, none: the reports are by association). Any other version
does not exist for them (404), whatever the URL.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from groups.models import Association
from lending.models import ClosedPeriod
from reporting.periods import Period
from reporting.store import first_book_day

from .models import IssuedReport
from .quarterly import Version
from .services import NotIssued, ReportChanged, issue_all, quarterly_report

OFFICE = "office"
TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def versions_for(scope) -> list[Association | None]:
    """The versions a user may download: None is the office's."""
    if scope.is_manager:
        return [None, *Association.objects.order_by("position", "code")]
    if scope.sees_everything:
        return [None]
    if scope.is_officer and scope.association_id and not scope.commune_id:
        return list(Association.objects.filter(pk=scope.association_id))
    return []


def _quarters() -> list[Period]:
    """Every quarter from the book's first to the one under way, latest first."""
    first = first_book_day()
    today = timezone.localdate()
    if first is None:
        return []
    quarters, year, q = [], first.year, (first.month - 1) // 3 + 1
    while (year, q) <= (today.year, (today.month - 1) // 3 + 1):
        quarters.append(Period.quarter(year, q))
        year, q = (year, q + 1) if q < 4 else (year + 1, 1)
    return quarters[::-1]


@require_GET
def report_list(request):
    if not (request.scope.sees_everything or request.scope.is_officer):
        raise PermissionDenied
    versions = versions_for(request.scope)
    if not versions:  # a commune-level officer
        return render(request, "reports/list.html", {"rows": [], "by_association_only": True})
    closed = {p.start: p for p in ClosedPeriod.objects.filter(reopened_at__isnull=True)}
    issued = {}
    for report in IssuedReport.objects.filter(closed_period__in=closed.values()).select_related("issued_by"):
        issued[(report.quarter, report.association_id)] = report
    today = timezone.localdate()
    rows = []
    for quarter in _quarters():
        rows.append(
            {
                "quarter": quarter,
                "number": (quarter.start.month - 1) // 3 + 1,
                "ended": quarter.end < today,
                "closed": closed.get(quarter.start),
                "unissued": quarter.start in closed and (quarter.label, None) not in issued,
                "versions": [
                    {
                        "code": OFFICE if a is None else a.code,
                        "name": "Phòng giao dịch" if a is None else a.name,
                        "issued": issued.get((quarter.label, None if a is None else a.pk)),
                    }
                    for a in versions
                ],
            }
        )
    return render(request, "reports/list.html", {"rows": rows})


def _version(request, quarter: str, code: str) -> Version:
    try:
        period = Period.parse(quarter)
    except ValueError:
        raise Http404("Quý không hợp lệ.") from None
    if period.kind != "quarter" or period.start > timezone.localdate():
        raise Http404("Quý không hợp lệ.")
    for association in versions_for(request.scope):
        if (association is None and code == OFFICE) or (association is not None and association.code == code):
            return Version(period, association)
    raise Http404("Không có báo cáo này.")


@require_GET
def report_download(request, quarter: str, version: str, kind: str):
    if kind not in TYPES:
        raise Http404("Không có định dạng này.")
    chosen = _version(request, quarter, version)
    try:
        report = quarterly_report(chosen, acting_user=request.user)
    except (ReportChanged, NotIssued) as exc:
        return render(request, "reports/changed.html", {"message": str(exc), "quarter": chosen.quarter}, status=409)
    except ValidationError as exc:
        raise Http404(" ".join(exc.messages)) from None
    from .excel import write_workbook
    from .pdf import render_pdf

    response = HttpResponse(content_type=TYPES[kind])
    if kind == "xlsx":
        write_workbook(response, report.figures, report.meta)
    else:
        response.write(render_pdf(report.figures, report.meta))
    name = f"bao-cao-quy-{chosen.quarter.label}-{version}"
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


@require_http_methods(["GET", "POST"])
def report_issue(request, quarter: str):
    """A manager issues the reports of a quarter closed before they could be issued."""
    if not request.scope.is_manager:
        raise PermissionDenied("Chỉ lãnh đạo phòng giao dịch phát hành báo cáo quý.")
    period = _version(request, quarter, OFFICE).quarter
    closed = ClosedPeriod.objects.filter(start=period.start, reopened_at__isnull=True).first()
    if closed is None:
        raise Http404("Quý này chưa khóa sổ.")
    if request.method == "POST":
        try:
            issue_all(period, acting_user=request.user)
        except ReportChanged as exc:
            return render(request, "reports/changed.html", {"message": str(exc)}, status=409)
        messages.success(request, f"Đã phát hành báo cáo quý {period.label}.")
        return redirect("report_list")
    return render(request, "reports/issue.html", {"quarter": period, "closed": closed})
