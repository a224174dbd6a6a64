"""What a dashboard shows of a unit at a date: its figures with the month, quarter and
year so far, its trends, its breakdown with grades, its targets and the communes that
moved most.

A unit is the scorecard's (emulation/scorecard.py): the district, an association, or one
association in one commune. Its figures are those an officer of it sees everywhere else
(`figure_sets_within`, the report API, `district_report` with the same scope): read from
the stored month-end figures for a month, quarter or year that has ended, computed over
the unit's part of the book for a period still under way. A fixed number of statements
whatever the size of the book.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.urls import reverse

from emulation.models import CommuneAssociationGrade, Every, GroupGrade
from emulation.scorecard import ASSOCIATION, COMMUNE_ASSOCIATION, DISTRICT, Book, Unit, evaluate, targets_of, units
from emulation.text import shown
from groups.models import Association, Commune, SavingsGroup
from reporting.cache import kept
from reporting.indicators import ASSOCIATION_ORDER, ZERO, Figures, figure_sets_within, monthly_series, series_point
from reporting.periods import Period
from vbsp_district.core.money import percent, vn_date, vnd
from vbsp_district.core.months import month_add

TREND_MONTHS = 24
BANDS = ("Tốt", "Khá", "Trung bình", "Yếu")
MOVERS = 5  # the communes that moved most in the month, on the manager's dashboard


@dataclass(frozen=True)
class Moment:
    """The date a dashboard shows and the periods it reads: the month, quarter and year
    under way at that date (cut at it), the last month and quarter that had ended by it."""

    as_of: date
    month: Period
    quarter: Period
    year: Period
    ended_month: Period
    ended_quarter: Period | None
    previous_month_end: date

    @property
    def whole_quarter(self) -> Period:
        """The date's quarter, whole (its number and months), whatever `quarter` reads."""
        return Period.quarter(self.as_of.year, (self.as_of.month - 1) // 3 + 1)

    @classmethod
    def at(cls, as_of: date) -> "Moment":
        y, m = as_of.year, as_of.month
        month = Period.month(y, m)
        ended_month = month if as_of == month.end else Period.month(*month_add(y, m, -1))
        quarters = [Period.quarter(y, q) for q in range(1, 5)] + [Period.quarter(y - 1, 4)]
        ended_quarter = max((q for q in quarters if q.end <= as_of), key=lambda q: q.end, default=None)
        return cls(
            as_of=as_of,
            month=month.so_far(as_of),
            quarter=_whole(Period.quarter(y, (m - 1) // 3 + 1).so_far(as_of)),
            year=_whole(Period.year(y).so_far(as_of)),
            ended_month=ended_month,
            ended_quarter=ended_quarter,
            previous_month_end=Period.month(*month_add(y, m, -1)).end,
        )

    @property
    def periods(self) -> dict[str, Period]:
        return {"month": self.month, "quarter": self.quarter, "year": self.year}


def _whole(period: Period) -> Period:
    """A period cut short under the name of the whole month or quarter it covers exactly
    (the year so far at 31/03 is the first quarter; the quarter so far at 31/10, October),
    so that the stored figures of that month or quarter answer it."""
    y, m = period.start.year, period.start.month
    for whole in (Period.month(y, m), Period.quarter(y, (m - 1) // 3 + 1)):
        if (whole.start, whole.end) == (period.start, period.end):
            return whole
    return period


@dataclass(frozen=True)
class Line:
    """One key's figures: the stock at the date and the flows of the month, quarter and
    year so far (each period's statement gives the same stock)."""

    month: Figures = ZERO
    quarter: Figures = ZERO
    year: Figures = ZERO

    def __getattr__(self, name):
        # the stock figures (outstanding, overdue, savings…) are the month's
        return getattr(self.month, name)

    @property
    def interest_rates(self) -> tuple:
        return (
            self.month.interest_collection_rate,
            self.quarter.interest_collection_rate,
            self.year.interest_collection_rate,
        )


def _lines(unit: Unit, moment: Moment, dims: list) -> list[dict]:
    """For each dimension, {key: Line} over the unit's part of the book: one statement per
    period (month, quarter, year so far)."""
    by_period = {
        name: figure_sets_within(
            [(), *dims], moment.as_of, period, association_id=unit.association_id, commune_id=unit.commune_id
        )
        for name, period in moment.periods.items()
    }
    result = []
    for index in range(len(dims) + 1):
        keys = dict.fromkeys(k for sets in by_period.values() for k in sets[index])
        result.append(
            {key: Line(**{name: sets[index].get(key, ZERO) for name, sets in by_period.items()}) for key in keys}
        )
    return result


# -- the breakdown ---------------------------------------------------------------------------
@dataclass
class Row:
    """A line of the breakdown: what it is about, its figures, its link and its grades."""

    label: str
    line: Line
    url: str | None = None
    code: str | None = None
    pk: int | None = None
    grades: Counter = field(default_factory=Counter)  # group grades of the ended month by band
    grade: str | None = None  # a commune association's quarter grade, a group's month grade
    points: int | None = None

    @property
    def graded(self) -> int:
        return sum(self.grades.values())

    @property
    def band_counts(self) -> list[int]:
        return [self.grades.get(band, 0) for band in BANDS]


def _group_grades(unit: Unit, month: Period) -> list[tuple]:
    """(group id, association id, commune id, grade, points) of the unit's groups for the month."""
    grades = GroupGrade.objects.filter(month=month.label)
    if unit.association_id is not None:
        grades = grades.filter(association_id=unit.association_id)
    if unit.commune_id is not None:
        grades = grades.filter(commune_id=unit.commune_id)
    return list(grades.values_list("group_id", "association_id", "commune_id", "grade", "points"))


def _unit_grades(unit: Unit, quarter: Period | None) -> dict[tuple[int, int], str]:
    """{(association id, commune id): grade} of the unit's commune associations for the quarter."""
    if quarter is None:
        return {}
    grades = CommuneAssociationGrade.objects.filter(quarter=quarter.label)
    if unit.association_id is not None:
        grades = grades.filter(association_id=unit.association_id)
    if unit.commune_id is not None:
        grades = grades.filter(commune_id=unit.commune_id)
    return {(a, c): g for a, c, g in grades.values_list("association_id", "commune_id", "grade")}


def _date_query(moment: Moment, today: date) -> str:
    return "" if moment.as_of == today else f"?date={vn_date(moment.as_of)}"


@dataclass
class Breakdown:
    total: Line
    associations: list[Row] = field(default_factory=list)  # the district: each association
    direct: Line | None = None  # the district: direct loans and savings outside groups
    communes: list[Row] = field(default_factory=list)  # the district and an association
    groups: list[Row] = field(default_factory=list)  # one association in one commune
    commune_grades: dict = field(default_factory=dict)  # {commune id: quarter grade} (an association)


def breakdown(unit: Unit, moment: Moment, today: date) -> Breakdown:
    """The unit's figures and its parts: associations and communes for the district,
    communes for an association, groups for one association in one commune."""
    query = _date_query(moment, today)
    grades = _group_grades(unit, moment.ended_month)
    if unit.level == COMMUNE_ASSOCIATION:
        total, by_group = _lines(unit, moment, [("group",)])
        graded = {g: (grade, points) for g, _a, _c, grade, points in grades}
        ids = set(by_group) | set(graded)
        ids.discard(None)
        groups = SavingsGroup.objects.filter(pk__in=ids).order_by("code")
        rows = []
        for group in groups:
            grade, points = graded.get(group.pk, (None, None))
            url = reverse("group_detail", args=[group.code]) + query
            line = by_group.get(group.pk, Line())
            rows.append(Row(f"{group.code} · {group.name}", line, url, group.code, grade=grade, points=points))
        return Breakdown(total=total.get(None, Line()), groups=rows)

    dims = [("association",), ("commune",)] if unit.level == DISTRICT else [("commune",)]
    total, *sets = _lines(unit, moment, dims)
    by_commune_grades: dict = defaultdict(Counter)
    by_association_grades: dict = defaultdict(Counter)
    for _g, association_id, commune_id, grade, _points in grades:
        by_commune_grades[commune_id][grade] += 1
        by_association_grades[association_id][grade] += 1
    result = Breakdown(total=total.get(None, Line()))
    by_commune = sets[-1]
    unit_grades = _unit_grades(unit, moment.ended_quarter)
    communes = Commune.objects.order_by("code")
    for commune in communes:
        line = by_commune.get(commune.pk)
        if line is None and not by_commune_grades.get(commune.pk):
            continue
        if unit.level == DISTRICT:
            url = reverse("commune_detail", args=[commune.code]) + query
        else:
            url = reverse("dashboard_unit", args=[f"{commune.code}-{unit.association_code}"]) + query
        row = Row(commune.name, line or Line(), url, commune.code, pk=commune.pk)
        row.grades = by_commune_grades.get(commune.pk, Counter())
        if unit.level == ASSOCIATION:
            row.grade = unit_grades.get((unit.association_id, commune.pk))
        result.communes.append(row)
    if unit.level == DISTRICT:
        by_association = sets[0]
        associations = {a.code: a for a in Association.objects.all()}
        for code in ASSOCIATION_ORDER:
            association = associations.get(code)
            if association is None:
                continue
            result.associations.append(
                Row(
                    association.name,
                    by_association.get(association.pk, Line()),
                    reverse("dashboard_unit", args=[code]) + query,
                    code,
                    grades=by_association_grades.get(association.pk, Counter()),
                )
            )
        result.direct = by_association.get(None, Line())
    return result


# -- trends ----------------------------------------------------------------------------------
@dataclass
class Trends:
    months: list[Period]
    total: list[dict]  # the unit's points, month by month (reporting.indicators.series_point)
    associations: list[tuple[str, str, list[dict]]]  # the district: (code, name, points) of each


def trends(unit: Unit, moment: Moment, figures: Breakdown) -> Trends:
    """The 24 months to the date's month: the months that ended from the store in one
    statement; the date's month from the figures already read (stock at the date, the
    month so far)."""
    y, m = moment.as_of.year, moment.as_of.month
    months = [Period.month(*month_add(y, m, k - TREND_MONTHS + 1)) for k in range(TREND_MONTHS)]
    earlier = months[:-1]
    series = monthly_series(
        earlier, "association", today=moment.as_of, association_id=unit.association_id, commune_id=unit.commune_id
    )
    last = moment.month
    total = series["total"] + [series_point(last, moment.as_of, figures.total.month)]
    associations = []
    if unit.level == DISTRICT:
        mine = {row.code: row.line.month for row in figures.associations}
        for row in series["series"]:
            points = row["points"] + [series_point(last, moment.as_of, mine.get(row["code"], ZERO))]
            associations.append((row["code"], row["name"], points))
    return Trends(months=months, total=total, associations=associations)


# -- targets ---------------------------------------------------------------------------------
@dataclass
class TargetLine:
    target: object
    met: bool | None  # every ended period so far
    cells: list[dict]  # [{label, met, value, url}] of the periods shown


def _cell_url(unit: Unit, target, label: str, met) -> str:
    code = unit.code or DISTRICT
    if met is False:
        return reverse("scorecard_cell", args=[code, target.code, label])
    return reverse("scorecard_unit", args=[code]) + f"?year={label[:4]}"


def target_lines(unit: Unit, moment: Moment, book: Book, *, quarter_only: bool = False) -> list:
    """The year's targets for the unit, met or missed so far: each period ended by the
    date (`quarter_only`: those of the date's quarter), each linking to its scorecard cell."""
    lines = []
    for target in book.targets:
        if unit.level not in target.levels:
            continue
        result = evaluate(target, book, unit)
        periods = result.periods
        if quarter_only:
            periods = [p for p in periods if _in_quarter(p["period"], moment.whole_quarter, target.every)]
        cells = [
            {
                "label": p["period"],
                "short": _short(p["period"]),
                "met": p["met"],
                "value": shown(target, unit, p["value"]),
                "url": _cell_url(unit, target, p["period"], p["met"]),
            }
            for p in periods
        ]
        lines.append(TargetLine(target, result.met, cells))
    return lines


def _in_quarter(label: str, quarter: Period, every: str) -> bool:
    if every == Every.QUARTER:
        return label == quarter.label
    return quarter.start <= Period.parse(label).start <= quarter.end


def _short(label: str) -> str:
    """'2020-03' → 'Th3' (tháng 3), '2020Q1' → 'Q1'."""
    return f"Q{label[-1]}" if "Q" in label else f"Th{int(label[5:7])}"


def book_for(moment: Moment) -> Book | None:
    """The scorecard's facts for the date's year, once for every unit on a page, with the
    year's targets (`book.targets`); None for a year without targets."""
    year = moment.as_of.year
    targets = targets_of(year)
    if not targets:
        return None
    book = kept("scorecard_book", (year, moment.as_of), lambda: Book(year, moment.as_of, units(year)))
    book.targets = targets
    return book


# -- the communes that moved most in the month ----------------------------------------------------
@dataclass
class Mover:
    row: Row
    before: Figures
    outstanding_change: int
    overdue_change: int

    @property
    def overdue_ratio_change(self) -> float | None:
        now, then = self.row.line.overdue_ratio, self.before.overdue_ratio
        if now is None or then is None:
            return None
        return now - then


def movers(unit: Unit, moment: Moment, figures: Breakdown) -> list[Mover]:
    """The communes whose overdue, then outstanding, changed most since the previous month
    end (read from the store)."""
    (before,) = figure_sets_within(
        [("commune",)],
        moment.previous_month_end,
        association_id=unit.association_id,
        commune_id=unit.commune_id,
    )
    rows = []
    for row in figures.communes:
        then = before.get(row.pk, ZERO)
        rows.append(Mover(row, then, row.line.outstanding - then.outstanding, row.line.overdue - then.overdue))
    rows.sort(key=lambda m: (-abs(m.overdue_change), -abs(m.outstanding_change), m.row.code))
    return [m for m in rows if m.overdue_change or m.outstanding_change][:MOVERS]


# -- the office side by side ------------------------------------------------------------------
SIDE_BY_SIDE = [
    ("Dư nợ", lambda x: vnd(x.outstanding)),
    ("Tăng, giảm so với đầu năm", lambda x: vnd(x.change_since_year_start)),
    ("Nợ quá hạn", lambda x: vnd(x.overdue)),
    ("Tỷ lệ nợ quá hạn", lambda x: percent(x.overdue_ratio)),
    ("Tỷ lệ thu lãi trong tháng", lambda x: percent(x.month.interest_collection_rate)),
    ("Tỷ lệ thu lãi trong quý", lambda x: percent(x.quarter.interest_collection_rate)),
    ("Tỷ lệ thu lãi từ đầu năm", lambda x: percent(x.year.interest_collection_rate)),
    ("Lãi tồn đọng", lambda x: vnd(x.interest_arrears)),
    ("Thu hồi lãi tồn đọng từ đầu năm", lambda x: percent(x.year.arrears_recovery_rate)),
    ("Tiền gửi tiết kiệm", lambda x: vnd(x.savings_balance)),
    ("Tổ có tiền gửi tiết kiệm / số tổ", lambda x: f"{vnd(x.groups_with_savings)} / {vnd(x.groups)}"),
]


def side_by_side(parts: Breakdown, month: Period) -> list[tuple[str, list[str]]]:
    """The district's figures as rows, with a column for each association, the direct
    loans and the office: (title, [cell text])."""
    lines = [row.line for row in parts.associations] + [parts.direct or Line(), parts.total]
    rows = [(title, [value(line) for line in lines]) for title, value in SIDE_BY_SIDE]
    label = f"Xếp loại tổ tháng {month.start.month:02d}/{month.start.year} (Tốt / Khá / TB / Yếu)"
    rows.append((label, [" / ".join(map(str, row.band_counts)) for row in parts.associations] + ["—", "—"]))
    return rows


def quarter_grid(moment: Moment, book: Book) -> dict:
    """The date's quarter against the targets for the district and each association:
    {units, rows: [(target, [cells of each unit, or None where the target does not apply])]}."""
    shown_units = [u for u in book.units if u.level in (DISTRICT, ASSOCIATION)]
    by_unit = [
        {line.target.code: line for line in target_lines(u, moment, book, quarter_only=True)} for u in shown_units
    ]
    rows = []
    for target in book.targets:
        columns = [lines[target.code].cells if target.code in lines else None for lines in by_unit]
        if any(c is not None for c in columns):
            rows.append((target, columns))
    return {"units": shown_units, "rows": rows}
