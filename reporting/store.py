"""The store of ended periods' figures: building it, finding a stored period, checking it.

See reporting/models.py for what is stored and docs/design/stored-figures.md for the
plan. A stored period is read only while it is not stale; any write dated on or before
its end marks it stale (`mark_stale`), and `rebuild_figures` builds it again.
"""

from datetime import date

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from lending.models import Loan, LoanTransaction, SavingsTransaction
from lending.selectors import bills_beyond_cache
from vbsp_district.core.months import month_add, month_end

from .models import PeriodBorrower, PeriodCube, StoredPeriod
from .periods import Period
from .sql import (
    DIMENSIONS,
    PERIOD_COLUMNS,
    STOCK_COLUMNS,
    STORED_BORROWERS,
    STORED_CUBE,
    BookQuery,
    store_sql,
    stored_selects,
)


def first_book_day() -> date | None:
    """The first day anything was lent or saved."""
    days = [
        Loan.objects.aggregate(d=Min("disbursed_on"))["d"],
        LoanTransaction.objects.aggregate(d=Min("value_date"))["d"],
        SavingsTransaction.objects.aggregate(d=Min("value_date"))["d"],
    ]
    days = [d for d in days if d is not None]
    return min(days) if days else None


def ended_periods(today: date | None = None) -> list[Period]:
    """Every month, quarter and year from the first book day's month to the last ended
    month (a quarter or year once its last month has ended), in order of their end."""
    first = first_book_day()
    if first is None:
        return []
    today = today or timezone.localdate()
    periods = []
    year, month = first.year, first.month
    while month_end(year, month) < today:
        periods.append(Period.month(year, month))
        if month % 3 == 0:
            periods.append(Period.quarter(year, month // 3))
        if month == 12:
            periods.append(Period.year(year))
        year, month = month_add(year, month, 1)
    return periods


def stored_period(period: Period | None, as_of: date) -> int | None:
    """The id of the stored, current period whose figures answer (as_of, period): the
    period itself at its own end, or (without a period) the month that ends on `as_of`."""
    if period is None:
        period = Period.month(as_of.year, as_of.month)
    if as_of != period.end:
        return None
    return current_periods([period.label]).get(period.label)


def mark_stale(day: date):
    """A write dated `day` changes every stored period that ends on or after it."""
    StoredPeriod.objects.filter(end__gte=day, stale=False).update(stale=True)


def _statement(period: Period) -> BookQuery:
    return BookQuery(period.end, period, extra_bills=bills_beyond_cache(period.end))


@transaction.atomic
def build(period: Period) -> StoredPeriod:
    """Compute `period` at its end from the ledger and store it (replacing what was)."""
    StoredPeriod.objects.filter(label=period.label).delete()
    stored = StoredPeriod.objects.create(
        label=period.label, kind=period.kind, start=period.start, end=period.end, built_at=timezone.now()
    )
    query = _statement(period)
    with connection.cursor() as cursor:
        for sql in store_sql(query, stored.pk):
            cursor.execute(sql, query.params)
    return stored


def build_all(*, only_missing_or_stale: bool = False, progress=None) -> list[StoredPeriod]:
    """Build every ended period (or only those missing or stale); drop stored periods
    that are no longer ended periods of the book."""
    progress = progress or (lambda message: None)
    periods = ended_periods()
    labels = {p.label for p in periods}
    StoredPeriod.objects.exclude(label__in=labels).delete()
    current = set(StoredPeriod.objects.filter(stale=False).values_list("label", flat=True))
    built = []
    for period in periods:
        if only_missing_or_stale and period.label in current:
            continue
        built.append(build(period))
        progress(period.label)
    return built


def _canonical(rows) -> list[tuple]:
    """Rows in one order, whatever the database returned (None before numbers)."""
    rows = [tuple(None if v is None else int(v) for v in row) for row in rows]
    return sorted(rows, key=lambda row: tuple((v is not None, v or 0) for v in row))


def stored_rows(stored: StoredPeriod) -> tuple[list, list]:
    """The period's stored rows (STORED_CUBE, STORED_BORROWERS), in a canonical order."""
    return (
        _canonical(PeriodCube.objects.filter(period=stored).values_list(*STORED_CUBE)),
        _canonical(PeriodBorrower.objects.filter(period=stored).values_list(*STORED_BORROWERS)),
    )


def fresh_rows(period: Period) -> tuple[list, list]:
    """What storing `period` now would store, computed without writing anything."""
    query = _statement(period)
    result = []
    with connection.cursor() as cursor:
        for sql in stored_selects(query):
            cursor.execute(sql, query.params)
            result.append(_canonical(cursor.fetchall()))
    return tuple(result)


def differences() -> list[str]:
    """The stored periods whose rows differ from the ledger now, and the ended periods
    missing or stale. Reads only."""
    found = []
    periods = ended_periods()
    stored = {s.label: s for s in StoredPeriod.objects.all()}
    for period in periods:
        have = stored.get(period.label)
        if have is None:
            found.append(f"{period.label}: chưa lưu")
        elif have.stale:
            found.append(f"{period.label}: cần tính lại")
        elif stored_rows(have) != fresh_rows(period):
            found.append(f"{period.label}: khác số liệu tính từ sổ")
    for label in sorted(set(stored) - {p.label for p in periods}):
        found.append(f"{label}: không còn là kỳ đã kết thúc của sổ")
    return found


def stored_row_counts() -> tuple[int, int]:
    return PeriodCube.objects.count(), PeriodBorrower.objects.count()


def current_periods(labels: list[str]) -> dict[str, int]:
    """{label: id} of the stored periods among `labels` that are current and ended."""
    return dict(
        StoredPeriod.objects.filter(label__in=labels, stale=False, end__lt=timezone.localdate()).values_list(
            "label", "pk"
        )
    )


def stored_sums(period_ids: list[int], by: str, *, association_id=None, commune_id=None) -> dict:
    """{period id: {key of `by` (None where none): {column: sum}}} over stored periods, in
    one statement (what a series of months reads), within an association and commune."""
    if by not in DIMENSIONS:
        raise ValueError(f"unknown dimension {by!r}; use one of {DIMENSIONS}")
    columns = (*STOCK_COLUMNS, *PERIOD_COLUMNS)
    where = ["period_id IN (" + (", ".join(str(int(i)) for i in period_ids) or "NULL") + ")"]
    params = []
    for name, value in (("association_id", association_id), ("commune_id", commune_id)):
        if value is not None:
            where.append(f"{name} = %s")
            params.append(int(value))
    sql = (
        f"SELECT period_id, {by}_id, " + ", ".join(f"SUM({c})" for c in columns) + " FROM reporting_periodcube"
        f" WHERE {' AND '.join(where)} GROUP BY period_id, {by}_id"
    )
    result: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for period_id, key, *sums in cursor.fetchall():
            result.setdefault(period_id, {})[key] = {c: int(v or 0) for c, v in zip(columns, sums, strict=True)}
    return result
