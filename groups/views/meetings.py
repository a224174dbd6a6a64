"""Group meetings: a month's groups and whether they met on time, record one, correct
one, a group's list, and the form's on-time hint.

A meeting is on time ("đúng lịch") when held 3 to 5 days before the transaction day it
serves (`rules.meeting_timing`). Groups are looked up through `request.scope`: an officer
opens the pages of the groups their association manages today, and sees and corrects
there the meetings that served its own transaction days (`Scope.meetings`), never those
of an association that managed the group before.
"""

import re
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from vbsp_district.core.forms import VNDateField, as_of_from, call_service
from vbsp_district.core.money import vn_date
from vbsp_district.core.months import month_add, month_end

from .. import services
from ..forms import MeetingRecordForm
from ..models import GroupMeeting
from ..rules import meeting_timing, meeting_window, transaction_day_serving
from ..selectors import groups_active_on_transaction_day, groups_meeting_on_time
from ._pages import page_of, reader_required, recorder_required

MONTH = re.compile(r"^(0?[1-9]|1[0-2])/([0-9]{4})$")


def _group(request, code):
    return get_object_or_404(request.scope.groups().select_related("commune"), code=code)


def _timing_of(group, raw):
    """The timing of a meeting on the typed day, or None when it is not a day."""
    try:
        day = VNDateField(required=False).clean(raw)
    except ValidationError:
        return None
    if day is None or day.year >= 9999:
        return None  # no day, or one whose next transaction day is beyond the calendar
    return meeting_timing(group, day)


def _next_transaction_day(group) -> dict:
    """The commune's next transaction day from today and the days to meet for it."""
    day = transaction_day_serving(group.commune.transaction_days, timezone.localdate())
    first, last = meeting_window(day)
    return {"day": day, "first": first, "last": last}


def _meeting_form_page(request, group, form, *, meeting=None):
    raw = form["held_on"].value()
    context = {
        "form": form,
        "group": group,
        "meeting": meeting,
        "timing": _timing_of(group, raw) if raw else None,
        "upcoming": _next_transaction_day(group),
    }
    return render(request, "groups/meeting_record.html", context)


def _saved(request, group, meeting, verb: str):
    timing = meeting_timing(group, meeting.held_on)
    say = messages.success if timing.on_time else messages.warning
    say(request, f"{verb} buổi họp tổ {group.code} ngày {vn_date(meeting.held_on)} ({timing.describe()}).")
    return redirect("group_meetings", group.code)


@recorder_required
def meeting_record(request, code):
    group = _group(request, code)
    form = MeetingRecordForm(request.POST or None, timing_url=reverse("meeting_timing", args=[group.code]))
    if request.method == "POST" and form.is_valid():
        meeting = call_service(
            form, services.meeting_record, group=group, acting_user=request.user, **form.cleaned_data
        )
        if meeting is not None:
            return _saved(request, group, meeting, "Đã ghi")
    return _meeting_form_page(request, group, form)


@recorder_required
def meeting_update(request, code, pk):
    group = _group(request, code)
    meeting = get_object_or_404(request.scope.meetings().filter(group=group), pk=pk)
    initial = {"held_on": meeting.held_on, "attendees": meeting.attendees, "notes": meeting.notes}
    form = MeetingRecordForm(
        request.POST or None, initial=initial, timing_url=reverse("meeting_timing", args=[group.code])
    )
    if request.method == "POST" and form.is_valid():
        meeting = call_service(
            form, services.meeting_update, meeting=meeting, acting_user=request.user, **form.cleaned_data
        )
        if meeting is not None:
            return _saved(request, group, meeting, "Đã sửa")
    return _meeting_form_page(request, group, form, meeting=meeting)


@reader_required
def group_meetings(request, code):
    group = _group(request, code)
    meetings = request.scope.meetings().filter(group=group).order_by("-held_on")
    held = list(meetings.values_list("held_on", flat=True))
    page, query = page_of(request, meetings)
    context = {
        "group": group,
        "page": page,
        "query": query,
        "rows": [(m, meeting_timing(group, m.held_on)) for m in page],
        "held": len(held),
        "on_time": sum(1 for day in held if meeting_timing(group, day).on_time),
        "upcoming": _next_transaction_day(group),
    }
    return render(request, "groups/group_meetings.html", context)


@reader_required
def meeting_timing_hint(request, code):
    """The meeting form's hint for the typed day (htmx swaps it under the date)."""
    group = _group(request, code)
    raw = request.GET.get("held_on", "").strip()
    context = {"timing": _timing_of(group, raw) if raw else None, "typed": raw}
    return render(request, "groups/_meeting_timing.html", context)


def _month_asked(request) -> tuple[int, int]:
    """`?month=mm/yyyy`, or this month."""
    if (match := MONTH.match(request.GET.get("month", "").strip())) and 1900 <= int(match[2]) <= 2999:
        return int(match[2]), int(match[1])
    today = timezone.localdate()
    return today.year, today.month


@reader_required
def meeting_overview(request):
    """The groups active on their commune's transaction day of a month and the meetings that
    served that day: target T7, group by group. The groups are those the user sees on that
    transaction day (`Scope.groups_on_transaction_day`), so the meetings shown are theirs;
    at `?date=`, as on every page, only those the user also sees that day. Of one commune
    when asked; a group's pages are linked if the user sees it today."""
    year, month = _month_asked(request)
    start, end = date(year, month, 1), month_end(year, month)
    visible = request.scope.groups_on_transaction_day(year, month)
    if request.GET.get("date"):
        visible = request.scope.groups(visible, on=as_of_from(request, default=end))
    commune = request.scope.communes().filter(code=request.GET.get("commune", "").strip()).first()
    if commune is not None:
        visible = visible.filter(commune=commune)
    ids = visible.values("pk")
    active = groups_active_on_transaction_day(start, end, groups=ids)
    on_time = groups_meeting_on_time(start, end, groups=ids)
    groups = visible.filter(pk__in=active).select_related("commune").order_by("commune__code", "code")
    page, query = page_of(request, groups)
    shown = {g.pk: g for g in page}
    today = set(request.scope.groups().filter(pk__in=list(shown)).values_list("pk", flat=True)) if shown else set()
    days = {pk: g.commune.transaction_days.in_month(year, month) for pk, g in shown.items()}
    served: dict[int, list] = {pk: [] for pk in shown}
    if days:
        # Those serving this month's day were held after last month's (28 days or more before).
        held = GroupMeeting.objects.filter(
            group_id__in=list(days),
            held_on__gt=min(days.values()) - timedelta(days=31),
            held_on__lte=max(days.values()),
        ).order_by("held_on")
        for meeting in held:
            timing = meeting_timing(shown[meeting.group_id], meeting.held_on)
            if timing.transaction_day == days[meeting.group_id]:
                served[meeting.group_id].append((meeting, timing))
    previous, following = month_add(year, month, -1), month_add(year, month, 1)
    context = {
        "month": f"{month:02d}/{year}",
        "previous": f"{previous[1]:02d}/{previous[0]}",
        "following": f"{following[1]:02d}/{following[0]}",
        "communes": request.scope.communes().order_by("code"),
        "commune": commune,
        "page": page,
        "query": query,
        "rows": [(g, days[g.pk], served[g.pk], g.pk in on_time, g.pk in today) for g in page],
        "active": len(active),
        "on_time": len(on_time),
        "share": len(on_time) / len(active) if active else None,
    }
    return render(request, "groups/meeting_overview.html", context)
