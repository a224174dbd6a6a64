"""The rules of the book (DESIGN §4) for one loan, as pure functions of its ledger.

Nothing here touches the database: `LoanBook` is built from plain facts, so the same
code computes the stored interest bills, a loan's page and the reference figures the
set-based reports are tested against.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache
from itertools import accumulate

from vbsp_district.core.months import MonthlyDay, day_in_month, months_between

DAY = timedelta(days=1)
MAX_DATE = date(9999, 12, 31)


@dataclass(frozen=True)
class Bill:
    billed_on: date
    period_start: date
    amount: int
    overdue_amount: int


@dataclass(frozen=True)
class Position:
    """A loan's stock figures at the end of one day."""

    outstanding: int
    frozen: int
    overdue: int
    normal: int
    maturity: date | None


@dataclass(frozen=True)
class Collection:
    """What a transaction-day sheet shows of one loan on day D, before D's postings.

    `principal_due`: the installments due by D not covered by principal repaid or
    written off before D, less frozen principal (which is never collected), at most the
    unfrozen outstanding; `principal_overdue` the part of it due before D.
    `interest_balance`: bills dated ≤ D − interest paid or written off before D
    (negative: credit).
    """

    outstanding: int
    frozen: int
    principal_due: int
    principal_overdue: int
    interest_balance: int


@dataclass
class LoanFacts:
    """Everything the rules need about one loan; reversed rows already left out."""

    annual_rate: Fraction
    overdue_factor: Fraction
    overdue_rule: str
    # the borrower's billing day: a fixed day, or one that changes through time (their
    # group's commune's day, from the day they join it; DESIGN §4)
    transaction_day: int | MonthlyDay
    disbursements: list[tuple[date, int]] = field(default_factory=list)
    repayments: list[tuple[date, int]] = field(default_factory=list)
    principal_write_offs: list[tuple[date, int]] = field(default_factory=list)
    interest_payments: list[tuple[date, int]] = field(default_factory=list)
    interest_write_offs: list[tuple[date, int]] = field(default_factory=list)
    # (installment id, contract due date, principal)
    installments: list[tuple[int, date, int]] = field(default_factory=list)
    # (installment id, new due date, decided on, extension id)
    extensions: list[tuple[int, date, date, int]] = field(default_factory=list)
    # (amount, effective on, ends on or None)
    freezes: list[tuple[int, date, date | None]] = field(default_factory=list)


class _Series:
    """A cumulative sum over dated amounts: total(d) = Σ amounts dated ≤ d."""

    def __init__(self, rows):
        rows = sorted(rows)
        self.dates = [d for d, _ in rows]
        self.sums = list(accumulate(a for _, a in rows))

    def total(self, day: date) -> int:
        i = bisect_right(self.dates, day)
        return self.sums[i - 1] if i else 0


@lru_cache(maxsize=8192)
def billing_day(year: int, month: int, transaction_day: int) -> date:
    """The commune's transaction day in a month, clipped to the month's last day."""
    return day_in_month(year, month, transaction_day)


