"""The outreach services: group meetings, trainings, news items and commune broadcasts,
recorded and corrected, each audited; an officer writes their own association's only."""

from datetime import date

import pytest

from groups.models import GroupMeeting, NewsItem, Training
from groups.rules import OUTREACH_WRITERS_ONLY, OWN_ASSOCIATION_ONLY, OWN_COMMUNE_ONLY, OWN_GROUPS_ONLY
from groups.services import (
    group_transfer,
    meeting_record,
    meeting_update,
    news_item_record,
    news_item_update,
    training_record,
    training_update,
)
from tests.support.book import refused, row_counts, tomorrow
from tests.support.factories import UserFactory
from vbsp_district.core.money import vn_date
from vbsp_district.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def last_event():
    event = AuditEvent.objects.order_by("-id").first()
    return (event.action, event.user, event.object_type, event.object_key, event.data)


@pytest.fixture
def admin(db):
    return UserFactory(username="quantri", role=Role.ADMIN)


# -- group meetings --------------------------------------------------------------------------------
def test_meeting_update_corrects_and_audits_each_change(book, staff):
    meeting = meeting_record(group=book.g1, held_on=date(2020, 3, 14), attendees=20, acting_user=staff)
    updated = meeting_update(
        meeting=meeting, held_on=date(2020, 3, 16), attendees=22, notes=" Bình xét ", acting_user=staff
    )
    assert list(GroupMeeting.objects.values_list("pk", "held_on", "attendees", "notes")) == [
        (meeting.pk, date(2020, 3, 16), 22, "Bình xét")
    ]
    assert updated.held_on == date(2020, 3, 16)
    assert last_event() == (
        "meeting.update",
        staff,
        "groups.GroupMeeting",
        str(meeting.pk),
        {
            "group": "QH-01",
            "changes": {"held_on": ["2020-03-14", "2020-03-16"], "attendees": [20, 22], "notes": ["", "Bình xét"]},
        },
    )
    # Saving it unchanged writes nothing, not even an audit event.
    before = row_counts()
    meeting_update(meeting=meeting, held_on=date(2020, 3, 16), attendees=22, notes="Bình xét", acting_user=staff)
    assert row_counts() == before


def test_meeting_update_refusals(book, staff):
    meeting_record(group=book.g1, held_on=date(2020, 3, 16), acting_user=staff)
    meeting = meeting_record(group=book.g1, held_on=date(2020, 2, 15), acting_user=staff)
    args = {"meeting": meeting, "acting_user": staff}
    refused(meeting_update, "held_on", "Tổ QH-01 đã có buổi họp ngày 16/03/2020.", held_on=date(2020, 3, 16), **args)
    refused(
        meeting_update,
        "held_on",
        "Ngày họp không được trước ngày thành lập tổ.",
        held_on=date(2014, 12, 31),
        **args,
    )
    refused(
        meeting_update,
        "held_on",
        f"Ngày họp {vn_date(tomorrow())} không được sau ngày hôm nay.",
        held_on=tomorrow(),
        **args,
    )
    refused(
        meeting_update,
        "attendees",
        "Số người dự không được âm.",
        held_on=date(2020, 2, 15),
        attendees=-1,
        **args,
    )
    assert GroupMeeting.objects.get(pk=meeting.pk).held_on == date(2020, 2, 15)


def test_officers_record_meetings_of_the_groups_their_association_manages(
    book, officer_hnd, officer_hpn, commune_officer
):
    meeting = meeting_record(group=book.g1, held_on=date(2020, 3, 16), acting_user=officer_hnd)
    assert last_event()[:2] == ("meeting.record", officer_hnd)
    meeting_update(meeting=meeting, held_on=date(2020, 3, 15), acting_user=officer_hnd)
    meeting_record(group=book.g3, held_on=date(2020, 3, 23), acting_user=commune_officer)
    refused(meeting_record, "group", OWN_GROUPS_ONLY, group=book.g2, held_on=date(2020, 3, 16), acting_user=officer_hnd)
    refused(
        meeting_update, "group", OWN_GROUPS_ONLY, meeting=meeting, held_on=date(2020, 3, 17), acting_user=officer_hpn
    )
    # HPN's group in Quán Hàu is not the Vạn Ninh officer's.
    refused(
        meeting_record, "group", OWN_COMMUNE_ONLY, group=book.g2, held_on=date(2020, 3, 16), acting_user=commune_officer
    )


