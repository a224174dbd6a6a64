"""Point-in-time integrity: what happens after D never changes a figure at D."""

from datetime import date

from lending.models import LoanTransaction
from lending.services import (
    interest_payment_post,
    loan_extend,
    loan_freeze,
    repayment_post,
    reversal_approve,
    reversal_request,
    savings_deposit,
    write_off_post,
)
from reporting.indicators import district_figures
from tests.support.book import disburse, new_member
from tests.support.figures import figures_of, portfolio

D = date


def report(as_of, period=None):
    return district_figures(as_of, period, by_group=True)


def test_closed_and_written_off_loans_still_count_at_earlier_dates(member, poor, staff, commune, group):
    repaid = disburse(member, poor, staff, "C1", due_on=D(2020, 6, 30))
    written_off = disburse(
        new_member("044000000011", commune, staff, group=group),
        poor,
        staff,
        "C2",
        amount=5_000_000,
        installments=[(D(2020, 6, 30), 5_000_000)],
    )
    repayment_post(loan=repaid, amount=12_000_000, value_date=D(2020, 9, 1), acting_user=staff)
    write_off_post(loan=written_off, amount=5_000_000, value_date=D(2020, 9, 1), acting_user=staff)

    p = portfolio(D(2020, 8, 31))
    assert (p["outstanding"], p["overdue"], p["loans"], p["borrowers"]) == (17_000_000, 17_000_000, 2, 2)
    p = portfolio(D(2020, 9, 1))
    assert (p["outstanding"], p["overdue"], p["loans"], p["borrowers"]) == (0, 0, 0, 0)


def test_a_later_posting_changes_no_figure_at_an_earlier_date(member, poor, staff, commune, group):
    loan = disburse(member, poor, staff, "L1", installments=[(D(2020, 6, 30), 6_000_000), (D(2020, 12, 31), 6_000_000)])
    other = disburse(new_member("044000000012", commune, staff, group=group), poor, staff, "L2", due_on=D(2020, 6, 30))
    repayment_post(loan=loan, amount=1_000_000, value_date=D(2020, 5, 5), acting_user=staff)
    savings_deposit(member=member, amount=500_000, value_date=D(2020, 4, 1), acting_user=staff)
    before_q2 = report(D(2020, 6, 30), "2020Q2")
    before_day = report(D(2020, 7, 10))

    # Everything below is dated after 10/07/2020.
    repayment_post(loan=loan, amount=5_000_000, value_date=D(2020, 7, 20), acting_user=staff)
    interest_payment_post(loan=loan, amount=300_000, value_date=D(2020, 7, 20), acting_user=staff)
    write_off_post(loan=other, amount=2_000_000, value_date=D(2020, 8, 1), acting_user=staff)
    write_off_post(loan=other, amount=50_000, value_date=D(2020, 8, 1), interest=True, acting_user=staff)
    loan_extend(
        loan=loan, due_on=D(2020, 12, 31), new_due_on=D(2021, 6, 30), decided_on=D(2020, 8, 15), acting_user=staff
    )
    loan_freeze(loan=other, amount=1_000_000, effective_on=D(2020, 9, 1), acting_user=staff)
    savings_deposit(member=member, amount=700_000, value_date=D(2020, 9, 1), acting_user=staff)

    assert report(D(2020, 6, 30), "2020Q2") == before_q2
    assert report(D(2020, 7, 10)) == before_day


def test_overdue_at_a_past_date_does_not_drop_after_a_later_payment(member, poor, staff):
    loan = disburse(member, poor, staff, "O1", due_on=D(2020, 6, 30))
    assert figures_of(loan, D(2020, 7, 10))["overdue"] == 12_000_000
    repayment_post(loan=loan, amount=12_000_000, value_date=D(2020, 7, 20), acting_user=staff)
    assert figures_of(loan, D(2020, 7, 10))["overdue"] == 12_000_000
    assert portfolio(D(2020, 7, 10))["overdue"] == 12_000_000
    assert portfolio(D(2020, 7, 20))["overdue"] == 0


def test_a_reversal_restores_every_figure_exactly(member, poor, staff, manager, commune, group):
    loan = disburse(member, poor, staff, "V1", installments=[(D(2020, 6, 30), 6_000_000), (D(2020, 12, 31), 6_000_000)])
    repayment_post(loan=loan, amount=2_000_000, value_date=D(2020, 3, 10), acting_user=staff)
    original = {
        "q3": report(D(2020, 9, 30), "2020Q3"),
        "year": report(D(2020, 12, 31), "2020"),
        "day": report(D(2020, 8, 15)),
    }
    postings = [
        repayment_post(loan=loan, amount=3_000_000, value_date=D(2020, 8, 1), acting_user=staff),
        interest_payment_post(loan=loan, amount=120_000, value_date=D(2020, 8, 1), acting_user=staff),
        write_off_post(loan=loan, amount=1_000_000, value_date=D(2020, 7, 15), acting_user=staff),
        write_off_post(loan=loan, amount=40_000, value_date=D(2020, 7, 15), interest=True, acting_user=staff),
    ]
    assert report(D(2020, 9, 30), "2020Q3") != original["q3"]
    for txn in postings:
        request = reversal_request(transaction=txn, reason="Nhập sai", acting_user=staff)
        reversal_approve(request=request, acting_user=manager)
    assert LoanTransaction.objects.filter(reverses__isnull=False).count() == 4
    assert report(D(2020, 9, 30), "2020Q3") == original["q3"]
    assert report(D(2020, 12, 31), "2020") == original["year"]
    assert report(D(2020, 8, 15)) == original["day"]
