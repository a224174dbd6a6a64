"""The indicators engine: every figure of DESIGN §4, computed set-based in the database.

Selectors, for the district report and for the pages that reuse it (dashboards per
association or commune, the quarterly exports, the scorecard):

- `figures_by(dimension, as_of, period=None)` → {key: Figures}: the figures grouped by
  one dimension ('association', 'commune', 'group', 'program'), by a tuple of them
  (keys are then tuples of ids) or by () for the whole district (key None).
- `figure_sets([dimension, ...], as_of, period=None)` → one such dict per dimension, all
  from a single query.
- `loan_figures(as_of, period=None, loan_ids=None)` → {loan id: {...}}: the per-loan
  figures the aggregates are made of.
- `district_figures(as_of, period=None, by_group=False)` → the object of
  formats/district-report.md; with `association_id` (and `commune_id`), an association
  officer's version of it.
- `monthly_series(months, by)` → month by month, the figures of the report API's series.

Stock figures use the attribution at `as_of`, the year-start outstanding the attribution
at the year start (31/12 of the previous year, so an association's base is what it held
then), a period's flows and rates the attribution at the period's last day. A key None
gathers what has no value for the dimension (direct loans under 'association').
"""

from dataclasses import dataclass, fields
from datetime import date
from fractions import Fraction

from django.db import connection
from django.db.models import Exists, OuterRef

from groups.models import Association, Commune
from lending.models import Loan, LoanProgram
from lending.selectors import bills_beyond_cache
from vbsp_district.core.money import round_half_up

from .cache import kept
from .periods import Period
from .sql import DIMENSIONS, LOAN_COLUMNS, PERIOD_COLUMNS, BookQuery, Scope, StoredQuery
from .store import current_periods, first_book_day, stored_period, stored_sums

__all__ = [
    "ASSOCIATION_ORDER",
    "Figures",
    "Period",
    "district_figures",
    "figure_sets",
    "figures_by",
    "loan_figures",
    "monthly_series",
    "series_point",
    "ratio",
]

ASSOCIATION_ORDER = ("HND", "HPN", "CCB", "DTN")


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator rounded half up to 6 decimals; None when the denominator is 0."""
    if not denominator:
        return None
    return round_half_up(Fraction(numerator * 10**6, denominator)) / 10**6


@dataclass(frozen=True)
class Figures:
    """Totals of one key of a dimension. Amounts in đồng; period fields 0 without a period."""

    outstanding: int = 0
    entrusted_outstanding: int = 0
    overdue: int = 0
    entrusted_overdue: int = 0
    frozen: int = 0
    interest_arrears: int = 0
    loans: int = 0
    borrowers: int = 0
    outstanding_year_start: int = 0
    entrusted_outstanding_year_start: int = 0
    groups: int = 0
    members: int = 0
    members_saving: int = 0  # members with a savings balance > 0 (DESIGN §5, group grading)
    savings_balance: int = 0
    groups_with_savings: int = 0
    disbursed: int = 0
    principal_repaid: int = 0
    principal_written_off: int = 0
    principal_due: int = 0
    principal_collected_of_due: int = 0
    interest_billed: int = 0
    interest_paid: int = 0
    interest_applied_current: int = 0
    interest_arrears_start: int = 0
    interest_applied_arrears: int = 0
    interest_arrears_end: int = 0
    principal_falling_due: int = 0  # T4 of the 2020 targets (formats/scorecard.md)
    principal_handled_on_time: int = 0

    @property
    def direct_outstanding(self) -> int:
        return self.outstanding - self.entrusted_outstanding

    @property
    def entrusted_share(self) -> float | None:
        return ratio(self.entrusted_outstanding, self.outstanding)

    @property
    def change_since_year_start(self) -> int:
        return self.outstanding - self.outstanding_year_start

    @property
    def entrusted_change_since_year_start(self) -> int:
        return self.entrusted_outstanding - self.entrusted_outstanding_year_start

    @property
    def overdue_ratio(self) -> float | None:
        return ratio(self.overdue, self.outstanding)

    @property
    def entrusted_overdue_ratio(self) -> float | None:
        return ratio(self.entrusted_overdue, self.entrusted_outstanding)

    @property
    def principal_collection_rate(self) -> float | None:
        return ratio(self.principal_collected_of_due, self.principal_due)

    @property
    def principal_on_time_rate(self) -> float | None:
        """T4: the share of the principal falling due that was handled by its due date."""
        return ratio(self.principal_handled_on_time, self.principal_falling_due)

    @property
    def interest_collection_rate(self) -> float | None:
        return ratio(self.interest_applied_current, self.interest_billed)

    @property
    def arrears_recovery_rate(self) -> float | None:
        return ratio(self.interest_applied_arrears, self.interest_arrears_start)

    def period_dict(self, period: Period) -> dict:
        """The `period` object of the report for these figures."""
        return {
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "disbursed": self.disbursed,
            "principal_repaid": self.principal_repaid,
            "principal_written_off": self.principal_written_off,
            "principal_due": self.principal_due,
            "principal_collected_of_due": self.principal_collected_of_due,
            "principal_collection_rate": self.principal_collection_rate,
            "interest_billed": self.interest_billed,
            "interest_paid": self.interest_paid,
            "interest_applied_current": self.interest_applied_current,
            "interest_collection_rate": self.interest_collection_rate,
            "interest_arrears_start": self.interest_arrears_start,
            "interest_applied_arrears": self.interest_applied_arrears,
            "arrears_recovery_rate": self.arrears_recovery_rate,
            "interest_arrears_end": self.interest_arrears_end,
        }


ZERO = Figures()
_FIELDS = {f.name for f in fields(Figures)}
# every field but the distinct borrowers adds up over the keys of a dimension
_ADDITIVE = tuple(name for name in _FIELDS if name != "borrowers")


def total_of(figures) -> Figures:
    """The sum of several keys' figures (borrowers, counted distinct, are not summed)."""
    figures = list(figures)
    return Figures(**{c: sum(getattr(f, c) for f in figures) for c in _ADDITIVE})


