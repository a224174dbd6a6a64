"""The group meeting pages: recording says at once whether the meeting is on time, the
group's list marks each meeting, the form's hint, corrections; officers record their
association's groups' meetings and no others."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from groups.models import GroupMeeting
from groups.services import meeting_record
from tests.support.book import row_counts
from tests.support.factories import UserFactory
from tests.support.pages import flash, text_of
from vbsp_district.models import AuditEvent, Role

pytestmark = pytest.mark.django_db

NEW = "/groups/QH-01/meetings/new/"
LIST = "/groups/QH-01/meetings/"


@pytest.mark.parametrize("role", ["staff", "manager", "officer_hnd"])
def test_recording_a_meeting_says_whether_it_is_on_time(book, as_user, users, role):
    client = as_user(role)
    page = client.get(NEW)
    assert page.status_code == 200
    text = text_of(page)
    assert "giao dịch xã ngày 20 hằng tháng" in text and "Ngày giao dịch tới:" in text
    response = client.post(NEW, {"held_on": "16/03/2020", "attendees": "18", "notes": "Bình xét cho vay"})
    assert response.status_code == 302 and response.url == LIST
    assert flash(response) == [
        "Đã ghi buổi họp tổ QH-01 ngày 16/03/2020 (đúng lịch: 4 ngày trước ngày giao dịch 20/03/2020)."
    ]
    client.get(response.url)  # the message shown
    response = client.post(NEW, {"held_on": "19/03/2020"})
    assert flash(response) == [
        "Đã ghi buổi họp tổ QH-01 ngày 19/03/2020 (không đúng lịch: 1 ngày trước ngày giao dịch 20/03/2020, "
        "cần họp trước 3 đến 5 ngày)."
    ]
    # a late meeting is recorded all the same, marked as a warning
    assert [m.level_tag for m in response.wsgi_request._messages] == ["warning"]
    assert list(GroupMeeting.objects.order_by("held_on").values_list("held_on", "attendees")) == [
        (date(2020, 3, 16), 18),
        (date(2020, 3, 19), None),
    ]
    events = AuditEvent.objects.filter(action="meeting.record").order_by("id")
    assert [(e.user, e.data["held_on"]) for e in events] == [(users[role], "2020-03-16"), (users[role], "2020-03-19")]


def test_the_groups_meetings_each_marked(book, as_user, staff):
    for day in (date(2020, 1, 15), date(2020, 2, 18), date(2020, 3, 16), date(2020, 3, 25)):
        meeting_record(group=book.g1, held_on=day, attendees=20, acting_user=staff)
    text = text_of(as_user("officer_hnd").get(LIST))
    assert "2 trong 4 buổi họp đúng lịch." in text
    assert (
        "25/03/2020 20/04/2020 Không đúng lịch 26 ngày trước 20 Sửa "
        "16/03/2020 20/03/2020 Đúng lịch 4 ngày trước 20 Sửa "
        "18/02/2020 20/02/2020 Không đúng lịch 2 ngày trước 20 Sửa "
        "15/01/2020 20/01/2020 Đúng lịch 5 ngày trước 20 Sửa" in text
    )
    # a reader who records nothing sees no correction links
    client = as_user("staff")
    client.force_login(UserFactory(username="quantri", role=Role.ADMIN))
    assert "Sửa" not in text_of(client.get(LIST))


def test_the_forms_hint_for_the_typed_day(book, as_user):
    client = as_user("staff")
    url = "/groups/QH-01/meetings/timing/"
    assert text_of(client.get(url, {"held_on": "15/03/2020"})) == "Đúng lịch 5 ngày trước ngày giao dịch 20/03/2020."
    assert text_of(client.get(url, {"held_on": "14/03/2020"})) == (
        "Không đúng lịch 6 ngày trước ngày giao dịch 20/03/2020; tổ cần họp trước ngày giao dịch 3 đến 5 ngày."
    )
    assert text_of(client.get(url, {"held_on": "21/03/2020"})) == (
        "Không đúng lịch 30 ngày trước ngày giao dịch 20/04/2020; tổ cần họp trước ngày giao dịch 3 đến 5 ngày."
    )
    assert text_of(client.get(url, {"held_on": "32/03/2020"})) == (
        "Nhập ngày họp dạng dd/mm/yyyy để xem có đúng lịch không."
    )
    assert text_of(client.get(url)) == ""
    # the form asks for it as the date is typed, and shows it for a posted date
    page = client.get(NEW).content.decode()
    assert f'hx-get="{url}"' in page and 'hx-target="#meeting-timing"' in page
    response = client.post(NEW, {"held_on": "18/03/2020", "attendees": "-1"})
    assert "Không đúng lịch 2 ngày trước ngày giao dịch 20/03/2020" in text_of(response)


def test_correcting_a_meeting(book, as_user, staff):
    meeting = meeting_record(group=book.g1, held_on=date(2020, 3, 18), attendees=20, acting_user=staff)
    url = f"/groups/QH-01/meetings/{meeting.pk}/edit/"
    client = as_user("officer_hnd")
    page = client.get(url)
    assert page.context["form"].initial == {"held_on": date(2020, 3, 18), "attendees": 20, "notes": ""}
    assert "Sửa buổi họp tổ QH-01 ngày 18/03/2020" in text_of(page)
    response = client.post(url, {"held_on": "17/03/2020", "attendees": "21"})
    assert response.status_code == 302 and response.url == LIST
    assert flash(response) == [
        "Đã sửa buổi họp tổ QH-01 ngày 17/03/2020 (đúng lịch: 3 ngày trước ngày giao dịch 20/03/2020)."
    ]
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.attendees) == (date(2020, 3, 17), 21)
    assert AuditEvent.objects.filter(action="meeting.update").get().data["changes"] == {
        "held_on": ["2020-03-18", "2020-03-17"],
        "attendees": [20, 21],
    }
    # another group's meeting is not found under this group
    other = meeting_record(group=book.g2, held_on=date(2020, 3, 16), acting_user=staff)
    assert as_user("staff").get(f"/groups/QH-01/meetings/{other.pk}/edit/").status_code == 404


@pytest.mark.parametrize(
    "role, own, others",
    [
        ("officer_hnd", "QH-01", ["QH-02", "VN-01"]),
        ("officer_hpn", "VN-01", ["QH-01"]),
        ("commune_officer", "VN-01", ["QH-01", "QH-02"]),
    ],
)
def test_officers_record_their_own_groups_meetings_only(book, as_user, staff, role, own, others):
    client = as_user(role)
    groups = {"QH-01": book.g1, "QH-02": book.g2, "VN-01": book.g3}
    for code in others:
        meeting = meeting_record(group=groups[code], held_on=date(2020, 3, 1), acting_user=staff)
        before = row_counts()
        for url in (
            f"/groups/{code}/meetings/",
            f"/groups/{code}/meetings/new/",
            f"/groups/{code}/meetings/timing/?held_on=16/03/2020",
            f"/groups/{code}/meetings/{meeting.pk}/edit/",
        ):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/groups/{code}/meetings/new/", {"held_on": "16/03/2020"}).status_code == 404
        assert client.post(f"/groups/{code}/meetings/{meeting.pk}/edit/", {"held_on": "16/03/2020"}).status_code == 404
        assert row_counts() == before
    response = client.post(f"/groups/{own}/meetings/new/", {"held_on": "16/03/2020"})
    assert response.status_code == 302
    assert GroupMeeting.objects.filter(group__code=own, held_on=date(2020, 3, 16)).exists()


def test_an_administrator_reads_the_meetings_and_records_none(book, client):
    client.force_login(UserFactory(username="quantri", role=Role.ADMIN))
    assert client.get(LIST).status_code == 200
    assert "Ghi buổi họp" not in text_of(client.get(LIST))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {"held_on": "16/03/2020"}).status_code == 403
    assert not GroupMeeting.objects.exists()


def test_meeting_pages_query_counts(book, as_user, staff, django_assert_max_num_queries):
    """A group's meetings page reads the same whatever the number of meetings (a page of 25)."""
    client = as_user("officer_hnd")
    counts = []
    for weeks in (range(0, 1), range(1, 40)):
        for week in weeks:
            meeting_record(group=book.g1, held_on=date(2019, 1, 1) + timedelta(weeks=week), acting_user=staff)
        for url in (LIST, LIST + "?page=2", NEW):
            with django_assert_max_num_queries(8) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured))
    assert counts[:3] == counts[3:], counts


