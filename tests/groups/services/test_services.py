from datetime import date

import pytest

from groups.models import (
    Commune,
    CommuneAssociation,
    GroupAssignment,
    GroupMeeting,
    Member,
    Membership,
    NewsItem,
    SavingsGroup,
    Training,
)
from groups.selectors import association_of_group_on, membership_on
from groups.services import (
    commune_create,
    group_create,
    group_dissolve,
    group_transfer,
    meeting_record,
    member_move,
    member_register,
    membership_add,
    membership_end,
    news_item_record,
    training_record,
)
from tests.support.book import refused, tomorrow
from vbsp_district.core.money import vn_date

pytestmark = pytest.mark.django_db


@pytest.fixture
def quan_hau(staff):
    return commune_create(code="QH", name="Quán Hàu", transaction_day=20, acting_user=staff)


@pytest.fixture
def to1(quan_hau, hnd, staff):
    return group_create(
        code="QH-01",
        name="Tổ thôn Quán Hàu",
        commune=quan_hau,
        association=hnd,
        founded_on=date(2015, 3, 1),
        village="Quán Hàu",
        meeting_day=16,
        acting_user=staff,
    )


@pytest.fixture
def to2(quan_hau, hpn, staff):
    return group_create(
        code="QH-02",
        name="Tổ thôn Tân Mỹ",
        commune=quan_hau,
        association=hpn,
        founded_on=date(2016, 1, 1),
        acting_user=staff,
    )


@pytest.fixture
def ho_vay(quan_hau, staff):
    return member_register(
        national_id="044180000123",
        full_name="Nguyễn Thị Hoa",
        commune=quan_hau,
        gender="nu",
        birth_year=1980,
        acting_user=staff,
    )


# -- communes -------------------------------------------------------------------------


def test_commune_create_makes_the_commune_and_its_four_units(staff):
    commune = commune_create(
        code=" VN ", name=" Võ Ninh ", kind=Commune.Kind.COMMUNE, transaction_day=31, acting_user=staff
    )
    commune.refresh_from_db()
    assert (commune.code, commune.name, commune.kind, commune.transaction_day) == (
        "VN",
        "Võ Ninh",
        "xa",
        31,
    )
    units = CommuneAssociation.objects.filter(commune=commune)
    assert sorted(units.values_list("association__code", flat=True)) == ["CCB", "DTN", "HND", "HPN"]


def test_commune_create_town(staff):
    town = commune_create(code="QN", name="Quán Hàu", kind="thi_tran", transaction_day=5, acting_user=staff)
    assert str(town) == "Thị trấn Quán Hàu"


@pytest.mark.parametrize(
    "kwargs, field, message",
    [
        ({"code": "  "}, "code", "Mã xã không được để trống."),
        ({"code": "QH"}, "code", "Mã xã QH đã có trong hệ thống."),
        ({"name": " "}, "name", "Tên xã không được để trống."),
        ({"kind": "huyen"}, "kind", "Loại đơn vị phải là xã (xa) hoặc thị trấn (thi_tran)."),
        ({"transaction_day": 0}, "transaction_day", "Ngày giao dịch xã phải từ 1 đến 31."),
        ({"transaction_day": 32}, "transaction_day", "Ngày giao dịch xã phải từ 1 đến 31."),
        ({"transaction_day": "20"}, "transaction_day", "Ngày giao dịch xã phải từ 1 đến 31."),
    ],
)
def test_commune_create_refusals(quan_hau, staff, kwargs, field, message):
    args = {"code": "VN", "name": "Võ Ninh", "transaction_day": 15, "acting_user": staff} | kwargs
    refused(commune_create, field, message, **args)


# -- groups ---------------------------------------------------------------------------


def test_group_create_assigns_the_association_from_the_founding_day(to1, quan_hau, hnd):
    to1.refresh_from_db()
    assert (to1.code, to1.name, to1.commune, to1.village, to1.meeting_day, to1.founded_on) == (
        "QH-01",
        "Tổ thôn Quán Hàu",
        quan_hau,
        "Quán Hàu",
        16,
        date(2015, 3, 1),
    )
    assert list(GroupAssignment.objects.filter(group=to1).values_list("association", "effective_on")) == [
        (hnd.pk, date(2015, 3, 1))
    ]
    assert association_of_group_on(to1, date(2020, 1, 1)) == hnd


