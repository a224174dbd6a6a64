"""The scorecard pages: the year's targets met or missed by every unit the user may see,
one unit's periods, and what is behind a cell.

A manager or branch staff sees every unit; an association officer their association and
its commune associations (a commune-level officer: theirs in their commune). A unit
outside the scope does not exist for them (404), whatever the URL.
"""

from datetime import date

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from reporting.periods import Period
from reporting.views import reader_required
from vbsp_district.core.money import percent

from .. import drilldown
from ..models import EmulationTarget, Every
from ..scorecard import ASSOCIATION, COMMUNE_ASSOCIATION, DISTRICT, Book, evaluate, seen_by, targets_of, units
from ..text import shown

MONTHS = [f"{m:02d}" for m in range(1, 13)]


def _years() -> list[int]:
    return list(EmulationTarget.objects.order_by("-year").values_list("year", flat=True).distinct())


def _year(request, years: list[int]) -> int:
    """The year asked for (`?year=`), else this year's or the latest with targets."""
    text = request.GET.get("year", "")
    if text:
        if not (text.isascii() and text.isdigit() and int(text) in years):
            raise Http404("Năm này chưa có chỉ tiêu thi đua.")
        return int(text)
    today = timezone.localdate().year
    return today if today in years else (years[0] if years else today)


def _as_of(year: int) -> date:
    return min(date(year, 12, 31), timezone.localdate())


def _unit(request, code: str, year: int):
    visible = seen_by(request.scope)
    for unit in units(year):
        if (unit.code or DISTRICT) == code and visible(unit):
            return unit
    raise Http404("Không có đơn vị này.")


def _cells(target, unit, result, year) -> list[dict | None]:
    """Twelve month columns; a quarterly target fills its quarters' last months. A missed
    cell links to what is behind it."""
    cells: list = [None] * 12
    for entry in result.periods:
        label = entry["period"]
        month = int(label[5:7]) if target.every == Every.MONTH else 3 * int(label[-1])
        cell = {"met": entry["met"], "text": shown(target, unit, entry["value"])}
        if entry.get("arrears_recovery") is not None:
            cell["extra"] = f"tồn đọng {percent(entry['arrears_recovery'], 2)}"
        if entry["met"] is False:
            cell["url"] = reverse("scorecard_cell", args=[unit.code or DISTRICT, target.code, label])
        cells[month - 1] = cell
    return cells


@reader_required
def scorecard_page(request):
    years = _years()
    year = _year(request, years)
    targets = targets_of(year)
    as_of = _as_of(year)
    everyone = units(year)
    book = Book(year, as_of, everyone)
    visible = seen_by(request.scope)
    rows = [
        {"unit": unit, "results": [(t, evaluate(t, book, unit)) for t in targets]} for unit in everyone if visible(unit)
    ]
    return render(
        request,
        "emulation/scorecard.html",
        {"year": year, "years": years, "as_of": as_of, "targets": targets, "rows": rows, "months": MONTHS},
    )


@reader_required
def scorecard_unit(request, unit_code):
    years = _years()
    year = _year(request, years)
    unit = _unit(request, unit_code, year)
    targets = targets_of(year)
    as_of = _as_of(year)
    book = Book(year, as_of, units(year))
    rows = [{"target": t, "result": (r := evaluate(t, book, unit)), "cells": _cells(t, unit, r, year)} for t in targets]
    return render(
        request,
        "emulation/scorecard_unit.html",
        {"year": year, "years": years, "as_of": as_of, "unit": unit, "rows": rows, "months": MONTHS},
    )


def _behind(unit, target, period, year):
    """The template's name and what it lists, by the target's rule."""
    code = target.code
    if code == "T1":
        return "groups", drilldown.groups_without_savings(unit, period)
    if code == "T2":
        return "overdue", drilldown.overdue_loans(unit, period)
    if code == "T3":
        return "installments", drilldown.uncollected_installments(unit, period)
    if code == "T4":
        return "installments", drilldown.late_installments(unit, period)
    if code == "T5":
        return "units", drilldown.weak_commune_associations(unit, period)
    if code == "T6":
        return "grades", drilldown.weak_groups(unit, period)
    if code == "T7":
        return "meetings", drilldown.groups_without_meeting(unit, period)
    if code == "T8":
        return "interest", drilldown.uncollected_interest(unit, period)
    if code == "T9":
        return "news", {"news": drilldown.news_counted(unit, period, broadcasts=False), "silent": []}
    news = drilldown.news_counted(unit, period, broadcasts=True)
    silent = []
    if unit.level != COMMUNE_ASSOCIATION:
        book = Book(year, period.end, units(year), only=period)
        silent = drilldown.silent_commune_associations(unit, period, book.commune_units(unit))
    return "news", {"news": news, "silent": silent}


@reader_required
def scorecard_cell(request, unit_code, target_code, period_label):
    try:
        period = Period.parse(period_label)
    except ValueError:
        raise Http404("Kỳ không hợp lệ.") from None
    year = period.start.year
    unit = _unit(request, unit_code, year)
    target = EmulationTarget.objects.filter(year=year, code=target_code).first()
    expected = "quarter" if target is not None and target.every == Every.QUARTER else "month"
    if target is None or period.kind != expected or period.end > _as_of(year):
        raise Http404("Không có ô này trong bảng chỉ tiêu.")
    if unit.level not in target.levels:
        raise Http404("Chỉ tiêu không áp dụng cho đơn vị này.")
    book = Book(year, period.end, units(year), only=period)
    (entry,) = evaluate(target, book, unit).periods
    kind, rows = _behind(unit, target, period, year)
    return render(
        request,
        "emulation/scorecard_cell.html",
        {
            "year": year,
            "unit": unit,
            "target": target,
            "period": period,
            "entry": entry,
            "value": shown(target, unit, entry["value"]),
            "kind": kind,
            "rows": rows,
            "association_level": unit.level == ASSOCIATION,
        },
    )
