"""The emulation scorecard: the year's targets evaluated for every unit and every ended
period (DESIGN §5, formats/scorecard.md).

The figures come from the stored month-end figures (reporting/store.py) and the stored
grades; the outreach targets count the news items and meetings as recorded. A value is
computed as an exact fraction and compared with the target's threshold exactly; the JSON
carries it rounded to 6 decimals, like `district_report`.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count

from groups.models import Association, Commune, NewsItem, SavingsGroup
from reporting.indicators import ZERO, Figures, figure_sets, total_of
from reporting.periods import Period
from reporting.store import current_periods, stored_sums

from .grading import GOOD, WEAK, readable, share
from .meetings import assignments_by_group, association_on, meeting_rows_of, meeting_tally
from .models import CommuneAssociationGrade, EmulationTarget, Every, GroupGrade

DISTRICT, ASSOCIATION, COMMUNE_ASSOCIATION = "district", "association", "commune_association"
LEVELS = (DISTRICT, ASSOCIATION, COMMUNE_ASSOCIATION)
LEVEL_NAMES = {DISTRICT: "Toàn phòng giao dịch", ASSOCIATION: "Tổ chức hội", COMMUNE_ASSOCIATION: "Hội cấp xã"}
# T9 counts the news on these channels; T10 the commune loudspeaker's
PRESS = [c for c in NewsItem.Channel.values if c != NewsItem.Channel.COMMUNE_LOUDSPEAKER]


@dataclass(frozen=True)
class Unit:
    """A unit the scorecard evaluates: the district, an association, or one association
    in one commune."""

    level: str
    code: str | None
    name: str
    association_id: int | None = None
    commune_id: int | None = None
    association_code: str | None = None
    commune_code: str | None = None

    def as_json(self) -> dict:
        data = {"level": self.level, "code": self.code}
        if self.level == COMMUNE_ASSOCIATION:
            data |= {"commune": self.commune_code, "association": self.association_code}
        return data | {"name": self.name}

    def covers(self, association_id, commune_id=None) -> bool:
        """Whether a key (an association, and a commune where known) is this unit's."""
        if association_id is None:
            return False  # direct loans and savings outside groups belong to no unit
        if self.level == DISTRICT:
            return True
        if self.association_id != association_id:
            return False
        return self.level == ASSOCIATION or self.commune_id == commune_id


@dataclass
class Result:
    """One target's periods for one unit: [(period label, value, met, extra)]."""

    periods: list = field(default_factory=list)

    @property
    def met(self):
        verdicts = [p["met"] for p in self.periods if p["met"] is not None]
        if not verdicts:
            return None
        return all(verdicts)


