"""A member leaves their last group only once their entrusted loans are repaid: on every
path that ends a membership (`groups.rules.check_last_leaving`), with the loan named."""

from datetime import date

import pytest
from django.contrib.admin.sites import site

from groups.models import Membership
from groups.services import group_dissolve, member_move, membership_add, membership_end
from lending.models import Channel, Loan
from lending.selectors import loan_book
from lending.services import loan_disburse, loan_tranche_disburse, repayment_post
from tests.support.book import disburse, new_group, new_member, refused

pytestmark = pytest.mark.django_db

OWES = (
    "Hộ vay Hộ 001 còn dư nợ món vay ủy thác L1 (dư nợ 12.000.000 đồng) sau ngày {day}: không thể cho rời tổ "
    "cuối cùng; chuyển sang tổ khác hoặc thu hết nợ trước."
)


@pytest.fixture
def debtor(quan_hau, hnd, staff, poor):
    group = new_group("QH-01", "Tổ thôn 1", quan_hau, hnd, staff)
    member = new_member("044000000001", quan_hau, staff, group)
    disburse(member, poor, staff)
    return member


def test_ending_the_last_membership_is_refused_while_the_loan_is_outstanding(debtor, staff):
    refused(
        membership_end,
        "left_on",
        OWES.format(day="31/03/2020"),
        member=debtor,
        left_on=date(2020, 3, 31),
        acting_user=staff,
    )
    # before the loan went out, too: it goes out later, and leaving would leave it without a group
    refused(
        membership_end,
        "left_on",
        OWES.format(day="31/12/2019"),
        member=debtor,
        left_on=date(2019, 12, 31),
        acting_user=staff,
    )


def test_a_repaid_loan_lets_the_member_leave_from_the_day_it_is_repaid(debtor, staff):
    loan = debtor.loans.get()
    repayment_post(loan=loan, amount=12_000_000, value_date=date(2020, 5, 20), acting_user=staff)
    left = "Hộ vay Hộ 001 còn dư nợ món vay ủy thác L1 (dư nợ 12.000.000 đồng) sau ngày 19/05/2020"
    with pytest.raises(Exception, match=left.replace("(", r"\(").replace(")", r"\)")):
        membership_end(member=debtor, left_on=date(2020, 5, 19), acting_user=staff)
    membership_end(member=debtor, left_on=date(2020, 5, 20), acting_user=staff)
    assert Membership.objects.get(member=debtor).left_on == date(2020, 5, 20)


def test_a_closed_period_added_before_the_one_under_way_is_taken(quan_hau, hnd, staff, poor):
    group = new_group("QH-01", "Tổ thôn 1", quan_hau, hnd, staff)
    member = new_member("044000000001", quan_hau, staff, group, joined_on=date(2019, 1, 1))
    disburse(member, poor, staff)
    # a period before the one under way is not the last
    earlier = new_group("QH-02", "Tổ thôn 2", quan_hau, hnd, staff)
    membership_add(
        member=member, group=earlier, joined_on=date(2016, 1, 1), left_on=date(2018, 12, 31), acting_user=staff
    )


def test_a_move_keeps_the_member_in_a_group(debtor, quan_hau, hnd, staff):
    other = new_group("QH-02", "Tổ thôn 2", quan_hau, hnd, staff)
    member_move(member=debtor, group=other, moved_on=date(2020, 4, 1), acting_user=staff)
    assert Membership.objects.get(member=debtor, left_on__isnull=True).group == other


def test_a_group_with_a_debtor_cannot_be_dissolved(debtor, staff):
    group = debtor.memberships.get().group
    refused(
        group_dissolve,
        "dissolved_on",
        "Tổ còn tổ viên sau ngày giải thể; chuyển tổ viên trước.",
        group=group,
        dissolved_on=date(2020, 6, 30),
        acting_user=staff,
    )
    # and the debtor cannot leave it first
    refused(
        membership_end,
        "left_on",
        OWES.format(day="30/06/2020"),
        member=debtor,
        left_on=date(2020, 6, 30),
        acting_user=staff,
    )


def test_the_admin_cannot_end_a_membership(debtor, rf, staff):
    admin = site._registry[Membership]
    request = rf.get("/")
    request.user = staff
    assert not admin.has_change_permission(request, debtor.memberships.get())
    assert not admin.has_delete_permission(request, debtor.memberships.get())


@pytest.fixture
def left(quan_hau, hnd, staff):
    """Hộ 001, in QH-01 from 01/01/2016 until 31/03/2020, their last group."""
    group = new_group("QH-01", "Tổ thôn 1", quan_hau, hnd, staff)
    member = new_member("044000000001", quan_hau, staff, group)
    membership_end(member=member, left_on=date(2020, 3, 31), acting_user=staff)
    return member


def test_an_entrusted_loan_back_dated_into_the_closed_last_period_is_refused(left, staff, poor):
    """Disbursed on 10/01/2020 while in the group, it would be outstanding after they left."""
    refused(
        loan_disburse,
        "disbursed_on",
        OWES.format(day="31/03/2020"),
        loan_no="L1",
        member=left,
        program=poor,
        amount=12_000_000,
        disbursed_on=date(2020, 1, 10),
        installments=[(date(2022, 1, 10), 12_000_000)],
        acting_user=staff,
    )
    assert not Loan.objects.exists()
    # a direct loan goes out without a group
    disburse(left, poor, staff, channel=Channel.DIRECT)


def test_a_tranche_back_dated_into_the_closed_last_period_is_refused(debtor, staff):
    """12.000.000 đ of 20.000.000 from 10/01/2020, repaid on 20/05/2020, the day Hộ 001
    leaves; a tranche of 8.000.000 đ on 01/05/2020 would leave 8.000.000 đ after it."""
    loan = debtor.loans.get()
    Loan.objects.filter(pk=loan.pk).update(approved_amount=20_000_000)
    loan.refresh_from_db()
    repayment_post(loan=loan, amount=12_000_000, value_date=date(2020, 5, 20), acting_user=staff)
    membership_end(member=debtor, left_on=date(2020, 5, 20), acting_user=staff)
    refused(
        loan_tranche_disburse,
        "value_date",
        OWES.format(day="20/05/2020").replace("12.000.000", "8.000.000"),
        loan=loan,
        amount=8_000_000,
        value_date=date(2020, 5, 1),
        acting_user=staff,
    )
    assert loan_book(loan).position(date(2020, 5, 20)).outstanding == 0
