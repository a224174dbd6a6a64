"""The dashboards: what an association officer or a manager opens every morning.

`/dashboard/` is the user's own: the office's for staff and managers, their association's
for an association officer (in their commune for a commune-level officer).
`/dashboard/<unit>/` is another unit's (`HND`, `QH-HND`), for those whose scope holds it;
any other unit does not exist for them (404). Every dashboard shows the figures as they
stood at the end of `?date=dd/mm/yyyy` or of the month `?month=YYYY-MM` (today by default).
"""

import re
from datetime import date
from io import BytesIO

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from emulation.drilldown import unit_from_code
from emulation.scorecard import ASSOCIATION, COMMUNE_ASSOCIATION, DISTRICT, Unit, seen_by
from reporting.periods import Period
from reporting.views import reader_required
from vbsp_district.core.money import vn_date

from . import charts, export, figures, followup

SHOWN_ENTRIES = 100  # the follow-up list on the page; the workbook has them all
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _as_of(request) -> date:
    """The end of the month asked for (`?month=YYYY-MM` or `MM/YYYY`), else the page's date;
    never after today."""
    today = timezone.localdate()
    text = request.GET.get("month", "").strip()
    if text:
        if "/" in text:
            month_text, _, year_text = text.partition("/")
            text = f"{year_text}-{month_text.zfill(2)}"
        try:
            period = Period.parse(text)
        except ValueError:
            period = None
        if period is None or period.kind != "month":
            raise Http404("Tháng không hợp lệ, cần dạng YYYY-MM.")
        return min(period.end, today)
    return min(request.as_of, today)


def _own_unit(scope) -> Unit:
    if scope.sees_everything:
        return unit_from_code(DISTRICT)
    association = scope.associations().first()
    if scope.commune_id:
        commune = scope.communes().first()
        return unit_from_code(f"{commune.code}-{association.code}")
    return unit_from_code(association.code)


def _unit(request, code: str | None) -> Unit:
    unit = _own_unit(request.scope) if code is None else unit_from_code(code)
    if unit is None or not seen_by(request.scope)(unit):
        raise Http404("Không có đơn vị này.")
    return unit


def _query(as_of: date, today: date) -> str:
    return "" if as_of == today else f"?date={vn_date(as_of)}"


@reader_required
def dashboard(request, unit_code: str | None = None):
    unit = _unit(request, unit_code)
    today = timezone.localdate()
    as_of = _as_of(request)
    moment = figures.Moment.at(as_of)
    parts = figures.breakdown(unit, moment, today)
    trends = figures.trends(unit, moment, parts)
    book = figures.book_for(moment)
    targets = figures.target_lines(unit, moment, book) if book else []
    quarter = figures.quarter_grid(moment, book) if unit.level == DISTRICT and book else None
    query = _query(as_of, today)
    context = {
        "unit": unit,
        "is_district": unit.level == DISTRICT,
        "is_association": unit.level == ASSOCIATION,
        "is_commune": unit.level == COMMUNE_ASSOCIATION,
        "moment": moment,
        "as_of": as_of,
        "date_query": query,
        "total": parts.total,
        "parts": parts,
        "side_by_side": figures.side_by_side(parts, moment.ended_month) if unit.level == DISTRICT else [],
        "charts": charts.trend_charts(trends, unit.name),
        "targets": targets,
        "quarter_targets": quarter,
        "movers": figures.movers(unit, moment, parts) if unit.level == DISTRICT else [],
        "follow_up_url": reverse("dashboard_follow_up", args=[unit.code or DISTRICT]) + query,
        "month_value": f"{as_of.year:04d}-{as_of.month:02d}",
        "month_max": f"{today.year:04d}-{today.month:02d}",
        "year_has_targets": book is not None,
        "scorecard_url": reverse("scorecard_unit", args=[unit.code or DISTRICT]) + f"?year={as_of.year}",
    }
    return render(request, "dashboards/dashboard.html", context)


@reader_required
def follow_up(request, unit_code: str):
    """The follow-up list: the dashboard's section (asked by htmx once the page is shown),
    or a page of its own."""
    unit = _unit(request, unit_code)
    today = timezone.localdate()
    as_of = _as_of(request)
    found = followup.follow_up(unit, figures.Moment.at(as_of))
    query = _query(as_of, today)
    code = unit.code or DISTRICT
    context = {
        "unit": unit,
        "as_of": as_of,
        "date_query": query,
        "entries": found.entries(SHOWN_ENTRIES),
        "entry_count": len(found),
        "reason_counts": found.reason_counts(),
        "export_url": reverse("dashboard_follow_up_xlsx", args=[code]) + query,
        "dashboard_url": reverse("dashboard_unit", args=[code]) + query,
    }
    template = "dashboards/_follow_up.html" if request.htmx else "dashboards/follow_up.html"
    return render(request, template, context)


@reader_required
def follow_up_workbook(request, unit_code: str):
    unit = _unit(request, unit_code)
    as_of = _as_of(request)
    entries = followup.follow_up(unit, figures.Moment.at(as_of)).entries()
    buffer = BytesIO()
    export.follow_up_workbook(buffer, entries, unit_name=unit.name, as_of=as_of)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    # the file's name: the unit's code cut to letters, digits and '-', and the date
    code = re.sub(r"[^A-Za-z0-9-]", "", unit.code or DISTRICT) or "don-vi"
    response["Content-Disposition"] = f'attachment; filename="theo-doi-{code}-{as_of:%Y%m%d}.xlsx"'
    return response
