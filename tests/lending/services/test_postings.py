from datetime import date
from decimal import Decimal

import pytest

from groups.services import member_register, membership_add
from lending.models import LoanTransaction
from lending.selectors import loan_book
from lending.services import (
    interest_payment_post,
    loan_transaction_post,
    period_close,
    repayment_post,
    write_off_post,
)
from tests.support.book import bills_of, disburse, loan_interest_balance, refused, tomorrow
from tests.support.factories import UserFactory
from vbsp_district.core.money import vn_date
from vbsp_district.models import Role

pytestmark = pytest.mark.django_db

AMOUNT_MESSAGE = "Số tiền phải là số nguyên dương (đồng)."
BAD_AMOUNTS = [0, -5, 1.5, Decimal("100"), "100", True, None]


@pytest.fixture
def loan(member, poor, staff):
    """12,000,000 đ at 6.60 % from 10/01/2020, due 10/01/2022; transaction day 20."""
    return disburse(member=member, program=poor, user=staff)


def post(kind):
    """The public service posting one kind of loan row."""
    return {
        "principal": repayment_post,
        "interest": interest_payment_post,
        "principal_write_off": lambda **kw: write_off_post(**kw),
        "interest_write_off": lambda **kw: write_off_post(interest=True, **kw),
    }[kind]


# -- success --------------------------------------------------------------------------


def test_repayment_post(loan, staff):
    txn = repayment_post(loan=loan, amount=2_000_000, value_date=date(2020, 2, 20), reference="TN-1", acting_user=staff)
    txn.refresh_from_db()
    assert (txn.loan, txn.kind, txn.value_date, txn.amount, txn.reference, txn.recorded_by, txn.reverses) == (
        loan,
        "principal",
        date(2020, 2, 20),
        2_000_000,
        "TN-1",
        staff,
        None,
    )
    book = loan_book(loan)
    assert (book.outstanding(date(2020, 2, 19)), book.outstanding(date(2020, 2, 20))) == (12_000_000, 10_000_000)
    # The bill of 20/03 covers 20/02–19/03 on 10,000,000 đ: 29 days × 1,833.33 đ.
    assert bills_of(loan)[2] == (date(2020, 3, 20), date(2020, 2, 20), 53_167, 0)


def test_repayment_of_the_whole_outstanding_issues_a_closing_bill(loan, staff):
    repayment_post(loan=loan, amount=12_000_000, value_date=date(2020, 3, 5), acting_user=staff)
    assert bills_of(loan) == [
        (date(2020, 1, 20), date(2020, 1, 10), 22_000, 0),
        (date(2020, 2, 20), date(2020, 1, 20), 68_200, 0),
        (date(2020, 3, 5), date(2020, 2, 20), 14 * 2_200, 0),
    ]
    assert loan_book(loan).outstanding(date(2020, 3, 5)) == 0


def test_back_dated_repayment_rebuilds_the_later_bills(loan, staff):
    assert bills_of(loan)[1] == (date(2020, 2, 20), date(2020, 1, 20), 68_200, 0)
    repayment_post(loan=loan, amount=6_000_000, value_date=date(2020, 2, 10), acting_user=staff)
    # 20/01–09/02 on 12,000,000 (21 days × 2,200) and 10/02–19/02 on 6,000,000 (10 days × 1,100).
    assert bills_of(loan)[:2] == [
        (date(2020, 1, 20), date(2020, 1, 10), 22_000, 0),
        (date(2020, 2, 20), date(2020, 1, 20), 21 * 2_200 + 10 * 1_100, 0),
    ]


def test_interest_payment_post_and_the_interest_credit(loan, staff):
    txn = interest_payment_post(loan=loan, amount=22_000, value_date=date(2020, 1, 20), acting_user=staff)
    assert (txn.kind, txn.amount) == ("interest", 22_000)
    assert loan_interest_balance(loan, as_of=date(2020, 1, 20)) == 0
    assert loan_interest_balance(loan, as_of=date(2020, 2, 20)) == 68_200
    # Paid beyond the bills: a credit (prepaid interest).
    interest_payment_post(loan=loan, amount=100_000, value_date=date(2020, 2, 20), acting_user=staff)
    assert loan_interest_balance(loan, as_of=date(2020, 2, 20)) == -31_800
    # Interest payments do not change the bills.
    assert bills_of(loan)[:2] == [
        (date(2020, 1, 20), date(2020, 1, 10), 22_000, 0),
        (date(2020, 2, 20), date(2020, 1, 20), 68_200, 0),
    ]


def test_principal_write_off(loan, staff):
    txn = write_off_post(loan=loan, amount=12_000_000, value_date=date(2020, 3, 5), acting_user=staff)
    assert (txn.kind, txn.amount, txn.value_date) == ("principal_write_off", 12_000_000, date(2020, 3, 5))
    assert loan_book(loan).outstanding(date(2020, 3, 5)) == 0
    assert bills_of(loan)[-1] == (date(2020, 3, 5), date(2020, 2, 20), 30_800, 0)


