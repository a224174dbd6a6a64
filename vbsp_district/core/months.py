"""Calendar months, the one helper for them: stepping, clipping a day to a month, walking.

A day of month that the month lacks is clipped to its last day (31 → 30/04, 29/02/2020),
the way the bank bills on day 31 and schedules from 31/01.
"""

import re
from calendar import monthrange
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
    """A day written YYYY-MM-DD (ASCII digits, FIRST_YEAR to LAST_YEAR), as the command and the API
    take it; None otherwise."""
    try:
        day = date.fromisoformat(text) if _ISO_DAY.fullmatch(text) else None
    except ValueError:
        return None
    return day if day is not None and FIRST_YEAR <= day.year <= LAST_YEAR else None
