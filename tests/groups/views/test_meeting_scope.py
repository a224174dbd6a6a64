"""Group meetings across a handover: a meeting belongs to the association managing its
group on the transaction day it serves, whatever day a page is read at. The old
association keeps the meetings that served its transaction days, the new one sees (and
records, and corrects) those from its first one on, and neither sees the other's.

QH-02 (Quán Hàu, transaction day 20) passes from HPN to HND on 01/07/2020. HPN's meetings
are those of 16/03 and 16/06/2020; HND's those of 25/06 (held under HPN, but serving
20/07/2020, HND's first transaction day), 16/07 and 15/09/2020.
"""

from datetime import date

import pytest

from groups.models import GroupMeeting, SavingsGroup
from groups.rules import OWN_COMMUNE_ONLY, OWN_GROUPS_ONLY, meeting_timing
from groups.selectors import association_of_group_on
from groups.services import group_create, group_transfer, meeting_record, meeting_update
from tests.support.book import refused, row_counts
from tests.support.pages import text_of
from vbsp_district.access.scoping import Scope
from vbsp_district.core.months import day_in_month
from vbsp_district.models import Role

pytestmark = pytest.mark.django_db

HPN_DAYS = (date(2020, 3, 16), date(2020, 6, 16))
HND_DAYS = (date(2020, 6, 25), date(2020, 7, 16), date(2020, 9, 15))
LIST = "/groups/QH-02/meetings/"


@pytest.fixture
def handed(book, staff, hnd):
    """The book with QH-02's meetings on both sides of its handover to HND."""
    for day in HPN_DAYS + HND_DAYS:
        meeting_record(group=book.g2, held_on=day, attendees=10, acting_user=staff)
    group_transfer(group=book.g2, association=hnd, effective_on=date(2020, 7, 1), acting_user=staff)
    book.meetings = {m.held_on: m for m in GroupMeeting.objects.filter(group=book.g2)}
    return book


def listed(response) -> list[str]:
    """The meeting days of a group's meeting list, as shown."""
    return [m.held_on.strftime("%d/%m/%Y") for m, _ in response.context["rows"]]


# -- a group's meeting list and the correction pages ------------------------------------------------
def test_the_new_association_lists_its_own_meetings_only(handed, as_user):
    response = as_user("officer_hnd").get(LIST)
    assert listed(response) == ["15/09/2020", "16/07/2020", "25/06/2020"]
    assert response.context["held"] == 3
    text = text_of(response)
    assert "16/06/2020" not in text and "16/03/2020" not in text
    # the counts read the same rows: 25/06 is 25 days before 20/07, the others on time
    assert response.context["on_time"] == 2
    assert "2 trong 3 buổi họp đúng lịch." in text


def test_staff_list_every_meeting_of_the_group(handed, as_user):
    response = as_user("staff").get(LIST)
    assert listed(response) == ["15/09/2020", "16/07/2020", "25/06/2020", "16/06/2020", "16/03/2020"]
    assert response.context["held"] == 5


def test_the_old_association_has_no_page_for_a_group_it_no_longer_manages(handed, as_user):
    client = as_user("officer_hpn")
    assert client.get(LIST).status_code == 404
    assert client.get(f"{LIST}{handed.meetings[date(2020, 3, 16)].pk}/edit/").status_code == 404


@pytest.mark.parametrize("day", HPN_DAYS)
def test_the_other_sides_meeting_is_not_found(handed, as_user, day):
    meeting = handed.meetings[day]
    url = f"{LIST}{meeting.pk}/edit/"
    client = as_user("officer_hnd")
    before = row_counts()
    assert client.get(url).status_code == 404
    assert client.post(url, {"held_on": "17/07/2020", "attendees": "3"}).status_code == 404
    assert row_counts() == before
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.attendees) == (day, 10)
    # staff correct it as before
    assert as_user("staff").get(url).status_code == 200


def test_recording_a_day_on_the_other_side_is_refused_on_the_form(handed, as_user):
    client = as_user("officer_hnd")
    before = row_counts()
    for day in ("05/03/2020", "16/06/2020"):  # 16/06 serves 20/06/2020, HPN's
        response = client.post(f"{LIST}new/", {"held_on": day})
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [OWN_GROUPS_ONLY]
    assert row_counts() == before
    response = client.post(f"{LIST}new/", {"held_on": "16/08/2020"})
    assert response.status_code == 302
    assert GroupMeeting.objects.filter(group=handed.g2, held_on=date(2020, 8, 16)).exists()


def test_moving_a_meeting_to_the_other_side_is_refused_on_the_form(handed, as_user):
    meeting = handed.meetings[date(2020, 7, 16)]
    url = f"{LIST}{meeting.pk}/edit/"
    client = as_user("officer_hnd")
    before = row_counts()
    response = client.post(url, {"held_on": "15/06/2020", "attendees": "12"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [OWN_GROUPS_ONLY]
    assert row_counts() == before
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.attendees) == (date(2020, 7, 16), 10)
    assert client.post(url, {"held_on": "15/07/2020", "attendees": "12"}).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.attendees) == (date(2020, 7, 15), 12)


