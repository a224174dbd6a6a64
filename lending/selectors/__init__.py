"""Reads of the lending book that other modules call."""

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from django.db.models import Q, Sum
from django.db.models.expressions import RawSQL

from groups.selectors import billing_days_of

from ..engine import Bill, LoanBook, LoanFacts
from ..models import (
    Channel,
    ClosedPeriod,
    Extension,
    Freeze,
    Installment,
    LoanProgram,
    LoanTransaction,
    ProgramRate,
    SavingsTransaction,
)

Kind = LoanTransaction.Kind


def effective_loan_transactions(**filters):
    """Ledger rows that count: neither a reversal nor reversed."""
    return LoanTransaction.objects.filter(reverses__isnull=True, reversed_by__isnull=True, **filters)


def effective_savings_transactions(**filters):
    return SavingsTransaction.objects.filter(reverses__isnull=True, reversed_by__isnull=True, **filters)


def loan_facts(loan, *, extra: list[tuple[str, date, int]] = ()) -> LoanFacts:
    """The loan's ledger as plain facts; `extra` adds (kind, date, amount) rows to test."""
    program = loan.program
    facts = LoanFacts(
        annual_rate=Fraction(loan.annual_rate),
        overdue_factor=Fraction(program.overdue_factor),
        overdue_rule=program.overdue_rule,
        transaction_day=billing_days_of({loan.member_id: loan.member.commune})[loan.member_id],
    )
    by_kind = {
        Kind.DISBURSEMENT: facts.disbursements,
        Kind.PRINCIPAL: facts.repayments,
        Kind.PRINCIPAL_WRITE_OFF: facts.principal_write_offs,
        Kind.INTEREST: facts.interest_payments,
        Kind.INTEREST_WRITE_OFF: facts.interest_write_offs,
    }
    # in the ledger's order (date, then id), sorted here: asked for in that order, SQLite
    # walks the whole ledger by its date index instead of the loan's rows by the loan's
    rows = effective_loan_transactions(loan=loan).order_by().values_list("value_date", "id", "kind", "amount")
    for value_date, _id, kind, amount in sorted(rows):
        by_kind[kind].append((value_date, amount))
    for kind, value_date, amount in extra:
        by_kind[kind].append((value_date, amount))
    facts.installments = list(Installment.objects.filter(loan=loan).values_list("id", "due_on", "principal"))
    facts.extensions = list(
        Extension.objects.filter(loan=loan).values_list("installment_id", "new_due_on", "decided_on", "id")
    )
    facts.freezes = list(Freeze.objects.filter(loan=loan).values_list("amount", "effective_on", "ends_on"))
    return facts


def entrusted_debts(member_id: int, after: date) -> list[tuple[str, int]]:
    """The member's entrusted loans with outstanding at the end of `after` or disbursed
    after it, as (loan number, outstanding at `after`, or today's when nothing was
    outstanding then), in loan number order (`groups.rules.check_last_leaving`)."""
    sign = {Kind.DISBURSEMENT: 1, Kind.PRINCIPAL: -1, Kind.PRINCIPAL_WRITE_OFF: -1}
    rows = effective_loan_transactions(
        loan__member_id=member_id, loan__channel=Channel.ENTRUSTED, kind__in=list(sign)
    ).values_list("loan__loan_no", "kind", "value_date", "amount")
    then, later, now = {}, {}, {}
    for loan_no, kind, value_date, amount in rows:
        delta = sign[kind] * amount
        now[loan_no] = now.get(loan_no, 0) + delta
        if value_date <= after:
            then[loan_no] = then.get(loan_no, 0) + delta
        elif kind == Kind.DISBURSEMENT:
            later[loan_no] = True
    return [
        (loan_no, then.get(loan_no, 0) if then.get(loan_no, 0) > 0 else now[loan_no])
        for loan_no in sorted(now)
        if then.get(loan_no, 0) > 0 or later.get(loan_no)
    ]


def loan_book(loan, **kwargs) -> LoanBook:
    return LoanBook(loan_facts(loan, **kwargs))


def member_savings_balance(member, *, as_of: date) -> int:
    """Deposits − withdrawals dated ≤ as_of."""
    rows = effective_savings_transactions(member=member, value_date__lte=as_of)
    totals = dict(rows.values_list("kind").annotate(s=Sum("amount")).values_list("kind", "s"))
    return totals.get("deposit", 0) - totals.get("withdrawal", 0)


def program_rate_on(program: LoanProgram, day: date):
    """The program's annual rate for a loan disbursed on `day`, or None."""
    rate = ProgramRate.objects.filter(program=program, effective_on__lte=day).order_by("-effective_on").first()
    return rate.annual_rate if rate else None


def closed_period_on(day: date) -> ClosedPeriod | None:
    return ClosedPeriod.objects.filter(Q(start__lte=day, end__gte=day), reopened_at__isnull=True).first()


def first_closed_from(day: date) -> ClosedPeriod | None:
    """The earliest closed quarter ending on or after `day` (the first whose figures a
    write dated `day` would change); `vbsp_district.core.closing` asks it."""
    return ClosedPeriod.objects.filter(end__gte=day, reopened_at__isnull=True).order_by("start").first()