# -- a month's groups ------------------------------------------------------------------------------
@pytest.fixture
def march(book, staff):
    """QH-01 met 4 days before 20/03, QH-02 1 day before; VN-01 5 days before 28/03 (and
    on 26/02, for February's day)."""
    for group, day in (
        (book.g1, date(2020, 3, 16)),
        (book.g2, date(2020, 3, 19)),
        (book.g3, date(2020, 2, 26)),
        (book.g3, date(2020, 3, 23)),
    ):
        meeting_record(group=group, held_on=day, attendees=15, acting_user=staff)
    return book


@pytest.mark.parametrize(
    "role, summary, rows",
    [
        (
            "staff",
            "2 trong 3 tổ họp đúng lịch (66,67 %).",
            [
                "QH-01 Tổ thôn Quán Hàu Quán Hàu 20/03/2020 16/03/2020 (4 ngày trước) Đúng lịch Ghi buổi họp",
                "QH-02 Tổ thôn Tân Mỹ Quán Hàu 20/03/2020 19/03/2020 (1 ngày trước) Không đúng lịch Ghi buổi họp",
                "VN-01 Tổ thôn Vạn Ninh Vạn Ninh 28/03/2020 23/03/2020 (5 ngày trước) Đúng lịch Ghi buổi họp",
            ],
        ),
        ("officer_hnd", "1 trong 1 tổ họp đúng lịch (100,00 %).", ["QH-01 Tổ thôn Quán Hàu"]),
        ("officer_hpn", "1 trong 2 tổ họp đúng lịch (50,00 %).", ["QH-02 Tổ thôn Tân Mỹ", "VN-01 Tổ thôn Vạn Ninh"]),
        ("commune_officer", "1 trong 1 tổ họp đúng lịch (100,00 %).", ["VN-01 Tổ thôn Vạn Ninh"]),
    ],
)
def test_a_months_groups_and_their_meetings(march, as_user, role, summary, rows):
    text = text_of(as_user(role).get("/meetings/?month=03/2020"))
    assert "Họp tổ tháng 03/2020" in text and summary in text
    for row in rows:
        assert row in text, row
    shown = [code for code in ("QH-01", "QH-02", "VN-01") if f"{code} Tổ thôn" in text]
    assert shown == [row.split()[0] for row in rows]