@pytest.mark.parametrize(
    "kwargs, field, message",
    [
        ({"code": ""}, "code", "Mã tổ không được để trống."),
        ({"code": "QH-01"}, "code", "Mã tổ QH-01 đã có trong hệ thống."),
        ({"name": ""}, "name", "Tên tổ không được để trống."),
        ({"meeting_day": 0}, "meeting_day", "Ngày sinh hoạt tổ phải từ 1 đến 31."),
        ({"meeting_day": 32}, "meeting_day", "Ngày sinh hoạt tổ phải từ 1 đến 31."),
    ],
)
def test_group_create_refusals(to1, quan_hau, hnd, staff, kwargs, field, message):
    args = {
        "code": "QH-09",
        "name": "Tổ 9",
        "commune": quan_hau,
        "association": hnd,
        "founded_on": date(2018, 1, 1),
        "acting_user": staff,
    } | kwargs
    refused(group_create, field, message, **args)


def test_group_create_refuses_a_founding_day_in_the_future(quan_hau, hnd, staff):
    day = tomorrow()
    refused(
        group_create,
        "founded_on",
        f"Ngày thành lập {vn_date(day)} không được sau ngày hôm nay.",
        code="QH-09",
        name="Tổ 9",
        commune=quan_hau,
        association=hnd,
        founded_on=day,
        acting_user=staff,
    )


def test_group_transfer_keeps_the_history(to1, hnd, hpn, staff):
    assignment = group_transfer(group=to1, association=hpn, effective_on=date(2020, 4, 1), acting_user=staff)
    assert (assignment.group, assignment.association, assignment.effective_on) == (to1, hpn, date(2020, 4, 1))
    assert association_of_group_on(to1, date(2020, 3, 31)) == hnd
    assert association_of_group_on(to1, date(2020, 4, 1)) == hpn
    assert GroupAssignment.objects.filter(group=to1).count() == 2


def test_group_transfer_refusals(to1, hnd, hpn, staff):
    refused(
        group_transfer,
        "association",
        "Tổ đang do Hội Nông dân quản lý.",
        group=to1,
        association=hnd,
        effective_on=date(2020, 4, 1),
        acting_user=staff,
    )
    refused(
        group_transfer,
        "effective_on",
        "Ngày chuyển giao phải sau ngày thành lập tổ.",
        group=to1,
        association=hpn,
        effective_on=date(2015, 3, 1),
        acting_user=staff,
    )
    day = tomorrow()
    refused(
        group_transfer,
        "effective_on",
        f"Ngày chuyển giao {vn_date(day)} không được sau ngày hôm nay.",
        group=to1,
        association=hpn,
        effective_on=day,
        acting_user=staff,
    )
    group_transfer(group=to1, association=hpn, effective_on=date(2020, 4, 1), acting_user=staff)
    refused(
        group_transfer,
        "effective_on",
        "Ngày chuyển giao phải sau lần phân công gần nhất (01/04/2020).",
        group=to1,
        association=hnd,
        effective_on=date(2020, 4, 1),
        acting_user=staff,
    )


def test_group_transfer_refused_after_dissolution(to2, hnd, staff):
    group_dissolve(group=to2, dissolved_on=date(2019, 12, 31), acting_user=staff)
    refused(
        group_transfer,
        "effective_on",
        "Tổ đã giải thể trước ngày chuyển giao.",
        group=to2,
        association=hnd,
        effective_on=date(2020, 1, 1),
        acting_user=staff,
    )


def test_group_dissolve(to1, ho_vay, staff):
    membership_add(member=ho_vay, group=to1, joined_on=date(2016, 1, 1), acting_user=staff)
    refused(
        group_dissolve,
        "dissolved_on",
        "Tổ còn tổ viên sau ngày giải thể; chuyển tổ viên trước.",
        group=to1,
        dissolved_on=date(2020, 6, 30),
        acting_user=staff,
    )
    membership_end(member=ho_vay, left_on=date(2020, 6, 30), acting_user=staff)
    group = group_dissolve(group=to1, dissolved_on=date(2020, 6, 30), acting_user=staff)
    group.refresh_from_db()
    assert group.dissolved_on == date(2020, 6, 30)
    refused(
        group_dissolve,
        "dissolved_on",
        "Tổ đã giải thể ngày 30/06/2020.",
        group=to1,
        dissolved_on=date(2020, 7, 1),
        acting_user=staff,
    )


def test_group_dissolve_refusals(to1, staff):
    refused(
        group_dissolve,
        "dissolved_on",
        "Ngày giải thể không được trước ngày thành lập.",
        group=to1,
        dissolved_on=date(2015, 2, 28),
        acting_user=staff,
    )
    day = tomorrow()
    refused(
        group_dissolve,
        "dissolved_on",
        f"Ngày giải thể {vn_date(day)} không được sau ngày hôm nay.",
        group=to1,
        dissolved_on=day,
        acting_user=staff,
    )
    assert SavingsGroup.objects.get(pk=to1.pk).dissolved_on is None