def _period(period) -> Period | None:
    if period is None or isinstance(period, Period):
        return period
    return Period.parse(period)


def _dimension(dimension) -> tuple[str, ...]:
    dims = (dimension,) if isinstance(dimension, str) else tuple(dimension)
    for dim in dims:
        if dim not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dim!r}; use one of {DIMENSIONS}")
    return dims


def _last_day(as_of: date, period: Period | None) -> date:
    return max(as_of, period.end) if period is not None else as_of


def _query(as_of: date, period, loan_ids=None, scope: Scope | None = None) -> BookQuery:
    """The statement, with the bills the cache does not hold yet computed in memory."""
    return BookQuery(
        as_of,
        period,
        extra_bills=bills_beyond_cache(_last_day(as_of, period), loan_ids),
        loan_ids=loan_ids,
        scope=scope,
    )


def _aggregate_rows(as_of: date, period: Period | None, dims: list, scope: Scope | None, within: dict | None):
    """(value columns, rows) of the aggregate over `dims`: the stored period's when it
    answers (as_of, period) and is current (reporting/store.py), only the rows of the keys
    `within` names; else the live statement over the ledger (over `scope` only). Either is
    kept between requests while the book is unchanged (reporting/cache.py): a stored
    period rebuilt has a new id, one settled moves the book's state on."""
    stored = stored_period(period, as_of)
    if stored is not None:
        return kept(
            "stored_sets",
            (stored, period, tuple(dims), within),
            lambda: _run_aggregate(StoredQuery(stored, period, within), dims),
        )
    return kept(
        "figure_sets",
        (as_of, period, tuple(dims), scope),
        lambda: _run_aggregate(_query(as_of, period, scope=scope), dims),
    )


def _run_aggregate(query: BookQuery, dims: list) -> tuple[tuple, list]:
    with connection.cursor() as cursor:
        cursor.execute(query.aggregate_sql(dims), query.params)
        return tuple(query.value_columns), cursor.fetchall()


