"""Fixtures and helpers of the money-form and manager's-desk page tests.

The test modules import these names; the organization fixtures (`staff`, `manager`,
`member`, `poor`, ...) come from tests/conftest.py.
"""

import re
from datetime import date
from html import unescape

import pytest

from lending.models import LoanTransaction, SavingsTransaction
from lending.selectors import loan_book, member_savings_balance
from lending.services import interest_payment_post, repayment_post, savings_deposit
from tests.factories import GroupFactory, MemberFactory, UserFactory
from tests.support import disburse, loan_interest_balance, row_counts
from vbsp_district.models import Role

TOKEN = re.compile(r'name="(?:[\w-]+-)?token" value="([0-9a-f]{32})"')


@pytest.fixture
def hnd_officer(hnd):
    """A district officer of the Farmers' association: sees the HND groups' loans, posts nothing."""
    return UserFactory(username="hnd", role=Role.OFFICER, role__association=hnd)


@pytest.fixture
def hpn_officer(hpn):
    """A district officer of the Women's union: the HND loans are outside their scope."""
    return UserFactory(username="hpn", role=Role.OFFICER, role__association=hpn)


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


def same_queries(assert_max_num_queries, limit: int, *calls) -> list[int]:
    """Run each call under the pinned limit; all of them must take the same number of queries."""
    counts = []
    for call in calls:
        with assert_max_num_queries(limit) as context:
            call()
        counts.append(len(context.captured_queries))
    assert len(set(counts)) == 1, counts
    return counts


def signed_in(client, user):
    client.force_login(user)
    return client


def token_of(response, prefix: str = "") -> str:
    """The one-time token rendered into the page's (first, or `prefix`ed) form."""
    html = response.content.decode()
    for match in TOKEN.finditer(html):
        if match.group(0).startswith(f'name="{prefix}'):
            return match.group(1)
    raise AssertionError("no token in the page")


def text_of(response) -> str:
    """The page's text with tags dropped and entities decoded, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def shows(response, message: str) -> bool:
    return message in text_of(response)


def outstanding(loan, day: date) -> int:
    return loan_book(loan).outstanding(day)


def interest_balance(loan, day: date) -> int:
    return loan_interest_balance(loan, as_of=day)


def savings_balance(member, day: date) -> int:
    return member_savings_balance(member, as_of=day)


def loan_rows(loan) -> list[tuple]:
    return list(
        LoanTransaction.objects.filter(loan=loan)
        .order_by("id")
        .values_list("kind", "value_date", "amount", "reference")
    )


def savings_rows(member) -> list[tuple]:
    return list(
        SavingsTransaction.objects.filter(member=member)
        .order_by("id")
        .values_list("kind", "value_date", "amount", "reference")
    )


__all__ = [
    "busy_loan",
    "hnd_officer",
    "hpn_officer",
    "interest_balance",
    "loan",
    "loan_rows",
    "outstanding",
    "row_counts",
    "savings_balance",
    "same_queries",
    "savings_rows",
    "shows",
    "signed_in",
    "text_of",
    "token_of",
]
