"""The follow-up list: the loans and groups of a unit to look at before the next
transaction day.

- a loan that fell overdue this month (overdue at the date, none at the last month end);
- a loan with principal due this month not collected;
- a loan with interest arrears;
- a group graded below Khá for the last graded month;
- a group that did not meet 3 to 5 days before the last transaction day.

A loan or a group appears once, with every reason it is there. The loans' figures come
from one statement over the unit's part of the book (and one more over the loans overdue
now, for their position at the last month end).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.urls import reverse

from emulation.grading import GOOD
from emulation.meetings import meeting_rows_of
from emulation.scorecard import DISTRICT, Unit
from groups.models import Commune, SavingsGroup
from lending.models import Loan
from reporting.cache import kept
from reporting.indicators import loan_figures
from reporting.periods import Period
from reporting.sql import Scope
from vbsp_district.core.money import vn_date, vnd
from vbsp_district.core.months import month_add

from .figures import Moment

NEW_OVERDUE, MISSED, ARREARS, WEAK, NO_MEETING = "new_overdue", "missed", "arrears", "weak", "no_meeting"
REASONS = {
    NEW_OVERDUE: "Nợ quá hạn mới trong tháng",
    MISSED: "Kỳ trả gốc trong tháng chưa thu",
    ARREARS: "Lãi tồn đọng",
    WEAK: "Tổ xếp loại dưới Khá",
    NO_MEETING: "Không họp tổ đúng 3–5 ngày trước ngày giao dịch",
}


@dataclass
class Reason:
    code: str
    amount: int | None = None
    note: str = ""

    @property
    def title(self) -> str:
        return REASONS[self.code]

    @property
    def text(self) -> str:
        """'Lãi tồn đọng: 63.800 đồng', 'Tổ xếp loại dưới Khá (Yếu, 25 điểm, tháng 03/2020)'."""
        text = self.title
        if self.amount is not None:
            text += f": {vnd(self.amount)} đồng"
        if self.note:
            text += f" ({self.note})"
        return text


@dataclass
class Entry:
    """A loan or a group to look at, with its commune's next transaction day."""

    commune: Commune
    group: SavingsGroup | None
    loan: Loan | None
    reasons: list[Reason] = field(default_factory=list)
    next_transaction_day: date | None = None

    @property
    def url(self) -> str:
        if self.loan is not None:
            return reverse("loan_detail", args=[self.loan.loan_no])
        return reverse("group_detail", args=[self.group.code])

    @property
    def title(self) -> str:
        if self.loan is not None:
            return f"{self.loan.loan_no} · {self.loan.member.full_name}"
        return f"{self.group.code} · {self.group.name}"


def next_transaction_day(commune: Commune, as_of: date) -> date:
    """The commune's first transaction day after `as_of` (the day in force then)."""
    return commune.transaction_days.on_or_after(as_of + timedelta(days=1))


def month_label(month: Period) -> str:
    return f"{month.start.month:02d}/{month.start.year}"


def _last_transaction_month(as_of: date) -> list[Period]:
    """The months whose transaction days may be the last by `as_of`: this one and the last."""
    y, m = as_of.year, as_of.month
    return [Period.month(*month_add(y, m, -1)), Period.month(y, m)]


def _in_unit(unit: Unit, association_id, commune_id) -> bool:
    return unit.level == DISTRICT or unit.covers(association_id, commune_id)


@dataclass
class FollowUp:
    """A unit's follow-up list in its order, as ids (kept between requests): rows of
    (loan id or None, group id or None, commune id, next transaction day, reasons as
    (code, amount, note) tuples, which are read back from the cache far faster than
    objects)."""

    rows: list[tuple]

    def __len__(self) -> int:
        return len(self.rows)

    def entries(self, limit: int | None = None) -> list[Entry]:
        """The first `limit` entries (all without), with their loans, groups and communes
        read now: three queries, whatever the list's length."""
        rows = self.rows[:limit]
        loans = Loan.objects.select_related("member").in_bulk({loan for loan, *_ in rows if loan})
        groups = SavingsGroup.objects.in_bulk({group for _, group, *_ in rows if group})
        communes = Commune.objects.in_bulk({commune for _, _, commune, *_ in rows})
        return [
            Entry(communes[commune], groups.get(group), loans.get(loan), [Reason(*r) for r in reasons], day)
            for loan, group, commune, day, reasons in rows
        ]

    def reason_counts(self) -> list[tuple[str, int]]:
        """(reason, entries with it) for every reason, in REASONS' order."""
        counts = dict.fromkeys(REASONS, 0)
        for *_, reasons in self.rows:
            for code, _amount, _note in reasons:
                counts[code] += 1
        return [(REASONS[code], n) for code, n in counts.items()]


def follow_up(unit: Unit, moment: Moment) -> FollowUp:
    """The unit's loans and groups to look at, by next transaction day, commune, group and
    loan (a group before its loans; loans by number, which orders them as their titles)."""
    return kept("follow_up", (unit, moment.as_of), lambda: FollowUp(_ordered(unit, moment)))