def figure_sets(
    dimensions, as_of: date, period=None, *, scope: Scope | None = None, within: dict | None = None
) -> list[dict]:
    """For each dimension (str, tuple of str, or () for the district): {key: Figures}.

    One query for all of them (plus the store's or the bills' check). Keys are ids (a
    tuple of ids for a tuple dimension, None for ()); only keys that have a figure
    appear. Writes nothing. `scope`: computed live over that part of the book only, for a
    caller that keeps only the keys the scope covers whole; `within` ({dimension: id}):
    read from the store, only the rows of those keys, for a caller that keeps only them.
    """
    period = _period(period)
    dims = [_dimension(d) for d in dimensions]
    if not dims:
        return []
    value_columns, rows = _aggregate_rows(as_of, period, dims, scope, within)
    names = ["dimension", "part", *(f"k{i}" for i in range(len(DIMENSIONS)))]
    names += list(value_columns) + ["borrowers"]
    sums: list[dict] = [{} for _ in dims]
    borrowers: list[dict] = [{} for _ in dims]
    for row in rows:
        values = dict(zip(names, row, strict=True))
        index, part = values.pop("dimension"), values.pop("part")
        keys = tuple(values.pop(f"k{i}") for i in range(len(DIMENSIONS)))[: len(dims[index])]
        key = None if not keys else keys[0] if len(keys) == 1 else keys
        if part == 0:
            values.pop("borrowers")
            sums[index][key] = {k: int(v or 0) for k, v in values.items()}
        else:
            borrowers[index][key] = int(values["borrowers"])
    return [
        {
            key: Figures(**sums[i].get(key, {}), borrowers=borrowers[i].get(key, 0))
            for key in dict.fromkeys([*sums[i], *borrowers[i]])
        }
        for i in range(len(dims))
    ]


def figure_sets_within(
    dimensions, as_of: date, period=None, *, association_id: int | None = None, commune_id: int | None = None
) -> list[dict]:
    """`figure_sets` inside one association (its entrusted loans and its groups' savings)
    and, with `commune_id`, one commune: what an association officer's scope sees. Keys
    are those of each dimension alone, as from `figure_sets`. One query."""
    fixed = {name: key for name, key in (("association", association_id), ("commune", commune_id)) if key is not None}
    if not fixed:
        return figure_sets(dimensions, as_of, period)
    dims = [_dimension(d) for d in dimensions]
    merged = [tuple(fixed) + tuple(d for d in dim if d not in fixed) for dim in dims]
    result = []
    sets = figure_sets(merged, as_of, period, scope=Scope.within(association_id, commune_id), within=fixed)
    for dim, names, figures in zip(dims, merged, sets, strict=True):
        mine = {}
        for key, value in figures.items():
            named = dict(zip(names, key if isinstance(key, tuple) else (key,), strict=True))
            if all(named[name] == wanted for name, wanted in fixed.items()):
                rest = tuple(named[d] for d in dim)
                mine[None if not rest else rest[0] if len(rest) == 1 else rest] = value
        result.append(mine)
    return result


def figures_by(dimension, as_of: date, period=None) -> dict:
    """{key: Figures} for one dimension; see `figure_sets`."""
    return figure_sets([dimension], as_of, period)[0]


def loan_figures(as_of: date, period=None, loan_ids=None, *, scope: Scope | None = None) -> dict[int, dict]:
    """Per loan: attribution at `as_of` (association_id, commune_id, group_id), program_id,
    outstanding, frozen, overdue, maturity, interest_balance (arrears > 0, credit < 0),
    outstanding_year_start and, with a period, the period columns. Loans disbursed after
    the last day looked at are left out. `scope`: only the loans of its members (a caller
    keeps those attributed to its keys)."""
    period = _period(period)
    query = _query(as_of, period, loan_ids, scope=scope)
    names = list(LOAN_COLUMNS) + (list(PERIOD_COLUMNS) if period is not None else [])
    with connection.cursor() as cursor:
        cursor.execute(query.loan_sql(loan_ids), query.params)
        rows = cursor.fetchall()
    result = {}
    for row in rows:
        values = dict(zip(names, row, strict=True))
        for name, value in values.items():
            if name == "maturity":
                if isinstance(value, str):
                    values[name] = date.fromisoformat(value)
            elif value is not None:
                values[name] = int(value)
        result[values["loan_id"]] = values
    return result


def _groups_active(as_of: date) -> list[tuple]:
    query = BookQuery(as_of)
    with connection.cursor() as cursor:
        cursor.execute(query.group_list_sql(), {"d": as_of})
        return cursor.fetchall()