def test_a_group_handed_over_is_recorded_by_the_association_of_each_meeting(book, staff, hnd, officer_hnd, officer_hpn):
    """QH-02 passes from HPN to HND on 01/07/2020: a meeting belongs to the association
    managing the group on the transaction day it serves."""
    group_transfer(group=book.g2, association=hnd, effective_on=date(2020, 7, 1), acting_user=staff)
    meeting_record(group=book.g2, held_on=date(2020, 7, 16), acting_user=officer_hnd)
    refused(meeting_record, "group", OWN_GROUPS_ONLY, group=book.g2, held_on=date(2020, 7, 17), acting_user=officer_hpn)
    refused(meeting_record, "group", OWN_GROUPS_ONLY, group=book.g2, held_on=date(2020, 3, 16), acting_user=officer_hnd)
    meeting_record(group=book.g2, held_on=date(2020, 3, 17), acting_user=officer_hpn)


def test_only_staff_managers_and_officers_record_outreach(book, admin, manager):
    meeting_record(group=book.g1, held_on=date(2020, 3, 16), acting_user=manager)
    refused(
        meeting_record,
        "acting_user",
        OUTREACH_WRITERS_ONLY,
        group=book.g1,
        held_on=date(2020, 3, 17),
        acting_user=admin,
    )
    refused(
        training_record,
        "acting_user",
        OUTREACH_WRITERS_ONLY,
        held_on=date(2020, 3, 5),
        audience="Tổ trưởng",
        trainees=30,
        acting_user=admin,
    )


# -- trainings ---------------------------------------------------------------------------------------
def training_args(book, hnd, **overrides):
    return {
        "held_on": date(2020, 3, 5),
        "audience": "Tổ trưởng",
        "trainees": 30,
        "planned": 35,
        "association": hnd,
        "commune": book.quan_hau,
        "organizer": "Hội Nông dân huyện",
    } | overrides


def test_training_update_corrects_and_audits_each_change(book, hnd, hpn, staff):
    training = training_record(**training_args(book, hnd), acting_user=staff)
    training_update(
        training=training,
        **training_args(book, hnd, trainees=32, association=hpn, commune=None, organizer=""),
        acting_user=staff,
    )
    training.refresh_from_db()
    assert (training.trainees, training.planned, training.association, training.commune, training.organizer) == (
        32,
        35,
        hpn,
        None,
        "",
    )
    assert last_event() == (
        "training.update",
        staff,
        "groups.Training",
        str(training.pk),
        {
            "changes": {
                "trainees": [30, 32],
                "organizer": ["Hội Nông dân huyện", ""],
                "association": ["HND", "HPN"],
                "commune": ["QH", None],
            }
        },
    )


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"audience": " "}, "audience", "Đối tượng tập huấn không được để trống."),
        ({"trainees": 0}, "trainees", "Số học viên phải là số nguyên dương."),
        ({"planned": 0}, "planned", "Số học viên kế hoạch phải là số nguyên dương."),
        ({"trainees": 100_001}, "trainees", "Số học viên quá lớn (tối đa 100.000)."),
    ],
)
def test_training_update_refusals(book, hnd, staff, overrides, field, message):
    training = training_record(**training_args(book, hnd), acting_user=staff)
    refused(
        training_update, field, message, training=training, **training_args(book, hnd, **overrides), acting_user=staff
    )
    refused(
        training_update,
        "held_on",
        f"Ngày tập huấn {vn_date(tomorrow())} không được sau ngày hôm nay.",
        training=training,
        **training_args(book, hnd, held_on=tomorrow()),
        acting_user=staff,
    )


def test_officers_record_and_correct_their_own_trainings(book, hnd, hpn, officer_hnd, commune_officer):
    training = training_record(**training_args(book, hnd), acting_user=officer_hnd)
    training_update(training=training, **training_args(book, hnd, trainees=31), acting_user=officer_hnd)
    # another association's, or the branch's own (no association): refused
    refused(training_record, "association", OWN_ASSOCIATION_ONLY, **training_args(book, hpn), acting_user=officer_hnd)
    refused(training_record, "association", OWN_ASSOCIATION_ONLY, **training_args(book, None), acting_user=officer_hnd)
    # their own, given away; another's, taken over
    refused(
        training_update,
        "association",
        OWN_ASSOCIATION_ONLY,
        training=training,
        **training_args(book, hpn),
        acting_user=officer_hnd,
    )
    theirs = training_record(**training_args(book, hpn, commune=book.van_ninh), acting_user=commune_officer)
    refused(
        training_update,
        "association",
        OWN_ASSOCIATION_ONLY,
        training=theirs,
        **training_args(book, hnd),
        acting_user=officer_hnd,
    )
    # a commune officer: their commune only, not the district level nor another commune
    for commune in (None, book.quan_hau):
        refused(
            training_record,
            "commune",
            OWN_COMMUNE_ONLY,
            **training_args(book, hpn, commune=commune),
            acting_user=commune_officer,
        )
    assert Training.objects.count() == 2


