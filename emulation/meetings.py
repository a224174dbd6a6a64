"""Target T7: the groups that met 3 to 5 days before their commune's transaction day.

The transaction day of a month is the commune's, clipped to the month's last day (DESIGN
§4, `billing_day`); a group counts when it is active that day, under the association
managing it that day, and meets the target when a meeting of it is recorded on the
transaction day − 5, − 4 or − 3.
"""

from collections import defaultdict
from datetime import date, timedelta

from groups.models import Commune, GroupAssignment, GroupMeeting, SavingsGroup
from lending.engine import billing_day
from reporting.periods import Period

# days before the transaction day on which the group's meeting is on time
ON_TIME = (3, 4, 5)


def assignments_by_group() -> dict[int, list[tuple[date, int, int]]]:
    """{group id: [(effective_on, id, association id)]} in date order."""
    found = defaultdict(list)
    rows = GroupAssignment.objects.order_by("effective_on", "id").values_list(
        "group_id", "effective_on", "id", "association_id"
    )
    for group_id, effective_on, pk, association_id in rows:
        found[group_id].append((effective_on, pk, association_id))
    return found


def association_on(assignments: list[tuple[date, int, int]], day: date) -> int | None:
    """The association managing a group on `day`: its latest assignment dated ≤ day, or
    its first one before that (DESIGN §4)."""
    if not assignments:
        return None
    in_force = [a for a in assignments if a[0] <= day]
    return (in_force[-1] if in_force else assignments[0])[2]


def meeting_rows_of(months: list[Period]) -> dict[str, list[tuple[int, int, int | None, date, bool]]]:
    """{month: [(group id, commune id, association id, transaction day, met on time)]} of
    every group active on its commune's transaction day of each month, in four reads."""
    if not months:
        return {}
    first, last = min(m.start for m in months), max(m.end for m in months)
    communes = dict(Commune.objects.values_list("pk", "transaction_day"))
    assignments = assignments_by_group()
    held = set(
        GroupMeeting.objects.filter(held_on__gte=first - timedelta(days=max(ON_TIME)), held_on__lte=last).values_list(
            "group_id", "held_on"
        )
    )
    groups = list(
        SavingsGroup.objects.filter(founded_on__lte=last)
        .exclude(dissolved_on__lte=first)
        .values_list("pk", "commune_id", "founded_on", "dissolved_on")
    )
    found = {}
    for month in months:
        year, number = month.start.year, month.start.month
        rows = []
        for pk, commune_id, founded_on, dissolved_on in groups:
            day = billing_day(year, number, communes[commune_id])
            if founded_on > day or (dissolved_on is not None and dissolved_on <= day):
                continue  # not active on the transaction day
            on_time = any((pk, day - timedelta(days=n)) in held for n in ON_TIME)
            rows.append((pk, commune_id, association_on(assignments[pk], day), day, on_time))
        found[month.label] = rows
    return found


def meeting_rows(month: Period) -> list[tuple[int, int, int | None, date, bool]]:
    """The rows of `meeting_rows_of` for one month."""
    return meeting_rows_of([month])[month.label]


def meeting_tally(rows) -> dict[tuple[int | None, int], list[int]]:
    """{(association id, commune id): [groups active on the transaction day, those that met
    on time]} of a month's meeting rows."""
    tally: dict = defaultdict(lambda: [0, 0])
    for _pk, commune_id, association_id, _day, on_time in rows:
        counts = tally[(association_id, commune_id)]
        counts[0] += 1
        counts[1] += 1 if on_time else 0
    return dict(tally)
