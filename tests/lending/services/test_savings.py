from datetime import date
from decimal import Decimal

import pytest

from groups.services import member_register
from lending.models import SavingsTransaction
from lending.selectors import member_savings_balance
from lending.services import period_close, savings_deposit, savings_transaction_post, savings_withdraw
from tests.support.book import refused, tomorrow
from tests.support.factories import UserFactory
from vbsp_district.core.money import vn_date
from vbsp_district.models import AuditEvent, Role

pytestmark = pytest.mark.django_db

AMOUNT_MESSAGE = "Số tiền phải là số nguyên dương (đồng)."


def test_savings_deposit_and_withdraw(member, staff):
    deposit = savings_deposit(
        member=member, amount=500_000, value_date=date(2020, 1, 20), reference="TK-1", acting_user=staff
    )
    deposit.refresh_from_db()
    assert (
        deposit.member,
        deposit.kind,
        deposit.value_date,
        deposit.amount,
        deposit.reference,
        deposit.recorded_by,
    ) == (
        member,
        "deposit",
        date(2020, 1, 20),
        500_000,
        "TK-1",
        staff,
    )
    savings_deposit(member=member, amount=300_000, value_date=date(2020, 2, 20), acting_user=staff)
    withdrawal = savings_withdraw(member=member, amount=650_000, value_date=date(2020, 3, 20), acting_user=staff)
    assert (withdrawal.kind, withdrawal.amount) == ("withdrawal", 650_000)
    assert [
        member_savings_balance(member, as_of=d)
        for d in (date(2020, 1, 19), date(2020, 1, 20), date(2020, 2, 20), date(2020, 3, 20))
    ] == [0, 500_000, 800_000, 150_000]


def test_savings_of_a_household_in_no_group(commune, staff):
    loner = member_register(national_id="044000000777", full_name="Hộ lẻ", commune=commune, acting_user=staff)
    savings_deposit(member=loner, amount=100_000, value_date=date(2020, 1, 20), acting_user=staff)
    assert member_savings_balance(loner, as_of=date(2020, 1, 20)) == 100_000


def test_withdrawal_beyond_the_balance_is_refused(member, staff):
    savings_deposit(member=member, amount=500_000, value_date=date(2020, 1, 20), acting_user=staff)
    refused(
        savings_withdraw,
        "amount",
        "Số tiền rút 500.001 đồng vượt số dư tiết kiệm 500.000 đồng tại ngày 20/01/2020.",
        member=member,
        amount=500_001,
        value_date=date(2020, 1, 20),
        acting_user=staff,
    )
    refused(
        savings_withdraw,
        "amount",
        "Số tiền rút 1 đồng vượt số dư tiết kiệm 0 đồng tại ngày 19/01/2020.",
        member=member,
        amount=1,
        value_date=date(2020, 1, 19),
        acting_user=staff,
    )
    savings_withdraw(member=member, amount=500_000, value_date=date(2020, 1, 20), acting_user=staff)
    assert member_savings_balance(member, as_of=date(2020, 1, 20)) == 0


def test_back_dated_withdrawal_that_overdraws_a_later_day_is_refused(member, staff):
    savings_deposit(member=member, amount=1_000_000, value_date=date(2020, 1, 20), acting_user=staff)
    savings_withdraw(member=member, amount=800_000, value_date=date(2020, 3, 20), acting_user=staff)
    # 1,000,000 is there on 20/02, but only 200,000 is left from 20/03 on.
    refused(
        savings_withdraw,
        "amount",
        "Số tiền rút 300.000 đồng vượt số dư tiết kiệm 200.000 đồng tại ngày 20/03/2020 (sau ngày giao dịch 20/02/2020).",
        member=member,
        amount=300_000,
        value_date=date(2020, 2, 20),
        acting_user=staff,
    )
    savings_withdraw(member=member, amount=200_000, value_date=date(2020, 2, 20), acting_user=staff)
    assert member_savings_balance(member, as_of=date(2020, 3, 20)) == 0


@pytest.mark.parametrize("service", [savings_deposit, savings_withdraw])
@pytest.mark.parametrize("amount", [0, -5, 1.5, Decimal("100"), "100", True, None])
def test_savings_amount_must_be_a_positive_whole_number_of_dong(member, staff, service, amount):
    refused(
        service, "amount", AMOUNT_MESSAGE, member=member, amount=amount, value_date=date(2020, 1, 20), acting_user=staff
    )


@pytest.mark.parametrize("service", [savings_deposit, savings_withdraw])
def test_savings_value_date_refusals(member, staff, manager, service):
    savings_deposit(member=member, amount=1_000_000, value_date=date(2019, 12, 20), acting_user=staff)
    day = tomorrow()
    refused(
        service,
        "value_date",
        f"Ngày giao dịch {vn_date(day)} không được sau ngày hôm nay.",
        member=member,
        amount=1_000,
        value_date=day,
        acting_user=staff,
    )
    refused(
        service,
        "value_date",
        "Ngày giao dịch không hợp lệ.",
        member=member,
        amount=1_000,
        value_date="2020-01-20",
        acting_user=staff,
    )
    period_close(year=2020, quarter=1, acting_user=manager)
    refused(
        service,
        "value_date",
        "Ngày giao dịch 20/01/2020 nằm trong quý 1/2020 đã khóa sổ (01/01/2020–31/03/2020).",
        member=member,
        amount=1_000,
        value_date=date(2020, 1, 20),
        acting_user=staff,
    )


def test_savings_kind_and_role_refusals(member, staff, hnd):
    refused(
        savings_transaction_post,
        "kind",
        "Loại giao dịch tiết kiệm phải là deposit hoặc withdrawal.",
        member=member,
        kind="interest",
        amount=1_000,
        value_date=date(2020, 1, 20),
        acting_user=staff,
    )
    officer = UserFactory(username="hnd", role=Role.OFFICER, role__association=hnd)
    refused(
        savings_deposit,
        "acting_user",
        "Bạn không có quyền ghi sổ giao dịch.",
        member=member,
        amount=1_000,
        value_date=date(2020, 1, 20),
        acting_user=officer,
    )


def test_savings_reference_is_idempotent(member, staff):
    first = savings_deposit(
        member=member, amount=100_000, value_date=date(2020, 1, 20), reference="TK-9", acting_user=staff
    )
    counts = (SavingsTransaction.objects.count(), AuditEvent.objects.count())
    again = savings_deposit(
        member=member, amount=100_000, value_date=date(2020, 1, 20), reference="TK-9", acting_user=staff
    )
    assert again.pk == first.pk
    assert (SavingsTransaction.objects.count(), AuditEvent.objects.count()) == counts
    assert member_savings_balance(member, as_of=date(2020, 1, 20)) == 100_000
    refused(
        savings_withdraw,
        "reference",
        "Số chứng từ TK-9 đã được dùng cho giao dịch khác (gửi tiết kiệm ngày 20/01/2020).",
        member=member,
        amount=100_000,
        value_date=date(2020, 1, 20),
        reference="TK-9",
        acting_user=staff,
    )
    refused(
        savings_deposit,
        "reference",
        "Số chứng từ TK-9 đã được dùng cho giao dịch khác (gửi tiết kiệm ngày 20/01/2020).",
        member=member,
        amount=100_001,
        value_date=date(2020, 1, 20),
        reference="TK-9",
        acting_user=staff,
    )
