"""Hardening found on the way: NUL in any input, the lock-out behind a proxy, sessions on
shared PCs, the posting cap, digits and hidden characters, HTTP methods, users with no role."""

from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse

from groups.models import Member
from lending.services import interest_payment_post, repayment_post
from tests.support.book import refused, row_counts
from tests.support.pages import shows
from tests.support.workbooks import header, xlsx
from vbsp_district.models import UserProfile

from .test_url_walk import TARGETS

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "Dữ liệu gửi lên có ký tự NUL (mã 0) không hợp lệ"


# -- NUL ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "/search/?q=%00",
        "/search/?q=QH%00-01",
        "/transaction-day/?commune=%00",
        "/transaction-day/QH/2020-03-20/pdf/?to=%00",
        "/communes/?date=31/03/2020%00",
        "/?%00=1",
    ],
)
def test_a_nul_in_a_query_parameter_is_a_clear_400(book, as_user, url):
    response = as_user("staff").get(url)
    assert response.status_code == 400
    assert shows(response, NUL_MESSAGE)


def test_a_nul_in_a_posted_field_is_a_clear_400_and_writes_nothing(book, as_user):
    client = as_user("staff")
    before = row_counts()
    url = reverse("transaction_day_sheet", args=["QH", "2020-03-20"])
    response = client.post(url, {"group": "QH-01\x00", "token": "abc"})
    assert response.status_code == 400
    assert shows(response, NUL_MESSAGE)
    response = client.post(reverse("group_create"), {"code": "QH\x0009", "name": "X"})
    assert response.status_code == 400
    assert row_counts() == before


# -- the lock-out behind a reverse proxy ------------------------------------------------------------
def _fail(client, username, forwarded):
    return client.post(
        reverse("login"),
        {"username": username, "password": "wrong-password"},
        HTTP_X_FORWARDED_FOR=forwarded,
        REMOTE_ADDR="127.0.0.1",
    )


@override_settings(VBSP_PROXY_COUNT=1)
def test_behind_a_proxy_one_client_cannot_lock_a_user_out_for_everyone(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _fail(client, "canbo", "203.0.113.7")
    locked = _fail(client, "canbo", "203.0.113.7")
    assert locked.status_code == 429
    # a spoofed left-hand entry does not get round it: the proxy's own entry is the right-most
    assert _fail(client, "canbo", "198.51.100.1, 203.0.113.7").status_code == 429
    # the real user at another PC still signs in
    response = client.post(
        reverse("login"),
        {"username": "canbo", "password": "secret-pass-1"},
        HTTP_X_FORWARDED_FOR="203.0.113.20",
        REMOTE_ADDR="127.0.0.1",
    )
    assert response.status_code == 302


def test_without_a_proxy_the_forwarded_header_is_not_trusted(client, staff):
    from django.test import RequestFactory

    from vbsp_district.access.middleware import client_ip

    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="10.0.0.5")
    assert client_ip(request) == "10.0.0.5"
    with override_settings(VBSP_PROXY_COUNT=1):
        assert client_ip(request) == "203.0.113.7"


# -- sessions on shared PCs --------------------------------------------------------------------------
def test_a_session_ends_with_the_browser_and_after_a_working_day_idle(client, staff):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE == 9 * 3600
    response = client.post(reverse("login"), {"username": "canbo", "password": "secret-pass-1"})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    session = client.session
    assert 0 < session.get_expiry_age() <= 9 * 3600


def test_reading_pages_does_not_write_the_session_each_time(client, staff, django_assert_max_num_queries):
    client.force_login(staff)
    client.get(reverse("home"))
    from django.contrib.sessions.models import Session

    expiry = Session.objects.get().expire_date
    client.get(reverse("commune_list"))
    assert Session.objects.get().expire_date == expiry


def test_an_idle_session_is_moved_on_after_ten_minutes(client, staff, monkeypatch):
    from django.contrib.sessions.models import Session

    from vbsp_district.access import middleware

    client.force_login(staff)
    expiry = Session.objects.get().expire_date
    later = middleware.time.time() + middleware.SESSION_REFRESH_SECONDS + 1
    monkeypatch.setattr(middleware.time, "time", lambda: later)
    client.get(reverse("commune_list"))
    assert Session.objects.get().expire_date > expiry