# -- news items and broadcasts -------------------------------------------------------------------------
def test_news_item_update_corrects_and_audits_each_change(book, hpn, hnd, staff):
    item = news_item_record(
        published_on=date(2020, 3, 8), association=hpn, channel="tv", title="Vốn vay", acting_user=staff
    )
    news_item_update(
        item=item,
        published_on=date(2020, 3, 9),
        association=hnd,
        commune=book.quan_hau,
        channel="commune_loudspeaker",
        title=" Vốn vay hộ nghèo ",
        acting_user=staff,
    )
    item.refresh_from_db()
    assert (item.published_on, item.association, item.commune, item.channel, item.title) == (
        date(2020, 3, 9),
        hnd,
        book.quan_hau,
        "commune_loudspeaker",
        "Vốn vay hộ nghèo",
    )
    assert last_event() == (
        "news.update",
        staff,
        "groups.NewsItem",
        str(item.pk),
        {
            "changes": {
                "published_on": ["2020-03-08", "2020-03-09"],
                "channel": ["tv", "commune_loudspeaker"],
                "title": ["Vốn vay", "Vốn vay hộ nghèo"],
                "association": ["HPN", "HND"],
                "commune": [None, "QH"],
            }
        },
    )


def test_a_broadcast_names_its_commune(book, hpn, staff):
    args = {
        "published_on": date(2020, 3, 8),
        "association": hpn,
        "channel": "commune_loudspeaker",
        "title": "Tin",
        "acting_user": staff,
    }
    message = "Tin phát trên đài truyền thanh xã phải ghi rõ xã."
    refused(news_item_record, "commune", message, **args)
    item = news_item_record(**args, commune=book.van_ninh)
    refused(news_item_update, "commune", message, item=item, **args)
    refused(
        news_item_update,
        "channel",
        "Kênh tuyên truyền phải là một trong: tv, newspaper, sector_newspaper, province_portal, district_portal, "
        "commune_loudspeaker.",
        item=item,
        **(args | {"channel": "radio"}),
    )
    assert NewsItem.objects.get().commune == book.van_ninh


def test_officers_record_and_correct_their_own_news(book, hnd, hpn, officer_hnd, officer_hpn, commune_officer):
    item = news_item_record(
        published_on=date(2020, 3, 8), association=hpn, channel="newspaper", title="Tin", acting_user=officer_hpn
    )
    args = {"published_on": date(2020, 3, 8), "channel": "newspaper", "title": "Tin"}
    refused(news_item_record, "association", OWN_ASSOCIATION_ONLY, association=hpn, acting_user=officer_hnd, **args)
    refused(
        news_item_update,
        "association",
        OWN_ASSOCIATION_ONLY,
        item=item,
        association=hnd,
        acting_user=officer_hpn,
        **args,
    )
    refused(
        news_item_update,
        "association",
        OWN_ASSOCIATION_ONLY,
        item=item,
        association=hnd,
        acting_user=officer_hnd,
        **args,
    )
    # the district-level item is not the commune officer's, nor can they make it theirs
    refused(
        news_item_update,
        "commune",
        OWN_COMMUNE_ONLY,
        item=item,
        association=hpn,
        commune=book.van_ninh,
        acting_user=commune_officer,
        **args,
    )
    broadcast = news_item_record(
        published_on=date(2020, 3, 9),
        association=hpn,
        commune=book.van_ninh,
        channel="commune_loudspeaker",
        title="Phát thanh",
        acting_user=commune_officer,
    )
    news_item_update(
        item=broadcast,
        published_on=date(2020, 3, 10),
        association=hpn,
        commune=book.van_ninh,
        channel="commune_loudspeaker",
        title="Phát thanh",
        acting_user=commune_officer,
    )
    assert last_event() == (
        "news.update",
        commune_officer,
        "groups.NewsItem",
        str(broadcast.pk),
        {"changes": {"published_on": ["2020-03-09", "2020-03-10"]}},
    )


def test_a_news_item_or_training_sent_twice_is_kept_once(staff, hnd, quan_hau):
    from datetime import date

    from groups.models import NewsItem, Training
    from groups.services import news_item_record, training_record
    from tests.support.book import refused

    item = dict(published_on=date(2020, 3, 20), association=hnd, commune=quan_hau, channel="commune_loudspeaker")
    news_item_record(**item, title="Loa xã", acting_user=staff)
    refused(
        news_item_record, "title", "Tin này đã được ghi (cùng ngày, hội, xã, kênh và tiêu đề).",
        **item, title="Loa xã", acting_user=staff,
    )  # fmt: skip
    news_item_record(**item, title="Loa xã, lần 2", acting_user=staff)  # another item that day
    assert NewsItem.objects.count() == 2
    course = dict(held_on=date(2020, 3, 10), audience="Tổ trưởng", trainees=30, commune=quan_hau)
    training_record(**course, acting_user=staff)
    refused(
        training_record, "audience", "Lớp tập huấn này đã được ghi (cùng ngày, đơn vị, đối tượng và số học viên).",
        **course, acting_user=staff,
    )  # fmt: skip
    assert Training.objects.count() == 1
