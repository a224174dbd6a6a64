"""Group meetings: record one, correct one, a group's list, and the form's on-time hint.

A meeting is on time ("đúng lịch") when held 3 to 5 days before the transaction day it
serves (`rules.meeting_timing`). Groups are looked up through `request.scope`: an officer
records the meetings of the groups their association manages today, and nothing else.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from vbsp_district.core.forms import VNDateField, call_service
from vbsp_district.core.money import vn_date

from .. import services
from ..forms import MeetingRecordForm
from ..rules import meeting_timing, meeting_window, transaction_day_serving
from ._pages import page_of, reader_required, recorder_required


def _group(request, code):
    return get_object_or_404(request.scope.groups().select_related("commune"), code=code)


def _timing_of(group, raw):
    """The timing of a meeting on the typed day, or None when it is not a day."""
    try:
        day = VNDateField(required=False).clean(raw)
    except ValidationError:
        return None
    return meeting_timing(group, day) if day else None


def _next_transaction_day(group) -> dict:
    """The commune's next transaction day from today and the days to meet for it."""
    day = transaction_day_serving(group.commune.transaction_day, timezone.localdate())
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
    meeting = get_object_or_404(group.meetings, pk=pk)
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
    meetings = group.meetings.order_by("-held_on")
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
