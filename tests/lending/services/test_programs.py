from datetime import date
from decimal import Decimal

import pytest

from lending.models import LoanProgram, ProgramRate
from lending.selectors import program_rate_on
from lending.services import program_create, program_rate_set
from tests.support.book import bills_of, disburse, refused

pytestmark = pytest.mark.django_db

MANAGER_ONLY = "Chỉ lãnh đạo phòng giao dịch được thực hiện thao tác này."
RATE_MESSAGE = "Lãi suất phải là số dương dưới 100 %/năm, tối đa 3 chữ số thập phân."


def test_program_create(manager):
    program = program_create(
        code=" 20 ",
        name=" Cho vay thí điểm ",
        annual_rate="4.8",
        overdue_factor="1.5",
        overdue_rule="installment",
        effective_on=date(2020, 1, 1),
        acting_user=manager,
    )
    program.refresh_from_db()
    assert (program.code, program.name, program.overdue_factor, program.overdue_rule) == (
        "20",
        "Cho vay thí điểm",
        Decimal("1.50"),
        "installment",
    )
    assert list(ProgramRate.objects.filter(program=program).values_list("annual_rate", "effective_on")) == [
        (Decimal("4.800"), date(2020, 1, 1))
    ]
    assert program_rate_on(program, date(2019, 12, 31)) is None
    assert program_rate_on(program, date(2020, 1, 1)) == Decimal("4.800")


def test_program_create_defaults(manager):
    program = program_create(code="21", name="Chương trình", annual_rate=Decimal("6.6"), acting_user=manager)
    assert (program.overdue_factor, program.overdue_rule) == (Decimal("1.30"), "maturity")
    assert program_rate_on(program, date(2000, 1, 1)) == Decimal("6.600")


@pytest.mark.parametrize(
    "kwargs, field, message",
    [
        ({"code": " "}, "code", "Mã chương trình không được để trống."),
        ({"code": "01"}, "code", "Mã chương trình 01 đã có trong hệ thống."),
        ({"name": ""}, "name", "Tên chương trình không được để trống."),
        ({"annual_rate": "0"}, "annual_rate", RATE_MESSAGE),
        ({"annual_rate": "-1"}, "annual_rate", RATE_MESSAGE),
        ({"annual_rate": "100"}, "annual_rate", RATE_MESSAGE),
        ({"annual_rate": "6.6001"}, "annual_rate", RATE_MESSAGE),
        ({"annual_rate": "NaN"}, "annual_rate", RATE_MESSAGE),
        ({"annual_rate": "sáu"}, "annual_rate", "Lãi suất không hợp lệ."),
        ({"overdue_factor": "0.9"}, "overdue_factor", "Hệ số lãi quá hạn phải từ 1 đến 10, tối đa 2 chữ số thập phân."),
        (
            {"overdue_factor": "1.305"},
            "overdue_factor",
            "Hệ số lãi quá hạn phải từ 1 đến 10, tối đa 2 chữ số thập phân.",
        ),
        ({"overdue_factor": "x"}, "overdue_factor", "Hệ số lãi quá hạn không hợp lệ."),
        ({"overdue_rule": "daily"}, "overdue_rule", "Cách tính quá hạn phải là maturity hoặc installment."),
    ],
)
def test_program_create_refusals(poor, manager, kwargs, field, message):
    args = {"code": "20", "name": "Cho vay mới", "annual_rate": "6.6", "acting_user": manager} | kwargs
    refused(program_create, field, message, **args)


def test_only_a_manager_creates_programs(staff):
    refused(
        program_create, "acting_user", MANAGER_ONLY, code="20", name="Cho vay mới", annual_rate="6.6", acting_user=staff
    )
    assert not LoanProgram.objects.filter(code="20").exists()


def test_a_rate_change_applies_to_loans_disbursed_from_its_effective_date(commune, group, member, poor, staff, manager):
    from groups.services import member_register, membership_add

    second = member_register(national_id="044000000222", full_name="Hộ hai", commune=commune, acting_user=staff)
    membership_add(member=second, group=group, joined_on=date(2016, 1, 1), acting_user=staff)
    third = member_register(national_id="044000000333", full_name="Hộ ba", commune=commune, acting_user=staff)
    membership_add(member=third, group=group, joined_on=date(2016, 1, 1), acting_user=staff)

    before = disburse(member=member, program=poor, user=staff, loan_no="L1", disbursed_on=date(2020, 6, 30))
    # Disbursed on the new rate's effective date, but before the rate was recorded.
    early = disburse(member=second, program=poor, user=staff, loan_no="L2", disbursed_on=date(2020, 7, 1))
    bills_before = bills_of(before)

    rate = program_rate_set(program=poor, annual_rate="7.2", effective_on=date(2020, 7, 1), acting_user=manager)
    assert (rate.program, rate.annual_rate, rate.effective_on) == (poor, Decimal("7.200"), date(2020, 7, 1))
    after = disburse(member=third, program=poor, user=staff, loan_no="L3", disbursed_on=date(2020, 7, 1))

    assert program_rate_on(poor, date(2020, 6, 30)) == Decimal("6.600")
    assert program_rate_on(poor, date(2020, 7, 1)) == Decimal("7.200")
    assert after.annual_rate == Decimal("7.200")
    # A loan keeps the rate it was disbursed at.
    before.refresh_from_db()
    early.refresh_from_db()
    assert (before.annual_rate, early.annual_rate) == (Decimal("6.600"), Decimal("6.600"))
    assert bills_of(before) == bills_before
    # 12,000,000 × 7.2 % / 360 = 2,400 đ a day, 01/07–19/07.
    assert bills_of(after)[0] == (date(2020, 7, 20), date(2020, 7, 1), 19 * 2_400, 0)
    assert bills_of(early)[0] == (date(2020, 7, 20), date(2020, 7, 1), 19 * 2_200, 0)


def test_program_rate_set_refusals(poor, staff, manager):
    refused(
        program_rate_set,
        "acting_user",
        MANAGER_ONLY,
        program=poor,
        annual_rate="7.2",
        effective_on=date(2020, 7, 1),
        acting_user=staff,
    )
    refused(
        program_rate_set,
        "annual_rate",
        RATE_MESSAGE,
        program=poor,
        annual_rate="0",
        effective_on=date(2020, 7, 1),
        acting_user=manager,
    )
    refused(
        program_rate_set,
        "effective_on",
        "Chương trình đã có lãi suất áp dụng từ ngày này.",
        program=poor,
        annual_rate="7.2",
        effective_on=date(2000, 1, 1),
        acting_user=manager,
    )