def test_interest_write_off(loan, staff):
    txn = write_off_post(loan=loan, amount=90_200, value_date=date(2020, 2, 20), interest=True, acting_user=staff)
    assert (txn.kind, txn.amount) == ("interest_write_off", 90_200)
    assert loan_interest_balance(loan, as_of=date(2020, 2, 20)) == 0
    assert loan_book(loan).outstanding(date(2020, 2, 20)) == 12_000_000


def test_loan_transaction_post_refuses_an_unknown_kind(loan, staff):
    refused(
        loan_transaction_post,
        "kind",
        "Loại giao dịch phải là disbursement, principal, interest, principal_write_off hoặc interest_write_off.",
        loan=loan,
        kind="fee",
        amount=1_000,
        value_date=date(2020, 2, 20),
        acting_user=staff,
    )


# -- refusals shared by every kind ----------------------------------------------------

KINDS = ["principal", "interest", "principal_write_off", "interest_write_off"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_amount_must_be_a_positive_whole_number_of_dong(loan, staff, kind, amount):
    refused(
        post(kind), "amount", AMOUNT_MESSAGE, loan=loan, amount=amount, value_date=date(2020, 2, 20), acting_user=staff
    )


@pytest.mark.parametrize("kind", KINDS)
def test_value_date_in_the_future_is_refused(loan, staff, kind):
    day = tomorrow()
    refused(
        post(kind),
        "value_date",
        f"Ngày giao dịch {vn_date(day)} không được sau ngày hôm nay.",
        loan=loan,
        amount=1_000,
        value_date=day,
        acting_user=staff,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_value_date_before_the_disbursement_is_refused(loan, staff, kind):
    refused(
        post(kind),
        "value_date",
        "Ngày giao dịch 09/01/2020 trước ngày giải ngân (10/01/2020).",
        loan=loan,
        amount=1_000,
        value_date=date(2020, 1, 9),
        acting_user=staff,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_value_date_in_a_closed_period_is_refused(loan, staff, manager, kind):
    period_close(year=2020, quarter=1, acting_user=manager)
    refused(
        post(kind),
        "value_date",
        "Ngày giao dịch 20/02/2020 nằm trong quý 1/2020 đã khóa sổ (01/01/2020–31/03/2020).",
        loan=loan,
        amount=1_000,
        value_date=date(2020, 2, 20),
        acting_user=staff,
    )
    post(kind)(loan=loan, amount=1_000, value_date=date(2020, 4, 20), acting_user=staff)


@pytest.mark.parametrize("kind", KINDS)
def test_value_date_must_be_a_date(loan, staff, kind):
    refused(
        post(kind),
        "value_date",
        "Ngày giao dịch không hợp lệ.",
        loan=loan,
        amount=1_000,
        value_date="2020-02-20",
        acting_user=staff,
    )


def test_association_officer_cannot_post(loan, hnd):
    officer = UserFactory(username="hnd", role=Role.OFFICER, role__association=hnd)
    refused(
        repayment_post,
        "acting_user",
        "Bạn không có quyền ghi sổ giao dịch.",
        loan=loan,
        amount=1_000,
        value_date=date(2020, 2, 20),
        acting_user=officer,
    )


# -- balances, at the value date and at every later date ------------------------------


@pytest.mark.parametrize("kind, label", [("principal", "trả gốc"), ("principal_write_off", "xóa nợ gốc")])
def test_principal_beyond_the_outstanding_is_refused(loan, staff, kind, label):
    post(kind)(loan=loan, amount=5_000_000, value_date=date(2020, 2, 20), acting_user=staff)
    refused(
        post(kind),
        "amount",
        f"Số tiền {label} 7.000.001 đồng vượt dư nợ 7.000.000 đồng tại ngày 20/02/2020.",
        loan=loan,
        amount=7_000_001,
        value_date=date(2020, 2, 20),
        acting_user=staff,
    )
    post(kind)(loan=loan, amount=7_000_000, value_date=date(2020, 2, 20), acting_user=staff)
    assert loan_book(loan).outstanding(date(2020, 2, 20)) == 0


@pytest.mark.parametrize("kind, label", [("principal", "trả gốc"), ("principal_write_off", "xóa nợ gốc")])
def test_back_dated_principal_that_drives_a_later_balance_below_zero_is_refused(loan, staff, kind, label):
    repayment_post(loan=loan, amount=8_000_000, value_date=date(2020, 3, 20), acting_user=staff)
    # On 20/02 the outstanding is 12,000,000, but from 20/03 on only 4,000,000 is left.
    refused(
        post(kind),
        "amount",
        f"Số tiền {label} 4.000.001 đồng vượt dư nợ 4.000.000 đồng tại ngày 20/03/2020 "
        "(sau ngày giao dịch 20/02/2020).",
        loan=loan,
        amount=4_000_001,
        value_date=date(2020, 2, 20),
        acting_user=staff,
    )
    post(kind)(loan=loan, amount=4_000_000, value_date=date(2020, 2, 20), acting_user=staff)
    book = loan_book(loan)
    assert (book.outstanding(date(2020, 2, 20)), book.outstanding(date(2020, 3, 20))) == (8_000_000, 0)


def test_interest_write_off_beyond_the_arrears_is_refused(loan, staff):
    refused(
        write_off_post,
        "amount",
        "Số tiền xóa nợ lãi 22.001 đồng vượt lãi tồn đọng 22.000 đồng tại ngày 20/01/2020.",
        loan=loan,
        amount=22_001,
        value_date=date(2020, 1, 20),
        interest=True,
        acting_user=staff,
    )
    refused(
        write_off_post,
        "amount",
        "Số tiền xóa nợ lãi 1 đồng vượt lãi tồn đọng 0 đồng tại ngày 19/01/2020.",
        loan=loan,
        amount=1,
        value_date=date(2020, 1, 19),
        interest=True,
        acting_user=staff,
    )


def test_back_dated_interest_write_off_below_a_later_payment_is_refused(loan, staff):
    interest_payment_post(loan=loan, amount=90_200, value_date=date(2020, 2, 20), acting_user=staff)
    # 22,000 is in arrears on 20/01, but the payment of 20/02 settles everything billed.
    refused(
        write_off_post,
        "amount",
        "Số tiền xóa nợ lãi 22.000 đồng vượt lãi tồn đọng 0 đồng tại ngày 20/02/2020 (sau ngày giao dịch 20/01/2020).",
        loan=loan,
        amount=22_000,
        value_date=date(2020, 1, 20),
        interest=True,
        acting_user=staff,
    )


# -- references -----------------------------------------------------------------------


def test_same_reference_with_identical_data_returns_the_posted_row(loan, staff):
    first = repayment_post(
        loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), reference="TN-1", acting_user=staff
    )
    before = LoanTransaction.objects.count()
    from vbsp_district.models import AuditEvent

    events = AuditEvent.objects.count()
    again = repayment_post(
        loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), reference=" TN-1 ", acting_user=staff
    )
    assert again.pk == first.pk
    assert (LoanTransaction.objects.count(), AuditEvent.objects.count()) == (before, events)
    assert loan_book(loan).outstanding(date(2020, 2, 20)) == 11_000_000


@pytest.mark.parametrize(
    "kind, amount, value_date",
    [
        ("principal", 1_000_001, date(2020, 2, 20)),
        ("principal", 1_000_000, date(2020, 2, 21)),
        ("interest", 1_000_000, date(2020, 2, 20)),
    ],
)
def test_same_reference_with_different_data_is_refused(loan, staff, kind, amount, value_date):
    repayment_post(loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), reference="TN-1", acting_user=staff)
    refused(
        post(kind),
        "reference",
        "Số chứng từ TN-1 đã được dùng cho giao dịch khác (thu nợ gốc ngày 20/02/2020).",
        loan=loan,
        amount=amount,
        value_date=value_date,
        reference="TN-1",
        acting_user=staff,
    )


