"""The store of ended periods' figures: building it, finding a stored period, checking it.

See reporting/models.py for what is stored and docs/design/stored-figures.md for the
plan. A stored period is read only while it is not stale; any write dated on or before
its end marks it stale (`mark_stale`), and `rebuild_figures` builds it again.
"""

import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import F, Min
from django.utils import timezone

from lending.models import Loan, LoanTransaction, SavingsTransaction
from lending.selectors import bills_beyond_cache
from vbsp_district.core.months import month_add, month_end

from .cache import kept
from .models import PeriodBorrower, PeriodCube, PeriodTotal, StoredPeriod
from .periods import Period
from .sql import (
    BORROWER_PART,
    CUBE_PART,
    DIMENSIONS,
    PERIOD_COLUMNS,
    STOCK_COLUMNS,
    STORED_BORROWERS,
    STORED_CUBE,
    STORED_KEYS,
    STORED_TOTALS,
    TOTAL_KEYS,
    BookQuery,
    Scope,
    stored_select,
)


@dataclass(frozen=True)
class Derived:
    """Facts derived from the stored periods by a layer above (emulation's grades): kept
    up to date with them and checked with them. `stored(periods, scope)` runs after the
    periods were built (scope None: whole) or settled (only the keys of `scope`), in the
    same transaction; `differences(labels)` lists what differs from a fresh derivation."""

    name: str
    stored: Callable[[list, Scope | None], None]
    differences: Callable[[set[str] | None], list[str]]


DERIVED: dict[str, Derived] = {}


def register(derived: Derived):
    DERIVED[derived.name] = derived


def _derive(periods: list, scope: Scope | None = None):
    periods = sorted((p for p in periods if p.kind != StoredPeriod.Kind.DAY), key=lambda p: (p.end, p.start))
    if periods:
        for derived in DERIVED.values():
            derived.stored(periods, scope)


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


def day_label(day: date) -> str:
    return f"{day:%Y%m%d}"


def stored_period(period: Period | None, as_of: date) -> int | None:
    """The id of the stored, current figures that answer (as_of, period): the period
    itself at its own end or, without a period, the month that ends on `as_of`, or
    today's figures on today."""
    if period is None:
        today = timezone.localdate()
        if as_of == today:
            found = StoredPeriod.objects.filter(
                label=day_label(today), kind=StoredPeriod.Kind.DAY, end=today, stale=False
            ).values_list("pk", flat=True)
            return next(iter(found), None)
        period = Period.month(as_of.year, as_of.month)
    if as_of != period.end or period != Period.from_label(period.label):
        return None  # a day inside the period, or the period cut short (a year so far): live
    return current_periods([period.label]).get(period.label)


def mark_stale(day: date):
    """A write dated `day` changes every stored period that ends on or after it."""
    StoredPeriod.objects.filter(end__gte=day, stale=False).update(stale=True)


def _computed(as_of: date, period: Period | None, scope: Scope | None = None) -> tuple[list, list]:
    """What storing the figures of (as_of, period) (the keys `scope` covers) would store
    now: (cube rows, borrower rows), each in the column order of STORED_CUBE and
    STORED_BORROWERS. One statement; reads only."""
    members = scope.members_sql() if scope is not None else None
    query = BookQuery(as_of, period, extra_bills=bills_beyond_cache(as_of, members_sql=members), scope=scope)
    with connection.cursor() as cursor:
        cursor.execute(stored_select(query), query.params)
        rows = cursor.fetchall()
    width = len(STORED_KEYS)
    cube = [row[1 : 1 + width] + row[2 + width :] for row in rows if row[0] == CUBE_PART]
    borrowers = [row[1 : 2 + width] for row in rows if row[0] == BORROWER_PART]
    return cube, borrowers


def _target(stored: StoredPeriod) -> tuple[date, Period | None]:
    """The (as_of, period) a stored period holds the figures of."""
    return stored.end, stored.as_period()


