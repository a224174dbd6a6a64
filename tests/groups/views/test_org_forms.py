"""The organization forms: staff and managers record, officers are refused, refusals land on
their field with nothing written."""

from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from groups.models import GroupAssignment, GroupMeeting, Member, Membership, SavingsGroup
from tests.support.book import row_counts
from tests.support.pages import text_of
from vbsp_district.core.money import vn_date

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def refused_on(client, url, data, field, message):
    """POST `data`: the form comes back with exactly `message` on `field`, and no row is written."""
    before = row_counts()
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    html = response.content.decode()
    assert "is-invalid" in html and message.replace("&", "&amp;") in html.replace("&#x27;", "'")
    assert row_counts() == before
    return response


# -- member_register -----------------------------------------------------------------------
def register_data(book, **overrides):
    data = {
        "national_id": "044000000055",
        "full_name": "Hoàng Thị Hoa",
        "gender": "nu",
        "birth_year": "1985",
        "commune": book.quan_hau.pk,
        "village": "Thôn 2",
        "household_category": "Hộ nghèo",
        "group": book.g1.pk,
        "joined_on": "15/02/2020",
    }
    return data | overrides


@pytest.mark.parametrize("role", ["staff", "manager"])
def test_member_register_into_a_group(book, as_user, role):
    client = as_user(role)
    page = client.get("/members/new/")
    assert page.status_code == 200
    for label in (
        "Số CCCD/CMND",
        "Họ và tên chủ hộ",
        "Giới tính",
        "Năm sinh",
        "Xã, thị trấn",
        "Thôn, xóm",
        "Đối tượng hộ",
        "Vào tổ TK&VV",
        "Ngày vào tổ",
    ):
        assert label in text_of(page)
    response = client.post("/members/new/", register_data(book))
    assert response.status_code == 302 and response.url == "/members/044000000055/"
    assert messages_of(response) == [
        "Đã đăng ký hộ vay Hoàng Thị Hoa (số CCCD/CMND 044000000055), tổ viên tổ QH-01 từ 15/02/2020."
    ]
    member = Member.objects.get(national_id="044000000055")
    assert (member.full_name, member.gender, member.birth_year, member.commune) == (
        "Hoàng Thị Hoa",
        "nu",
        1985,
        book.quan_hau,
    )
    assert list(Membership.objects.filter(member=member).values_list("group__code", "joined_on", "left_on")) == [
        ("QH-01", date(2020, 2, 15), None)
    ]
    # The member's page shows it, dated.
    assert "Tổ viên tổ QH-01 Tổ thôn Quán Hàu tại ngày 31/03/2020" in text_of(
        client.get("/members/044000000055/?date=31/03/2020")
    )


def test_member_register_without_a_group(book, as_user):
    client = as_user("staff")
    response = client.post("/members/new/", register_data(book, group="", joined_on="", gender="", birth_year=""))
    assert response.status_code == 302
    assert not Membership.objects.filter(member__national_id="044000000055").exists()


def test_member_register_prefills_the_group_of_its_page(book, as_user):
    page = as_user("staff").get("/members/new/?to=QH-02")
    assert page.context["form"].initial == {"group": book.g2, "commune": book.quan_hau}


def test_member_register_refusals(book, as_user):
    client = as_user("staff")
    url = "/members/new/"
    refused_on(
        client,
        url,
        register_data(book, national_id="044000000001"),
        "national_id",
        "Số CCCD/CMND 044000000001 đã có trong hệ thống.",
    )
    refused_on(
        client, url, register_data(book, national_id="12345"), "national_id", "Số CCCD/CMND phải gồm 9 hoặc 12 chữ số."
    )
    refused_on(client, url, register_data(book, full_name=""), "full_name", "Trường này là bắt buộc.")
    refused_on(client, url, register_data(book, birth_year="abc"), "birth_year", "Năm sinh phải là số, ví dụ 1980.")
    # The group check runs after the member would be created: all or nothing.
    refused_on(client, url, register_data(book, group=book.g3.pk), "group", "Tổ VN-01 thuộc xã khác với xã của hộ vay.")
    refused_on(client, url, register_data(book, joined_on=""), "joined_on", "Cần nhập ngày vào tổ.")
    refused_on(
        client,
        url,
        register_data(book, joined_on="31/12/2014"),
        "joined_on",
        "Ngày vào tổ 31/12/2014 trước ngày thành lập tổ (01/01/2015).",
    )
    refused_on(
        client,
        url,
        register_data(book, joined_on="2020/02/15"),
        "joined_on",
        "Ngày phải có dạng dd/mm/yyyy, ví dụ 20/01/2020.",
    )
    tomorrow = timezone.localdate() + timedelta(days=1)
    refused_on(
        client,
        url,
        register_data(book, joined_on=vn_date(tomorrow)),
        "joined_on",
        f"Ngày vào tổ {vn_date(tomorrow)} không được sau ngày hôm nay.",
    )