def loan_facts_bulk(loan_ids=None) -> dict[int, LoanFacts]:
    """Facts of many loans in a fixed number of queries (maintenance and checks)."""
    from ..models import Loan

    loans = Loan.objects.select_related("program", "member__commune")
    if loan_ids is not None:
        loans = loans.filter(pk__in=loan_ids)
    loans = list(loans)
    days = billing_days_of({loan.member_id: loan.member.commune for loan in loans})
    facts = {
        loan.pk: LoanFacts(
            annual_rate=Fraction(loan.annual_rate),
            overdue_factor=Fraction(loan.program.overdue_factor),
            overdue_rule=loan.program.overdue_rule,
            transaction_day=days[loan.member_id],
        )
        for loan in loans
    }
    scope = {} if loan_ids is None else {"loan_id__in": list(facts)}
    by_kind = {
        Kind.DISBURSEMENT: "disbursements",
        Kind.PRINCIPAL: "repayments",
        Kind.PRINCIPAL_WRITE_OFF: "principal_write_offs",
        Kind.INTEREST: "interest_payments",
        Kind.INTEREST_WRITE_OFF: "interest_write_offs",
    }
    rows = effective_loan_transactions(**scope).values_list("loan_id", "kind", "value_date", "amount")
    for loan_id, kind, value_date, amount in rows.iterator(chunk_size=20000):
        getattr(facts[loan_id], by_kind[kind]).append((value_date, amount))
    for loan_id, *row in Installment.objects.filter(**scope).values_list("loan_id", "id", "due_on", "principal"):
        facts[loan_id].installments.append(tuple(row))
    for loan_id, *row in Extension.objects.filter(**scope).values_list(
        "loan_id", "installment_id", "new_due_on", "decided_on", "id"
    ):
        facts[loan_id].extensions.append(tuple(row))
    for loan_id, *row in Freeze.objects.filter(**scope).values_list("loan_id", "amount", "effective_on", "ends_on"):
        facts[loan_id].freezes.append(tuple(row))
    return facts


# -- a loan's position, and bills beyond the stored ones ---------------------------------------
@dataclass(frozen=True)
class LoanPosition:
    """One loan at the end of a day under DESIGN §4: what every page showing a loan shows."""

    book: LoanBook
    as_of: date
    disbursed: int
    outstanding: int
    frozen: int
    overdue: int
    normal: int
    maturity: date | None
    bills: list[Bill]  # every bill dated ≤ as_of, from the engine
    interest_balance: int  # arrears > 0, credit < 0

    @property
    def interest_arrears(self) -> int:
        return max(self.interest_balance, 0)

    @property
    def interest_credit(self) -> int:
        return max(-self.interest_balance, 0)

    @property
    def schedule(self):
        return self.book.schedule(self.as_of)


def loan_position(loan, as_of: date) -> LoanPosition:
    """The loan's figures at the end of `as_of`, from its ledger through the engine.

    The bills are computed, not read: a page is right whether or not the stored bills
    (a cache) reach `as_of`, and reading writes nothing.
    """
    book = loan_book(loan)
    position = book.position(as_of)
    bills = book.bills(as_of)
    return LoanPosition(
        book=book,
        as_of=as_of,
        disbursed=sum(amount for day, amount in book.facts.disbursements if day <= as_of),
        outstanding=position.outstanding,
        frozen=position.frozen,
        overdue=position.overdue,
        normal=position.normal,
        maturity=position.maturity,
        bills=bills,
        interest_balance=book.interest_balance(as_of, bills),
    )


STALE_CHUNK = 2000


def bills_beyond_cache(through: date, loan_ids=None, members_sql: str | None = None) -> list[tuple[int, date, int]]:
    """(loan id, billed on, amount) of the bills dated ≤ min(through, today) that the
    stored bills do not hold yet, computed in memory (of `loan_ids` only, when given; of
    the loans of the members a SELECT of member ids gives, with `members_sql`).

    The stored bills are rebuilt by every posting and by `rebuild_interest`; an open
    loan's are complete through its `bills_through`. Reports add these to the stored ones
    instead of writing them (one query when the cache is current, as it normally is).
    """
    from django.utils import timezone

    from ..models import Loan

    limit = min(through, timezone.localdate())
    loans = Loan.objects.filter(Q(bills_through__lt=limit) | Q(bills_through__isnull=True))
    if loan_ids is not None:
        loans = loans.filter(pk__in=list(loan_ids))
    if members_sql is not None:
        loans = loans.filter(member_id__in=RawSQL(members_sql, []))
    stale = dict(loans.order_by("pk").values_list("pk", "bills_through"))
    rows = []
    ids = list(stale)
    for start in range(0, len(ids), STALE_CHUNK):
        for pk, facts in loan_facts_bulk(ids[start : start + STALE_CHUNK]).items():
            since = stale[pk]
            rows += [
                (pk, b.billed_on, b.amount)
                for b in LoanBook(facts).bills(limit)
                if since is None or b.billed_on > since
            ]
    return rows
