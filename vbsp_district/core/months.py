"""Calendar months, the one helper for them: stepping, clipping a day to a month, walking.

A day of month that the month lacks is clipped to its last day (31 → 30/04, 29/02/2020),
the way the bank bills on day 31 and schedules from 31/01.
"""

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

# The book's dates run from 1900 to 2999: what a form, a query or a period takes.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def month_add(year: int, month: int, months: int) -> tuple[int, int]:
    """(year, month) `months` later (earlier when negative)."""
    y, m = divmod(month - 1 + months, 12)
    return year + y, m + 1


def month_end(year: int, month: int) -> date:
    return date(year, month, monthrange(year, month)[1])


def day_in_month(year: int, month: int, day: int) -> date:
    """Day `day` of the month, clipped to the month's last day."""
    return date(year, month, min(day, monthrange(year, month)[1]))


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clipped to the month's end (31/01 + 1 → 29/02)."""
    return day_in_month(*month_add(day.year, day.month, months), day.day)


def months_between(start: date, end: date):
    """Every (year, month) from `start`'s month to `end`'s, both included."""
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = month_add(year, month, 1)


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_day(text: str) -> date | None:
    """A day written YYYY-MM-DD (ASCII digits, from FIRST_YEAR), as the command and the API
    take it; None otherwise."""
    try:
        day = date.fromisoformat(text) if _ISO_DAY.fullmatch(text) else None
    except ValueError:
        return None
    return day if day is not None and day.year >= FIRST_YEAR else None


@dataclass(frozen=True)
class MonthlyDay:
    """A day of the month that changes from dated days on: a commune's transaction day, or
    the day a borrower is billed on (their group's commune's, from the day they join it).

    `day` is in force before the first change; each (from, day) of `changes`, in date
    order, from its date on. A date D falls on it when D is its month's day (clipped to the
    month's last day) under the day in force on D itself: a change in the middle of a month
    can give that month no day or two.
    """

    day: int
    changes: tuple[tuple[date, int], ...] = ()

    @classmethod
    def of(cls, first_day: int, changes) -> "MonthlyDay":
        """From dated changes (the last given for a date wins), those that change nothing
        left out."""
        kept, current = [], first_day
        for start, day in sorted(dict(changes).items()):
            if day != current:
                kept.append((start, day))
                current = day
        return cls(first_day, tuple(kept))

    def day_on(self, on: date) -> int:
        """The day of the month in force on `on`."""
        day = self.day
        for start, changed in self.changes:
            if start > on:
                break
            day = changed
        return day

    def in_month(self, year: int, month: int) -> date:
        """The month's day under the day in force on its first day: a commune's transaction
        day, whose changes take effect on a month's first day."""
        return day_in_month(year, month, self.day_on(date(year, month, 1)))

    def days_between(self, start: date, end: date) -> list[date]:
        """Every date from `start` to `end`, both included, that falls on the day."""
        if not self.changes:
            return [d for y, m in months_between(start, end) if start <= (d := day_in_month(y, m, self.day)) <= end]
        bounds = [(start, self.day_on(start))] + [(s, d) for s, d in self.changes if start < s <= end]
        found = []
        for i, (first, day) in enumerate(bounds):
            last = bounds[i + 1][0].fromordinal(bounds[i + 1][0].toordinal() - 1) if i + 1 < len(bounds) else end
            found += [d for y, m in months_between(first, last) if first <= (d := day_in_month(y, m, day)) <= last]
        return found

    def on_or_after(self, on: date) -> date:
        """The first date on or after `on` that falls on the day."""
        year, month = on.year, on.month
        while True:
            last = date(year, month, monthrange(year, month)[1])
            found = self.days_between(max(on, date(year, month, 1)), last)
            if found:
                return found[0]
            year, month = month_add(year, month, 1)
