from datetime import date
from decimal import Decimal

import pytest

from groups.services import member_register
from lending.models import Channel, Installment, Loan, LoanTransaction
from lending.selectors import loan_book
from lending.services import (
    loan_disburse,
    loan_tranche_disburse,
    period_close,
    program_create,
    repayment_post,
    schedule_generate,
)
from tests.support.book import bills_of, disburse, refused, tomorrow
from tests.support.factories import UserFactory
from vbsp_district.core.money import vn_date
from vbsp_district.models import Role

pytestmark = pytest.mark.django_db

AMOUNT_MESSAGE = "Số tiền phải là số nguyên dương (đồng)."
BAD_AMOUNTS = [0, -5, 1.5, Decimal("100"), "100", True, None]


@pytest.fixture
def loner(commune, staff):
    """A household that belongs to no group."""
    return member_register(national_id="044000000999", full_name="Hộ không tổ", commune=commune, acting_user=staff)


def _installments(loan):
    return list(Installment.objects.filter(loan=loan).order_by("due_on").values_list("due_on", "principal"))


def test_loan_disburse_with_a_given_schedule(member, poor, staff):
    schedule = [(date(2021, 1, 10), 6_000_000), (date(2022, 1, 10), 6_000_000)]
    loan = loan_disburse(
        loan_no=" L1 ",
        member=member,
        program=poor,
        amount=12_000_000,
        disbursed_on=date(2020, 1, 10),
        installments=schedule,
        purpose="Chăn nuôi bò",
        reference="GN-1",
        acting_user=staff,
    )
    loan.refresh_from_db()
    assert (loan.loan_no, loan.member, loan.program, loan.channel, loan.annual_rate) == (
        "L1",
        member,
        poor,
        Channel.ENTRUSTED,
        Decimal("6.600"),
    )
    assert (loan.approved_amount, loan.disbursed_on, loan.purpose, loan.recorded_by) == (
        12_000_000,
        date(2020, 1, 10),
        "Chăn nuôi bò",
        staff,
    )
    assert _installments(loan) == schedule
    assert list(LoanTransaction.objects.values_list("loan", "kind", "value_date", "amount", "reference")) == [
        (loan.pk, "disbursement", date(2020, 1, 10), 12_000_000, "GN-1")
    ]
    assert loan_book(loan).outstanding(date(2020, 1, 9)) == 0
    assert loan_book(loan).outstanding(date(2020, 1, 10)) == 12_000_000
    # DESIGN §4's example: 10 days then 31 days at 2,200 đ a day.
    assert bills_of(loan)[:2] == [
        (date(2020, 1, 20), date(2020, 1, 10), 22_000, 0),
        (date(2020, 2, 20), date(2020, 1, 20), 68_200, 0),
    ]


def test_loan_disburse_with_a_generated_schedule(member, poor, staff):
    loan = loan_disburse(
        loan_no="L1",
        member=member,
        program=poor,
        amount=10_000_001,
        disbursed_on=date(2020, 1, 31),
        term_months=12,
        interval_months=5,
        acting_user=staff,
    )
    # Every 5 months; the last, shorter period ends at the term and takes the rest.
    assert _installments(loan) == [
        (date(2020, 6, 30), 3_333_333),
        (date(2020, 11, 30), 3_333_333),
        (date(2021, 1, 31), 3_333_335),
    ]


def test_schedule_generate_clips_to_the_month_end():
    assert schedule_generate(amount=3_000_000, disbursed_on=date(2020, 1, 31), term_months=3, interval_months=1) == [
        (date(2020, 2, 29), 1_000_000),
        (date(2020, 3, 31), 1_000_000),
        (date(2020, 4, 30), 1_000_000),
    ]
    assert schedule_generate(amount=12_000_000, disbursed_on=date(2020, 1, 10), term_months=36, interval_months=36) == [
        (date(2023, 1, 10), 12_000_000)
    ]


