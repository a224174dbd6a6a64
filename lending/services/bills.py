"""Keeping the stored interest bills (a cache of the ledger) current before reports read them."""

from collections import defaultdict
from datetime import date

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..engine import LoanBook
from ..models import InterestBill, Loan
from ..selectors import loan_facts_bulk
from ._bulk import chunks, insert_rows

# Loans extended per transaction: each batch locks its loans, reads their facts in a
# fixed number of queries and writes their new bills at once.
BATCH = 2000


def ensure_bills_current(as_of: date) -> int:
    """Extend the bills of open loans stored only up to a day before min(as_of, today).

    Bills are rebuilt at every posting, so an open loan's `bills_through` is the day of its
    last posting: reports for a later day need the bills since then. One query finds those
    loans (normally none, the nightly run keeps them current). They are extended in
    batches, each in its own transaction: the batch's loans are locked in pk order, those
    still stale are rebuilt from their `bills_through` on (whole when it is empty) through
    today, from facts loaded in bulk. Returns the number of loans found stale.
    """
    limit = min(as_of, timezone.localdate())
    stale = list(
        Loan.objects.filter(Q(bills_through__lt=limit) | Q(bills_through__isnull=True))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for batch in chunks(stale, BATCH):
        _extend(batch, limit)
    return len(stale)


@transaction.atomic
def _extend(loan_ids: list[int], limit: date):
    today = timezone.localdate()
    locked = (
        Loan.objects.select_for_update(of=("self",))
        .filter(pk__in=loan_ids)
        .order_by("pk")
        .values_list("pk", "bills_through")
    )
    # another process may have extended some since they were found
    since = {pk: through for pk, through in locked if through is None or through < limit}
    if not since:
        return
    facts = loan_facts_bulk(list(since))
    InterestBill.objects.filter(
        Q(loan__bills_through__isnull=True) | Q(billed_on__gt=F("loan__bills_through")), loan_id__in=list(since)
    ).delete()
    complete = defaultdict(list)

    def new_bills():
        for pk, loan_facts in facts.items():
            book = LoanBook(loan_facts)
            start = since[pk]
            for b in book.bills(today):
                if start is None or b.billed_on > start:
                    yield (pk, b.billed_on, b.period_start, b.amount, b.overdue_amount)
            complete[book.bills_complete_through(today)].append(pk)

    insert_rows(InterestBill, ["loan", "billed_on", "period_start", "amount", "overdue_amount"], new_bills())
    for through, ids in complete.items():
        Loan.objects.filter(pk__in=ids).update(bills_through=through)
