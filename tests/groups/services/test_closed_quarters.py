"""A closed quarter's figures never change: the organization's dated writes (groups
founded, transfers, dissolutions, memberships) are refused when a closed quarter ends on
or after the first day they change, naming it (vbsp_district/core/closing.py)."""

from datetime import date

import pytest

from groups.services import group_create, group_dissolve, group_transfer, member_move, membership_add, membership_end
from lending.services import period_close, period_reopen
from tests.support.book import refused
from tests.support.factories import GroupFactory, MemberFactory

pytestmark = pytest.mark.django_db

Q1 = "quý 1/2020 đã khóa sổ (01/01/2020–31/03/2020)"


def inside(label, day):
    return f"{label} {day} nằm trong {Q1}."


def before(label, day):
    return f"{label} {day} làm thay đổi số liệu {Q1}; cần lãnh đạo mở lại quý này trước."


def test_dated_organization_writes_are_refused_across_a_closed_quarter(
    commune, group, hnd, hpn, staff, manager, manager2
):
    other = GroupFactory(code="QH-02", commune=commune, association=hnd, founded_on=date(2015, 1, 1))
    member = MemberFactory(national_id="044000000001", commune=commune, group=group)
    newcomer = MemberFactory(national_id="044000000002", commune=commune)
    q1 = period_close(year=2020, quarter=1, acting_user=manager)
    refused(
        group_create,
        "founded_on",
        before("Ngày thành lập", "15/12/2019"),
        code="QH-09",
        name="Tổ mới",
        commune=commune,
        association=hnd,
        founded_on=date(2019, 12, 15),
        acting_user=staff,
    )
    refused(
        group_transfer,
        "effective_on",
        inside("Ngày chuyển giao", "15/02/2020"),
        group=other,
        association=hpn,
        effective_on=date(2020, 2, 15),
        acting_user=staff,
    )
    refused(
        membership_add,
        "joined_on",
        inside("Ngày vào tổ", "01/03/2020"),
        member=newcomer,
        group=other,
        joined_on=date(2020, 3, 1),
        acting_user=staff,
    )
    refused(
        member_move,
        "moved_on",
        inside("Ngày chuyển tổ", "31/03/2020"),
        member=member,
        group=other,
        moved_on=date(2020, 3, 31),
        acting_user=staff,
    )
    # leaving on 30/03 changes 31/03; leaving on 31/03 changes nothing of Q1
    refused(
        membership_end,
        "left_on",
        inside("Ngày rời tổ", "30/03/2020"),
        member=member,
        left_on=date(2020, 3, 30),
        acting_user=staff,
    )
    membership_end(member=member, left_on=date(2020, 3, 31), acting_user=staff)
    refused(
        group_dissolve,
        "dissolved_on",
        inside("Ngày giải thể", "31/03/2020"),
        group=group,
        dissolved_on=date(2020, 3, 31),
        acting_user=staff,
    )
    # after the quarter, and once it is reopened, the same writes go through
    group_transfer(group=other, association=hpn, effective_on=date(2020, 4, 1), acting_user=staff)
    period_reopen(period=q1, reason="Sửa tổ viên", acting_user=manager2)
    membership_add(member=newcomer, group=other, joined_on=date(2020, 3, 1), acting_user=staff)