@pytest.mark.parametrize(
    "term_months, interval_months, field, message",
    [
        (0, 1, "term_months", "Thời hạn cho vay phải là số tháng nguyên dương."),
        (601, 1, "term_months", "Thời hạn cho vay phải là số tháng nguyên dương."),
        (12.0, 1, "term_months", "Thời hạn cho vay phải là số tháng nguyên dương."),
        (12, 0, "interval_months", "Kỳ hạn trả nợ phải từ 1 tháng đến hết thời hạn cho vay."),
        (12, 13, "interval_months", "Kỳ hạn trả nợ phải từ 1 tháng đến hết thời hạn cho vay."),
    ],
)
def test_loan_disburse_refuses_a_bad_term(member, poor, staff, term_months, interval_months, field, message):
    refused(
        loan_disburse,
        field,
        message,
        loan_no="L1",
        member=member,
        program=poor,
        amount=12_000_000,
        disbursed_on=date(2020, 1, 10),
        term_months=term_months,
        interval_months=interval_months,
        acting_user=staff,
    )


def test_direct_loan_for_a_household_in_no_group(loner, poor, staff):
    loan = disburse(member=loner, program=poor, user=staff, channel=Channel.DIRECT)
    assert loan.channel == "direct"
    assert loan_book(loan).outstanding(date(2020, 1, 10)) == 12_000_000


def test_loan_disburse_with_a_given_rate(member, poor, staff):
    loan = disburse(member=member, program=poor, user=staff, annual_rate="7.92")
    assert Loan.objects.get(pk=loan.pk).annual_rate == Decimal("7.920")
    # 12,000,000 × 7.92 % / 360 = 2,640 đ a day.
    assert bills_of(loan)[0] == (date(2020, 1, 20), date(2020, 1, 10), 26_400, 0)


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_loan_disburse_refuses_an_amount_that_is_not_whole_dong(member, poor, staff, amount):
    refused(
        loan_disburse,
        "amount",
        AMOUNT_MESSAGE,
        loan_no="L1",
        member=member,
        program=poor,
        amount=amount,
        disbursed_on=date(2020, 1, 10),
        installments=[(date(2021, 1, 10), 12_000_000)],
        acting_user=staff,
    )


def test_loan_disburse_refuses_a_disbursement_day_in_the_future(member, poor, staff):
    day = tomorrow()
    refused(
        disburse,
        "disbursed_on",
        f"Ngày giải ngân {vn_date(day)} không được sau ngày hôm nay.",
        member=member,
        program=poor,
        user=staff,
        disbursed_on=day,
        due_on=date(day.year + 2, 1, 1),
    )


def test_loan_disburse_refuses_a_day_in_a_closed_period(member, poor, staff, manager):
    period_close(year=2020, quarter=1, acting_user=manager)
    refused(
        disburse,
        "disbursed_on",
        "Ngày giải ngân 10/01/2020 nằm trong quý 1/2020 đã khóa sổ (01/01/2020–31/03/2020).",
        member=member,
        program=poor,
        user=staff,
    )


def test_loan_disburse_refuses_installments_that_do_not_add_up(member, poor, staff):
    refused(
        disburse,
        "installments",
        "Tổng các kỳ hạn trả nợ (11.999.999 đồng) phải bằng số tiền cho vay (12.000.000 đồng).",
        member=member,
        program=poor,
        user=staff,
        installments=[(date(2021, 1, 10), 6_000_000), (date(2022, 1, 10), 5_999_999)],
    )


@pytest.mark.parametrize(
    "installments, message",
    [
        ([], "Món vay phải có ít nhất một kỳ hạn trả nợ."),
        ([("2021-01-10", 12_000_000)], "Ngày đến hạn của kỳ hạn trả nợ không hợp lệ."),
        ([(date(2020, 1, 10), 12_000_000)], "Kỳ hạn 10/01/2020 phải sau ngày giải ngân 10/01/2020."),
        (
            [(date(2021, 1, 10), 6_000_000), (date(2021, 1, 10), 6_000_000)],
            "Kỳ hạn 10/01/2021 bị trùng.",
        ),
        ([(date(2021, 1, 10), 12_000_000), (date(2022, 1, 10), 0)], AMOUNT_MESSAGE),
        ([(date(2021, 1, 10), Decimal("12000000"))], AMOUNT_MESSAGE),
    ],
)
def test_loan_disburse_refuses_a_bad_schedule(member, poor, staff, installments, message):
    refused(disburse, "installments", message, member=member, program=poor, user=staff, installments=installments)


def test_loan_disburse_needs_a_schedule_or_a_term(member, poor, staff):
    refused(
        loan_disburse,
        "installments",
        "Cần lịch trả nợ hoặc thời hạn và kỳ hạn trả nợ.",
        loan_no="L1",
        member=member,
        program=poor,
        amount=12_000_000,
        disbursed_on=date(2020, 1, 10),
        term_months=12,
        acting_user=staff,
    )