def _insert(stored_id: int, cube: list, borrowers: list):
    with connection.cursor() as cursor:
        for table, columns, rows in (
            ("reporting_periodcube", STORED_CUBE, cube),
            ("reporting_periodborrower", STORED_BORROWERS, borrowers),
        ):
            if rows:
                marks = ", ".join(["%s"] * (len(columns) + 1))
                cursor.executemany(
                    f"INSERT INTO {table} (period_id, {', '.join(columns)}) VALUES ({marks})",
                    [(stored_id, *row) for row in rows],
                )


def _roll_up(stored_id: int, communes: set | None = None):
    """Sum the period's cube rows over groups into its totals (only those of `communes`,
    ids or None, when given): derived rows, replaced whole."""
    where, params = "period_id = %s", [stored_id]
    if communes is not None:
        ids = sorted(c for c in communes if c is not None)
        conditions = [f"commune_id IN ({', '.join(['%s'] * len(ids))})"] if ids else []
        conditions += ["commune_id IS NULL"] if None in communes else []
        if not conditions:
            return
        where += f" AND ({' OR '.join(conditions)})"
        params += ids
    keys = ", ".join(TOTAL_KEYS)
    figures = STORED_TOTALS[len(TOTAL_KEYS) :]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM reporting_periodtotal WHERE {where}", params)
        cursor.execute(
            f"INSERT INTO reporting_periodtotal (period_id, {', '.join(STORED_TOTALS)})"
            f" SELECT period_id, {keys}, {', '.join(f'SUM({c})' for c in figures)}"
            f" FROM reporting_periodcube WHERE {where} GROUP BY period_id, {keys}",
            params,
        )


@transaction.atomic
def _store(label: str, kind: str, start: date, end: date, rows: tuple[list, list]) -> StoredPeriod:
    StoredPeriod.objects.filter(label=label).delete()
    stored = StoredPeriod.objects.create(label=label, kind=kind, start=start, end=end, built_at=timezone.now())
    _insert(stored.pk, *rows)
    _roll_up(stored.pk)
    return stored


def _store_period(period: Period, rows) -> StoredPeriod:
    return _store(period.label, period.kind, period.start, period.end, rows)


def build(period: Period) -> StoredPeriod:
    """Compute `period` at its end from the ledger and store it (replacing what was)."""
    return _store_period(period, _computed(period.end, period))


def build_today() -> StoredPeriod:
    """Store today's stock figures (those of earlier days go)."""
    today = timezone.localdate()
    StoredPeriod.objects.filter(kind=StoredPeriod.Kind.DAY).exclude(label=day_label(today)).delete()
    return _store(day_label(today), StoredPeriod.Kind.DAY, today, today, _computed(today, None))


def _computed_apart(period: Period) -> tuple[list, list]:
    """`_computed` on a connection of this thread's own, closed afterwards."""
    try:
        return _computed(period.end, period)
    finally:
        connection.close()


def _in_turn(pool: ThreadPoolExecutor, fn, items: list, ahead: int):
    """`pool.map(fn, items)` computing at most `ahead` items beyond the one the caller is
    at: a district's periods are computed faster than they are written, and the rows of
    all of them at once would not fit in memory (several GB at ten times Quảng Ninh)."""
    pending = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) > ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def build_all(*, only_missing_or_stale: bool = False, progress=None, workers: int | None = None) -> list[StoredPeriod]:
    """Build every ended period (or only those missing or stale); drop stored periods
    that are no longer ended periods of the book.

    Outside a transaction the periods are computed on `workers` connections at once (one
    per CPU by default: each statement runs on one); inside one (an import), in turn, so
    that they read what the transaction wrote."""
    progress = progress or (lambda message: None)
    periods = ended_periods()
    labels = {p.label for p in periods} | {day_label(timezone.localdate())}
    StoredPeriod.objects.exclude(label__in=labels).delete()
    if only_missing_or_stale:
        current = set(StoredPeriod.objects.filter(stale=False).values_list("label", flat=True))
        periods = [p for p in periods if p.label not in current]
    workers = workers or os.cpu_count() or 1
    built = []
    if connection.in_atomic_block or workers == 1 or len(periods) < 2:
        for period in periods:
            built.append(build(period))
            progress(period.label)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for period, rows in zip(periods, _in_turn(pool, _computed_apart, periods, workers), strict=True):
                built.append(_store_period(period, rows))
                progress(period.label)
    _derive(built)
    if not only_missing_or_stale or stored_period(None, timezone.localdate()) is None:
        built.append(build_today())
    return built


