"""The commune transaction day (ngày giao dịch xã): what each group owes and saves on a day.

`transaction_day_sheets(commune=..., on=D)` returns one `GroupSheet` per group of the
commune active at D: every member in the group at D with an open loan or savings, and per
entrusted loan what falls due at D under DESIGN §4:

- `interest_due`: interest arrears including the bill dated D (bills dated ≤ D − interest
  paid or written off before D), or `interest_credit` when prepaid;
- `principal_due`: the installments whose effective due date is ≤ D not yet covered by
  the principal repaid or written off before D (the waterfall, earliest first), less
  the frozen principal, of which `principal_overdue` fell due before D
  (`LoanBook.collection`: the engine is the one home of these rules);
- `outstanding` before the day's repayments, and what was already posted on D;
- `principal_to_collect`, what is due and not yet posted, never more than the book takes
  on D: on a past day's sheet, a loan repaid since then has less room than it owed.

Figures are those "before the day": the day's own postings are reported beside them
(`*_posted`), so a sheet reads the same before and after it is posted, and what is left
to collect is `*_to_collect`. Interest comes from the engine over the loans' facts, so a
sheet printed before the day (D after today) shows the bill that will fall due on D.

A fixed number of queries whatever the number of groups, members and loans: the groups,
the memberships with their members, the loans, the loans' facts (`loan_facts_bulk`) and
the savings. The per-loan arithmetic runs on facts already in memory.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Case, F, IntegerField, Q, Sum, When

from groups.models import Commune, Membership, SavingsGroup

from ..engine import LoanBook, LoanFacts
from ..models import Channel, InterestBill, Loan, SavingsTransaction
from ..rules import lowest_balance_from
from . import effective_savings_transactions, loan_facts_bulk

DAY = timedelta(days=1)


def transaction_day_in(commune: Commune, year: int, month: int) -> date:
    """The commune's transaction day in a month (the day in force that month), clipped to
    the month's last day."""
    return commune.transaction_days.in_month(year, month)


def next_transaction_day(commune: Commune, today: date) -> date:
    """The commune's transaction day on or after `today`."""
    return commune.transaction_days.on_or_after(today)


@dataclass
class LoanLine:
    """One loan's figures on the sheet. Amounts in đồng."""

    loan_id: int
    loan_no: str
    program_code: str
    program_name: str
    outstanding: int
    principal_due: int
    principal_overdue: int
    interest_due: int
    interest_credit: int
    # the most principal the book takes on the day (`principal_room`)
    principal_room: int
    principal_posted: int = 0
    interest_posted: int = 0

    @property
    def principal_to_collect(self) -> int:
        return max(0, min(min(self.principal_due, self.outstanding) - self.principal_posted, self.principal_room))

    @property
    def interest_to_collect(self) -> int:
        return max(0, self.interest_due - self.interest_posted)


@dataclass
class MemberLine:
    """A member in the group at D: their loans on the sheet and their savings."""

    member_id: int
    national_id: str
    full_name: str
    village: str
    savings_balance: int = 0
    deposit_posted: int = 0
    withdrawal_posted: int = 0
    loans: list[LoanLine] = field(default_factory=list)

    @property
    def savings_after(self) -> int:
        return self.savings_balance + self.deposit_posted - self.withdrawal_posted


@dataclass
class GroupSheet:
    """One group's sheet for the day: its members in name order and their totals."""

    group: SavingsGroup
    association_name: str
    members: list[MemberLine] = field(default_factory=list)

    def _loan_total(self, name: str) -> int:
        return sum(getattr(loan, name) for m in self.members for loan in m.loans)

    @property
    def loans(self) -> list[LoanLine]:
        return [loan for m in self.members for loan in m.loans]

    @property
    def outstanding(self) -> int:
        return self._loan_total("outstanding")

    @property
    def principal_due(self) -> int:
        return self._loan_total("principal_due")

    @property
    def interest_due(self) -> int:
        return self._loan_total("interest_due")

    @property
    def interest_credit(self) -> int:
        return self._loan_total("interest_credit")

    @property
    def principal_posted(self) -> int:
        return self._loan_total("principal_posted")

    @property
    def interest_posted(self) -> int:
        return self._loan_total("interest_posted")

    @property
    def principal_to_collect(self) -> int:
        return self._loan_total("principal_to_collect")

    @property
    def interest_to_collect(self) -> int:
        return self._loan_total("interest_to_collect")

    @property
    def savings_balance(self) -> int:
        return sum(m.savings_balance for m in self.members)

    @property
    def savings_after(self) -> int:
        return sum(m.savings_after for m in self.members)

    @property
    def deposit_posted(self) -> int:
        return sum(m.deposit_posted for m in self.members)

    @property
    def withdrawal_posted(self) -> int:
        return sum(m.withdrawal_posted for m in self.members)

    @property
    def posted(self) -> bool:
        """Whether anything was already posted on the day for this group."""
        return any((self.principal_posted, self.interest_posted, self.deposit_posted, self.withdrawal_posted))


def _on(rows: list[tuple[date, int]], day: date) -> int:
    return sum(a for d, a in rows if d == day)