def test_entrusted_loan_for_a_household_in_no_group_is_refused(loner, poor, staff):
    refused(
        disburse,
        "member",
        "Hộ vay Hộ không tổ không thuộc tổ TK&VV nào vào ngày 10/01/2020; món vay ủy thác phải qua tổ.",
        member=loner,
        program=poor,
        user=staff,
    )


def test_entrusted_loan_before_the_household_joined_is_refused(commune, group, poor, staff):
    from groups.services import membership_add

    newcomer = member_register(national_id="044000000888", full_name="Hộ mới", commune=commune, acting_user=staff)
    membership_add(member=newcomer, group=group, joined_on=date(2020, 2, 1), acting_user=staff)
    refused(
        disburse,
        "member",
        "Hộ vay Hộ mới không thuộc tổ TK&VV nào vào ngày 10/01/2020; món vay ủy thác phải qua tổ.",
        member=newcomer,
        program=poor,
        user=staff,
    )
    disburse(member=newcomer, program=poor, user=staff, disbursed_on=date(2020, 2, 1))


def test_loan_disburse_refusals(member, poor, staff):
    disburse(member=member, program=poor, user=staff)
    refused(disburse, "loan_no", "Số khế ước L1 đã có trong hệ thống.", member=member, program=poor, user=staff)
    refused(
        disburse, "loan_no", "Số khế ước không được để trống.", member=member, program=poor, user=staff, loan_no=" "
    )
    refused(
        disburse, "loan_no", "Số khế ước dài quá 30 ký tự.", member=member, program=poor, user=staff, loan_no="L" * 31
    )
    refused(
        disburse,
        "amount",
        "Số tiền giải ngân vượt số tiền cho vay theo hợp đồng.",
        member=member,
        program=poor,
        user=staff,
        loan_no="L2",
        approved_amount=10_000_000,
    )
    refused(
        disburse,
        "approved_amount",
        AMOUNT_MESSAGE,
        member=member,
        program=poor,
        user=staff,
        loan_no="L2",
        approved_amount=0,
    )
    refused(
        disburse,
        "channel",
        "Phương thức cho vay phải là ủy thác (entrusted) hoặc trực tiếp (direct).",
        member=member,
        program=poor,
        user=staff,
        loan_no="L2",
        channel="bank",
    )
    refused(
        disburse,
        "annual_rate",
        "Lãi suất phải là số dương dưới 100 %/năm, tối đa 3 chữ số thập phân.",
        member=member,
        program=poor,
        user=staff,
        loan_no="L2",
        annual_rate="6.6001",
    )
    refused(
        disburse,
        "annual_rate",
        "Lãi suất không hợp lệ.",
        member=member,
        program=poor,
        user=staff,
        loan_no="L2",
        annual_rate="sáu",
    )


def test_loan_disburse_refuses_a_program_without_a_rate_yet(member, staff, manager):
    program = program_create(
        code="20", name="Cho vay mới", annual_rate="4.80", effective_on=date(2021, 1, 1), acting_user=manager
    )
    refused(
        disburse,
        "program",
        "Chương trình 20 chưa có lãi suất áp dụng tại ngày 10/01/2020.",
        member=member,
        program=program,
        user=staff,
    )


def test_association_officer_cannot_disburse(member, poor, hnd):
    officer = UserFactory(username="hnd", role=Role.OFFICER, role__association=hnd)
    refused(disburse, "acting_user", "Bạn không có quyền ghi sổ giao dịch.", member=member, program=poor, user=officer)


# -- tranches -------------------------------------------------------------------------


def test_loan_tranche_disburse(member, poor, staff):
    loan = disburse(member=member, program=poor, user=staff, amount=6_000_000, approved_amount=12_000_000)
    assert loan_book(loan).outstanding(date(2020, 1, 10)) == 6_000_000
    txn = loan_tranche_disburse(
        loan=loan, amount=6_000_000, value_date=date(2020, 2, 10), reference="GN-2", acting_user=staff
    )
    assert (txn.kind, txn.value_date, txn.amount, txn.reference, txn.recorded_by) == (
        "disbursement",
        date(2020, 2, 10),
        6_000_000,
        "GN-2",
        staff,
    )
    book = loan_book(loan)
    assert (book.outstanding(date(2020, 2, 9)), book.outstanding(date(2020, 2, 10))) == (6_000_000, 12_000_000)
    # 10/01–19/01: 1,100 a day; 20/01–09/02 at 1,100 and 10/02–19/02 at 2,200.
    assert bills_of(loan)[:2] == [
        (date(2020, 1, 20), date(2020, 1, 10), 11_000, 0),
        (date(2020, 2, 20), date(2020, 1, 20), 21 * 1_100 + 10 * 2_200, 0),
    ]


