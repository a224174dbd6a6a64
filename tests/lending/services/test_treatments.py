from datetime import date
from decimal import Decimal

import pytest

from lending.models import Extension, Freeze
from lending.selectors import loan_book
from lending.services import freeze_end, loan_extend, loan_freeze, period_close, repayment_post
from tests.support.book import bills_of, disburse, refused, tomorrow
from tests.support.factories import UserFactory
from vbsp_district.core.money import vn_date
from vbsp_district.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def short_loan(member, poor, staff):
    """12,000,000 đ at 6.60 % from 10/01/2020, all due 10/03/2020 (maturity rule)."""
    return disburse(member=member, program=poor, user=staff, due_on=date(2020, 3, 10))


@pytest.fixture
def loan(member, poor, staff):
    return disburse(member=member, program=poor, user=staff)


def bill_on(loan, day):
    return next(b for b in bills_of(loan) if b[0] == day)


# -- extensions -----------------------------------------------------------------------


def test_overdue_after_maturity_bills_the_overdue_rate(short_loan):
    # 20/02–10/03 normal (20 × 2,200), 11/03–19/03 overdue at 130 % (9 × 2,860).
    assert bill_on(short_loan, date(2020, 3, 20)) == (date(2020, 3, 20), date(2020, 2, 20), 69_740, 25_740)
    assert loan_book(short_loan).position(date(2020, 3, 11)).overdue == 12_000_000


def test_loan_extend_moves_the_due_date_and_rebuilds_the_bills(short_loan, staff):
    extension = loan_extend(
        loan=short_loan,
        due_on=date(2020, 3, 10),
        new_due_on=date(2020, 9, 10),
        decided_on=date(2020, 3, 5),
        acting_user=staff,
    )
    extension.refresh_from_db()
    assert (
        extension.loan,
        extension.installment.due_on,
        extension.new_due_on,
        extension.decided_on,
        extension.recorded_by,
    ) == (short_loan, date(2020, 3, 10), date(2020, 9, 10), date(2020, 3, 5), staff)
    book = loan_book(short_loan)
    assert (book.maturity(date(2020, 3, 4)), book.maturity(date(2020, 3, 5))) == (date(2020, 3, 10), date(2020, 9, 10))
    assert book.position(date(2020, 3, 11)).overdue == 0
    assert bill_on(short_loan, date(2020, 3, 20)) == (date(2020, 3, 20), date(2020, 2, 20), 63_800, 0)


def test_loan_extend_decided_after_the_due_date(short_loan, staff):
    loan_extend(
        loan=short_loan,
        due_on=date(2020, 3, 10),
        new_due_on=date(2020, 9, 10),
        decided_on=date(2020, 3, 15),
        acting_user=staff,
    )
    # Overdue from 11/03 to 14/03 (4 × 2,860), normal again from the decision on.
    assert bill_on(short_loan, date(2020, 3, 20)) == (date(2020, 3, 20), date(2020, 2, 20), 25 * 2_200 + 11_440, 11_440)


def test_a_second_extension_moves_from_the_extended_date(short_loan, staff):
    loan_extend(
        loan=short_loan,
        due_on=date(2020, 3, 10),
        new_due_on=date(2020, 9, 10),
        decided_on=date(2020, 3, 5),
        acting_user=staff,
    )
    refused(
        loan_extend,
        "new_due_on",
        "Ngày đến hạn mới phải sau ngày đến hạn hiện tại (10/09/2020).",
        loan=short_loan,
        due_on=date(2020, 3, 10),
        new_due_on=date(2020, 6, 10),
        decided_on=date(2020, 9, 1),
        acting_user=staff,
    )
    loan_extend(
        loan=short_loan,
        due_on=date(2020, 3, 10),
        new_due_on=date(2021, 3, 10),
        decided_on=date(2020, 9, 1),
        acting_user=staff,
    )
    assert loan_book(short_loan).maturity(date(2020, 9, 1)) == date(2021, 3, 10)
    assert Extension.objects.filter(loan=short_loan).count() == 2