# -- group_create ------------------------------------------------------------------------------
def group_data(book, hpn, **overrides):
    data = {
        "code": "QH-03",
        "name": "Tổ thôn Phú Lộc",
        "commune": book.quan_hau.pk,
        "association": hpn.pk,
        "founded_on": "01/03/2020",
        "village": "Phú Lộc",
        "leader_name": "Võ Thị Lan",
        "meeting_day": "15",
    }
    return data | overrides


def test_group_create(book, as_user, hpn):
    client = as_user("staff")
    page = client.get("/groups/new/?commune=QH")
    assert page.context["form"].initial == {"commune": book.quan_hau}
    for label in (
        "Mã tổ",
        "Tên tổ",
        "Xã, thị trấn",
        "Tổ chức hội quản lý",
        "Ngày thành lập",
        "Tổ trưởng",
        "Ngày sinh hoạt tổ hằng tháng",
    ):
        assert label in text_of(page)
    response = client.post("/groups/new/", group_data(book, hpn))
    assert response.status_code == 302 and response.url == "/groups/QH-03/"
    assert messages_of(response) == ["Đã thành lập tổ QH-03 – Tổ thôn Phú Lộc."]
    group = SavingsGroup.objects.get(code="QH-03")
    assert (group.founded_on, group.meeting_day, group.leader_name) == (date(2020, 3, 1), 15, "Võ Thị Lan")
    assert list(group.assignments.values_list("association__code", "effective_on")) == [("HPN", date(2020, 3, 1))]


def test_group_create_refusals(book, as_user, hpn):
    client = as_user("manager")
    refused_on(client, "/groups/new/", group_data(book, hpn, code="QH-01"), "code", "Mã tổ QH-01 đã có trong hệ thống.")
    refused_on(
        client,
        "/groups/new/",
        group_data(book, hpn, meeting_day="32"),
        "meeting_day",
        "Ngày sinh hoạt tổ phải từ 1 đến 31.",
    )
    refused_on(client, "/groups/new/", group_data(book, hpn, association=""), "association", "Trường này là bắt buộc.")
    tomorrow = timezone.localdate() + timedelta(days=1)
    refused_on(
        client,
        "/groups/new/",
        group_data(book, hpn, founded_on=vn_date(tomorrow)),
        "founded_on",
        f"Ngày thành lập {vn_date(tomorrow)} không được sau ngày hôm nay.",
    )


# -- group_transfer -----------------------------------------------------------------------------
def test_group_transfer(book, as_user, hpn):
    client = as_user("staff")
    page = client.get("/groups/QH-01/transfer/")
    assert "Hiện do Hội Nông dân quản lý" in text_of(page)
    response = client.post("/groups/QH-01/transfer/", {"association": hpn.pk, "effective_on": "01/03/2020"})
    assert response.status_code == 302 and response.url == "/groups/QH-01/"
    assert messages_of(response) == ["Đã chuyển tổ QH-01 cho Hội Liên hiệp Phụ nữ quản lý từ ngày 01/03/2020."]
    assert list(book.g1.assignments.values_list("association__code", "effective_on")) == [
        ("HND", date(2015, 1, 1)),
        ("HPN", date(2020, 3, 1)),
    ]


def test_group_transfer_refusals(book, as_user, hnd, hpn):
    client = as_user("staff")
    refused_on(
        client,
        "/groups/QH-01/transfer/",
        {"association": hnd.pk, "effective_on": "01/03/2020"},
        "association",
        "Tổ đang do Hội Nông dân quản lý.",
    )
    refused_on(
        client,
        "/groups/QH-01/transfer/",
        {"association": hpn.pk, "effective_on": "01/01/2015"},
        "effective_on",
        "Ngày chuyển giao phải sau ngày thành lập tổ.",
    )
    refused_on(
        client,
        "/groups/QH-01/transfer/",
        {"association": hpn.pk, "effective_on": "31/02/2020"},
        "effective_on",
        "Ngày phải có dạng dd/mm/yyyy, ví dụ 20/01/2020.",
    )
    assert client.get("/groups/XX-99/transfer/").status_code == 404


