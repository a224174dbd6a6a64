"""Fixtures of the money-form and manager's-desk page tests: a standard loan and a busy one.

The organization fixtures (`staff`, `manager`, `member`, `poor`, the officers, ...) come
from tests/support/fixtures.py."""

from datetime import date

import pytest

from lending.services import interest_payment_post, repayment_post, savings_deposit
from tests.support.book import disburse
from tests.support.factories import GroupFactory, MemberFactory


@pytest.fixture
def loan(member, poor, staff):
    """12.000.000 đ at 6,60 %/năm from 10/01/2020, one installment due 10/01/2022 (HND group)."""
    return disburse(member=member, program=poor, user=staff)


@pytest.fixture
def busy_loan(commune, hnd, poor, staff):
    """A second loan with a long ledger: the 'more data' side of the query-count pins."""
    group = GroupFactory(code="QH-02", commune=commune, association=hnd)
    borrower = MemberFactory(national_id="044000000099", commune=commune, group=group)
    loan = disburse(
        member=borrower,
        program=poor,
        user=staff,
        loan_no="L99",
        amount=24_000_000,
        installments=[(date(2021, 1, 10), 12_000_000), (date(2022, 1, 10), 12_000_000)],
    )
    for month in range(2, 13):
        day = date(2020, month, 20)
        repayment_post(loan=loan, amount=100_000, value_date=day, acting_user=staff)
        interest_payment_post(loan=loan, amount=40_000, value_date=day, acting_user=staff)
        savings_deposit(member=borrower, amount=50_000, value_date=day, acting_user=staff)
    return loan