def _groups_in_year(year: int) -> list[tuple[int, int, date, date]]:
    """(group id, commune id, first day, last day) of every group active at some day of the
    year, its active days cut to the year."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    rows = SavingsGroup.objects.filter(founded_on__lte=end).exclude(dissolved_on__lte=start)
    return [
        (pk, commune_id, max(founded_on, start), min(dissolved_on - timedelta(days=1), end) if dissolved_on else end)
        for pk, commune_id, founded_on, dissolved_on in rows.values_list(
            "pk", "commune_id", "founded_on", "dissolved_on"
        )
    ]


def _associations_while(assignments: list[tuple[date, int, int]], first: date, last: date) -> set[int]:
    """The associations managing a group on some day of [first, last]: the one in force on
    `first`, and those assigned later in the span."""
    current = association_on(assignments, first)
    return {current} | {association for day, _pk, association in assignments if first < day <= last}


def units(year: int) -> list[Unit]:
    """The district, the four associations, and every commune association with a group
    active at some day of the year, ordered by commune code, then association order."""
    associations = list(Association.objects.order_by("position", "code"))
    communes = {c.pk: c for c in Commune.objects.all()}
    assignments = assignments_by_group()
    pairs = set()
    for group_id, commune_id, first, last in _groups_in_year(year):
        if assignments[group_id]:
            pairs |= {(commune_id, a) for a in _associations_while(assignments[group_id], first, last)}
    order = {a.pk: i for i, a in enumerate(associations)}
    by_pk = {a.pk: a for a in associations}
    result = [Unit(DISTRICT, None, LEVEL_NAMES[DISTRICT])]
    result += [Unit(ASSOCIATION, a.code, a.name, association_id=a.pk, association_code=a.code) for a in associations]
    for commune_id, association_id in sorted(pairs, key=lambda p: (communes[p[0]].code, order[p[1]])):
        commune, association = communes[commune_id], by_pk[association_id]
        result.append(
            Unit(
                COMMUNE_ASSOCIATION,
                f"{commune.code}-{association.code}",
                f"{association.name} {commune.name}",
                association_id=association_id,
                commune_id=commune_id,
                association_code=association.code,
                commune_code=commune.code,
            )
        )
    return result


def seen_by(scope):
    """The predicate of the units a user's scope may see: every unit for staff and
    managers; an association officer's association and its commune associations (a
    commune-level officer: theirs in their commune)."""
    if scope.sees_everything:
        return lambda unit: True

    def visible(unit):
        if unit.level == DISTRICT or unit.association_id != scope.association_id:
            return False
        if scope.commune_id:
            return unit.level == COMMUNE_ASSOCIATION and unit.commune_id == scope.commune_id
        return True

    return visible


def ended_periods(year: int, every: str, as_of: date) -> list[Period]:
    """The months or quarters of the year that have ended by `as_of`, in order."""
    if every == Every.QUARTER:
        periods = [Period.quarter(year, q) for q in range(1, 5)]
    else:
        periods = [Period.month(year, m) for m in range(1, 13)]
    return [p for p in periods if p.end <= as_of]


# -- what each target reads, gathered once for the year ----------------------------------
class Book:
    """The year's facts the targets read, a few set-based reads per period."""

    def __init__(self, year: int, as_of: date, units: list[Unit], only: Period | None = None):
        """`only`: the facts of that one ended period alone (a cell's page)."""
        self.year, self.as_of, self.units = year, as_of, units
        self.months = ended_periods(year, Every.MONTH, as_of)
        self.quarters = ended_periods(year, Every.QUARTER, as_of)
        if only is not None:
            self.months = [p for p in self.months if p.label == only.label]
            self.quarters = [p for p in self.quarters if p.label == only.label]
        self.communes_of = defaultdict(set)  # association id → its commune associations' communes
        for unit in units:
            if unit.level == COMMUNE_ASSOCIATION:
                self.communes_of[unit.association_id].add(unit.commune_id)
        self.figures = {label: self._by_unit(f) for label, f in self._figures(self.months + self.quarters).items()}
        self.group_grades = self._group_grades()
        self.unit_grades = self._unit_grades()
        self.press, self.broadcasts = self._news()
        self.meetings = {label: meeting_tally(rows) for label, rows in meeting_rows_of(self.months).items()}

    @staticmethod
    def _figures(periods: list[Period]) -> dict:
        """{period label: {(commune id, association id): Figures}} at each period's last
        day: the stored periods in one statement, any other from the book."""
        stored = current_periods([p.label for p in periods])
        sums = stored_sums(list(stored.values()), ("commune", "association")) if stored else {}
        figures = {}
        for period in periods:
            if period.label in stored:
                rows = sums.get(stored[period.label], {})
                figures[period.label] = {key: Figures(**values) for key, values in rows.items()}
            else:
                (figures[period.label],) = figure_sets([("commune", "association")], period.end, period)
        return figures

    @staticmethod
    def _by_unit(figures: dict) -> dict:
        """{None: the district's, association id: its, (commune, association): its} Figures
        of one period, each summed once."""
        parts: dict = defaultdict(list)
        for (commune_id, association_id), f in figures.items():
            if association_id is None:
                continue  # direct loans and savings outside groups belong to no unit
            parts[None].append(f)
            parts[association_id].append(f)
            parts[(commune_id, association_id)].append(f)
        return {key: total_of(values) for key, values in parts.items()}

    def figures_of(self, unit: Unit, period: Period) -> Figures:
        if unit.level == DISTRICT:
            key = None
        elif unit.level == ASSOCIATION:
            key = unit.association_id
        else:
            key = (unit.commune_id, unit.association_id)
        return self.figures[period.label].get(key, ZERO)

    def _group_grades(self) -> dict:
        """{month: {(association id, commune id): (groups graded, Tốt or Khá, Yếu)}}."""
        tallies: dict = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
        rows = (
            GroupGrade.objects.filter(month__in=[m.label for m in self.months])
            .values("month", "association_id", "commune_id", "grade")
            .annotate(n=Count("id"))
            .values_list("month", "association_id", "commune_id", "grade", "n")
            .order_by()
        )
        for month, association_id, commune_id, band, n in rows:
            tally = tallies[month][(association_id, commune_id)]
            tally[0] += n
            tally[1] += n if band in GOOD else 0
            tally[2] += n if band == WEAK else 0
        return {month: dict(by_unit) for month, by_unit in tallies.items()}  # plain: a Book is kept

    def _unit_grades(self) -> dict:
        """{quarter: {(association id, commune id): grade}}."""
        grades: dict = defaultdict(dict)
        for quarter, association_id, commune_id, band in CommuneAssociationGrade.objects.filter(
            quarter__in=[q.label for q in self.quarters]
        ).values_list("quarter", "association_id", "commune_id", "grade"):
            grades[quarter][(association_id, commune_id)] = band
        return grades

    def _news(self) -> tuple[dict, dict]:
        """({quarter: {association id: press items}}, {quarter: {(association, commune): broadcasts}})."""
        press: dict = defaultdict(lambda: defaultdict(int))
        broadcasts: dict = defaultdict(lambda: defaultdict(int))
        quarter_of = {m: f"{self.year:04d}Q{(m - 1) // 3 + 1}" for m in range(1, 13)}
        rows = (
            NewsItem.objects.filter(published_on__year=self.year, published_on__lte=self.as_of)
            .values_list("published_on", "association_id", "commune_id", "channel")
            .order_by()
        )
        for published_on, association_id, commune_id, channel in rows:
            quarter = quarter_of[published_on.month]
            if channel == NewsItem.Channel.COMMUNE_LOUDSPEAKER:
                if commune_id is not None:
                    broadcasts[quarter][(association_id, commune_id)] += 1
            else:
                press[quarter][association_id] += 1
        return {q: dict(v) for q, v in press.items()}, {q: dict(v) for q, v in broadcasts.items()}

    def commune_units(self, unit: Unit) -> list[tuple[int, int]]:
        """The (association id, commune id) of the commune associations a unit holds."""
        pairs = [(a, c) for a, communes in self.communes_of.items() for c in communes]
        return sorted(p for p in pairs if unit.covers(*p))