def rebuild_from(day: date, *, progress=None) -> list[StoredPeriod]:
    """After a bulk write dated from `day` (an import): build every ended period that ends
    on or after it, and those not stored yet (the first import builds them all)."""
    progress = progress or (lambda message: None)
    have = set(StoredPeriod.objects.filter(stale=False, end__lt=day).values_list("label", flat=True))
    built = []
    for period in ended_periods():
        if period.end >= day or period.label not in have:
            built.append(build(period))
            progress(period.label)
    _derive(built)
    built.append(build_today())
    return built


def scope_groups(scope: Scope) -> dict[int, int]:
    """{group id: commune id} of the groups a scope names."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sg.id, sg.commune_id FROM groups_savingsgroup sg WHERE sg.id IN ({scope.groups})")
        return dict(cursor.fetchall())


def settle(day: date, scope) -> int:
    """After a write dated `day` on the part of the book `scope` names, bring the stored
    periods it changes up to date, in the caller's transaction: in every current stored
    period ending on or after `day`, the rows of the keys the scope covers are computed
    again and replace what was. `scope`: a Scope, or a function giving it, asked only when
    some period needs it. Returns the number of periods brought up to date."""
    # Locked, in one order: two writes settling the same keys at once take turns, and
    # the second computes over what the first committed.
    periods = list(StoredPeriod.objects.select_for_update().filter(stale=False, end__gte=day).order_by("end", "pk"))
    if not periods:
        return 0
    first = StoredPeriod.objects.filter(kind=StoredPeriod.Kind.MONTH).order_by("start").first()
    if first is not None and day < first.start:
        # the write is dated before the book's first day: the periods it adds are new
        stored = set(StoredPeriod.objects.values_list("label", flat=True))
        _derive([build(period) for period in ended_periods() if period.label not in stored])
    scope = scope() if callable(scope) else scope
    where = scope.where()
    # whose totals change: the scope's rows are its groups' (a group never changes
    # commune) and, outside groups, its communes'
    communes = set(scope_groups(scope).values()) | set(scope.communes)
    with connection.cursor() as cursor:
        for stored in periods:
            cursor.execute(f"DELETE FROM reporting_periodcube WHERE period_id = %s AND {where}", [stored.pk])
            cursor.execute(f"DELETE FROM reporting_periodborrower WHERE period_id = %s AND {where}", [stored.pk])
    for stored in periods:
        _insert(stored.pk, *_computed(*_target(stored), scope))
        _roll_up(stored.pk, communes)
    # rows already locked: what was kept of the figures before this write is not read again
    StoredPeriod.objects.filter(pk__in=[p.pk for p in periods]).update(revision=F("revision") + 1)
    _derive(periods, scope)
    return len(periods)


def _canonical(rows) -> list[tuple]:
    """Rows in one order, whatever the database returned (None before numbers)."""
    rows = [tuple(None if v is None else int(v) for v in row) for row in rows]
    return sorted(rows, key=lambda row: tuple((v is not None, v or 0) for v in row))


def stored_rows(stored: StoredPeriod) -> tuple[list, list, list]:
    """The period's stored rows (STORED_CUBE, STORED_BORROWERS, STORED_TOTALS), in a
    canonical order."""
    return (
        _canonical(PeriodCube.objects.filter(period=stored).values_list(*STORED_CUBE)),
        _canonical(PeriodBorrower.objects.filter(period=stored).values_list(*STORED_BORROWERS)),
        _canonical(PeriodTotal.objects.filter(period=stored).values_list(*STORED_TOTALS)),
    )


def _totals(cube: list) -> list[tuple]:
    """The cube rows summed over groups, as `_roll_up` stores them (STORED_TOTALS)."""
    at = [STORED_CUBE.index(c) for c in STORED_TOTALS]
    width = len(TOTAL_KEYS)
    sums: dict = {}
    for row in cube:
        picked = [row[i] for i in at]
        key = tuple(picked[:width])
        sums[key] = [
            a + int(b or 0) for a, b in zip(sums.get(key, [0] * len(picked[width:])), picked[width:], strict=True)
        ]
    return [(*key, *values) for key, values in sums.items()]


def fresh_rows(as_of: date, period: Period | None) -> tuple[list, list, list]:
    """What storing (as_of, period) now would store, in a canonical order, without writing."""
    cube, borrowers = _computed(as_of, period)
    return _canonical(cube), _canonical(borrowers), _canonical(_totals(cube))


def differences(labels: set[str] | None = None, *, derived: bool = True) -> list[str]:
    """The stored periods whose rows differ from the ledger now, and the ended periods
    (and today's figures) missing or stale; only those of `labels` when given; with
    `derived`, what the facts derived from them (the grades) differ in too. Reads only."""
    found = []
    today = timezone.localdate()
    targets = [(p.label, p.end, p) for p in ended_periods()] + [(day_label(today), today, None)]
    if labels is not None:
        targets = [target for target in targets if target[0] in labels]
    stored = {s.label: s for s in StoredPeriod.objects.all() if labels is None or s.label in labels}
    for label, as_of, period in targets:
        have = stored.get(label)
        if have is None:
            found.append(f"{label}: chưa lưu")
        elif have.stale:
            found.append(f"{label}: cần tính lại")
        elif stored_rows(have) != fresh_rows(as_of, period):
            found.append(f"{label}: khác số liệu tính từ sổ")
    for label in sorted(set(stored) - {label for label, _, _ in targets}):
        found.append(f"{label}: không còn là kỳ đã kết thúc của sổ")
    for facts in DERIVED.values() if derived else ():
        found += facts.differences(labels)
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


def stored_sums(period_ids: list[int], by, *, association_id=None, commune_id=None) -> dict:
    """{period id: {key of `by` (None where none): {column: sum}}} over stored periods, in
    one statement (what a series of months reads), within an association and commune.
    `by`: a dimension, or a tuple of them (the keys are then tuples)."""
    dims = (by,) if isinstance(by, str) else tuple(by)
    for dim in dims:
        if dim not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dim!r}; use one of {DIMENSIONS}")
    keys = [f"{d}_id" for d in dims]
    table = "reporting_periodtotal" if all(k in TOTAL_KEYS for k in keys) else "reporting_periodcube"
    columns = (*STOCK_COLUMNS, *PERIOD_COLUMNS)
    where = ["period_id IN (" + (", ".join(str(int(i)) for i in period_ids) or "NULL") + ")"]
    params = []
    for name, value in (("association_id", association_id), ("commune_id", commune_id)):
        if value is not None:
            where.append(f"{name} = %s")
            params.append(int(value))
    sql = (
        f"SELECT period_id, {', '.join(keys)}, " + ", ".join(f"SUM({c})" for c in columns) + f" FROM {table}"
        f" WHERE {' AND '.join(where)} GROUP BY period_id, {', '.join(keys)}"
    )

    def fetch():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    result: dict = {}
    # kept between requests: a period rebuilt has a new id, one settled moves the book's state on
    for period_id, *row in kept("stored_sums", (sql, tuple(params)), fetch):
        key = row[0] if len(dims) == 1 else tuple(row[: len(dims)])
        sums = row[len(dims) :]
        result.setdefault(period_id, {})[key] = {c: int(v or 0) for c, v in zip(columns, sums, strict=True)}
    return result
