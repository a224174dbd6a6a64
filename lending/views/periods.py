"""Period closing: managers close an ended quarter and reopen a closed one, with a reason."""

from datetime import date

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from vbsp_district.access.pages import deny_unless_manager, deny_unless_poster
from vbsp_district.core.forms import call_service
from vbsp_district.models import AuditEvent

from .. import services
from ..forms import PeriodCloseForm, PeriodReopenForm
from ..models import ClosedPeriod
from ._desk import done, replayed

RECENT_QUARTERS = 8
HISTORY = 40


def _ended_quarters(today: date, count: int) -> list[tuple[int, int]]:
    """The `count` latest quarters that ended before `today`, latest first."""
    year, quarter = today.year, _quarter(today)
    found = []
    while len(found) < count:
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
        found.append((year, quarter))
    return found


def _quarter(day: date) -> int:
    return (day.month + 2) // 3


def _reopen_reasons(reopened) -> dict[int, str]:
    """The reason of each reopening, from the audit trail (keyed by quarter, as `2020Q1`)."""
    keys = {f"{p.start.year}Q{_quarter(p.start)}" for p in reopened}
    events = AuditEvent.objects.filter(
        action="period.reopen", object_type=ClosedPeriod._meta.label, object_key__in=keys
    ).order_by("occurred_at", "id")
    by_key: dict[str, list[str]] = {}
    for key, data in events.values_list("object_key", "data"):
        by_key.setdefault(key, []).append((data or {}).get("reason", ""))
    reasons = {}
    # a quarter reopened twice has two events: they pair with its closings, latest first
    for period in sorted(reopened, key=lambda p: (p.reopened_at, p.pk), reverse=True):
        found = by_key.get(f"{period.start.year}Q{_quarter(period.start)}")
        if found:
            reasons[period.pk] = found.pop()
    return reasons


@require_http_methods(["GET", "POST"])
def period_list(request):
    """The latest quarters and whether each is closed; managers close and reopen."""
    deny_unless_poster(request)
    action = request.POST.get("action") if request.method == "POST" else None
    closed = ClosedPeriod.objects.filter(reopened_at__isnull=True)
    close_form = reopen_form = None
    if action is not None:
        deny_unless_manager(request)
    if action == "close":
        close_form = PeriodCloseForm(request.POST)
        if close_form.is_valid():
            if response := replayed(request, close_form):
                return response
            year, quarter = close_form.cleaned_data["year"], close_form.cleaned_data["quarter"]
            period = call_service(
                close_form, services.period_close, year=year, quarter=quarter, acting_user=request.user
            )
            if period is not None:
                return done(request, close_form, reverse("period_list"), f"Đã khóa sổ quý {quarter}/{year}.")
    elif action == "reopen":
        reopen_form = PeriodReopenForm(request.POST, closed=closed)
        if reopen_form.is_valid():
            if response := replayed(request, reopen_form):
                return response
            period = call_service(
                reopen_form,
                services.period_reopen,
                period=reopen_form.cleaned_data["period"],
                reason=reopen_form.cleaned_data["reason"],
                acting_user=request.user,
            )
            if period is not None:
                quarter = f"{_quarter(period.start)}/{period.start.year}"
                return done(request, reopen_form, reverse("period_list"), f"Đã mở lại quý {quarter}.")
    return render(request, "lending/period_list.html", _context(request, close_form, reopen_form))


def _context(request, close_form, reopen_form):
    today = timezone.localdate()
    history = list(
        ClosedPeriod.objects.select_related("closed_by", "reopened_by").order_by("-start", "-closed_at")[:HISTORY]
    )
    active = {p.start: p for p in history if p.reopened_at is None}
    reasons = _reopen_reasons([p for p in history if p.reopened_at is not None])
    quarters = []
    for year, quarter in _ended_quarters(today, RECENT_QUARTERS):
        start, end = services.quarter_bounds(year, quarter)
        quarters.append(
            {
                "year": year,
                "quarter": quarter,
                "start": start,
                "end": end,
                "closed": active.get(start),
                "form": PeriodCloseForm(initial={"year": year, "quarter": quarter}),
            }
        )
    for period in history:
        period.reopen_reason = reasons.get(period.pk, "")
        period.quarter_label = f"{_quarter(period.start)}/{period.start.year}"
        if period.reopened_at is None:
            failed = reopen_form is not None and reopen_form.data.get("period") == str(period.pk)
            period.reopen_form = reopen_form if failed else PeriodReopenForm(closed=None, initial={"period": period.pk})
    return {
        "quarters": quarters,
        "history": history,
        "close_form": close_form or PeriodCloseForm(),
        "reopen_form": reopen_form,
        "failed_action": request.POST.get("action") if request.method == "POST" else None,
    }
