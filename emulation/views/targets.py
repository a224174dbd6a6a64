"""The managers' emulation desk: a year's targets with the history of their edits, a
target's edit, a year's targets copied into the next, the grading rules in force with the
history of rule sets, and new rules. Managers only: the others get a 403 with the reason.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from vbsp_district.access.pages import deny_unless_manager
from vbsp_district.core.forms import call_service
from vbsp_district.core.money import vn_date

from .. import services
from ..forms import (
    GradingRulesForm,
    TargetForm,
    band_rows,
    commune_association_rows,
    group_rules_rows,
    levels_text,
    percent_text,
    revision_lines,
    threshold_text,
)
from ..models import EmulationTarget, EmulationTargetRevision, GradingRules

YEARS = range(1900, 3000)


def _year_or_404(year: int) -> int:
    if year not in YEARS:
        raise Http404("Năm không hợp lệ.")
    return year


def _history(target: EmulationTarget) -> list[dict]:
    return [
        {
            "changed_at": revision.changed_at,
            "changed_by": revision.changed_by,
            "reason": revision.reason,
            "lines": revision_lines(target.code, revision),
        }
        for revision in target.revisions.all()
    ]


def _target_row(target: EmulationTarget) -> dict:
    return {
        "target": target,
        "threshold": threshold_text(target.code, target.threshold),
        "recovery": percent_text(target.recovery_threshold) if target.recovery_threshold is not None else "",
        "levels": levels_text(target.levels),
        "history": _history(target),
    }


def _revisions():
    return Prefetch("revisions", queryset=EmulationTargetRevision.objects.select_related("changed_by"))


@require_safe
def target_list(request, year: int | None = None):
    """A year's targets (this year's, else the latest year's, without `year`), each with
    the history of its edits; the years that have targets to choose from."""
    deny_unless_manager(request)
    years = list(EmulationTarget.objects.order_by("year").values_list("year", flat=True).distinct())
    if year is None:
        this_year = timezone.localdate().year
        year = this_year if this_year in years or not years else years[-1]
    year = _year_or_404(year)
    targets = EmulationTarget.objects.filter(year=year).prefetch_related(_revisions())
    return render(
        request,
        "emulation/targets_list.html",
        {
            "year": year,
            "years": years,
            "rows": [_target_row(target) for target in targets],
            "next_year": year + 1,
            "next_year_taken": year + 1 in years,
        },
    )


@require_http_methods(["GET", "POST"])
def target_edit(request, pk: int):
    """A target's title, threshold, T8's recovery threshold and levels; the code and
    period are the code's rule and shown only."""
    deny_unless_manager(request)
    target = get_object_or_404(EmulationTarget.objects.prefetch_related(_revisions()), pk=pk)
    if request.method == "POST":
        form = TargetForm(request.POST, target=target)
        if form.is_valid():
            updated = call_service(
                form,
                services.target_update,
                target=target,
                acting_user=request.user,
                reason=form.cleaned_data["reason"],
                **form.changes(),
            )
            if updated is not None:
                messages.success(request, f"Đã sửa chỉ tiêu {updated.code} năm {updated.year}.")
                return redirect("target_year", year=updated.year)
    else:
        form = TargetForm(target=target)
    return render(
        request,
        "emulation/targets_edit.html",
        {"target": target, "form": form, "history": _history(target)},
    )


@require_http_methods(["GET", "POST"])
def target_copy_year(request, year: int):
    """The copy of a year's targets into the next year: what would be copied (GET), the
    copy (POST), refused when the next year has targets already."""
    deny_unless_manager(request)
    year = _year_or_404(year)
    errors = []
    if request.method == "POST":
        try:
            copies = services.targets_copy_year(year=year, acting_user=request.user)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, f"Đã sao chép {len(copies)} chỉ tiêu năm {year} sang năm {year + 1}.")
            return redirect("target_year", year=year + 1)
    targets = list(EmulationTarget.objects.filter(year=year))
    return render(
        request,
        "emulation/targets_copy.html",
        {
            "year": year,
            "next_year": year + 1,
            "rows": [
                {"target": t, "threshold": threshold_text(t.code, t.threshold), "levels": levels_text(t.levels)}
                for t in targets
            ],
            "next_year_taken": EmulationTarget.objects.filter(year=year + 1).exists(),
            "errors": errors,
        },
    )