# -- members and memberships ----------------------------------------------------------


def test_member_register(ho_vay, quan_hau):
    ho_vay.refresh_from_db()
    assert (ho_vay.national_id, ho_vay.full_name, ho_vay.commune, ho_vay.gender, ho_vay.birth_year) == (
        "044180000123",
        "Nguyễn Thị Hoa",
        quan_hau,
        "nu",
        1980,
    )


def test_member_register_accepts_a_nine_digit_id(quan_hau, staff):
    member = member_register(national_id=" 194000123 ", full_name="Lê Văn An", commune=quan_hau, acting_user=staff)
    assert member.national_id == "194000123"


@pytest.mark.parametrize(
    "kwargs, field, message",
    [
        ({"national_id": "044180000123"}, "national_id", "Số CCCD/CMND 044180000123 đã có trong hệ thống."),
        ({"national_id": "12345"}, "national_id", "Số CCCD/CMND phải gồm 9 hoặc 12 chữ số."),
        ({"national_id": "04418000012A"}, "national_id", "Số CCCD/CMND phải gồm 9 hoặc 12 chữ số."),
        ({"full_name": "  "}, "full_name", "Họ và tên không được để trống."),
        ({"gender": "x"}, "gender", "Giới tính phải là nam hoặc nữ (nu)."),
        ({"birth_year": 1899}, "birth_year", "Năm sinh không hợp lệ."),
    ],
)
def test_member_register_refusals(ho_vay, quan_hau, staff, kwargs, field, message):
    args = {
        "national_id": "044190000999",
        "full_name": "Trần Văn Bình",
        "commune": quan_hau,
        "acting_user": staff,
    } | kwargs
    refused(member_register, field, message, **args)


def test_membership_add_and_the_dated_membership(to1, ho_vay, staff):
    membership = membership_add(
        member=ho_vay, group=to1, joined_on=date(2016, 1, 1), left_on=date(2019, 12, 31), acting_user=staff
    )
    assert (membership.group, membership.joined_on, membership.left_on) == (
        to1,
        date(2016, 1, 1),
        date(2019, 12, 31),
    )
    # The member is in the group on the day they leave, and not after.
    assert membership_on(ho_vay, date(2019, 12, 31)) == membership
    assert membership_on(ho_vay, date(2020, 1, 1)) is None


@pytest.mark.parametrize(
    "joined_on, left_on",
    [
        (date(2018, 1, 1), None),  # inside
        (date(2015, 6, 1), date(2016, 1, 1)),  # ends on the first day of the other
        (date(2019, 12, 31), date(2020, 6, 30)),  # starts on its last day
        (date(2015, 6, 1), None),  # open-ended, covers it
    ],
)
def test_membership_add_refuses_an_overlap(to1, to2, ho_vay, staff, joined_on, left_on):
    membership_add(member=ho_vay, group=to2, joined_on=date(2016, 1, 1), left_on=date(2019, 12, 31), acting_user=staff)
    refused(
        membership_add,
        "joined_on",
        "Thời gian sinh hoạt tổ trùng với thời gian ở tổ QH-02 (từ 01/01/2016 đến 31/12/2019).",
        member=ho_vay,
        group=to1,
        joined_on=joined_on,
        left_on=left_on,
        acting_user=staff,
    )


def test_membership_add_refuses_an_overlap_with_an_open_period(to1, to2, ho_vay, staff):
    membership_add(member=ho_vay, group=to2, joined_on=date(2016, 1, 1), acting_user=staff)
    refused(
        membership_add,
        "joined_on",
        "Thời gian sinh hoạt tổ trùng với thời gian ở tổ QH-02 (từ 01/01/2016 đến nay).",
        member=ho_vay,
        group=to1,
        joined_on=date(2015, 4, 1),
        left_on=date(2016, 1, 1),
        acting_user=staff,
    )
    # The day before is free.
    membership_add(member=ho_vay, group=to1, joined_on=date(2015, 4, 1), left_on=date(2015, 12, 31), acting_user=staff)