def _organization_row(code: str, name: str, f: Figures, *, entrusted_part: bool = False) -> dict:
    """A by_association or by_commune row (the commune's also splits out the entrusted part)."""
    row = {"code": code, "name": name, "outstanding": f.outstanding}
    if entrusted_part:
        row["entrusted_outstanding"] = f.entrusted_outstanding
    row |= {
        "change_since_year_start": f.change_since_year_start,
        "overdue": f.overdue,
        "overdue_ratio": f.overdue_ratio,
        "frozen": f.frozen,
        "interest_arrears": f.interest_arrears,
        "loans": f.loans,
        "borrowers": f.borrowers,
        "groups": f.groups,
        "savings_balance": f.savings_balance,
        "groups_with_savings": f.groups_with_savings,
    }
    return row


def district_figures(
    as_of: date,
    period=None,
    by_group: bool = False,
    *,
    association_id: int | None = None,
    commune_id: int | None = None,
) -> dict:
    """The district report (formats/district-report.md): JSON-ready, keys in order.

    With `association_id` (and `commune_id`), the same keys over one association's
    entrusted loans and groups (in one commune): an association officer's report, in
    which no other association appears. A fixed number of queries whatever the size of
    the book: the bills check, one aggregate query for every dimension, the
    associations, communes and programs, and with `by_group` the list of groups.
    """
    period = _period(period)
    dims = [(), ("association",), ("commune",), ("program",)] + ([("group",)] if by_group else [])
    sets = figure_sets_within(dims, as_of, period, association_id=association_id, commune_id=commune_id)
    total, by_association, by_commune, by_program = sets[:4]
    total = total.get(None, ZERO)

    def with_period(row: dict, f: Figures) -> dict:
        if period is not None:
            row["period"] = f.period_dict(period)
        return row

    report = {
        "as_of": as_of.isoformat(),
        "portfolio": {
            "outstanding": total.outstanding,
            "entrusted_outstanding": total.entrusted_outstanding,
            "direct_outstanding": total.direct_outstanding,
            "entrusted_share": total.entrusted_share,
            "outstanding_year_start": total.outstanding_year_start,
            "entrusted_outstanding_year_start": total.entrusted_outstanding_year_start,
            "entrusted_change_since_year_start": total.entrusted_change_since_year_start,
            "overdue": total.overdue,
            "overdue_ratio": total.overdue_ratio,
            "entrusted_overdue": total.entrusted_overdue,
            "entrusted_overdue_ratio": total.entrusted_overdue_ratio,
            "frozen": total.frozen,
            "interest_arrears": total.interest_arrears,
            "loans": total.loans,
            "borrowers": total.borrowers,
            "groups": total.groups,
            "savings_balance": total.savings_balance,
            "groups_with_savings": total.groups_with_savings,
        },
    }

    associations = {a.code: a for a in Association.objects.filter(code__in=ASSOCIATION_ORDER)}
    report["by_association"] = []
    for code in ASSOCIATION_ORDER:
        association = associations.get(code)
        if association_id is not None and (association is None or association.pk != association_id):
            continue
        f = by_association.get(association.pk, ZERO) if association else ZERO
        row = _organization_row(code, association.name if association else code, f)
        report["by_association"].append(with_period(row, f))

    communes = Commune.objects.order_by("code")
    if commune_id is not None:
        communes = communes.filter(pk=commune_id)
    report["by_commune"] = []
    for commune in communes:
        f = by_commune.get(commune.pk, ZERO)
        row = _organization_row(commune.code, commune.name, f, entrusted_part=True)
        report["by_commune"].append(with_period(row, f))

    # a semi-join: one index probe per program rather than a join with every loan
    disbursed = Loan.objects.filter(program=OuterRef("pk"), disbursed_on__lte=_last_day(as_of, period))
    programs = LoanProgram.objects.filter(Exists(disbursed)).order_by("code")
    if association_id is not None:
        # the programs the scope has a figure in: another association's lending stays unseen
        programs = programs.filter(pk__in=[key for key in by_program if key is not None])
    report["by_program"] = []
    for program in programs:
        f = by_program.get(program.pk, ZERO)
        row = {
            "code": program.code,
            "name": program.name,
            "outstanding": f.outstanding,
            "overdue": f.overdue,
            "frozen": f.frozen,
            "loans": f.loans,
            "borrowers": f.borrowers,
        }
        report["by_program"].append(with_period(row, f))

    if by_group:
        by_group_figures = sets[4]
        report["by_group"] = []
        in_association = {a.code for a in associations.values() if a.pk == association_id}
        in_commune = {c.code for c in communes}
        for group_id, code, _name, commune_code, association_code in _groups_active(as_of):
            if association_id is not None and association_code not in in_association:
                continue
            if commune_id is not None and commune_code not in in_commune:
                continue
            f = by_group_figures.get(group_id, ZERO)
            row = {
                "code": code,
                "commune_code": commune_code,
                "association_code": association_code,
                "outstanding": f.outstanding,
                "overdue": f.overdue,
                "members": f.members,
                "borrowers": f.borrowers,
                "savings_balance": f.savings_balance,
            }
            report["by_group"].append(with_period(row, f))

    if period is not None:
        report["period"] = total.period_dict(period)
    return report


