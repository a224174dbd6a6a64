"""A member leaves their last group only once their entrusted loans are repaid: on every
path that ends a membership (`groups.rules.check_last_leaving`), with the loan named."""

from datetime import date

import pytest
from django.contrib.admin.sites import site

from groups.models import Membership
from groups.services import group_dissolve, member_move, membership_add, membership_end
from lending.services import repayment_post
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
