"""Reads of the organization that other modules call."""

from datetime import date

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