def _ordered(unit: Unit, moment: Moment) -> list[tuple]:
    loan_reasons, group_reasons, group_of, commune_of = _reasons(unit, moment)
    loan_numbers = dict(Loan.objects.filter(pk__in=loan_reasons).values_list("pk", "loan_no"))
    groups = {
        pk: (code, commune_id)
        for pk, code, commune_id in SavingsGroup.objects.filter(
            pk__in={*group_reasons, *(g for g in group_of.values() if g)}
        ).values_list("pk", "code", "commune_id")
    }
    communes = Commune.objects.in_bulk()
    rows = []
    loan_reasons = {pk: _plain(reasons) for pk, reasons in loan_reasons.items()}
    group_reasons = {pk: _plain(reasons) for pk, reasons in group_reasons.items()}
    for pk, reasons in loan_reasons.items():
        group, commune = group_of[pk], communes[commune_of[pk]]
        group_code = groups[group][0] if group else ""
        day = next_transaction_day(commune, moment.as_of)
        rows.append(((day, commune.code, group_code, 1, loan_numbers[pk]), (pk, group, commune.pk, day, reasons)))
    for pk, reasons in group_reasons.items():
        code, commune_id = groups[pk]
        commune = communes[commune_id]
        day = next_transaction_day(commune, moment.as_of)
        rows.append(((day, commune.code, code, 0, code), (None, pk, commune.pk, day, reasons)))
    return [row for _order, row in sorted(rows, key=lambda r: r[0])]


def _plain(reasons: list[Reason]) -> tuple:
    return tuple((r.code, r.amount, r.note) for r in reasons)


def _reasons(unit: Unit, moment: Moment) -> tuple[dict, dict, dict, dict]:
    """({loan id: [Reason]}, {group id: [Reason]}, {loan id: group id}, {loan id: commune
    id}): what the follow-up list holds, as ids."""
    as_of = moment.as_of
    scope = None if unit.level == DISTRICT else Scope.within(unit.association_id, unit.commune_id)
    figures = {
        pk: f
        for pk, f in loan_figures(as_of, moment.month, scope=scope).items()
        if _in_unit(unit, f["association_id"], f["commune_id"])
    }
    overdue_now = [pk for pk, f in figures.items() if f["overdue"] > 0]
    before = loan_figures(moment.previous_month_end, loan_ids=overdue_now) if overdue_now else {}

    loan_reasons: dict[int, list[Reason]] = {}
    for pk, f in figures.items():
        reasons = []
        if f["overdue"] > 0 and not before.get(pk, {}).get("overdue"):
            reasons.append(Reason(NEW_OVERDUE, f["overdue"]))
        missing = f["principal_due"] - f["principal_collected_of_due"]
        if missing > 0:
            reasons.append(Reason(MISSED, missing))
        if f["interest_balance"] > 0:
            reasons.append(Reason(ARREARS, f["interest_balance"]))
        if reasons:
            loan_reasons[pk] = reasons

    group_reasons: dict[int, list[Reason]] = {}
    grades = _weak_grades(unit, moment.ended_month)
    for group_id, grade, points in grades:
        group_reasons.setdefault(group_id, []).append(
            Reason(WEAK, note=f"{grade}, {points} điểm, tháng {month_label(moment.ended_month)}")
        )
    for group_id, day in _missed_meetings(unit, as_of):
        group_reasons.setdefault(group_id, []).append(Reason(NO_MEETING, note=f"ngày giao dịch {vn_date(day)}"))

    group_of = {pk: figures[pk]["group_id"] for pk in loan_reasons}
    commune_of = {pk: figures[pk]["commune_id"] for pk in loan_reasons}
    return loan_reasons, group_reasons, group_of, commune_of


def _weak_grades(unit: Unit, month: Period) -> list[tuple]:
    from emulation.models import GroupGrade

    grades = GroupGrade.objects.filter(month=month.label).exclude(grade__in=GOOD)
    if unit.association_id is not None:
        grades = grades.filter(association_id=unit.association_id)
    if unit.commune_id is not None:
        grades = grades.filter(commune_id=unit.commune_id)
    return list(grades.values_list("group_id", "grade", "points").order_by("group_id"))


def _missed_meetings(unit: Unit, as_of: date) -> list[tuple[int, date]]:
    """(group, transaction day) of the unit's groups that did not meet 3 to 5 days before
    their commune's last transaction day by `as_of` (this month's if it has come, else
    last month's)."""
    found: dict[int, date] = {}
    for rows in meeting_rows_of(_last_transaction_month(as_of)).values():
        for pk, commune_id, association_id, day, on_time in rows:
            if day > as_of or not _in_unit(unit, association_id, commune_id):
                continue
            found.pop(pk, None)  # a later transaction day replaces an earlier one
            if not on_time:
                found[pk] = day
    return sorted(found.items())
