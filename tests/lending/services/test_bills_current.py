"""The stored bills catch up in bulk before reports, and no posting leaves a gap in them."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lending.models import InterestBill, Loan
from lending.selectors import loan_book
from lending.services import repayment_post
from lending.services.bills import ensure_bills_current
from tests.support.book import disburse, new_member

pytestmark = pytest.mark.django_db


def stored(loan) -> list[tuple]:
    return list(
        InterestBill.objects.filter(loan=loan)
        .order_by("billed_on")
        .values_list("billed_on", "period_start", "amount", "overdue_amount")
    )


def rebuilt(loan) -> list[tuple]:
    """The bills of a rebuild from scratch through today."""
    return [
        (b.billed_on, b.period_start, b.amount, b.overdue_amount) for b in loan_book(loan).bills(timezone.localdate())
    ]


def make_stale(loan, through: date | None):
    """As if the bills had been built on `through` (never, when None) and nothing posted since."""
    bills = InterestBill.objects.filter(loan=loan)
    if through is not None:
        bills = bills.filter(billed_on__gt=through)
    bills.delete()
    Loan.objects.filter(pk=loan.pk).update(bills_through=through)


def open_loans(n, start, commune, group, poor, staff):
    return [
        disburse(
            new_member(f"0450000{i:05d}", commune, staff, group=group),
            poor,
            staff,
            f"B{i:03d}",
            amount=10_000_000 + i * 1_000_000,
            installments=[(date(2030, 1, 10), 10_000_000 + i * 1_000_000)],
        )
        for i in range(start, start + n)
    ]


def test_stale_loans_catch_up_whatever_their_state(commune, group, poor, staff):
    today = timezone.localdate()
    stale_march, stale_june, never, current = open_loans(4, 0, commune, group, poor, staff)
    closed = disburse(
        new_member("045000000099", commune, staff, group=group), poor, staff, "C1",
        installments=[(date(2020, 6, 20), 12_000_000)],
    )  # fmt: skip
    repayment_post(loan=closed, amount=12_000_000, value_date=date(2020, 6, 20), acting_user=staff)
    make_stale(stale_march, date(2020, 3, 31))
    make_stale(stale_june, date(2020, 6, 30))
    make_stale(never, None)
    expected = {loan.pk: rebuilt(loan) for loan in (stale_march, stale_june, never, current, closed)}
    closed_bills = stored(closed)

    assert ensure_bills_current(today) == 3
    for loan in (stale_march, stale_june, never, current):
        loan.refresh_from_db()
        assert stored(loan) == expected[loan.pk]
        assert loan.bills_through == today
    assert stored(closed) == closed_bills == expected[closed.pk]
    assert ensure_bills_current(today) == 0


def test_catching_up_takes_the_same_queries_for_more_loans(commune, group, poor, staff):
    today = timezone.localdate()

    def count(loans):
        for loan in loans:
            make_stale(loan, date(2020, 3, 31))
        with CaptureQueriesContext(connection) as queries:
            assert ensure_bills_current(today) == len(loans)
        return len(queries)

    few = count(open_loans(2, 0, commune, group, poor, staff))
    assert count(open_loans(12, 2, commune, group, poor, staff)) == few


def test_a_posting_after_a_stale_stretch_leaves_no_gap(member, poor, staff):
    loan = disburse(member, poor, staff, "G1", installments=[(date(2030, 1, 10), 12_000_000)])
    make_stale(loan, date(2020, 3, 31))
    loan.refresh_from_db()
    repayment_post(loan=loan, amount=1_000_000, value_date=date(2020, 8, 20), acting_user=staff)
    loan.refresh_from_db()
    bills = stored(loan)
    assert [b[0] for b in bills if date(2020, 3, 31) < b[0] < date(2020, 8, 20)] == [
        date(2020, 4, 20),
        date(2020, 5, 20),
        date(2020, 6, 20),
        date(2020, 7, 20),
    ]
    assert bills == rebuilt(loan)
