from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta

from django.utils import timezone

from groups.models import Member, Membership
from groups.selectors import billing_days_of

from ..engine import LoanBook
from ..models import InterestBill, Loan, LoanTransaction
from ..rules import check_write_offs_kept
from ..selectors import effective_loan_transactions, loan_book, loan_facts_bulk
from ._bulk import chunks, insert_rows


def arrears_path(book: LoanBook, through: date) -> list[tuple[date, int]]:
    """Interest arrears as dated deltas: + bills to `through`, − payments, − write-offs."""
    facts = book.facts
    rows = [(b.billed_on, b.amount) for b in book.bills(through)]
    return rows + [(d, -a) for d, a in facts.interest_payments + facts.interest_write_offs]


def write_offs_before(loan: Loan) -> list[tuple[date, int]] | None:
    """Before a write that changes a loan's bills: the arrears path to keep its interest
    write-offs within (`interest_bills_rebuild(kept=...)`), or None when it has none (one
    query then)."""
    kind = LoanTransaction.Kind.INTEREST_WRITE_OFF
    if not effective_loan_transactions(loan=loan, kind=kind).exists():
        return None
    return arrears_path(loan_book(loan), timezone.localdate())


def interest_bills_rebuild(
    *, loan: Loan, from_date: date | None = None, through=None, kept=None, field: str = "value_date"
) -> int:
    """Rebuild a loan's stored interest bills dated after `from_date` (all when None).

    Call it inside the transaction of the posting that changed the loan. Bills dated on
    or before `from_date` only cover days before it and cannot change; but when the
    stored bills stop before `from_date` (`bills_through`), the rebuild starts where they
    stop, so that no bill goes missing. Returns the number of bills now stored after the
    day the rebuild started from.

    `kept`: the arrears path before the write (`write_offs_before`); the write is refused
    on `field` when it leaves an interest write-off beyond what is owed
    (`rules.check_write_offs_kept`).
    """
    through = through or timezone.localdate()
    if from_date is not None and (loan.bills_through is None or loan.bills_through < from_date):
        from_date = loan.bills_through
    book = loan_book(loan)
    if kept is not None:
        today = timezone.localdate()
        after = arrears_path(book, today)
        check_write_offs_kept(loan.loan_no, book.facts.interest_write_offs, kept, after, field)
    bills = [b for b in book.bills(through) if from_date is None or b.billed_on > from_date]
    stale = InterestBill.objects.filter(loan=loan)
    if from_date is not None:
        stale = stale.filter(billed_on__gt=from_date)
    stale.delete()
    InterestBill.objects.bulk_create(
        InterestBill(
            loan=loan,
            billed_on=b.billed_on,
            period_start=b.period_start,
            amount=b.amount,
            overdue_amount=b.overdue_amount,
        )
        for b in bills
    )
    bills_through = book.bills_complete_through(through)
    if loan.bills_through != bills_through:
        loan.bills_through = bills_through
        Loan.objects.filter(pk=loan.pk).update(bills_through=bills_through)
    return len(bills)


@contextmanager
def members_rebilled(member_ids, commune_id: int | None, day: date, field: str = "effective_on"):
    """Around a write of the organization that may change the days members are billed on
    (`groups.hooks.billing_changed`): a move or a membership (`member_ids`), a commune's
    new transaction day (`commune_id`: every member billed on it, now or before). After
    the write, the loans of the members whose billing days changed get their bills from
    `day` on rebuilt at once; an interest write-off left beyond what is owed refuses the
    write (`rules.check_write_offs_kept`, naming `field`)."""
    members = set(member_ids)
    if commune_id is not None:
        members |= set(Member.objects.filter(commune_id=commune_id).values_list("pk", flat=True))
        members |= set(Membership.objects.filter(group__commune_id=commune_id).values_list("member_id", flat=True))
    loans = {
        pk: member_id
        for chunk in chunks(sorted(members))
        for pk, member_id in Loan.objects.filter(member_id__in=chunk).values_list("pk", "member_id")
    }
    if not loans:
        yield
        return
    borrowers = sorted(set(loans.values()))

    def billing_days():
        return {
            pk: days
            for chunk in chunks(borrowers)
            for pk, days in billing_days_of(
                {m.pk: m.commune for m in Member.objects.filter(pk__in=chunk).select_related("commune")}
            ).items()
        }

    before = billing_days()
    yield
    after = billing_days()
    changed = sorted(pk for pk, member_id in loans.items() if before[member_id] != after[member_id])
    for batch in chunks(changed, 2000):
        _rebill(batch, before, day - timedelta(days=1), field)


def _rebill(loan_ids: list[int], before: dict, from_date: date, field: str):
    """`interest_bills_rebuild` of many loans at once, from facts read in bulk (their
    billing days already changed; `before` has each borrower's former ones)."""
    today = timezone.localdate()
    locked = Loan.objects.select_for_update(of=("self",)).filter(pk__in=loan_ids).order_by("pk")
    loans = {pk: (loan_no, through) for pk, loan_no, through in locked.values_list("pk", "loan_no", "bills_through")}
    facts = loan_facts_bulk(list(loans))
    members = dict(Loan.objects.filter(pk__in=loan_ids).values_list("pk", "member_id"))
    starts, new, complete = {}, [], {}
    for pk, loan_facts in facts.items():
        loan_no, through = loans[pk]
        book = LoanBook(loan_facts)
        if loan_facts.interest_write_offs:
            former = LoanBook(replace(loan_facts, transaction_day=before[members[pk]]))
            check_write_offs_kept(
                loan_no,
                loan_facts.interest_write_offs,
                arrears_path(former, today),
                arrears_path(book, today),
                field,
            )
        start = from_date if through is not None and through >= from_date else through
        starts[pk] = start
        new += [
            (pk, b.billed_on, b.period_start, b.amount, b.overdue_amount)
            for b in book.bills(today)
            if start is None or b.billed_on > start
        ]
        complete[pk] = book.bills_complete_through(today)
    by_start = {}
    for pk, start in starts.items():
        by_start.setdefault(start, []).append(pk)
    for start, ids in by_start.items():
        stale = InterestBill.objects.filter(loan_id__in=ids)
        (stale if start is None else stale.filter(billed_on__gt=start)).delete()
    insert_rows(InterestBill, ["loan", "billed_on", "period_start", "amount", "overdue_amount"], iter(new))
    by_through = {}
    for pk, through in complete.items():
        by_through.setdefault(through, []).append(pk)
    for through, ids in by_through.items():
        Loan.objects.filter(pk__in=ids).update(bills_through=through)