# -- the services: the association of the day the meeting serves, not today's --------------------------
def test_each_association_records_the_meetings_of_its_own_transaction_days(handed, officer_hnd, officer_hpn):
    group = handed.g2
    refused(meeting_record, "group", OWN_GROUPS_ONLY, group=group, held_on=date(2020, 3, 5), acting_user=officer_hnd)
    refused(meeting_record, "group", OWN_GROUPS_ONLY, group=group, held_on=date(2020, 6, 26), acting_user=officer_hpn)
    refused(meeting_record, "group", OWN_GROUPS_ONLY, group=group, held_on=date(2020, 8, 15), acting_user=officer_hpn)
    assert meeting_record(group=group, held_on=date(2020, 4, 15), acting_user=officer_hpn).held_on == date(2020, 4, 15)
    assert meeting_record(group=group, held_on=date(2020, 6, 24), acting_user=officer_hnd).held_on == date(2020, 6, 24)


def test_a_correction_is_checked_on_the_meetings_day_and_the_new_one(handed, officer_hnd, officer_hpn):
    hpn_meeting, hnd_meeting = handed.meetings[date(2020, 3, 16)], handed.meetings[date(2020, 7, 16)]
    for meeting, user, day in (
        (hpn_meeting, officer_hnd, date(2020, 7, 17)),  # another's meeting, moved to one's own side
        (hpn_meeting, officer_hpn, date(2020, 7, 17)),  # one's own, moved to the other side
        (hnd_meeting, officer_hpn, date(2020, 3, 17)),
        (hnd_meeting, officer_hnd, date(2020, 3, 17)),
    ):
        refused(meeting_update, "group", OWN_GROUPS_ONLY, meeting=meeting, held_on=day, attendees=1, acting_user=user)
    meeting_update(meeting=hpn_meeting, held_on=date(2020, 3, 15), attendees=11, acting_user=officer_hpn)
    meeting_update(meeting=hnd_meeting, held_on=date(2020, 7, 15), attendees=11, acting_user=officer_hnd)
    assert sorted(GroupMeeting.objects.filter(attendees=11).values_list("held_on", flat=True)) == [
        date(2020, 3, 15),
        date(2020, 7, 15),
    ]


def test_a_commune_officer_records_in_their_commune_only(handed, staff, hpn, commune_officer):
    """Vạn Ninh's HPN officer: QH-02's HPN meetings are of another commune."""
    refused(
        meeting_record,
        "group",
        OWN_COMMUNE_ONLY,
        group=handed.g2,
        held_on=date(2020, 4, 15),
        acting_user=commune_officer,
    )
    assert not Scope.of(commune_officer).meetings().filter(group=handed.g2).exists()


# -- a month's groups ---------------------------------------------------------------------------------
def overview(client, query: str) -> str:
    return text_of(client.get(f"/meetings/?{query}"))


@pytest.mark.parametrize("at", ["", "&date=31/03/2020", "&date=31/12/2020"])
def test_the_new_association_never_sees_the_old_ones_month(handed, as_user, at):
    text = overview(as_user("officer_hnd"), f"month=03/2020&commune=QH{at}")
    assert "QH-02" not in text and "16/03/2020" not in text
    assert "QH-01 Tổ thôn Quán Hàu Quán Hàu 20/03/2020 Chưa ghi Không đúng lịch" in text


@pytest.mark.parametrize("at", ["", "&date=31/07/2020", "&date=31/12/2020"])
def test_the_new_association_sees_its_month(handed, as_user, at):
    text = overview(as_user("officer_hnd"), f"month=07/2020&commune=QH{at}")
    assert "QH-02 Tổ thôn Tân Mỹ Quán Hàu 20/07/2020 25/06/2020 (25 ngày trước) 16/07/2020 (4 ngày trước)" in text
    assert "1 trong 2 tổ họp đúng lịch" in text


def test_the_new_association_at_a_day_before_the_handover(handed, as_user):
    """At 31/03/2020 the group was not HND's: the page shows no group it did not see then."""
    text = overview(as_user("officer_hnd"), "month=07/2020&commune=QH&date=31/03/2020")
    assert "QH-02" not in text and "QH-01 Tổ thôn Quán Hàu" in text


@pytest.mark.parametrize("at", ["", "&date=31/03/2020"])
def test_the_old_association_keeps_its_month(handed, as_user, at):
    text = overview(as_user("officer_hpn"), f"month=03/2020&commune=QH{at}")
    assert "QH-02 Tổ thôn Tân Mỹ Quán Hàu 20/03/2020 16/03/2020 (4 ngày trước) Đúng lịch" in text
    assert "1 trong 1 tổ họp đúng lịch" in text
    html = as_user("officer_hpn").get(f"/meetings/?month=03/2020&commune=QH{at}").content.decode()
    assert "/groups/QH-02/" not in html  # its pages are HND's today