# -- member_move ---------------------------------------------------------------------------------
def test_member_move(book, as_user):
    client = as_user("staff")
    page = client.get("/members/044000000001/move/")
    assert "Hiện ở tổ QH-01 Tổ thôn Quán Hàu từ 01/01/2016" in text_of(page)
    # Every open group, by commune with its transaction day, the member's own commune first.
    choices = page.context["form"].fields["group"].choices
    assert [(label, [o for _v, o in options]) for label, options in choices[1:]] == [
        ("Xã Quán Hàu (ngày giao dịch 20)", ["QH-01 – Tổ thôn Quán Hàu", "QH-02 – Tổ thôn Tân Mỹ"]),
        ("Xã Vạn Ninh (ngày giao dịch 28)", ["VN-01 – Tổ thôn Vạn Ninh"]),
    ]
    assert choices[0] == ("", "---------")
    html = page.content.decode()
    assert html.index('<optgroup label="Xã Quán Hàu (ngày giao dịch 20)">') < html.index(
        '<optgroup label="Xã Vạn Ninh (ngày giao dịch 28)">'
    )
    # a member of Vạn Ninh sees their own commune first
    labels = [label for label, _o in client.get("/members/044000000003/move/").context["form"].fields["group"].choices]
    assert labels[1:] == ["Xã Vạn Ninh (ngày giao dịch 28)", "Xã Quán Hàu (ngày giao dịch 20)"]
    response = client.post("/members/044000000001/move/", {"group": book.g2.pk, "moved_on": "01/03/2020"})
    assert response.status_code == 302 and response.url == "/members/044000000001/"
    assert messages_of(response) == [
        "Đã chuyển Nguyễn Văn An sang tổ QH-02 từ ngày 01/03/2020; từ ngày đó hộ vay trả lãi vào ngày giao dịch 20 "
        "hằng tháng của Xã Quán Hàu."
    ]
    assert list(book.an.memberships.order_by("joined_on").values_list("group__code", "joined_on", "left_on")) == [
        ("QH-01", date(2016, 1, 1), date(2020, 2, 29)),
        ("QH-02", date(2020, 3, 1), None),
    ]
    # The loan follows the member's group at the date.
    text = text_of(client.get("/groups/QH-02/?date=31/03/2020"))
    assert "Nguyễn Văn An" in text


def test_member_move_refusals(book, as_user):
    client = as_user("staff")
    url = "/members/044000000001/move/"
    refused_on(client, url, {"group": book.g1.pk, "moved_on": "01/03/2020"}, "group", "Tổ viên đã ở tổ QH-01.")
    refused_on(
        client,
        url,
        {"group": book.g2.pk, "moved_on": "01/01/2016"},
        "moved_on",
        "Ngày chuyển tổ phải sau ngày vào tổ 01/01/2016.",
    )
    refused_on(
        client, url, {"group": "999999", "moved_on": "01/03/2020"}, "group", "Tổ đã chọn không có hoặc đã giải thể."
    )
    # A member in no group: the service's refusal is shown above the form.
    before = row_counts()
    response = client.post("/members/044000000004/move/", {"group": book.g2.pk, "moved_on": "01/03/2020"})
    assert response.context["form"].non_field_errors() == ["Tổ viên hiện không thuộc tổ nào."]
    assert "Tổ viên hiện không thuộc tổ nào." in text_of(response) and row_counts() == before
    assert client.get("/members/044999999999/move/").status_code == 404


def test_member_move_to_another_commune_shows_its_billing_day(book, as_user, staff):
    """Vạn Ninh's day was 28, then 10 from 01/04/2020: a move on 16/03/2020 bills on the
    28th from then on (the 10th from April)."""
    from groups.services import commune_transaction_day_change

    commune_transaction_day_change(
        commune=book.van_ninh, transaction_day=10, effective_on=date(2020, 4, 1), acting_user=staff
    )
    client = as_user("staff")
    choices = client.get("/members/044000000001/move/").context["form"].fields["group"].choices
    assert [label for label, _o in choices[1:]] == [
        "Xã Quán Hàu (ngày giao dịch 20)",
        "Xã Vạn Ninh (ngày giao dịch 10)",
    ]
    response = client.post("/members/044000000001/move/", {"group": book.g3.pk, "moved_on": "16/03/2020"})
    assert response.status_code == 302
    assert messages_of(response) == [
        "Đã chuyển Nguyễn Văn An sang tổ VN-01 từ ngày 16/03/2020; từ ngày đó hộ vay trả lãi vào ngày giao dịch 28 "
        "hằng tháng của Xã Vạn Ninh, nay là ngày 10."
    ]
    assert book.an.memberships.get(left_on__isnull=True).group == book.g3


def test_the_commune_page_shows_the_day_in_force_on_the_date_looked_at(book, as_user, staff):
    from groups.services import commune_transaction_day_change

    commune_transaction_day_change(
        commune=book.van_ninh, transaction_day=10, effective_on=date(2020, 4, 1), acting_user=staff
    )
    client = as_user("manager")
    for looked_at, day in (("31/03/2020", 28), ("01/04/2020", 10), ("", 10)):
        page = text_of(client.get(f"/communes/VN/?date={looked_at}"))
        assert f"giao dịch tại điểm giao dịch xã ngày {day} hằng tháng" in page, looked_at


