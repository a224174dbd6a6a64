"""Reads of the organization that other modules call."""

from datetime import date

from django.db.models import Q

from .models import GroupAssignment, Membership


def membership_on(member, day: date) -> Membership | None:
    """The member's membership in force at the end of `day` (left_on counts as in)."""
    return (
        Membership.objects.filter(member=member)
        .in_force(day)
        .select_related("group")
        .order_by("-joined_on", "-id")
        .first()
    )


def association_of_group_on(group, day: date):
    """The association managing `group` at `day` (the first one before it was founded)."""
    assignment = (
        GroupAssignment.objects.in_force_of(group, day).select_related("association").first()
        or GroupAssignment.objects.first_of(group).select_related("association").first()
    )
    return assignment.association if assignment else None


def memberships_uncovered(member, start: date, end: date | None) -> date | None:
    """The first day in [start, end] (end None: open-ended) when the member is in no group."""
    periods = list(
        Membership.objects.filter(member=member)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=start))
        .order_by("joined_on")
        .values_list("joined_on", "left_on")
    )
    day = start
    for joined_on, left_on in periods:
        if joined_on > day:
            return day
        if left_on is None:
            return None
        day = max(day, left_on.fromordinal(left_on.toordinal() + 1))
        if end is not None and day > end:
            return None
    if end is not None and day > end:
        return None
    return day