class LoanBook:
    """Point-in-time figures of one loan under DESIGN §4."""

    def __init__(self, facts: LoanFacts):
        self.facts = facts
        self._disbursed = _Series(facts.disbursements)
        self._repaid = _Series(facts.repayments)
        self._written_off = _Series(facts.principal_write_offs)
        self._interest_paid = _Series(facts.interest_payments)
        self._interest_written_off = _Series(facts.interest_write_offs)
        self._extensions = {}
        for inst_id, new_due, decided, ext_id in facts.extensions:
            self._extensions.setdefault(inst_id, []).append((decided, ext_id, new_due))
        for rows in self._extensions.values():
            rows.sort()
        # Without extensions the maturity is the same at every date.
        self._fixed_maturity = (
            max((due_on for _i, due_on, _p in facts.installments), default=None) if not self._extensions else False
        )

    @property
    def first_disbursed_on(self) -> date | None:
        return self._disbursed.dates[0] if self._disbursed.dates else None

    # -- stock figures -------------------------------------------------------------
    def outstanding(self, day: date) -> int:
        return self._disbursed.total(day) - self._repaid.total(day) - self._written_off.total(day)

    def frozen(self, day: date, outstanding: int | None = None) -> int:
        if outstanding is None:
            outstanding = self.outstanding(day)
        in_force = sum(
            amount
            for amount, effective_on, ends_on in self.facts.freezes
            if effective_on <= day and (ends_on is None or ends_on > day)
        )
        return min(in_force, max(outstanding, 0))

    def due_date(self, installment_id: int, contract_due: date, day: date) -> date:
        """The installment's effective due date under the extensions decided by `day`."""
        due = contract_due
        for decided, _ext_id, new_due in self._extensions.get(installment_id, ()):
            if decided > day:
                break
            due = new_due
        return due

    def schedule(self, day: date) -> list[tuple[date, date, int, int]]:
        """(effective due, contract due, installment id, principal), earliest first."""
        return sorted(
            (self.due_date(inst_id, due_on, day), due_on, inst_id, principal)
            for inst_id, due_on, principal in self.facts.installments
        )

    def maturity(self, day: date) -> date | None:
        if self._fixed_maturity is not False:
            return self._fixed_maturity
        dues = [self.due_date(i, d, day) for i, d, _ in self.facts.installments]
        return max(dues) if dues else None

    def position(self, day: date) -> Position:
        outstanding = self.outstanding(day)
        frozen = self.frozen(day, outstanding)
        maturity = self.maturity(day)
        if self.facts.overdue_rule == "installment":
            due_before = sum(p for due, _, _, p in self.schedule(day) if due < day)
            paid = self._repaid.total(day) + self._written_off.total(day)
            overdue = min(max(0, due_before - paid - frozen), outstanding - frozen)
        elif maturity is not None and day > maturity:
            overdue = outstanding - frozen
        else:
            overdue = 0
        overdue = max(overdue, 0)
        return Position(
            outstanding=outstanding,
            frozen=frozen,
            overdue=overdue,
            normal=outstanding - overdue - frozen,
            maturity=maturity,
        )

    # -- interest -------------------------------------------------------------------
    def _change_days(self) -> set[date]:
        """Days on which the end-of-day position may differ from the day before."""
        f = self.facts
        days = {d for d, _ in f.disbursements + f.repayments + f.principal_write_offs}
        for _amount, effective_on, ends_on in f.freezes:
            days.add(effective_on)
            if ends_on:
                days.add(ends_on)
        for _inst, new_due, decided, _ext in f.extensions:
            days.add(decided)
            days.add(new_due + DAY)
        for _inst, due_on, _p in f.installments:
            days.add(due_on + DAY)
        return days

    def closing_days(self) -> list[date]:
        """Days on which the outstanding reaches 0 (the closing bill)."""
        result = []
        for day in sorted(set(self._repaid.dates + self._written_off.dates)):
            if self.outstanding(day) <= 0 < self.outstanding(day - DAY):
                result.append(day)
        return result

    def billing_days(self, through: date) -> list[date]:
        start = self.first_disbursed_on
        if start is None or through <= start:
            return []
        setting = self.facts.transaction_day
        if isinstance(setting, MonthlyDay) and setting.changes:
            days = set(setting.days_between(start, through))
        else:
            day = setting.day if isinstance(setting, MonthlyDay) else setting
            days = {billing_day(y, m, day) for y, m in months_between(start, through)}
        days.update(self.closing_days())
        return sorted(d for d in days if start < d <= through)

    def bills(self, through: date) -> list[Bill]:
        """Every bill dated ≤ `through`: accruals of [previous billing day, bill day)."""
        start = self.first_disbursed_on
        if start is None:
            return []
        # Exact integer arithmetic: rates in thousandths of a percent, factor in hundredths.
        rate = self.facts.annual_rate * 1000
        factor = self.facts.overdue_factor * 100
        if rate.denominator != 1 or factor.denominator != 1:
            raise ValueError("annual_rate has at most 3 decimals and overdue_factor at most 2")
        normal_weight = int(rate) * 100
        overdue_weight = int(rate) * int(factor)
        divisor = 36000 * 1000 * 100
        billing = self.billing_days(through)
        changes = self._change_days()
        points = sorted({d for d in changes if start < d < through} | set(billing) | {start})
        bill_set = set(billing)
        bills = []
        accrued = accrued_overdue = 0
        period_start = start
        pos = None
        for i, point in enumerate(points):
            if point in bill_set:
                amount = (2 * accrued + divisor) // (2 * divisor)
                if amount > 0:
                    overdue_amount = min((2 * accrued_overdue + divisor) // (2 * divisor), amount)
                    bills.append(Bill(point, period_start, amount, overdue_amount))
                accrued = accrued_overdue = 0
                period_start = point
            if i + 1 < len(points):
                days = (points[i + 1] - point).days
                # the end-of-day position only moves on a change day
                if pos is None or point in changes:
                    pos = self.position(point)
                if pos.outstanding > 0:
                    over = days * pos.overdue * overdue_weight
                    accrued_overdue += over
                    accrued += days * pos.normal * normal_weight + over
        return bills

    def bills_complete_through(self, through: date) -> date:
        """How far the bills computed through `through` stay valid without new postings.

        A loan whose outstanding is 0 at `through` accrues nothing more: its bills are
        final. An open loan's bills are valid through `through` only.
        """
        if self.first_disbursed_on is not None and self.outstanding(through) > 0:
            return through
        return MAX_DATE

    def collection(self, on: date, billed: int | None = None) -> Collection:
        """The sheet's figures of the loan on transaction day `on` (see `Collection`).

        `billed` is the sum of the bills dated ≤ on when the caller has them stored;
        otherwise the loan is billed through `on` here.
        """
        before = on - DAY
        settled_before = self._repaid.total(before) + self._written_off.total(before)
        outstanding = self._disbursed.total(on) - settled_before
        frozen = self.frozen(on, outstanding)
        schedule = self.schedule(on)
        due_through = sum(p for due, _c, _i, p in schedule if due <= on)
        due_before = sum(p for due, _c, _i, p in schedule if due < on)
        principal_due = min(max(0, due_through - settled_before - frozen), max(outstanding - frozen, 0))
        principal_overdue = min(max(0, due_before - settled_before - frozen), principal_due)
        if billed is None:
            billed = sum(b.amount for b in self.bills(on))
        paid_before = self._interest_paid.total(before) + self._interest_written_off.total(before)
        return Collection(
            outstanding=outstanding,
            frozen=frozen,
            principal_due=principal_due,
            principal_overdue=principal_overdue,
            interest_balance=billed - paid_before,
        )

    def interest_balance(self, day: date, bills: list[Bill]) -> int:
        """Bills ≤ day − interest paid ≤ day − interest written off ≤ day (credit < 0)."""
        billed = sum(b.amount for b in bills if b.billed_on <= day)
        return billed - self._interest_paid.total(day) - self._interest_written_off.total(day)

    # -- period figures -------------------------------------------------------------
    def principal_due_in(self, start: date, end: date) -> tuple[int, int]:
        """(principal_due, principal_collected_of_due) for the period [start, end]."""
        payments = sorted(
            [(d, 0, a) for d, a in self.facts.repayments if d <= end]
            + [(d, 1, a) for d, a in self.facts.principal_write_offs if d <= end]
        )
        due = collected = 0
        p_index, p_left = 0, payments[0][2] if payments else 0
        for eff_due, _c, _i, principal in self.schedule(end):
            left = principal
            covered_repaid = covered_written_off = 0
            while left > 0 and p_index < len(payments):
                take = min(left, p_left)
                if payments[p_index][1] == 0:
                    covered_repaid += take
                else:
                    covered_written_off += take
                left -= take
                p_left -= take
                if p_left == 0:
                    p_index += 1
                    p_left = payments[p_index][2] if p_index < len(payments) else 0
            if start <= eff_due <= end:
                due += principal - covered_written_off
                collected += covered_repaid
        return due, collected

    def principal_on_time_in(self, start: date, end: date) -> tuple[int, int]:
        """(principal falling due in [start, end], the part handled by its due date): the
        2020 target T4 (formats/scorecard.md). An installment due in the period (schedule
        at `end`) is handled up to what the principal settlements dated by its due date,
        laid end to end in due order, and the freezes in force that day reach of it; one
        that an extension decided by `end` moved from a day in the period past `end`
        counts whole, handled when the extension was decided by the day it moved from."""
        settlements = [(d, a) for d, a in self.facts.repayments + self.facts.principal_write_offs if d <= end]
        falling = handled = before = 0
        for eff_due, _contract, _inst_id, principal in self.schedule(end):
            if start <= eff_due <= end:
                reach = sum(a for d, a in settlements if d <= eff_due) + sum(
                    amount
                    for amount, effective_on, ends_on in self.facts.freezes
                    if effective_on <= eff_due and (ends_on is None or ends_on > eff_due)
                )
                falling += principal
                handled += min(principal, max(0, reach - before))
            before += principal
        for inst_id, due_on, principal in self.facts.installments:
            if self.due_date(inst_id, due_on, end) <= end:
                continue
            moved, moved_from = None, due_on
            for decided, _ext_id, new_due in self._extensions.get(inst_id, ()):
                if decided > end:
                    break
                if start <= moved_from <= end and new_due > end:
                    moved = decided <= moved_from
                moved_from = new_due
            if moved is not None:
                falling += principal
                handled += principal if moved else 0
        return falling, handled