# -- the cap on amounts ----------------------------------------------------------------------------
CAP_MESSAGE = "Số tiền vượt mức tối đa của một giao dịch (2.000.000.000 đồng); kiểm tra lại số chữ số 0."


def test_an_amount_over_the_cap_is_refused_in_the_form_and_the_service(book, as_user, staff):
    client = as_user("staff")
    before = row_counts()
    url = reverse("loan_post", args=["HND-1"])
    response = client.post(url, {"kind": "interest", "value_date": "20/03/2020", "amount": "2.000.000.001"})
    assert shows(response, CAP_MESSAGE)
    refused(
        interest_payment_post,
        "amount",
        CAP_MESSAGE,
        loan=book.hnd1,
        amount=10**15,
        value_date=date(2020, 3, 20),
        acting_user=staff,
    )
    assert row_counts() == before


@override_settings(VBSP_MAX_POSTING_AMOUNT=5_000_000)
def test_the_cap_is_configurable(book, staff):
    refused(
        repayment_post,
        "amount",
        "Số tiền vượt mức tối đa của một giao dịch (5.000.000 đồng); kiểm tra lại số chữ số 0.",
        loan=book.hnd1,
        amount=5_000_001,
        value_date=date(2020, 3, 20),
        acting_user=staff,
    )


def test_interest_beyond_what_is_owed_on_a_settled_loan_is_refused(book, staff):
    # HPN-1: 6.000.000 due 20/03/2020; repaid in full on 20/03, the bill of that day is 77.000
    repayment_post(loan=book.hpn1, amount=6_000_000, value_date=date(2020, 3, 20), acting_user=staff)
    refused(
        interest_payment_post,
        "amount",
        "Số tiền thu lãi của khế ước đã tất toán 10.000.000 đồng vượt lãi còn phải trả 77.000 đồng "
        "tại ngày 20/03/2020.",
        loan=book.hpn1,
        amount=10_000_000,
        value_date=date(2020, 3, 20),
        acting_user=staff,
    )
    interest_payment_post(loan=book.hpn1, amount=77_000, value_date=date(2020, 3, 20), acting_user=staff)


# -- digits and hidden characters --------------------------------------------------------------------
@pytest.mark.parametrize("amount", ["１.０００.０００", "١٠٠٠٠٠٠", "۱۰۰۰۰۰۰", "1.000.00０"])
def test_only_ascii_digits_in_amounts(book, as_user, amount):
    client = as_user("staff")
    before = row_counts()
    response = client.post(
        reverse("loan_post", args=["HND-1"]), {"kind": "principal", "value_date": "20/03/2020", "amount": amount}
    )
    assert response.status_code == 200
    assert shows(response, "Chỉ dùng chữ số 0–9 (không dùng chữ số toàn khổ hay chữ số Ả Rập).")
    assert row_counts() == before


def test_only_ascii_digits_in_dates_and_the_day_shown(book, as_user):
    client = as_user("staff")
    response = client.post(
        reverse("loan_post", args=["HND-1"]), {"kind": "principal", "value_date": "٢٠/٠٣/٢٠٢٠", "amount": "1.000"}
    )
    assert shows(response, "Chỉ dùng chữ số 0–9")
    # ?date= with other digits is not read as a date: the page shows today
    page = client.get(reverse("home") + "?date=٣١/٠٣/٢٠٢٠").content.decode()
    assert "31/03/2020" not in page