# -- the value of each target ------------------------------------------------------------
def _bound(value: Decimal | None) -> Fraction | None:
    """A threshold, exactly."""
    return None if value is None else Fraction(value)


def _t1(book, unit, period, target):
    f = book.figures_of(unit, period)
    value = share(f.groups_with_savings, f.groups)
    return value, None if value is None else value >= _bound(target.threshold)


def _t2(book, unit, period, target):
    f = book.figures_of(unit, period)
    value = share(f.entrusted_overdue, f.entrusted_outstanding)
    return value, value is None or value < _bound(target.threshold)


def _t3(book, unit, period, target):
    f = book.figures_of(unit, period)
    value = share(f.principal_collected_of_due, f.principal_due)
    return value, value is None or value >= _bound(target.threshold)


def _t4(book, unit, period, target):
    f = book.figures_of(unit, period)
    value = share(f.principal_handled_on_time, f.principal_falling_due)
    return value, value is None or value >= _bound(target.threshold)


def _t5(book, unit, period, target):
    grades = book.unit_grades.get(period.label, {})
    graded = [band for key, band in grades.items() if unit.covers(*key)]
    value = share(sum(1 for band in graded if band in GOOD), len(graded))
    return value, None if value is None else value >= _bound(target.threshold)


def _t6(book, unit, period, target):
    tallies = [t for key, t in book.group_grades.get(period.label, {}).items() if unit.covers(*key)]
    graded, good, weak = (sum(t[i] for t in tallies) for i in range(3))
    value = share(good, graded)
    return value, None if value is None else value >= _bound(target.threshold) and weak == 0


