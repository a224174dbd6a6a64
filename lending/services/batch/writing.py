"""Writing: the batch's records inserted at once, then each touched loan's interest bills."""

from collections import defaultdict

from django.utils import timezone

from groups.models import (
    Commune,
    CommuneAssociation,
    CommuneTransactionDay,
    GroupAssignment,
    GroupMeeting,
    Member,
    Membership,
    NewsItem,
    SavingsGroup,
    Training,
)

from ...engine import LoanBook
from ...models import (
    Extension,
    Freeze,
    Installment,
    InterestBill,
    Loan,
    LoanProgram,
    LoanTransaction,
    ProgramRate,
    SavingsTransaction,
)
from .._bulk import chunks, insert_rows
from ..programs import PROGRAMS_FROM
from .records import Batch


def write(batch: Batch) -> dict[str, int]:
    Commune.objects.bulk_create(batch.new_communes)
    CommuneTransactionDay.objects.bulk_create(batch.new_commune_days)
    CommuneAssociation.objects.bulk_create(
        CommuneAssociation(commune=c, association=a) for c in batch.new_communes for a in batch.associations.values()
    )
    LoanProgram.objects.bulk_create(batch.new_programs)
    ProgramRate.objects.bulk_create(
        ProgramRate(program=p, annual_rate=batch.new_program_rates[p.code], effective_on=PROGRAMS_FROM)
        for p in batch.new_programs
    )
    SavingsGroup.objects.bulk_create(batch.new_groups)
    GroupAssignment.objects.bulk_create(batch.new_assignments)
    Member.objects.bulk_create(batch.new_members, batch_size=2000)
    Membership.objects.bulk_create(batch.new_memberships, batch_size=2000)
    new_loans = [s.loan for s in batch.loans.values() if s.new]
    Loan.objects.bulk_create(new_loans, batch_size=2000)
    Installment.objects.bulk_create((i for s in batch.loans.values() for i in s.installments), batch_size=5000)
    Extension.objects.bulk_create((e for s in batch.loans.values() for e in s.extensions), batch_size=2000)
    Freeze.objects.bulk_create((f for s in batch.loans.values() for _, f in s.freezes), batch_size=2000)
    stamp = {"recorded_at": timezone.now(), "recorded_by": batch.user.pk if batch.user is not None else None}
    insert_rows(
        LoanTransaction,
        ["loan", "kind", "value_date", "amount", "reference"],
        (
            (t.owner.pk, t.kind, t.value_date, t.amount, t.reference)
            for s in batch.loans.values()
            for _, t in s.transactions
        ),
        constants=stamp,
    )
    insert_rows(
        SavingsTransaction,
        ["member", "kind", "value_date", "amount", "reference"],
        ((t.owner.pk, t.kind, t.value_date, t.amount, t.reference) for _, t in batch.new_savings),
        constants=stamp,
    )
    GroupMeeting.objects.bulk_create(batch.new_meetings, batch_size=5000)
    Training.objects.bulk_create(batch.new_trainings)
    NewsItem.objects.bulk_create(batch.new_news)
    write_bills(batch)
    return {
        "Communes": len(batch.new_communes),
        "Programs": len(batch.new_programs),
        "Groups": len(batch.new_groups),
        "GroupTransfers": len(batch.rows.get("GroupTransfers", ())),
        "Members": len(batch.new_members),
        "Memberships": len(batch.new_memberships),
        "Loans": len(new_loans),
        "Installments": sum(len(s.installments) for s in batch.loans.values()),
        "Transactions": len(batch.rows.get("Transactions", ())),
        "Extensions": sum(len(s.extensions) for s in batch.loans.values()),
        "Freezes": sum(len(s.freezes) for s in batch.loans.values()),
        "Savings": len(batch.new_savings),
        "Meetings": len(batch.new_meetings),
        "Trainings": len(batch.new_trainings),
        "NewsItems": len(batch.new_news),
        "CommuneTransactionDays": len(batch.rows.get("CommuneTransactionDays", ())),
    }


def imported_keys(batch: Batch) -> dict:
    """What the import wrote, by key: the records it created and the loans it posted to
    (the ledger rows themselves are counted, and carry the importing user)."""
    return {
        "created": {
            "communes": sorted(c.code for c in batch.new_communes),
            "programs": sorted(p.code for p in batch.new_programs),
            "groups": sorted(g.code for g in batch.new_groups),
            "members": sorted(m.national_id for m in batch.new_members),
            "loans": sorted(s.loan.loan_no for s in batch.loans.values() if s.new),
        },
        "posted_to_loans": sorted(s.loan.loan_no for s in batch.loans.values() if not s.new and s.transactions),
    }


def write_bills(batch: Batch):
    """Bills once per touched loan, from the facts in memory (real ids swapped in)."""
    through_by_loan = defaultdict(list)
    through = batch.bills_through or batch.today
    existing = [state.loan.pk for state in batch.loans.values() if not state.new]
    for chunk in chunks(existing):
        InterestBill.objects.filter(loan_id__in=chunk).delete()

    def bills():
        for state in batch.loans.values():
            facts = state.facts
            real = {temp: inst.pk for temp, inst in state.inst_by_due.values() if inst is not None}
            facts.installments = [(real.get(i, i), d, p) for i, d, p in facts.installments]
            facts.extensions = [(real.get(i, i), n, dec, e) for i, n, dec, e in facts.extensions]
            book = LoanBook(facts)
            for b in book.bills(through):
                yield (state.loan.pk, b.billed_on, b.period_start, b.amount, b.overdue_amount)
            through_by_loan[book.bills_complete_through(through)].append(state.loan.pk)

    insert_rows(InterestBill, ["loan", "billed_on", "period_start", "amount", "overdue_amount"], bills())
    for day, ids in through_by_loan.items():
        for chunk in chunks(ids):
            Loan.objects.filter(pk__in=chunk).update(bills_through=day)