# -- monthly series ------------------------------------------------------------------------
SERIES_DIMENSIONS = ("association", "commune", "program")
MAX_SERIES_MONTHS = 36


def series_point(month: Period, as_of: date, f: Figures) -> dict:
    return {
        "month": month.label,
        "as_of": as_of.isoformat(),
        "outstanding": f.outstanding,
        "overdue": f.overdue,
        "overdue_ratio": f.overdue_ratio,
        "interest_billed": f.interest_billed,
        "interest_collection_rate": f.interest_collection_rate,
        "principal_due": f.principal_due,
        "principal_collection_rate": f.principal_collection_rate,
        "savings_balance": f.savings_balance,
        "groups_with_savings": f.groups_with_savings,
    }


def monthly_series(
    months: list[Period],
    by: str,
    *,
    today: date,
    association_id: int | None = None,
    commune_id: int | None = None,
) -> dict:
    """Month by month, the total and each key of `by` ('association', 'commune' or
    'program'): stock figures at the month's last day (today for the month under way),
    the month's flows and rates. Scoped like `district_figures`. The months stored and
    current are read in one statement; any other month costs one statement of its own."""
    if by not in SERIES_DIMENSIONS:
        raise ValueError(f"unknown dimension {by!r}; use one of {SERIES_DIMENSIONS}")
    # the months stored and current are read together, in one statement; the rest live
    stored = current_periods([m.label for m in months])
    sums = (
        stored_sums(list(stored.values()), by, association_id=association_id, commune_id=commune_id) if stored else {}
    )
    total_points, points = [], {}
    unstored = [m for m in months if m.label not in stored]
    first = first_book_day() if unstored else None
    for month in months:
        as_of = min(month.end, today)
        if month.label in stored:
            keyed = {key: Figures(**values) for key, values in sums.get(stored[month.label], {}).items()}
            total = total_of(keyed.values())
        elif first is None or month.end < first:  # before the book's first day: nothing yet
            total, keyed = ZERO, {}
        else:  # the month under way (its flows so far), or one not stored: live
            total, keyed = figure_sets_within(
                [(), (by,)], as_of, month.so_far(today), association_id=association_id, commune_id=commune_id
            )
            total = total.get(None, ZERO)
        total_points.append(series_point(month, as_of, total))
        for key, f in keyed.items():
            if key is not None:
                points.setdefault(key, {})[month.label] = series_point(month, as_of, f)
    if by == "association":
        units = Association.objects.filter(code__in=ASSOCIATION_ORDER)
        if association_id is not None:
            units = units.filter(pk=association_id)
        units = sorted(units, key=lambda a: ASSOCIATION_ORDER.index(a.code))
    elif by == "commune":
        units = Commune.objects.order_by("code")
        if commune_id is not None:
            units = units.filter(pk=commune_id)
    else:
        units = LoanProgram.objects.filter(pk__in=list(points)).order_by("code")
    rows = []
    for unit in units:
        mine = points.get(unit.pk, {})
        rows.append(
            {
                "code": unit.code,
                "name": unit.name,
                "points": [mine.get(m.label) or series_point(m, min(m.end, today), ZERO) for m in months],
            }
        )
    return {
        "by": by,
        "from": months[0].label,
        "to": months[-1].label,
        "total": total_points,
        "series": rows,
    }
