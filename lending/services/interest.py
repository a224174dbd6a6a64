from datetime import date

from django.utils import timezone

from ..models import InterestBill, Loan
from ..selectors import loan_book


def interest_bills_rebuild(*, loan: Loan, from_date: date | None = None, through=None) -> int:
    """Rebuild a loan's stored interest bills dated after `from_date` (all when None).

    Call it inside the transaction of the posting that changed the loan. Bills dated on
    or before `from_date` only cover days before it and cannot change; but when the
    stored bills stop before `from_date` (`bills_through`), the rebuild starts where they
    stop, so that no bill goes missing. Returns the number of bills now stored after the
    day the rebuild started from.
    """
    through = through or timezone.localdate()
    if from_date is not None and (loan.bills_through is None or loan.bills_through < from_date):
        from_date = loan.bills_through
    book = loan_book(loan)
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