def test_loan_extend_refusals(short_loan, staff, manager):
    args = {
        "loan": short_loan,
        "due_on": date(2020, 3, 10),
        "new_due_on": date(2020, 9, 10),
        "decided_on": date(2020, 3, 5),
        "acting_user": staff,
    }
    refused(
        loan_extend, "due_on", "Món vay L1 không có kỳ hạn ngày 10/04/2020.", **(args | {"due_on": date(2020, 4, 10)})
    )
    for new_due_on in (date(2020, 3, 10), date(2020, 3, 1), "2020-09-10"):
        refused(
            loan_extend,
            "new_due_on",
            "Ngày đến hạn mới phải sau ngày đến hạn hiện tại (10/03/2020).",
            **(args | {"new_due_on": new_due_on}),
        )
    refused(
        loan_extend,
        "decided_on",
        "Ngày quyết định 05/01/2020 trước ngày giải ngân (10/01/2020).",
        **(args | {"decided_on": date(2020, 1, 5)}),
    )
    day = tomorrow()
    refused(
        loan_extend,
        "decided_on",
        f"Ngày quyết định {vn_date(day)} không được sau ngày hôm nay.",
        **(args | {"decided_on": day, "new_due_on": date(day.year + 1, 1, 1)}),
    )
    period_close(year=2020, quarter=1, acting_user=manager)
    refused(
        loan_extend,
        "decided_on",
        "Ngày quyết định 05/03/2020 nằm trong quý 1/2020 đã khóa sổ (01/01/2020–31/03/2020).",
        **args,
    )


def test_loan_extend_refuses_a_repaid_loan(short_loan, staff):
    repayment_post(loan=short_loan, amount=12_000_000, value_date=date(2020, 3, 1), acting_user=staff)
    refused(
        loan_extend,
        "loan",
        "Món vay L1 đã hết dư nợ tại ngày 05/03/2020.",
        loan=short_loan,
        due_on=date(2020, 3, 10),
        new_due_on=date(2020, 9, 10),
        decided_on=date(2020, 3, 5),
        acting_user=staff,
    )


# -- freezes --------------------------------------------------------------------------


def test_frozen_principal_earns_nothing(loan, staff):
    freeze = loan_freeze(loan=loan, amount=6_000_000, effective_on=date(2020, 1, 20), acting_user=staff)
    freeze.refresh_from_db()
    assert (freeze.loan, freeze.amount, freeze.effective_on, freeze.ends_on, freeze.recorded_by) == (
        loan,
        6_000_000,
        date(2020, 1, 20),
        None,
        staff,
    )
    assert loan_book(loan).frozen(date(2020, 1, 20)) == 6_000_000
    assert bill_on(loan, date(2020, 1, 20)) == (date(2020, 1, 20), date(2020, 1, 10), 22_000, 0)
    assert bill_on(loan, date(2020, 2, 20)) == (date(2020, 2, 20), date(2020, 1, 20), 31 * 1_100, 0)


def test_freeze_end_rebuilds_the_bills(loan, staff):
    freeze = loan_freeze(loan=loan, amount=6_000_000, effective_on=date(2020, 1, 20), acting_user=staff)
    ended = freeze_end(freeze=freeze, ends_on=date(2020, 2, 10), acting_user=staff)
    assert Freeze.objects.get(pk=ended.pk).ends_on == date(2020, 2, 10)
    book = loan_book(loan)
    assert (book.frozen(date(2020, 2, 9)), book.frozen(date(2020, 2, 10))) == (6_000_000, 0)
    # 20/01–09/02 half frozen (21 × 1,100), 10/02–19/02 all earning (10 × 2,200).
    assert bill_on(loan, date(2020, 2, 20)) == (date(2020, 2, 20), date(2020, 1, 20), 45_100, 0)


def test_loan_freeze_with_an_end(loan, staff):
    loan_freeze(
        loan=loan, amount=6_000_000, effective_on=date(2020, 1, 20), ends_on=date(2020, 2, 10), acting_user=staff
    )
    assert bill_on(loan, date(2020, 2, 20)) == (date(2020, 2, 20), date(2020, 1, 20), 45_100, 0)