def test_a_reference_is_unique_per_loan(loan, commune, group, poor, staff):
    other_member = member_register(national_id="044000000555", full_name="Hộ khác", commune=commune, acting_user=staff)
    membership_add(member=other_member, group=group, joined_on=date(2016, 1, 1), acting_user=staff)
    other = disburse(member=other_member, program=poor, user=staff, loan_no="L2")
    a = repayment_post(loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), reference="BL-07", acting_user=staff)
    b = repayment_post(loan=other, amount=1_000_000, value_date=date(2020, 2, 20), reference="BL-07", acting_user=staff)
    assert a.pk != b.pk


def test_reference_longer_than_64_characters_is_refused(loan, staff):
    refused(
        repayment_post,
        "reference",
        "Số chứng từ dài quá 64 ký tự.",
        loan=loan,
        amount=1_000,
        value_date=date(2020, 2, 20),
        reference="R" * 65,
        acting_user=staff,
    )


def test_blank_reference_is_no_reference(loan, staff):
    a = repayment_post(loan=loan, amount=1_000, value_date=date(2020, 2, 20), reference="  ", acting_user=staff)
    b = repayment_post(loan=loan, amount=1_000, value_date=date(2020, 2, 20), reference="", acting_user=staff)
    assert a.pk != b.pk
    assert (a.reference, b.reference) == (None, None)
