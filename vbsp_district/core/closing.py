"""Closed quarters, as every write asks about them: a closed quarter's figures never change.

A write dated D changes the figures of every period that ends on or after D: the stock
at its last day, the bills and flows after D. So a write is refused when a closed
quarter ends on or after its date, naming the first such quarter, until a manager
reopens it. The quarters are kept by `lending` (its ClosedPeriod table), which registers
where to find them at start-up; the core, and `groups` below `lending`, only ask.
"""

from datetime import date

from .errors import refuse
from .money import vn_date

_source = None


def register(source):
    """`source(day)` → the earliest closed quarter (with `start` and `end`) ending on or
    after `day`, or None."""
    global _source
    _source = source


def first_closed_from(day: date, periods=None):
    """The earliest closed quarter ending on or after `day`; from `periods` when a batch
    loaded them once, else from the registered source."""
    if periods is not None:
        found = [p for p in periods if p.end >= day]
        return min(found, key=lambda p: p.start) if found else None
    return _source(day) if _source is not None else None


def quarter_name(period) -> str:
    return f"quý {(period.start.month + 2) // 3}/{period.start.year}"


def check_open(day: date, field: str, label: str, periods=None, *, changes_from: date | None = None):
    """Refuse a write dated `day` that would change a closed quarter's figures.

    `changes_from`: the first day the write changes, when it is not `day` itself (a
    member who leaves on L is in the group until the end of L)."""
    first = changes_from or day
    period = first_closed_from(first, periods)
    if period is None:
        return
    bounds = f"{vn_date(period.start)}–{vn_date(period.end)}"
    if period.start <= first:
        refuse(field, f"{label} {vn_date(day)} nằm trong {quarter_name(period)} đã khóa sổ ({bounds}).")
    refuse(
        field,
        f"{label} {vn_date(day)} làm thay đổi số liệu {quarter_name(period)} đã khóa sổ ({bounds}); "
        "cần lãnh đạo mở lại quý này trước.",
    )