def test_the_old_association_at_a_day_after_the_handover(handed, as_user):
    """Asked at 31/12/2020, as every page: the groups HPN sees that day and that month both."""
    text = overview(as_user("officer_hpn"), "month=03/2020&commune=QH&date=31/12/2020")
    assert "QH-02" not in text


@pytest.mark.parametrize("at", ["", "&date=31/03/2020", "&date=30/06/2020", "&date=31/12/2020"])
def test_the_old_association_never_sees_the_new_ones_month(handed, as_user, at):
    for month in ("07/2020", "09/2020"):
        text = overview(as_user("officer_hpn"), f"month={month}&commune=QH{at}")
        assert "QH-02" not in text and "Tân Mỹ" not in text, (month, at)


def test_staff_see_the_group_in_every_month(handed, as_user):
    client = as_user("staff")
    assert "QH-02 Tổ thôn Tân Mỹ Quán Hàu 20/03/2020 16/03/2020" in overview(client, "month=03/2020&date=31/12/2020")
    assert "QH-02 Tổ thôn Tân Mỹ Quán Hàu 20/07/2020 25/06/2020" in overview(client, "month=07/2020&date=31/03/2020")


# -- the group page's meeting card -----------------------------------------------------------------------
def card(response) -> list[str]:
    return [m.held_on.strftime("%d/%m/%Y") for m in response.context["page"].meetings]


def test_the_group_pages_meetings_are_the_readers_own(handed, as_user):
    assert card(as_user("officer_hnd").get("/groups/QH-02/?date=31/12/2020")) == [
        "15/09/2020",
        "16/07/2020",
        "25/06/2020",
    ]
    # before the handover the group is HPN's: HND has no page for it that day
    assert as_user("officer_hnd").get("/groups/QH-02/?date=30/06/2020").status_code == 404
    assert card(as_user("officer_hpn").get("/groups/QH-02/?date=30/06/2020")) == ["16/06/2020", "16/03/2020"]
    assert as_user("officer_hpn").get("/groups/QH-02/?date=31/12/2020").status_code == 404
    assert card(as_user("staff").get("/groups/QH-02/?date=31/12/2020")) == [
        "15/09/2020",
        "16/07/2020",
        "25/06/2020",
        "16/06/2020",
        "16/03/2020",
    ]


# -- the rule in SQL is the rule in Python ------------------------------------------------------------------
def test_the_scopes_association_of_a_meeting_is_that_of_its_transaction_day(book, staff, hnd, hpn):
    """Communes with transaction days 1, 15, 28, 29, 30 and 31 (clipped at the month's end),
    groups handed over around month ends in a leap year, a meeting every day: `Scope.meetings`
    and `Scope.groups_on_transaction_day` answer as `rules.meeting_timing` and
    `selectors.association_of_group_on` do, meeting by meeting and month by month."""
    from groups.services import commune_create

    groups = []
    for setting in (1, 15, 28, 29, 30, 31):
        commune = commune_create(code=f"T{setting}", name=f"Xã {setting}", transaction_day=setting, acting_user=staff)
        group = group_create(
            code=f"T{setting}-01",
            name="Tổ",
            commune=commune,
            association=hpn,
            founded_on=date(2015, 1, 1),
            acting_user=staff,
        )
        for effective_on, association in (
            (date(2020, 2, 29), hnd),
            (date(2020, 3, 1), hpn),
            (date(2020, 3, 31), hnd),
            (date(2020, 4, 30), hpn),
            (date(2020, 5, 1), hnd),
            (date(2020, 5, 16), hpn),
        ):
            group_transfer(group=group, association=association, effective_on=effective_on, acting_user=staff)
        groups.append(group)
    GroupMeeting.objects.bulk_create(
        GroupMeeting(group=group, held_on=date.fromordinal(day))
        for group in groups
        for day in range(date(2020, 1, 25).toordinal(), date(2020, 6, 5).toordinal())
    )
    meetings = list(GroupMeeting.objects.filter(group__in=groups).select_related("group__commune"))
    managing = {
        m.pk: association_of_group_on(m.group, meeting_timing(m.group, m.held_on).transaction_day) for m in meetings
    }
    for association in (hnd, hpn):
        scope = Scope(Role.OFFICER, association.pk)
        expected = {pk for pk, managed in managing.items() if managed == association}
        assert set(scope.meetings().filter(group__in=groups).values_list("pk", flat=True)) == expected
        for month in (1, 2, 3, 4, 5, 6):
            expected = {
                g.pk
                for g in groups
                if association_of_group_on(g, day_in_month(2020, month, g.commune.transaction_day)) == association
            }
            shown = scope.groups_on_transaction_day(
                2020, month, SavingsGroup.objects.filter(pk__in=[g.pk for g in groups])
            )
            assert set(shown.values_list("pk", flat=True)) == expected, (association.code, month)