def principal_room(facts: LoanFacts, on: date) -> int:
    """The most principal a repayment dated `on` may take: the lowest outstanding at the
    end of `on` or of any later day. Less than the outstanding left on a past day's sheet
    when the loan was repaid since; more is refused by `check_principal_debit`, whose
    function this is, over the same facts."""
    path = [
        *facts.disbursements,
        *((d, -a) for d, a in facts.repayments),
        *((d, -a) for d, a in facts.principal_write_offs),
    ]
    return max(lowest_balance_from(path, on)[0], 0)


def loan_line(loan: Loan, book: LoanBook, on: date, billed: int | None = None) -> LoanLine:
    """The sheet's figures of one loan at `on` from its book (no query): `LoanBook.collection`.

    `billed` is the sum of the stored bills dated ≤ on when they cover `on`; otherwise
    the engine bills the loan through `on` (a day after the cache, e.g. a future day).
    """
    figures = book.collection(on, billed)
    return LoanLine(
        loan_id=loan.pk,
        loan_no=loan.loan_no,
        program_code=loan.program.code,
        program_name=loan.program.name,
        outstanding=figures.outstanding,
        principal_due=figures.principal_due,
        principal_overdue=figures.principal_overdue,
        interest_due=max(figures.interest_balance, 0),
        interest_credit=max(-figures.interest_balance, 0),
        principal_posted=_on(book.facts.repayments, on),
        interest_posted=_on(book.facts.interest_payments, on),
        principal_room=principal_room(book.facts, on),
    )


def groups_active_on(commune: Commune, on: date, scope=None):
    """The commune's groups active at `on` (founded ≤ on, not dissolved ≤ on), scoped."""
    qs = SavingsGroup.objects.filter(commune=commune).active_on(on)
    if scope is not None:
        qs = scope.groups(qs, on=on)
    return qs


def transaction_day_sheets(*, commune: Commune, on: date, scope=None, group_ids=None) -> list[GroupSheet]:
    """One sheet per group of `commune` active at `on` (in `scope`; only `group_ids`).

    Members are those in the group at the end of `on` with an open loan (outstanding or
    interest due), savings, or a posting on the day. Direct loans are not collected
    through groups and are left out. Eleven queries, whatever the size of the commune.
    """
    groups = groups_active_on(commune, on, scope)
    if group_ids is not None:
        groups = groups.filter(pk__in=group_ids)
    sheets = {
        g.pk: GroupSheet(group=g, association_name=g.association_name or "")
        for g in groups.with_association(on, field="association__name", name="association_name")
        .select_related("commune")
        .order_by("code")
    }
    if not sheets:
        return []

    memberships = (
        Membership.objects.filter(group_id__in=list(sheets))
        .in_force(on)
        .select_related("member")
        .order_by("member__full_name", "member__national_id")
    )
    members: dict[int, tuple[int, MemberLine]] = {}
    for ms in memberships:
        m = ms.member
        members[m.pk] = (
            ms.group_id,
            MemberLine(member_id=m.pk, national_id=m.national_id, full_name=m.full_name, village=m.village),
        )
    if not members:
        return list(sheets.values())

    loans = list(
        Loan.objects.filter(member_id__in=list(members), channel=Channel.ENTRUSTED, disbursed_on__lte=on)
        .select_related("program")
        .order_by("disbursed_on", "loan_no")
    )
    loan_ids = [loan.pk for loan in loans]
    facts = loan_facts_bulk(loan_ids) if loans else {}
    # The stored bills are the engine's, cached: where they reach `on`, sum them.
    stored = dict(
        InterestBill.objects.filter(loan_id__in=loan_ids, loan__bills_through__gte=on, billed_on__lte=on)
        .values("loan_id")
        .annotate(s=Sum("amount"))
        .order_by()
        .values_list("loan_id", "s")
    )
    for loan in loans:
        billed = stored.get(loan.pk, 0) if loan.bills_through and loan.bills_through >= on else None
        line = loan_line(loan, LoanBook(facts[loan.pk]), on, billed)
        if line.outstanding > 0 or line.interest_due > 0 or line.principal_posted or line.interest_posted:
            members[loan.member_id][1].loans.append(line)

    deposit = SavingsTransaction.Kind.DEPOSIT
    signed = Case(When(kind=deposit, then=F("amount")), default=-F("amount"), output_field=IntegerField())
    savings = (
        effective_savings_transactions(member_id__in=list(members), value_date__lte=on)
        .values("member_id")
        .annotate(
            balance=Sum(signed, filter=Q(value_date__lt=on)),
            deposited=Sum("amount", filter=Q(value_date=on, kind=deposit)),
            withdrawn=Sum("amount", filter=Q(value_date=on) & ~Q(kind=deposit)),
        )
        .order_by()
    )
    for row in savings:
        line = members[row["member_id"]][1]
        line.savings_balance = row["balance"] or 0
        line.deposit_posted = row["deposited"] or 0
        line.withdrawal_posted = row["withdrawn"] or 0

    for group_id, line in members.values():
        if line.loans or line.savings_balance or line.deposit_posted or line.withdrawal_posted:
            sheets[group_id].members.append(line)
    return list(sheets.values())