# -- grading rules ---------------------------------------------------------------------------
def _readable(record: GradingRules) -> dict:
    if record.kind == GradingRules.Kind.GROUP:
        return {"criteria": group_rules_rows(record.rules), "bands": band_rows(record.rules)}
    return {"conditions": commune_association_rows(record.rules)}


def _in_force(records: list[GradingRules], day) -> GradingRules | None:
    """Of one kind's rows, those in force on `day` (as grading.rules_in_force, without a query)."""
    return max((r for r in records if r.effective_on <= day), key=lambda r: r.effective_on, default=None)


@require_safe
def grading_rules(request):
    """For each kind of grading, the rules in force today as tables, and every rule set
    recorded with its effective date and how many months or quarters were graded with it."""
    deny_unless_manager(request)
    today = timezone.localdate()
    records = list(GradingRules.objects.select_related("recorded_by").order_by("kind", "-effective_on", "-pk"))
    graded = services.periods_graded_by_rules()
    sections = []
    for kind, label in GradingRules.Kind.choices:
        rows = [r for r in records if r.kind == kind]
        current = _in_force(rows, today)
        sections.append(
            {
                "kind": kind,
                "label": label,
                "unit": "tháng" if kind == GradingRules.Kind.GROUP else "quý",
                "current": current,
                "readable": _readable(current) if current is not None else None,
                "history": [
                    {
                        "record": r,
                        "graded": graded.get(r.pk, 0),
                        "state": "current" if r == current else ("future" if r.effective_on > today else "past"),
                        "readable": _readable(r),
                    }
                    for r in rows
                ],
            }
        )
    return render(request, "emulation/rules_list.html", {"sections": sections, "today": today})


@require_http_methods(["GET", "POST"])
def grading_rules_new(request):
    """New rules of one kind (`?kind=group` or `commune_association`), typed over the
    rules in force today; saving regrades the ended months and quarters they decide."""
    deny_unless_manager(request)
    kind = request.GET.get("kind", GradingRules.Kind.GROUP)
    if kind not in GradingRules.Kind.values:
        raise Http404("Loại quy tắc xếp loại không hợp lệ.")
    records = list(GradingRules.objects.filter(kind=kind).order_by("effective_on", "pk"))
    base = _in_force(records, timezone.localdate()) or (records[-1] if records else None)
    if base is None:
        raise Http404("Chưa có quy tắc xếp loại nào của loại này.")
    label = GradingRules.Kind(kind).label
    if request.method == "POST":
        form = GradingRulesForm(request.POST, kind=kind, base=base.rules)
        if form.is_valid():
            effective_on = form.cleaned_data["effective_on"]
            record = call_service(
                form,
                services.grading_rules_record,
                kind=kind,
                effective_on=effective_on,
                rules=form.rules(),
                acting_user=request.user,
            )
            if record is not None:
                months = sum(1 for period in record.regraded if period.kind == "month")
                quarters = len(record.regraded) - months
                done = f"Đã ghi quy tắc {label} áp dụng từ {vn_date(effective_on)}"
                if kind == GradingRules.Kind.GROUP:
                    done += f"; đã xếp loại lại {months} tháng và {quarters} quý."
                else:
                    done += f"; đã xếp loại lại {quarters} quý."
                messages.success(request, done)
                return redirect(reverse("grading_rules"))
    else:
        form = GradingRulesForm(kind=kind, base=base.rules)
    return render(
        request,
        "emulation/rules_new.html",
        {"form": form, "kind": kind, "label": label, "base": base, "readable": _readable(base)},
    )