def test_loan_tranche_disburse_refusals(member, poor, staff):
    loan = disburse(member=member, program=poor, user=staff, amount=6_000_000, approved_amount=12_000_000)
    loan_tranche_disburse(loan=loan, amount=4_000_000, value_date=date(2020, 2, 10), acting_user=staff)
    refused(
        loan_tranche_disburse,
        "amount",
        "Giải ngân thêm 2.000.001 đồng vượt số tiền cho vay theo hợp đồng: đã giải ngân 10.000.000/12.000.000 đồng.",
        loan=loan,
        amount=2_000_001,
        value_date=date(2020, 3, 10),
        acting_user=staff,
    )
    refused(
        loan_tranche_disburse,
        "value_date",
        "Ngày giải ngân 09/01/2020 trước ngày giải ngân lần đầu (10/01/2020).",
        loan=loan,
        amount=1_000_000,
        value_date=date(2020, 1, 9),
        acting_user=staff,
    )
    day = tomorrow()
    refused(
        loan_tranche_disburse,
        "value_date",
        f"Ngày giao dịch {vn_date(day)} không được sau ngày hôm nay.",
        loan=loan,
        amount=1_000_000,
        value_date=day,
        acting_user=staff,
    )
    for amount in BAD_AMOUNTS:
        refused(
            loan_tranche_disburse,
            "amount",
            AMOUNT_MESSAGE,
            loan=loan,
            amount=amount,
            value_date=date(2020, 3, 10),
            acting_user=staff,
        )
    loan_tranche_disburse(loan=loan, amount=2_000_000, value_date=date(2020, 3, 10), acting_user=staff)
    assert loan_book(loan).outstanding(date(2020, 3, 10)) == 12_000_000


def test_repayments_follow_the_tranches(member, poor, staff):
    loan = disburse(member=member, program=poor, user=staff, amount=6_000_000, approved_amount=12_000_000)
    loan_tranche_disburse(loan=loan, amount=6_000_000, value_date=date(2020, 3, 10), acting_user=staff)
    # Before the second tranche only the first is outstanding, even though more comes later.
    refused(
        repayment_post,
        "amount",
        "Số tiền trả gốc 6.000.001 đồng vượt dư nợ 6.000.000 đồng tại ngày 20/02/2020.",
        loan=loan,
        amount=6_000_001,
        value_date=date(2020, 2, 20),
        acting_user=staff,
    )


def test_the_group_rule_is_on_disbursement_days_only(commune, group, poor, staff):
    """One rule on both paths (the import applies `groups.rules` too): an entrusted loan's
    money goes out through a group on every disbursement day; the borrower leaves their
    last group only once the loan is repaid (`groups.rules.check_last_leaving`)."""
    from groups.services import membership_add, membership_end

    household = member_register(national_id="044000000777", full_name="Hộ rời tổ", commune=commune, acting_user=staff)
    membership_add(member=household, group=group, joined_on=date(2019, 1, 1), acting_user=staff)
    loan = disburse(member=household, program=poor, user=staff, amount=6_000_000, approved_amount=12_000_000)
    refused(
        membership_end,
        "left_on",
        "Hộ vay Hộ rời tổ còn dư nợ món vay ủy thác L1 (dư nợ 6.000.000 đồng) sau ngày 31/03/2020: không thể "
        "cho rời tổ cuối cùng; chuyển sang tổ khác hoặc thu hết nợ trước.",
        member=household,
        left_on=date(2020, 3, 31),
        acting_user=staff,
    )
    repayment_post(loan=loan, amount=6_000_000, value_date=date(2020, 3, 20), acting_user=staff)
    membership_end(member=household, left_on=date(2020, 3, 31), acting_user=staff)
    refused(
        loan_tranche_disburse,
        "member",
        "Hộ vay Hộ rời tổ không thuộc tổ TK&VV nào vào ngày 01/04/2020; món vay ủy thác phải qua tổ.",
        loan=loan,
        amount=6_000_000,
        value_date=date(2020, 4, 1),
        acting_user=staff,
    )