def _t7(book, unit, period, target):
    tallies = [t for key, t in book.meetings[period.label].items() if unit.covers(*key)]
    value = share(sum(t[1] for t in tallies), sum(t[0] for t in tallies))
    return value, None if value is None else value >= _bound(target.threshold)


def _t8(book, unit, period, target):
    f = book.figures_of(unit, period)
    value = share(f.interest_applied_current, f.interest_billed)
    recovery = share(f.interest_applied_arrears, f.interest_arrears_start)
    recovered = recovery is None or target.recovery_threshold is None or recovery >= _bound(target.recovery_threshold)
    met = recovered if value is None else value > _bound(target.threshold) and recovered
    return value, met, {"arrears_recovery": readable(recovery)}


def _t9(book, unit, period, target):
    press = book.press.get(period.label, {})
    if unit.level == ASSOCIATION:
        value = press.get(unit.association_id, 0)
        return value, value >= _bound(target.threshold)
    # the district: how many associations reached the threshold, met when all of them did
    associations = [u.association_id for u in book.units if u.level == ASSOCIATION]
    value = sum(1 for a in associations if press.get(a, 0) >= _bound(target.threshold))
    return value, value == len(associations)


def _t10(book, unit, period, target):
    broadcasts = book.broadcasts.get(period.label, {})
    if unit.level == COMMUNE_ASSOCIATION:
        value = broadcasts.get((unit.association_id, unit.commune_id), 0)
        return value, value >= _bound(target.threshold)
    pairs = book.commune_units(unit)
    value = share(sum(1 for p in pairs if broadcasts.get(p, 0) >= 1), len(pairs))
    return value, None if value is None else value >= 1


RULES = {"T1": _t1, "T2": _t2, "T3": _t3, "T4": _t4, "T5": _t5, "T6": _t6, "T7": _t7, "T8": _t8, "T9": _t9, "T10": _t10}


def _threshold(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def evaluate(target: EmulationTarget, book: Book, unit: Unit) -> Result:
    result = Result()
    rule = RULES.get(target.code)
    periods = book.quarters if target.every == Every.QUARTER else book.months
    for period in periods:
        entry = {"period": period.label, "value": None}
        if target.code == "T8":
            entry["arrears_recovery"] = None
        entry["met"] = None
        if rule is not None and unit.level in target.levels:
            value, met, *extra = rule(book, unit, period, target)
            entry["value"] = readable(value)
            entry["met"] = met
            for more in extra:
                entry.update(more)
        result.periods.append(entry)
    return result


def targets_of(year: int) -> list[EmulationTarget]:
    return list(EmulationTarget.objects.filter(year=year).order_by("position", "code"))


def scorecard(year: int, as_of: date, targets: list[EmulationTarget] | None = None, only=None) -> dict:
    """The scorecard object of formats/scorecard.md. `only`: a predicate on the units kept
    (a page's scope); the JSON of the command keeps them all."""
    targets = targets_of(year) if targets is None else targets
    everyone = units(year)
    book = Book(year, as_of, everyone)
    shown = [u for u in everyone if only is None or only(u)]
    return {
        "year": year,
        "as_of": as_of.isoformat(),
        "targets": [_target_json(t) for t in targets],
        "units": [
            unit.as_json()
            | {"results": {t.code: {"met": (r := evaluate(t, book, unit)).met, "periods": r.periods} for t in targets}}
            for unit in shown
        ],
    }


def _target_json(target: EmulationTarget) -> dict:
    data = {
        "code": target.code,
        "title": target.title,
        "every": target.every,
        "threshold": _threshold(target.threshold),
    }
    if target.recovery_threshold is not None:
        data["recovery_threshold"] = _threshold(target.recovery_threshold)
    return data
