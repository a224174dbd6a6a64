"""A write that lowers the interest billed after an interest write-off (a back-dated
repayment, a freeze, a reversal) never leaves the write-off beyond what was owed: it is
refused, naming the write-off to reverse first.

By hand: 12.000.000 đ at 6,60 % from 10/01/2020, transaction day 20, accrues 2.200 đ a
day: bills 22.000 đ on 20/01 and 68.200 đ on 20/02, written off whole (90.200 đ) on 20/02.
With 6.000.000 đ repaid (or frozen) from 15/01, the same days bill 5 × 2.200 + 5 × 1.100 =
16.500 đ and 31 × 1.100 = 34.100 đ: 50.600 đ, 39.600 đ less than written off."""

from datetime import date

import pytest

from lending.models import InterestBill, LoanTransaction
from lending.services import (
    loan_freeze,
    loan_tranche_disburse,
    repayment_post,
    reversal_approve,
    reversal_request,
    write_off_post,
)
from tests.support.book import disburse, refused
from tests.support.factories import MemberFactory

pytestmark = pytest.mark.django_db

MESSAGE = (
    "Thay đổi này làm lãi đã thu và đã xóa của món vay L1 vượt lãi phải thu (thừa {excess} đồng tại ngày "
    "20/02/2020). Cần hủy khoản xóa nợ lãi ngày 20/02/2020 (90.200 đồng) của món vay L1 trước."
)


@pytest.fixture
def written_off(commune, group, poor, staff):
    loan = disburse(MemberFactory(commune=commune, group=group), poor, staff, approved_amount=18_000_000)
    write_off_post(loan=loan, amount=90_200, value_date=date(2020, 2, 20), interest=True, acting_user=staff)
    return loan


def billed_by(loan, day):
    return sum(InterestBill.objects.filter(loan=loan, billed_on__lte=day).values_list("amount", flat=True))


def test_a_back_dated_repayment_below_the_write_off_is_refused(written_off, staff):
    assert billed_by(written_off, date(2020, 2, 20)) == 90_200
    refused(
        repayment_post,
        "value_date",
        MESSAGE.format(excess="39.600"),
        loan=written_off,
        amount=6_000_000,
        value_date=date(2020, 1, 15),
        acting_user=staff,
    )
    assert billed_by(written_off, date(2020, 2, 20)) == 90_200


def test_a_repayment_after_the_write_off_is_taken(written_off, staff):
    repayment_post(loan=written_off, amount=6_000_000, value_date=date(2020, 2, 21), acting_user=staff)
    # 20/02 → 20/03: 1 day at 12.000.000, 28 at 6.000.000
    assert billed_by(written_off, date(2020, 3, 20)) - 90_200 == 2_200 + 28 * 1_100


def test_a_back_dated_freeze_below_the_write_off_is_refused(written_off, staff):
    refused(
        loan_freeze,
        "effective_on",
        MESSAGE.format(excess="39.600"),
        loan=written_off,
        amount=6_000_000,
        effective_on=date(2020, 1, 15),
        acting_user=staff,
    )


def test_reversing_a_tranche_below_the_write_off_is_refused(written_off, staff, manager):
    """A tranche of 6.000.000 đ on 15/01 adds 5 × 1.100 + 31 × 1.100 = 39.600 đ; written off
    with the rest, its reversal would leave 39.600 đ written off beyond the bills."""
    tranche = loan_tranche_disburse(loan=written_off, amount=6_000_000, value_date=date(2020, 1, 15), acting_user=staff)
    write_off_post(loan=written_off, amount=39_600, value_date=date(2020, 2, 20), interest=True, acting_user=staff)
    request = reversal_request(transaction=tranche, reason="Nhập nhầm", acting_user=staff)
    message = (
        "Thay đổi này làm lãi đã thu và đã xóa của món vay L1 vượt lãi phải thu (thừa 39.600 đồng tại ngày "
        "20/02/2020). Cần hủy khoản xóa nợ lãi ngày 20/02/2020 (39.600 đồng) của món vay L1 trước."
    )
    refused(reversal_approve, "transaction", message, request=request, acting_user=manager)
    assert not LoanTransaction.objects.filter(reverses=tranche).exists()