def test_a_months_groups_filtered_and_stepped(march, as_user):
    client = as_user("staff")
    text = text_of(client.get("/meetings/?month=3/2020&commune=QH"))
    assert "1 trong 2 tổ họp đúng lịch (50,00 %)." in text and "VN-01" not in text
    html = client.get("/meetings/?month=03/2020&commune=QH").content.decode()
    assert 'href="?month=02/2020&amp;commune=QH"' in html and 'href="?month=04/2020&amp;commune=QH"' in html
    text = text_of(client.get("/meetings/?month=02/2020"))
    assert "VN-01 Tổ thôn Vạn Ninh Vạn Ninh 28/02/2020 26/02/2020 (2 ngày trước) Không đúng lịch" in text
    assert "QH-01 Tổ thôn Quán Hàu Quán Hàu 20/02/2020 Chưa ghi Không đúng lịch" in text
    # a month that is not one shows this month's
    assert client.get("/meetings/?month=13/2020").context["month"] == timezone.localdate().strftime("%m/%Y")
    # a group founded after the month's transaction day is not listed
    assert "không có tổ nào" in text_of(client.get("/meetings/?month=12/2014")).lower()


def test_a_months_groups_query_counts(march, book, as_user, staff, django_assert_max_num_queries):
    from groups.services import group_create

    client = as_user("officer_hpn")
    counts = []
    for n in range(2):
        with django_assert_max_num_queries(12) as captured:
            assert client.get("/meetings/?month=03/2020").status_code == 200
        counts.append(len(captured))
        for i in range(30 * (1 - n)):
            group = group_create(
                code=f"VN-{i + 10}",
                name=f"Tổ {i}",
                commune=book.van_ninh,
                association=book.g3.assignments.get().association,
                founded_on=date(2015, 1, 1),
                acting_user=staff,
            )
            meeting_record(group=group, held_on=date(2020, 3, 24), acting_user=staff)
    assert counts[0] == counts[1], counts
    assert "31 trong 32 tổ họp đúng lịch" in text_of(client.get("/meetings/?month=03/2020"))


def test_a_months_groups_are_those_managed_then(march, as_user, staff, hnd):
    """QH-02 passes from HPN to HND on 01/07/2020: March is HPN's, as T7 counts it; the
    pages to record its meetings are HND's, who manage it today."""
    from groups.services import group_transfer

    group_transfer(group=march.g2, association=hnd, effective_on=date(2020, 7, 1), acting_user=staff)
    text = text_of(as_user("officer_hnd").get("/meetings/?month=03/2020"))
    assert "QH-02" not in text and "1 trong 1 tổ" in text
    text = text_of(as_user("officer_hnd").get("/meetings/?month=07/2020"))
    assert "QH-02 Tổ thôn Tân Mỹ Quán Hàu 20/07/2020 Chưa ghi Không đúng lịch Ghi buổi họp" in text
    response = as_user("officer_hpn").get("/meetings/?month=03/2020")
    assert "QH-02 Tổ thôn Tân Mỹ Quán Hàu 20/03/2020 19/03/2020 (1 ngày trước) Không đúng lịch" in text_of(response)
    html = response.content.decode()
    assert "/groups/QH-02/" not in html and "/groups/VN-01/meetings/new/" in html
    # asked at a day, as every page is: the groups managed that day
    text = text_of(as_user("officer_hpn").get("/meetings/?month=03/2020&date=31/12/2020"))
    assert "QH-02" not in text and "VN-01" in text


def test_the_hint_for_a_day_at_the_end_of_the_calendar(book, as_user):
    """31/12/9999 has no next transaction day: no hint, and no server error."""
    response = as_user("staff").get("/groups/QH-01/meetings/timing/?held_on=31/12/9999")
    assert response.status_code == 200
