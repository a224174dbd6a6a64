"""Checks every posting shares: amounts, value dates, closed periods, balances."""

from datetime import date

from django.utils import timezone

from vbsp_district.core.errors import refuse
from vbsp_district.core.money import over_cap_message, posting_cap, vn_date, vnd

from ..selectors import closed_period_on


def check_amount(amount, field: str = "amount") -> int:
    """A positive whole number of đồng up to the posting cap (bool, float, fractions refused)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        refuse(field, "Số tiền phải là số nguyên dương (đồng).")
    if amount > (cap := posting_cap()):
        refuse(field, over_cap_message(cap))
    return amount


def check_day(day, field: str, label: str, *, closed_periods=None, today=None) -> date:
    """A value date that is not in the future nor inside a closed period.

    Batch writers pass the closed periods and today's date they loaded once.
    """
    if not isinstance(day, date):
        refuse(field, f"{label} không hợp lệ.")
    if day > (today or timezone.localdate()):
        refuse(field, f"{label} {vn_date(day)} không được sau ngày hôm nay.")
    if closed_periods is None:
        period = closed_period_on(day)
    else:
        period = next((p for p in closed_periods if p.start <= day <= p.end), None)
    if period is not None:
        refuse(
            field,
            f"{label} {vn_date(day)} nằm trong kỳ đã khóa sổ ({vn_date(period.start)}–{vn_date(period.end)}).",
        )
    return day


def check_not_before(day: date, first: date, field: str, label: str, what: str):
    if day < first:
        refuse(field, f"{label} {vn_date(day)} trước {what} ({vn_date(first)}).")


def lowest_balance_from(path: list[tuple[date, int]], day: date) -> tuple[int, date]:
    """The lowest end-of-day balance on `day` or any later date of a dated-delta path."""
    by_day: dict[date, int] = {}
    for d, delta in path:
        by_day[d] = by_day.get(d, 0) + delta
    balance = sum(delta for d, delta in by_day.items() if d <= day)
    lowest, lowest_on = balance, day
    for d in sorted(d for d in by_day if d > day):
        balance += by_day[d]
        if balance < lowest:
            lowest, lowest_on = balance, d
    return lowest, lowest_on


def check_covers(path, day: date, amount: int, field: str, what: str, balance_name: str):
    """Refuse when taking `amount` on `day` would drive the balance below 0 on some day."""
    lowest, lowest_on = lowest_balance_from(path, day)
    if amount > lowest:
        when = f"ngày {vn_date(lowest_on)}"
        if lowest_on != day:
            when += f" (sau ngày giao dịch {vn_date(day)})"
        refuse(
            field,
            f"Số tiền {what} {vnd(amount)} đồng vượt {balance_name} {vnd(max(lowest, 0))} đồng tại {when}.",
        )
