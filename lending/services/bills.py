"""Keeping the stored interest bills (a cache of the ledger) current before reports read them."""

from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Loan
from .interest import interest_bills_rebuild


def ensure_bills_current(as_of: date) -> int:
    """Extend the bills of open loans stored only up to a day before min(as_of, today).

    Bills are rebuilt at every posting, so an open loan's `bills_through` is the day of its
    last posting: reports for a later day need the bills since then. One query finds those
    loans (normally none, the nightly run keeps them current); each is rebuilt from its
    `bills_through` on, locked, in its own transaction. A loan whose bills were never
    built (`bills_through` empty) is rebuilt whole. Returns the number of loans extended.
    """
    limit = min(as_of, timezone.localdate())
    stale = list(
        Loan.objects.filter(Q(bills_through__lt=limit) | Q(bills_through__isnull=True))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in stale:
        with transaction.atomic():
            loan = (
                Loan.objects.select_for_update()
                .select_related("program", "member__commune")
                .get(pk=pk)
            )
            if loan.bills_through is None or loan.bills_through < limit:
                interest_bills_rebuild(loan=loan, from_date=loan.bills_through)
    return len(stale)
