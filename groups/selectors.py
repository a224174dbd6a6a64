"""Reads of the organization that other modules call."""

from collections import defaultdict
from datetime import date, timedelta

from vbsp_district.core.months import MonthlyDay, month_end

from .models import (
    Commune,
    CommuneTransactionDay,
    GroupAssignment,
    GroupMeeting,
    Membership,
    SavingsGroup,
    billing_days,
    monthly_day,
)
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


# -- transaction days through time ------------------------------------------------------------
def _history(communes) -> dict[int, list]:
    """{commune id: its history's (effective_on, day) rows} of the communes given as (id,
    transaction_day_from) whose day has ever changed: no query when none has."""
    changed = sorted({pk for pk, since in communes if since is not None})
    found = defaultdict(list)
    if changed:
        rows = CommuneTransactionDay.objects.filter(commune_id__in=changed)
        for pk, effective_on, day in rows.values_list("commune_id", "effective_on", "day"):
            found[pk].append((effective_on, day))
    return found


def transaction_days(commune_ids=None) -> dict[int, MonthlyDay]:
    """{commune id: its transaction day through time} (of `commune_ids` when given): one
    query, two when a commune's day has ever changed."""
    rows = Commune.objects.all() if commune_ids is None else Commune.objects.filter(pk__in=commune_ids)
    rows = list(rows.values_list("pk", "transaction_day", "transaction_day_from"))
    history = _history((pk, since) for pk, _day, since in rows)
    return {pk: monthly_day(day, history.get(pk, ())) for pk, day, _since in rows}


def billing_days_of(member_communes: dict) -> dict[int, MonthlyDay]:
    """{member id: the transaction day the member is billed on through time} (`models.
    billing_days`); `member_communes` maps each member id to the member's own Commune. One
    query, two when a commune's day has ever changed."""
    periods = defaultdict(list)
    communes = {c.pk: (c.transaction_day, c.transaction_day_from) for c in member_communes.values()}
    ids = sorted(member_communes)
    for start in range(0, len(ids), 5000):  # SQLite's limit of a statement's parameters
        rows = Membership.objects.filter(member_id__in=ids[start : start + 5000]).values_list(
            "member_id", "joined_on", "id", "group__commune_id", "group__commune__transaction_day",
            "group__commune__transaction_day_from",
        )  # fmt: skip
        for member_id, joined_on, pk, commune_id, day, since in rows:
            periods[member_id].append((joined_on, pk, commune_id))
            communes[commune_id] = (day, since)
    history = _history((pk, since) for pk, (_day, since) in communes.items())
    days = {pk: monthly_day(day, history.get(pk, ())) for pk, (day, _since) in communes.items()}
    return {
        member_id: billing_days(days[commune.pk], [(j, pk, days[c]) for j, pk, c in periods[member_id]])
        for member_id, commune in member_communes.items()
    }


# -- group meetings against the month's transaction day (target T7) -------------------------
def _month_of(month_start: date, month_end: date) -> tuple[int, int]:
    if (month_start.year, month_start.month) != (month_end.year, month_end.month) or month_start > month_end:
        raise ValueError(f"{month_start}–{month_end} is not one calendar month")
    return month_start.year, month_start.month


def meetings_by_month(
    months: list[tuple[int, int]], groups=None, *, with_meetings: bool = True
) -> dict[tuple[int, int], dict[int, bool]]:
    """{(year, month): {id of a group active on its commune's transaction day of the month:
    whether it held a meeting 3 to 5 days before it}} (`rules.meeting_timing`'s rule; of
    `groups` only, ids or a queryset, when given). Target T7's two counts of any number of
    months, in two queries: the groups with their communes' day, and the meetings of the
    months' windows (without `with_meetings`, the first alone: every value False)."""
    if not months:
        return {}
    rows = SavingsGroup.objects.all()
    if groups is not None:
        rows = rows.filter(pk__in=groups)
    found = list(
        rows.values_list(
            "pk",
            "founded_on",
            "dissolved_on",
            "commune_id",
            "commune__transaction_day",
            "commune__transaction_day_from",
        )
    )
    history = _history((commune_id, since) for *_g, commune_id, _day, since in found)
    schedules = {commune_id: monthly_day(day, history.get(commune_id, ())) for *_g, commune_id, day, _s in found}
    days = {
        (year, month): {pk: schedules[commune_id].in_month(year, month) for pk, _f, _d, commune_id, *_c in found}
        for year, month in months
    }
    first = min(date(year, month, 1) for year, month in months)
    last = max(month_end(year, month) for year, month in months)
    held = set()
    if with_meetings and found:
        meetings = GroupMeeting.objects.filter(
            held_on__gte=meeting_window(first)[0], held_on__lte=meeting_window(last)[1]
        )
        if groups is not None:
            meetings = meetings.filter(group_id__in=[pk for pk, *_rest in found])
        held = set(meetings.values_list("group_id", "held_on"))
    result = {}
    for key, day_of in days.items():
        month = {}
        for pk, founded_on, dissolved_on, *_commune in found:
            day = day_of[pk]
            if founded_on <= day and (dissolved_on is None or dissolved_on > day):
                low, high = meeting_window(day)
                month[pk] = any((pk, low + timedelta(days=k)) in held for k in range((high - low).days + 1))
        result[key] = month
    return result


def groups_active_on_transaction_day(month_start: date, month_end: date, groups=None) -> set[int]:
    """Ids of the groups active on their commune's transaction day of the month (of
    `groups` only, ids or a queryset, when given): those target T7 counts."""
    key = _month_of(month_start, month_end)
    return set(meetings_by_month([key], groups, with_meetings=False)[key])


def groups_meeting_on_time(month_start: date, month_end: date, groups=None) -> set[int]:
    """Ids of the groups active on their commune's transaction day of the month that held
    a meeting 3 to 5 days before it (of `groups` only when given). With
    `groups_active_on_transaction_day`, target T7's two counts."""
    key = _month_of(month_start, month_end)
    return {pk for pk, on_time in meetings_by_month([key], groups)[key].items() if on_time}