@pytest.mark.parametrize(
    "name",
    [
        "Nguyễn\u202eVăn An",
        "An\u2066x\u2069",
        "Bình\u200f",
        "A\x07B",
        "A\u00adB",
        "A\u180eB",
        "A\u2028B",
        "\u3164",
        "A\u034fB",
    ],
)
def test_names_with_bidi_or_control_characters_are_refused(book, as_user, name):
    client = as_user("staff")
    before = row_counts()
    response = client.post(
        reverse("member_register"),
        {"national_id": "044000000055", "full_name": name, "commune": book.quan_hau.pk},
    )
    assert response.status_code == 200
    assert shows(response, "Có ký tự điều khiển không hợp lệ (ký tự ẩn hoặc đảo chiều văn bản); hãy gõ lại.")
    assert row_counts() == before


def test_zero_width_characters_are_dropped_and_names_kept_in_nfc(book, as_user):
    client = as_user("staff")
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Hoa\u200b"  # NFD accents and a zero-width space
    response = client.post(
        reverse("member_register"),
        {"national_id": "044000000056", "full_name": decomposed, "commune": book.quan_hau.pk},
    )
    assert response.status_code == 302
    assert Member.objects.get(national_id="044000000056").full_name == "Nguyễn Thị Hoa"


def test_the_import_refuses_bidi_names_and_cleans_zero_width(tmp_path, staff):
    from lending.services.batch import BatchRefused
    from lending.workbook import workbook_read

    path = xlsx(
        tmp_path / "names.xlsx",
        {
            "Communes": [header("Communes"), ["QX", "Xã\u202eA", "xa", 20], ["QY", "Xã\u200bB", "xa", 20]],
        },
    )
    with pytest.raises(BatchRefused) as refused_:
        workbook_read(path)
    assert [str(i) for i in refused_.value.issues] == [
        "Communes!2 name: Có ký tự điều khiển không hợp lệ (ký tự ẩn hoặc đảo chiều văn bản); hãy gõ lại."
    ]


# -- HTTP methods and users with no role -------------------------------------------------------------
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_every_page_answers_only_the_methods_it_serves(world, as_user, method):
    client = as_user("manager")
    for name, build in TARGETS.items():
        for url in build(world).values():
            status = getattr(client, method)(url).status_code
            assert status == 405, (method, name, url, status)


def test_a_user_with_no_role_sees_only_a_page_that_says_so(world, client):
    user = get_user_model().objects.create_user(username="moi", password="secret-pass-1")
    UserProfile.objects.filter(user=user).delete()
    client.force_login(user)
    for name, build in TARGETS.items():
        for url in build(world).values():
            response = client.get(url)
            assert response.status_code == 403, (name, url, response.status_code)
            assert shows(response, "Tài khoản chưa được phân quyền"), (name, url)
            assert "Nguyễn Văn An" not in response.content.decode()
    assert client.post(reverse("logout")).status_code == 302


def test_keys_are_upper_cased_in_ascii_only(book, as_user, hnd):
    client = as_user("staff")
    for code in ("ﬁ-T1", "ı1"):
        response = client.post(
            reverse("group_create"),
            {
                "code": code,
                "name": "Tổ",
                "commune": book.quan_hau.pk,
                "association": hnd.pk,
                "founded_on": "01/01/2020",
            },
        )
        assert response.status_code == 200
        assert shows(response, "Mã tổ chỉ gồm chữ cái không dấu")


# -- one language for paths and parameters; old links still work ---------------------------------------
def test_old_vietnamese_paths_and_parameters_redirect_to_the_english_ones(book, as_user, client):
    assert client.get("/dang-nhap/?next=/communes/")["Location"] == "/login/?next=/communes/"
    assert client.get("/quan-tri/groups/")["Location"] == "/admin/groups/"
    staff = as_user("staff")
    response = staff.get("/communes/?ngay=31/03/2020")
    assert (response.status_code, response["Location"]) == (301, "/communes/?date=31%2F03%2F2020")
    assert staff.get(response["Location"]).status_code == 200
    response = staff.get("/transaction-day/?xa=QH&ngay=20/02/2020")
    assert response.status_code == 301
    assert staff.get(response["Location"])["Location"] == "/transaction-day/QH/2020-02-20/"
    # a new name already given wins over the old one
    assert staff.get("/communes/?ngay=01/01/2020&date=31/03/2020")["Location"] == "/communes/?date=31%2F03%2F2020"
