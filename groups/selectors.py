"""Reads of the organization that other modules call."""

import operator
from datetime import date
from functools import reduce

from django.db.models import Q

from vbsp_district.core.months import day_in_month

from .models import GroupAssignment, GroupMeeting, Membership, SavingsGroup, active_on_q
from .rules import meeting_window


def membership_on(member, day: date) -> Membership | None:
    """The member's membership in force at the end of `day` (left_on counts as in)."""
    return (
        Membership.objects.filter(member=member)
        .in_force(day)
        .select_related("group")
        .order_by("-joined_on", "-id")
        .first()
    )


def member_periods(member) -> list[tuple]:
    """The member's periods in groups, as (joined_on, left_on, group code), in date order."""
    return list(
        Membership.objects.filter(member=member)
        .order_by("joined_on")
        .values_list("joined_on", "left_on", "group__code")
    )


def association_of_group_on(group, day: date):
    """The association managing `group` at `day` (the first one before it was founded)."""
    assignment = (
        GroupAssignment.objects.in_force_of(group, day).select_related("association").first()
        or GroupAssignment.objects.first_of(group).select_related("association").first()
    )
    return assignment.association if assignment else None


# -- group meetings against the month's transaction day (target T7) -------------------------
def _month_of(month_start: date, month_end: date) -> tuple[int, int]:
    if (month_start.year, month_start.month) != (month_end.year, month_end.month) or month_start > month_end:
        raise ValueError(f"{month_start}–{month_end} is not one calendar month")
    return month_start.year, month_start.month


def _by_transaction_day(year: int, month: int) -> dict[date, list[int]]:
    """{a transaction day of the month: the communes' settings (1–31) that fall on it}.
    Settings past the month's last day fall on it (29, 30, 31 → 29/02/2020)."""
    days: dict[date, list[int]] = {}
    for setting in range(1, 32):
        days.setdefault(day_in_month(year, month, setting), []).append(setting)
    return days


def _on_transaction_day(year: int, month: int, condition, prefix: str = "") -> Q:
    """One condition per transaction day of the month, OR-ed: a group (reached through
    `prefix`) in a commune with that day, with `condition(day)`. The communes' days are
    known in advance (1 to 31), so a whole district is asked in one query, whatever its
    communes, instead of once per commune."""
    return reduce(
        operator.or_,
        (
            Q(**{f"{prefix}commune__transaction_day__in": settings}) & condition(day)
            for day, settings in _by_transaction_day(year, month).items()
        ),
    )


def groups_active_on_transaction_day(month_start: date, month_end: date, groups=None) -> set[int]:
    """Ids of the groups active on their commune's transaction day of the month (of
    `groups` only, ids or a queryset, when given): those target T7 counts. One query."""
    year, month = _month_of(month_start, month_end)
    rows = SavingsGroup.objects.filter(_on_transaction_day(year, month, active_on_q))
    if groups is not None:
        rows = rows.filter(pk__in=groups)
    return set(rows.values_list("pk", flat=True))


def groups_meeting_on_time(month_start: date, month_end: date, groups=None) -> set[int]:
    """Ids of the groups active on their commune's transaction day of the month that held
    a meeting 3 to 5 days before it (`rules.meeting_timing`'s rule; of `groups` only when
    given). With `groups_active_on_transaction_day`, target T7's two counts. One query."""
    year, month = _month_of(month_start, month_end)

    def met_on_time(day):
        first, last = meeting_window(day)
        return active_on_q(day, "group__") & Q(held_on__gte=first, held_on__lte=last)

    days = list(_by_transaction_day(year, month))
    earliest, latest = meeting_window(min(days))[0], meeting_window(max(days))[1]
    rows = GroupMeeting.objects.filter(held_on__gte=earliest, held_on__lte=latest).filter(
        _on_transaction_day(year, month, met_on_time, "group__")
    )
    if groups is not None:
        rows = rows.filter(group_id__in=groups)
    return set(rows.values_list("group_id", flat=True).distinct())