def test_membership_add_refusals(to1, to2, ho_vay, staff):
    refused(
        membership_add,
        "left_on",
        "Ngày rời tổ không được trước ngày vào tổ.",
        member=ho_vay,
        group=to1,
        joined_on=date(2016, 1, 1),
        left_on=date(2015, 12, 31),
        acting_user=staff,
    )
    refused(
        membership_add,
        "joined_on",
        "Ngày vào tổ 28/02/2015 trước ngày thành lập tổ (01/03/2015).",
        member=ho_vay,
        group=to1,
        joined_on=date(2015, 2, 28),
        acting_user=staff,
    )
    day = tomorrow()
    refused(
        membership_add,
        "joined_on",
        f"Ngày vào tổ {vn_date(day)} không được sau ngày hôm nay.",
        member=ho_vay,
        group=to1,
        joined_on=day,
        acting_user=staff,
    )
    group_dissolve(group=to2, dissolved_on=date(2019, 12, 31), acting_user=staff)
    refused(
        membership_add,
        "group",
        "Tổ QH-02 đã giải thể ngày 31/12/2019.",
        member=ho_vay,
        group=to2,
        joined_on=date(2018, 1, 1),
        acting_user=staff,
    )
    refused(
        membership_add,
        "group",
        "Tổ QH-02 đã giải thể ngày 31/12/2019.",
        member=ho_vay,
        group=to2,
        joined_on=date(2020, 1, 1),
        left_on=date(2020, 2, 1),
        acting_user=staff,
    )
    # A period that ends by the dissolution is fine.
    membership_add(member=ho_vay, group=to2, joined_on=date(2018, 1, 1), left_on=date(2019, 12, 31), acting_user=staff)


def test_member_move_ends_the_old_period_the_day_before(to1, to2, ho_vay, staff):
    old = membership_add(member=ho_vay, group=to1, joined_on=date(2016, 1, 1), acting_user=staff)
    new = member_move(member=ho_vay, group=to2, moved_on=date(2020, 3, 1), acting_user=staff)
    old.refresh_from_db()
    assert old.left_on == date(2020, 2, 29)
    assert (new.group, new.joined_on, new.left_on) == (to2, date(2020, 3, 1), None)
    assert membership_on(ho_vay, date(2020, 2, 29)).group == to1
    assert membership_on(ho_vay, date(2020, 3, 1)).group == to2


def test_member_move_refusals(quan_hau, hnd, to1, to2, ho_vay, staff):
    refused(
        member_move,
        "member",
        "Tổ viên hiện không thuộc tổ nào.",
        member=ho_vay,
        group=to2,
        moved_on=date(2020, 3, 1),
        acting_user=staff,
    )
    current = membership_add(member=ho_vay, group=to1, joined_on=date(2016, 1, 1), acting_user=staff)
    refused(
        member_move,
        "group",
        "Tổ viên đã ở tổ QH-01.",
        member=ho_vay,
        group=to1,
        moved_on=date(2020, 3, 1),
        acting_user=staff,
    )
    refused(
        member_move,
        "moved_on",
        "Ngày chuyển tổ phải sau ngày vào tổ 01/01/2016.",
        member=ho_vay,
        group=to2,
        moved_on=date(2016, 1, 1),
        acting_user=staff,
    )
    day = tomorrow()
    refused(
        member_move,
        "moved_on",
        f"Ngày chuyển tổ {vn_date(day)} không được sau ngày hôm nay.",
        member=ho_vay,
        group=to2,
        moved_on=day,
        acting_user=staff,
    )
    late = group_create(
        code="QH-03",
        name="Tổ 3",
        commune=quan_hau,
        association=hnd,
        founded_on=date(2021, 1, 1),
        acting_user=staff,
    )
    refused(
        member_move,
        "joined_on",
        "Ngày vào tổ 01/03/2020 trước ngày thành lập tổ (01/01/2021).",
        member=ho_vay,
        group=late,
        moved_on=date(2020, 3, 1),
        acting_user=staff,
    )
    # The old period was not cut short by the refused move.
    current.refresh_from_db()
    assert current.left_on is None


def test_membership_end(to1, ho_vay, staff):
    membership = membership_add(member=ho_vay, group=to1, joined_on=date(2016, 1, 1), acting_user=staff)
    refused(
        membership_end,
        "left_on",
        "Ngày rời tổ không được trước ngày vào tổ.",
        member=ho_vay,
        left_on=date(2015, 12, 31),
        acting_user=staff,
    )
    day = tomorrow()
    refused(
        membership_end,
        "left_on",
        f"Ngày rời tổ {vn_date(day)} không được sau ngày hôm nay.",
        member=ho_vay,
        left_on=day,
        acting_user=staff,
    )
    ended = membership_end(member=ho_vay, left_on=date(2020, 5, 31), acting_user=staff)
    assert ended.pk == membership.pk
    assert Membership.objects.get(pk=membership.pk).left_on == date(2020, 5, 31)
    refused(
        membership_end,
        "member",
        "Tổ viên hiện không thuộc tổ nào.",
        member=ho_vay,
        left_on=date(2020, 6, 30),
        acting_user=staff,
    )


