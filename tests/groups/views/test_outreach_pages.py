"""Trainings, news items and commune broadcasts: lists with filters, totals and pages,
the forms to record and correct them, for every role. An officer sees and writes their own
association's (their commune's, at commune level) and nothing else."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from groups.models import NewsItem, Training
from groups.rules import OUTREACH_WRITERS_ONLY, OWN_ASSOCIATION_ONLY, OWN_COMMUNE_ONLY
from groups.services import news_item_record, training_record
from tests.support.book import row_counts
from tests.support.factories import UserFactory
from tests.support.pages import flash, text_of
from vbsp_district.models import AuditEvent, Role

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year


@pytest.fixture
def outreach(book, hnd, hpn, staff):
    """Three units' rows in 2020: HND in Quán Hàu, HPN in Vạn Ninh, HPN in Quán Hàu; and
    the branch's own training and HND's district-level news item."""
    by = {"acting_user": staff}
    rows = {
        "t_hnd": training_record(
            held_on=date(2020, 5, 10),
            audience="Ban quản lý tổ Quán Hàu",
            trainees=1234,
            planned=1250,
            association=hnd,
            commune=book.quan_hau,
            organizer="Hội Nông dân huyện",
            **by,
        ),
        "t_hpn_vn": training_record(
            held_on=date(2020, 6, 2),
            audience="Tổ trưởng Vạn Ninh",
            trainees=25,
            planned=25,
            association=hpn,
            commune=book.van_ninh,
            **by,
        ),
        "t_hpn_qh": training_record(
            held_on=date(2020, 7, 1),
            audience="Tổ phó Quán Hàu",
            trainees=12,
            association=hpn,
            commune=book.quan_hau,
            **by,
        ),
        "t_branch": training_record(held_on=date(2020, 8, 1), audience="Cán bộ hội cấp xã", trainees=6, **by),
        "t_2019": training_record(
            held_on=date(2019, 11, 5), audience="Lớp năm trước", trainees=40, planned=40, association=hnd, **by
        ),
        "n_hnd": news_item_record(
            published_on=date(2020, 3, 9),
            association=hnd,
            channel="district_portal",
            title="Hội Nông dân đồng hành vốn chính sách",
            **by,
        ),
        "n_hpn_vn": news_item_record(
            published_on=date(2020, 4, 9),
            association=hpn,
            commune=book.van_ninh,
            channel="newspaper",
            title="Phụ nữ Vạn Ninh vay vốn",
            **by,
        ),
        "n_hpn_qh": news_item_record(
            published_on=date(2020, 5, 9),
            association=hpn,
            commune=book.quan_hau,
            channel="tv",
            title="Phụ nữ Quán Hàu tiết kiệm",
            **by,
        ),
        "b_hnd": news_item_record(
            published_on=date(2020, 3, 11),
            association=hnd,
            commune=book.quan_hau,
            channel="commune_loudspeaker",
            title="Loa xã Quán Hàu: trả lãi đúng hạn",
            **by,
        ),
        "b_hpn_vn": news_item_record(
            published_on=date(2020, 3, 12),
            association=hpn,
            commune=book.van_ninh,
            channel="commune_loudspeaker",
            title="Loa xã Vạn Ninh: gửi tiết kiệm",
            **by,
        ),
    }
    return rows


TRAININGS = ["Ban quản lý tổ Quán Hàu", "Tổ trưởng Vạn Ninh", "Tổ phó Quán Hàu", "Cán bộ hội cấp xã"]
NEWS = ["Hội Nông dân đồng hành vốn chính sách", "Phụ nữ Vạn Ninh vay vốn", "Phụ nữ Quán Hàu tiết kiệm"]
BROADCASTS = ["Loa xã Quán Hàu: trả lãi đúng hạn", "Loa xã Vạn Ninh: gửi tiết kiệm"]
SEEN = {
    "staff": (TRAININGS, NEWS, BROADCASTS),
    "manager": (TRAININGS, NEWS, BROADCASTS),
    "admin": (TRAININGS, NEWS, BROADCASTS),
    "officer_hnd": (TRAININGS[:1], NEWS[:1], BROADCASTS[:1]),
    "officer_hpn": (TRAININGS[1:3], NEWS[1:], BROADCASTS[1:]),
    "commune_officer": (TRAININGS[1:2], NEWS[1:2], BROADCASTS[1:]),
}


@pytest.fixture
def sign_in(as_user, client):
    def signed_in(role):
        if role == "admin":
            client.force_login(UserFactory(username="quantri", role=Role.ADMIN))
            return client
        return as_user(role)

    return signed_in


# -- the lists -------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", sorted(SEEN))
def test_each_role_sees_its_own_rows(outreach, sign_in, role):
    client = sign_in(role)
    for url, seen, everything in zip(
        ("/trainings/?year=2020", "/news/?year=2020", "/broadcasts/?year=2020"), SEEN[role], SEEN["staff"], strict=True
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        text = text_of(response)
        assert [title for title in everything if title in text] == seen, (role, url)
        # the forms are offered to those who may record
        assert ("Ghi mới" in text) is (role != "admin"), (role, url)
        assert ("Sửa" in text) is (role != "admin" and bool(seen)), (role, url)


def test_the_lists_open_on_this_year(outreach, as_user):
    client = as_user("staff")
    text = text_of(client.get("/trainings/"))
    assert f"Không có lớp tập huấn nào năm {THIS_YEAR}." in text
    assert "Lớp năm trước" not in text and "Ban quản lý tổ Quán Hàu" not in text
    page = client.get("/trainings/")
    assert [str(y) for y, _ in page.context["filters"].fields["year"].choices[1:]] == sorted(
        {str(THIS_YEAR), "2020", "2019"}, reverse=True
    )
    # every year at once
    text = text_of(client.get("/trainings/?year="))
    assert all(title in text for title in TRAININGS + ["Lớp năm trước"])
    assert f"Không có tin bài nào năm {THIS_YEAR}." in text_of(client.get("/news/"))
    assert f"0 tin phát thanh ở 0 xã năm {THIS_YEAR}." in text_of(client.get("/broadcasts/"))


def test_the_lists_filters(outreach, as_user, book, hpn):
    client = as_user("staff")

    def titles(url, candidates):
        text = text_of(client.get(url))
        return [title for title in candidates if title in text]

    assert titles(f"/trainings/?year=2020&association={hpn.pk}", TRAININGS) == TRAININGS[1:3]
    assert titles(f"/trainings/?year=2020&commune={book.quan_hau.pk}", TRAININGS) == [TRAININGS[0], TRAININGS[2]]
    assert titles("/news/?year=2020&channel=tv", NEWS) == NEWS[2:]
    assert titles(f"/news/?year=2020&association={hpn.pk}&commune={book.van_ninh.pk}", NEWS) == NEWS[1:2]
    assert titles(f"/broadcasts/?year=2020&commune={book.van_ninh.pk}", BROADCASTS) == BROADCASTS[1:]
    assert "2 tin phát thanh ở 2 xã năm 2020." in text_of(client.get("/broadcasts/?year=2020"))
    # a filter that is not one of the choices is left out, never an error
    assert titles("/news/?year=2020&association=999&channel=radio", NEWS) == NEWS
    # the loudspeaker is not a news channel: broadcasts have their own list
    assert "commune_loudspeaker" not in client.get("/news/").content.decode()
    assert not set(BROADCASTS) & set(titles("/news/?year=2020", BROADCASTS))


def test_the_officers_filters_offer_their_units_only(outreach, as_user):
    filters = as_user("commune_officer").get("/trainings/").context["filters"]
    assert [str(a) for a in filters.fields["association"].queryset] == ["Hội Liên hiệp Phụ nữ"]
    assert [str(c) for c in filters.fields["commune"].queryset] == ["Xã Vạn Ninh"]


def test_the_trainings_totals_against_plan(outreach, as_user):
    text = text_of(as_user("staff").get("/trainings/?year=2020"))
    # 1.234 + 25 + 12 + 6 trainees; planned 1.250 + 25, met by 1.234 + 25 of the planned courses
    assert "Học viên / kế hoạch năm 2020 1.277 / 1.275" in text
    assert (
        "4 lớp · đạt 98,75 % kế hoạch (tính trên các lớp có kế hoạch: 1.259 học viên) · 2 lớp chưa có kế hoạch" in text
    )
    assert "Hội Nông dân 1 1.234 1.250 Hội Liên hiệp Phụ nữ 2 37 25 Phòng giao dịch tổ chức chung 1 6 —" in text
    assert "10/05/2020 Ban quản lý tổ Quán Hàu Hội ND Quán Hàu Hội Nông dân huyện 1.234 1.250" in text
    # an officer's totals are their association's
    text = text_of(as_user("officer_hnd").get("/trainings/?year=2020"))
    assert "Học viên / kế hoạch năm 2020 1.234 / 1.250 1 lớp · đạt 98,72 % kế hoạch" in text


def test_the_lists_go_by_pages(book, as_user, hpn, staff):
    for day in range(30):
        news_item_record(
            published_on=date(2020, 1, 1) + timedelta(days=day),
            association=hpn,
            channel="tv",
            title=f"Bản tin số {day + 1:02d}",
            acting_user=staff,
        )
    client = as_user("staff")
    first = client.get("/news/?year=2020")
    assert len(first.context["page"]) == 25 and "Bản tin số 30" in text_of(first)
    html = first.content.decode()
    assert 'href="?year=2020&amp;page=2"' in html
    assert "Trang 1/2 · 1–25 trong 30 dòng" in text_of(first)
    second = client.get("/news/?year=2020&page=2")
    assert [item.title for item in second.context["page"]] == [f"Bản tin số {n:02d}" for n in range(5, 0, -1)]
    assert client.get("/news/?year=2020&page=x").context["page"].number == 1
    assert client.get("/news/?year=2020&page=9").context["page"].number == 2


def test_list_pages_query_counts(outreach, book, as_user, hpn, staff, django_assert_max_num_queries):
    """The lists read the same whatever the number of rows."""
    client = as_user("officer_hpn")
    urls = ["/trainings/?year=2020", "/news/?year=2020", "/broadcasts/?year=2020"]
    counts = []
    for batch in range(2):
        for url in urls:
            with django_assert_max_num_queries(10) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured))
        for n in range(30):
            day = date(2020, 7, 1) + timedelta(days=n + 30 * batch)
            training_record(
                held_on=day, audience="Lớp", trainees=10, association=hpn, commune=book.van_ninh, acting_user=staff
            )
            for channel in ("tv", "commune_loudspeaker"):
                news_item_record(
                    published_on=day,
                    association=hpn,
                    commune=book.van_ninh,
                    channel=channel,
                    title="Tin",
                    acting_user=staff,
                )
    assert counts[:3] == counts[3:], counts


# -- recording -------------------------------------------------------------------------------------
def training_data(book, association, **overrides):
    return {
        "held_on": "15/06/2020",
        "association": association.pk if association else "",
        "commune": book.quan_hau.pk,
        "organizer": "NHCSXH huyện",
        "audience": "Tổ trưởng tổ TK&VV",
        "trainees": "105",
        "planned": "120",
    } | overrides


def test_staff_record_a_training(book, as_user, hnd, staff):
    client = as_user("staff")
    page = client.get("/trainings/new/")
    form = page.context["form"]
    assert form.fields["association"].queryset.count() == 4
    assert not form.fields["association"].required
    response = client.post("/trainings/new/", training_data(book, hnd))
    assert response.status_code == 302 and response.url == "/trainings/?year=2020"
    assert flash(response) == ["Đã ghi lớp tập huấn ngày 15/06/2020 (Tổ trưởng tổ TK&VV): 105 học viên, kế hoạch 120."]
    training = Training.objects.get()
    assert (training.association, training.commune, training.trainees, training.planned) == (
        hnd,
        book.quan_hau,
        105,
        120,
    )
    assert AuditEvent.objects.filter(action="training.record", user=staff, object_key=str(training.pk)).exists()
    # the branch's own training, at district level
    response = client.post("/trainings/new/", training_data(book, None, commune="", planned=""))
    assert flash(response)[-1] == "Đã ghi lớp tập huấn ngày 15/06/2020 (Tổ trưởng tổ TK&VV): 105 học viên."


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"trainees": "0"}, "trainees", "Số học viên phải là số nguyên dương."),
        ({"trainees": ""}, "trainees", "Trường này là bắt buộc."),
        ({"planned": "abc"}, "planned", "Số học viên kế hoạch phải là số nguyên."),
        ({"audience": " "}, "audience", "Trường này là bắt buộc."),
        ({"held_on": "2020-13-01"}, "held_on", "Ngày phải có dạng dd/mm/yyyy, ví dụ 20/01/2020."),
    ],
)
def test_training_refusals_on_their_field(book, as_user, hnd, overrides, field, message):
    client = as_user("staff")
    before = row_counts()
    response = client.post("/trainings/new/", training_data(book, hnd, **overrides))
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert row_counts() == before


def test_an_officers_forms_offer_their_own_units(book, as_user):
    form = as_user("officer_hnd").get("/trainings/new/").context["form"]
    assert [str(a) for a in form.fields["association"].queryset] == ["Hội Nông dân"]
    assert form.fields["association"].required and form.fields["association"].empty_label is None
    assert form.initial["association"] == book.g1.assignments.get().association_id
    assert [str(c) for c in form.fields["commune"].queryset] == ["Xã Quán Hàu", "Xã Vạn Ninh"]
    assert not form.fields["commune"].required
    form = as_user("commune_officer").get("/broadcasts/new/").context["form"]
    assert [str(a) for a in form.fields["association"].queryset] == ["Hội Liên hiệp Phụ nữ"]
    assert [str(c) for c in form.fields["commune"].queryset] == ["Xã Vạn Ninh"]
    assert form.fields["commune"].empty_label is None


@pytest.mark.parametrize(
    "role, url, data, field, message",
    [
        ("officer_hnd", "/trainings/new/", {"association": "hpn"}, "association", OWN_ASSOCIATION_ONLY),
        ("officer_hnd", "/trainings/new/", {"association": ""}, "association", "Trường này là bắt buộc."),
        ("officer_hpn", "/news/new/", {"association": "hnd"}, "association", OWN_ASSOCIATION_ONLY),
        ("officer_hpn", "/broadcasts/new/", {"association": "hnd"}, "association", OWN_ASSOCIATION_ONLY),
        ("commune_officer", "/trainings/new/", {"commune": "qh"}, "commune", OWN_COMMUNE_ONLY),
        ("commune_officer", "/news/new/", {"commune": ""}, "commune", "Trường này là bắt buộc."),
        ("commune_officer", "/broadcasts/new/", {"commune": "qh"}, "commune", OWN_COMMUNE_ONLY),
    ],
)
def test_an_officer_posting_another_unit_is_refused_on_the_field(
    book, as_user, hnd, hpn, role, url, data, field, message
):
    own = hnd if role == "officer_hnd" else hpn
    ids = {"hnd": hnd.pk, "hpn": hpn.pk, "qh": book.quan_hau.pk, "": ""}
    full = {
        "held_on": "15/06/2020",
        "published_on": "15/06/2020",
        "association": own.pk,
        "commune": book.van_ninh.pk,
        "audience": "Tổ trưởng",
        "trainees": "20",
        "channel": "tv",
        "title": "Tin",
    } | {name: ids[value] for name, value in data.items()}
    client = as_user(role)
    before = row_counts()
    response = client.post(url, full)
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert message in text_of(response)
    assert row_counts() == before


def test_recording_a_news_item_and_a_broadcast(book, as_user, hpn, officer_hpn):
    client = as_user("officer_hpn")
    form = client.get("/news/new/").context["form"]
    assert "commune_loudspeaker" not in dict(form.fields["channel"].choices)
    data = {"published_on": "08/03/2020", "association": hpn.pk, "commune": "", "channel": "province_portal"}
    response = client.post("/news/new/", data | {"title": "Phụ nữ huyện với tín dụng chính sách"})
    assert response.status_code == 302 and response.url == "/news/?year=2020"
    assert flash(response) == [
        "Đã ghi tin bài ngày 08/03/2020 (Cổng thông tin tỉnh): Phụ nữ huyện với tín dụng chính sách."
    ]
    # the loudspeaker is recorded as a broadcast, which names its commune
    response = client.post("/news/new/", data | {"channel": "commune_loudspeaker", "title": "Loa"})
    assert response.context["form"].errors == {
        "channel": ["Kênh đã chọn không có; tin trên đài truyền thanh xã ghi ở mục Phát thanh xã."]
    }
    response = client.post(
        "/broadcasts/new/",
        {"published_on": "09/03/2020", "association": hpn.pk, "commune": "", "title": "Loa xã"},
    )
    assert response.context["form"].errors == {"commune": ["Trường này là bắt buộc."]}
    response = client.post(
        "/broadcasts/new/",
        {"published_on": "09/03/2020", "association": hpn.pk, "commune": book.van_ninh.pk, "title": "Loa xã"},
    )
    assert response.status_code == 302 and response.url == "/broadcasts/?year=2020"
    client.get(response.url)
    assert flash(response) == ["Đã ghi tin phát thanh xã Vạn Ninh ngày 09/03/2020: Loa xã."]
    assert list(NewsItem.objects.order_by("published_on").values_list("channel", "commune__code", "title")) == [
        ("province_portal", None, "Phụ nữ huyện với tín dụng chính sách"),
        ("commune_loudspeaker", "VN", "Loa xã"),
    ]
    assert list(AuditEvent.objects.filter(action="news.record").values_list("user", flat=True)) == [officer_hpn.pk] * 2


# -- correcting --------------------------------------------------------------------------------------
def test_correcting_a_training(outreach, book, as_user, hnd, officer_hnd):
    training = outreach["t_hnd"]
    url = f"/trainings/{training.pk}/edit/"
    client = as_user("officer_hnd")
    page = client.get(url)
    assert "Sửa lớp tập huấn ngày 10/05/2020" in text_of(page)
    assert page.context["form"].initial["trainees"] == 1234
    response = client.post(url, training_data(book, hnd, held_on="10/05/2020", trainees="1240", planned="1250"))
    assert response.status_code == 302 and response.url == "/trainings/?year=2020"
    assert flash(response) == [
        "Đã sửa lớp tập huấn ngày 10/05/2020 (Tổ trưởng tổ TK&VV): 1.240 học viên, kế hoạch 1.250."
    ]
    event = AuditEvent.objects.get(action="training.update")
    assert (event.user, event.data["changes"]["trainees"]) == (officer_hnd, [1234, 1240])
    # another association's row is not there for them
    other = outreach["t_hpn_vn"]
    before = row_counts()
    assert client.get(f"/trainings/{other.pk}/edit/").status_code == 404
    assert client.post(f"/trainings/{other.pk}/edit/", training_data(book, hnd)).status_code == 404
    assert client.get(f"/trainings/{outreach['t_branch'].pk}/edit/").status_code == 404
    assert row_counts() == before


def test_correcting_news_items_and_broadcasts(outreach, book, as_user, hpn):
    client = as_user("commune_officer")
    item, broadcast = outreach["n_hpn_vn"], outreach["b_hpn_vn"]
    data = {"published_on": "10/04/2020", "association": hpn.pk, "commune": book.van_ninh.pk, "title": "Sửa tin"}
    response = client.post(f"/news/{item.pk}/edit/", data | {"channel": "sector_newspaper"})
    assert flash(response) == ["Đã sửa tin bài ngày 10/04/2020 (Báo ngành): Sửa tin."]
    client.get(response.url)
    response = client.post(f"/broadcasts/{broadcast.pk}/edit/", data | {"title": "Sửa loa"})
    client.get(response.url)
    assert flash(response) == ["Đã sửa tin phát thanh xã Vạn Ninh ngày 10/04/2020: Sửa loa."]
    item.refresh_from_db()
    broadcast.refresh_from_db()
    assert (item.channel, item.title, broadcast.channel, broadcast.title) == (
        "sector_newspaper",
        "Sửa tin",
        "commune_loudspeaker",
        "Sửa loa",
    )
    # a broadcast is corrected on its own page, a news item on its own
    staff = as_user("staff")
    assert staff.get(f"/news/{broadcast.pk}/edit/").status_code == 404
    assert staff.get(f"/broadcasts/{item.pk}/edit/").status_code == 404
    # the Vạn Ninh officer does not see their association's rows elsewhere
    client = as_user("commune_officer")
    assert client.get(f"/news/{outreach['n_hpn_qh'].pk}/edit/").status_code == 404


def test_an_administrator_records_and_corrects_nothing(outreach, sign_in):
    client = sign_in("admin")
    before = row_counts()
    for url in (
        "/trainings/new/",
        "/news/new/",
        "/broadcasts/new/",
        f"/trainings/{outreach['t_hnd'].pk}/edit/",
        f"/news/{outreach['n_hnd'].pk}/edit/",
        f"/broadcasts/{outreach['b_hnd'].pk}/edit/",
    ):
        response = client.get(url)
        assert response.status_code == 403 and OUTREACH_WRITERS_ONLY in text_of(response), url
        assert client.post(url, {"title": "x"}).status_code == 403, url
    assert row_counts() == before


def test_the_emulation_menu(book, as_user):
    for role in ("staff", "officer_hnd", "commune_officer"):
        html = as_user(role).get("/").content.decode()
        assert 'id="nav-emulation"' in html
        for url, label in (("/trainings/", "Tập huấn"), ("/news/", "Tin bài"), ("/broadcasts/", "Phát thanh xã")):
            assert f'href="{url}">{label}</a>' in html, (role, url)


def test_counts_are_read_as_the_pages_write_them(as_user, quan_hau):
    """'1.000' trainees are a thousand, not one; '1,5' and '20.5' are not counts."""
    from groups.models import Training

    client = as_user("staff")
    data = {"held_on": "10/03/2020", "audience": "Tổ trưởng", "commune": quan_hau.pk, "planned": "1000"}
    assert client.post("/trainings/new/", data | {"trainees": "1.000"}).status_code == 302
    assert Training.objects.get().trainees == 1000
    for typed in ("1,5", "20.5", "1.00"):
        response = client.post("/trainings/new/", data | {"trainees": typed})
        assert response.status_code == 200 and "Số học viên phải là số nguyên." in response.content.decode()
    assert Training.objects.count() == 1