def test_loan_freeze_refusals(loan, staff, manager):
    loan_freeze(loan=loan, amount=6_000_000, effective_on=date(2020, 1, 20), acting_user=staff)
    args = {"loan": loan, "amount": 1_000_000, "effective_on": date(2020, 2, 1), "acting_user": staff}
    refused(
        loan_freeze,
        "amount",
        "Số tiền khoanh 6.000.001 đồng vượt dư nợ chưa khoanh 6.000.000 đồng tại ngày 01/02/2020.",
        **(args | {"amount": 6_000_001}),
    )
    for amount in (0, -5, 1.5, Decimal("100"), "100", True):
        refused(loan_freeze, "amount", "Số tiền phải là số nguyên dương (đồng).", **(args | {"amount": amount}))
    for ends_on in (date(2020, 2, 1), date(2020, 1, 31), "2020-03-01"):
        refused(
            loan_freeze, "ends_on", "Ngày kết thúc khoanh nợ phải sau ngày bắt đầu.", **(args | {"ends_on": ends_on})
        )
    refused(
        loan_freeze,
        "effective_on",
        "Ngày khoanh nợ 05/01/2020 trước ngày giải ngân (10/01/2020).",
        **(args | {"effective_on": date(2020, 1, 5)}),
    )
    day = tomorrow()
    refused(
        loan_freeze,
        "effective_on",
        f"Ngày khoanh nợ {vn_date(day)} không được sau ngày hôm nay.",
        **(args | {"effective_on": day}),
    )
    period_close(year=2020, quarter=1, acting_user=manager)
    refused(
        loan_freeze,
        "effective_on",
        "Ngày khoanh nợ 01/02/2020 nằm trong quý 1/2020 đã khóa sổ (01/01/2020–31/03/2020).",
        **args,
    )


def test_freeze_end_refusals(loan, staff, manager):
    freeze = loan_freeze(loan=loan, amount=6_000_000, effective_on=date(2020, 1, 20), acting_user=staff)
    for ends_on in (date(2020, 1, 20), date(2020, 1, 10)):
        refused(
            freeze_end,
            "ends_on",
            "Ngày kết thúc khoanh nợ phải sau ngày bắt đầu.",
            freeze=freeze,
            ends_on=ends_on,
            acting_user=staff,
        )
    day = tomorrow()
    refused(
        freeze_end,
        "ends_on",
        f"Ngày kết thúc khoanh nợ {vn_date(day)} không được sau ngày hôm nay.",
        freeze=freeze,
        ends_on=day,
        acting_user=staff,
    )
    period_close(year=2020, quarter=1, acting_user=manager)
    refused(
        freeze_end,
        "ends_on",
        "Ngày kết thúc khoanh nợ 10/02/2020 nằm trong quý 1/2020 đã khóa sổ (01/01/2020–31/03/2020).",
        freeze=freeze,
        ends_on=date(2020, 2, 10),
        acting_user=staff,
    )
    freeze_end(freeze=freeze, ends_on=date(2020, 4, 10), acting_user=staff)
    refused(
        freeze_end,
        "ends_on",
        "Khoản khoanh nợ đã kết thúc ngày 10/04/2020.",
        freeze=freeze,
        ends_on=date(2020, 5, 10),
        acting_user=staff,
    )


def test_association_officer_cannot_treat_debt(loan, hnd):
    officer = UserFactory(username="hnd", role=Role.OFFICER, role__association=hnd)
    refused(
        loan_freeze,
        "acting_user",
        "Bạn không có quyền ghi sổ giao dịch.",
        loan=loan,
        amount=1_000_000,
        effective_on=date(2020, 2, 1),
        acting_user=officer,
    )
    refused(
        loan_extend,
        "acting_user",
        "Bạn không có quyền ghi sổ giao dịch.",
        loan=loan,
        due_on=date(2022, 1, 10),
        new_due_on=date(2023, 1, 10),
        decided_on=date(2020, 2, 1),
        acting_user=officer,
    )