# -- outreach -------------------------------------------------------------------------


def test_meeting_record(to1, staff):
    meeting = meeting_record(group=to1, held_on=date(2020, 1, 16), attendees=25, notes="Bình xét", acting_user=staff)
    assert list(GroupMeeting.objects.values_list("group", "held_on", "attendees", "notes")) == [
        (to1.pk, date(2020, 1, 16), 25, "Bình xét")
    ]
    assert str(meeting) == "QH-01 16/01/2020"


def test_meeting_record_refusals(to1, staff):
    meeting_record(group=to1, held_on=date(2020, 1, 16), acting_user=staff)
    refused(
        meeting_record,
        "held_on",
        "Tổ QH-01 đã có buổi họp ngày 16/01/2020.",
        group=to1,
        held_on=date(2020, 1, 16),
        acting_user=staff,
    )
    refused(
        meeting_record,
        "held_on",
        "Ngày họp không được trước ngày thành lập tổ.",
        group=to1,
        held_on=date(2015, 2, 1),
        acting_user=staff,
    )
    refused(
        meeting_record,
        "attendees",
        "Số người dự không được âm.",
        group=to1,
        held_on=date(2020, 2, 16),
        attendees=-1,
        acting_user=staff,
    )
    day = tomorrow()
    refused(
        meeting_record,
        "held_on",
        f"Ngày họp {vn_date(day)} không được sau ngày hôm nay.",
        group=to1,
        held_on=day,
        acting_user=staff,
    )


def test_training_record(quan_hau, hnd, staff):
    training = training_record(
        held_on=date(2020, 6, 10),
        audience=" Ban quản lý tổ ",
        trainees=45,
        planned=50,
        association=hnd,
        commune=quan_hau,
        organizer="NHCSXH",
        acting_user=staff,
    )
    training.refresh_from_db()
    assert (training.audience, training.trainees, training.planned, training.association, training.commune) == (
        "Ban quản lý tổ",
        45,
        50,
        hnd,
        quan_hau,
    )


@pytest.mark.parametrize(
    "kwargs, field, message",
    [
        ({"audience": " "}, "audience", "Đối tượng tập huấn không được để trống."),
        ({"trainees": 0}, "trainees", "Số học viên phải là số nguyên dương."),
        ({"trainees": None}, "trainees", "Số học viên phải là số nguyên dương."),
        ({"planned": 0}, "planned", "Số học viên kế hoạch phải là số nguyên dương."),
    ],
)
def test_training_record_refusals(staff, kwargs, field, message):
    args = {"held_on": date(2020, 6, 10), "audience": "Tổ trưởng", "trainees": 30, "acting_user": staff} | kwargs
    refused(training_record, field, message, **args)
    assert not Training.objects.exists()


def test_news_item_record(quan_hau, hpn, staff):
    item = news_item_record(
        published_on=date(2020, 3, 8),
        association=hpn,
        commune=quan_hau,
        channel=NewsItem.Channel.COMMUNE_LOUDSPEAKER,
        title=" Vốn vay hộ nghèo ",
        acting_user=staff,
    )
    item.refresh_from_db()
    assert (item.published_on, item.association, item.commune, item.channel, item.title) == (
        date(2020, 3, 8),
        hpn,
        quan_hau,
        "commune_loudspeaker",
        "Vốn vay hộ nghèo",
    )


def test_news_item_record_refusals(hpn, staff):
    args = {"published_on": date(2020, 3, 8), "association": hpn, "channel": "tv", "title": "Tin", "acting_user": staff}
    refused(
        news_item_record,
        "channel",
        "Kênh tuyên truyền phải là một trong: tv, newspaper, sector_newspaper, province_portal, district_portal, commune_loudspeaker.",
        **(args | {"channel": "radio"}),
    )
    refused(news_item_record, "title", "Tiêu đề không được để trống.", **(args | {"title": ""}))
    day = tomorrow()
    refused(
        news_item_record,
        "published_on",
        f"Ngày đăng {vn_date(day)} không được sau ngày hôm nay.",
        **(args | {"published_on": day}),
    )
    assert not NewsItem.objects.exists()
    assert Member.objects.count() == 0
