"""Target T7: the groups that met 3 to 5 days before their commune's transaction day.

The transaction day of a month is the commune's in force that month, clipped to the month's last day (DESIGN
§4); a group counts when it is active that day, under the association managing it that
day, and meets the target when a meeting of it is recorded on the transaction day − 5,
− 4 or − 3 (the rule lives in `groups.rules`; its selectors answer a month at once).
"""

from collections import defaultdict
from datetime import date

from groups.models import GroupAssignment, SavingsGroup
from groups.selectors import meetings_by_month, transaction_days
from reporting.periods import Period


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
    every group active on its commune's transaction day of each month; the rule is the
    groups app's (`groups.rules.meeting_timing`, asked of every month at once)."""
    if not months:
        return {}
    communes = transaction_days()
    commune_of = dict(SavingsGroup.objects.values_list("pk", "commune_id"))
    assignments = assignments_by_group()
    by_month = meetings_by_month([(m.start.year, m.start.month) for m in months])
    found = {}
    for month in months:
        rows = []
        for pk, on_time in sorted(by_month[(month.start.year, month.start.month)].items()):
            commune_id = commune_of[pk]
            day = communes[commune_id].in_month(month.start.year, month.start.month)
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