# -- meeting_record ------------------------------------------------------------------------------
def test_meeting_record(book, as_user):
    client = as_user("staff")
    assert "Ngày họp" in text_of(client.get("/groups/QH-01/meetings/new/"))
    data = {"held_on": "16/03/2020", "attendees": "18", "notes": "Bình xét cho vay, đôn đốc thu lãi"}
    response = client.post("/groups/QH-01/meetings/new/", data)
    assert response.status_code == 302 and response.url == "/groups/QH-01/meetings/"
    assert messages_of(response) == [
        "Đã ghi buổi họp tổ QH-01 ngày 16/03/2020 (đúng lịch: 4 ngày trước ngày giao dịch 20/03/2020)."
    ]
    meeting = GroupMeeting.objects.get(group=book.g1)
    assert (meeting.held_on, meeting.attendees, meeting.notes) == (
        date(2020, 3, 16),
        18,
        "Bình xét cho vay, đôn đốc thu lãi",
    )
    text = text_of(client.get("/groups/QH-01/?date=31/03/2020"))
    assert "16/03/2020 18 người dự" in text
    refused_on(client, "/groups/QH-01/meetings/new/", data, "held_on", "Tổ QH-01 đã có buổi họp ngày 16/03/2020.")
    refused_on(
        client,
        "/groups/QH-01/meetings/new/",
        data | {"held_on": "17/03/2020", "attendees": "-1"},
        "attendees",
        "Số người dự không được âm.",
    )
    refused_on(
        client,
        "/groups/QH-01/meetings/new/",
        {"held_on": "31/12/2014"},
        "held_on",
        "Ngày họp không được trước ngày thành lập tổ.",
    )


# -- who may use the forms ---------------------------------------------------------------------
# Officers record meetings of their own groups (tests/groups/views/test_meetings.py); the
# organization's forms are staff's and managers' alone.
ORGANIZATION_FORMS = [
    ("/members/new/", {"national_id": "044000000066", "full_name": "X", "commune": "1"}),
    ("/groups/new/", {"code": "QH-09", "name": "X", "commune": "1", "association": "1", "founded_on": "01/03/2020"}),
    ("/groups/QH-01/transfer/", {"association": "2", "effective_on": "01/03/2020"}),
    ("/groups/QH-02/transfer/", {"association": "1", "effective_on": "01/03/2020"}),
    ("/members/044000000001/move/", {"group": "2", "moved_on": "01/03/2020"}),
]
FORMS = ORGANIZATION_FORMS + [
    ("/groups/QH-01/meetings/new/", {"held_on": "16/03/2020"}),
    ("/groups/QH-02/meetings/new/", {"held_on": "16/03/2020"}),
]


@pytest.mark.parametrize("role", ["officer_hnd", "officer_hpn", "commune_officer"])
def test_officers_may_not_use_the_forms(book, as_user, role):
    client = as_user(role)
    before = row_counts()
    for url, data in ORGANIZATION_FORMS:
        assert client.get(url).status_code == 403, url
        assert client.post(url, data).status_code == 403, url
    assert row_counts() == before
    # Nor are the forms offered on their pages.
    html = client.get("/groups/VN-01/?date=31/03/2020").content.decode()
    assert "/transfer/" not in html and "/members/new/" not in html


def test_officers_see_no_menu_of_forms(book, as_user):
    html = as_user("officer_hpn").get("/?date=31/03/2020").content.decode()
    assert "/members/new/" not in html and "/groups/new/" not in html
    html = as_user("staff").get("/?date=31/03/2020").content.decode()
    assert "/members/new/" in html and "/groups/new/" in html


def test_forms_need_sign_in(book, client):
    for url, data in FORMS:
        response = client.post(url, data)
        assert response.status_code == 302 and response.url.startswith("/login/")
    assert not GroupAssignment.objects.filter(effective_on=date(2020, 3, 1)).exists()


# -- query counts -------------------------------------------------------------------------------
FORM_PAGES = {
    "/members/new/": 5,
    "/members/new/?to=QH-01": 6,
    "/groups/new/": 5,
    "/groups/QH-01/transfer/": 6,
    "/members/044000000001/move/": 6,
    "/groups/QH-01/meetings/new/": 4,
}


def test_form_pages_query_counts(book, as_user, staff, django_assert_max_num_queries):
    from groups.services import group_create

    client = as_user("staff")
    counts = {}
    for url, most in FORM_PAGES.items():
        with django_assert_max_num_queries(most) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    for i in range(8):
        group_create(
            code=f"QH-1{i}",
            name=f"Tổ {i}",
            commune=book.quan_hau,
            association=book.g1.assignments.first().association,
            founded_on=date(2015, 1, 1),
            acting_user=staff,
        )
    for url, most in FORM_PAGES.items():
        with django_assert_max_num_queries(most) as captured:
            assert client.get(url).status_code == 200
        assert len(captured) == counts[url], url
