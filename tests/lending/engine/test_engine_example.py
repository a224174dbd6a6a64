from datetime import date

from lending.models import InterestBill
from lending.services import interest_payment_post, loan_disburse


def test_design_example_bills(member, poor, staff):
    loan = loan_disburse(
        loan_no="L1",
        member=member,
        program=poor,
        amount=12_000_000,
        disbursed_on=date(2020, 1, 10),
        installments=[(date(2025, 1, 10), 12_000_000)],
        acting_user=staff,
    )
    bills = list(InterestBill.objects.filter(loan=loan).values_list("billed_on", "amount")[:2])
    assert bills == [(date(2020, 1, 20), 22_000), (date(2020, 2, 20), 68_200)]
    interest_payment_post(loan=loan, amount=22_000, value_date=date(2020, 1, 20), acting_user=staff)
