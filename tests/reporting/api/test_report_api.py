"""The report API (reporting/api.py) on the page tests' book (tests/support/fixtures.py).

At 31/03/2020: HND-1 12.000.000 (QH-01, HND); HPN-1 6.000.000 due 20/03, all overdue,
arrears 77.000 (QH-02, HPN); HPN-2 18.000.000, arrears 95.700 (VN-01, HPN); TT-1
30.000.000 direct, arrears 159.500. Savings: An 500.000 (QH-01), Bình 200.000 (QH-02).
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

REPORT = reverse("api_report")
SERIES = reverse("api_series")


def command_json(*args) -> dict:
    out = StringIO()
    call_command("district_report", *args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize("role", ["staff", "manager"])
@pytest.mark.parametrize(
    "query,args",
    [
        ("as_of=2020-03-31", ["--as-of", "2020-03-31"]),
        ("as_of=2020-03-31&period=2020Q1&by_group=1", ["--as-of", "2020-03-31", "--period", "2020Q1", "--by-group"]),
        ("period=2020-02", ["--period", "2020-02"]),
    ],
)
def test_staff_and_managers_get_exactly_the_commands_report(book, as_user, role, query, args):
    response = as_user(role).get(f"{REPORT}?{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == command_json(*args)


def test_an_officer_gets_the_same_keys_over_their_association_only(book, as_user):
    response = as_user("officer_hpn").get(f"{REPORT}?as_of=2020-03-31&period=2020Q1&by_group=1")
    assert response.status_code == 200
    report = response.json()
    manager = command_json("--as-of", "2020-03-31", "--period", "2020Q1", "--by-group")
    assert list(report) == list(manager)
    assert list(report["portfolio"]) == list(manager["portfolio"])
    portfolio = report["portfolio"]
    # HPN-1 6.000.000 + HPN-2 18.000.000; HPN-1 overdue whole; arrears 77.000 + 95.700
    assert portfolio["outstanding"] == 24_000_000
    assert portfolio["entrusted_outstanding"] == 24_000_000
    assert portfolio["direct_outstanding"] == 0
    assert portfolio["overdue"] == 6_000_000
    assert portfolio["overdue_ratio"] == 0.25
    assert portfolio["interest_arrears"] == 172_700
    assert (portfolio["loans"], portfolio["borrowers"], portfolio["groups"]) == (2, 2, 2)
    assert (portfolio["savings_balance"], portfolio["groups_with_savings"]) == (200_000, 1)
    assert [a["code"] for a in report["by_association"]] == ["HPN"]
    assert report["by_association"][0]["outstanding"] == 24_000_000
    assert [(c["code"], c["outstanding"]) for c in report["by_commune"]] == [("QH", 6_000_000), ("VN", 18_000_000)]
    assert [(p["code"], p["outstanding"]) for p in report["by_program"]] == [("01", 24_000_000)]
    assert [g["code"] for g in report["by_group"]] == ["QH-02", "VN-01"]
    # the quarter's interest billed: HPN-1 11.000 + 34.100 + 31.900, HPN-2 102.300 + 95.700
    assert report["period"]["interest_billed"] == 77_000 + 198_000
    # the officer's figures are the manager's HPN row
    hpn_row = next(a for a in manager["by_association"] if a["code"] == "HPN")
    assert report["by_association"][0] == hpn_row
    text = response.content.decode()
    for foreign in ["HND", "Hội Nông dân", "QH-01", "HND-1", "TT-1", "12000000", "30000000"]:
        assert foreign not in text, foreign


def test_a_commune_officer_gets_their_commune_only(book, as_user):
    report = as_user("commune_officer").get(f"{REPORT}?as_of=2020-03-31&by_group=1").json()
    assert report["portfolio"]["outstanding"] == 18_000_000
    assert report["portfolio"]["interest_arrears"] == 95_700
    assert [c["code"] for c in report["by_commune"]] == ["VN"]
    assert [g["code"] for g in report["by_group"]] == ["VN-01"]
    assert [a["code"] for a in report["by_association"]] == ["HPN"]


def test_the_series_month_by_month(book, as_user):
    series = as_user("officer_hpn").get(f"{SERIES}?from=2020-01&to=2020-03&by=commune").json()
    assert (series["by"], series["from"], series["to"]) == ("commune", "2020-01", "2020-03")
    vn = next(row for row in series["series"] if row["code"] == "VN")
    assert [p["month"] for p in vn["points"]] == ["2020-01", "2020-02", "2020-03"]
    assert [p["as_of"] for p in vn["points"]] == ["2020-01-31", "2020-02-29", "2020-03-31"]
    assert [p["outstanding"] for p in vn["points"]] == [18_000_000] * 3
    # HPN-2 bills 102.300 on 28/02 (paid that day) and 95.700 on 28/03 (not paid)
    assert [p["interest_billed"] for p in vn["points"]] == [0, 102_300, 95_700]
    assert [p["interest_collection_rate"] for p in vn["points"]] == [None, 1.0, 0.0]
    qh = next(row for row in series["series"] if row["code"] == "QH")
    assert [p["overdue"] for p in qh["points"]] == [0, 0, 6_000_000]
    assert [p["interest_billed"] for p in series["total"]] == [11_000, 34_100 + 102_300, 31_900 + 95_700]
    assert "HND" not in json.dumps(series)


def test_the_managers_series_equals_the_monthly_reports(book, as_user):
    series = as_user("manager").get(f"{SERIES}?from=2020-01&to=2020-03").json()
    assert [row["code"] for row in series["series"]] == ["HND", "HPN", "CCB", "DTN"]
    for i, month in enumerate(["2020-01", "2020-02", "2020-03"]):
        report = command_json("--period", month)
        point = series["total"][i]
        assert point["outstanding"] == report["portfolio"]["outstanding"]
        assert point["overdue"] == report["portfolio"]["overdue"]
        assert point["savings_balance"] == report["portfolio"]["savings_balance"]
        assert point["interest_billed"] == report["period"]["interest_billed"]
        assert point["principal_due"] == report["period"]["principal_due"]
        for row in series["series"]:
            by = next(a for a in report["by_association"] if a["code"] == row["code"])
            assert row["points"][i]["outstanding"] == by["outstanding"]
            assert row["points"][i]["interest_billed"] == by["period"]["interest_billed"]


@pytest.mark.parametrize("url", [REPORT + "?as_of=2020-03-31", SERIES + "?from=2020-01&to=2020-03"])
def test_an_anonymous_caller_gets_no_data(book, client, url):
    response = client.get(url)
    assert response.status_code == 403
    assert response.json() == {"detail": "Cần đăng nhập để xem số liệu."}


@pytest.mark.parametrize("name", ["api_schema", "api_docs"])
def test_the_documentation_needs_a_sign_in_and_loads_nothing_from_outside(book, client, as_user, name):
    assert client.get(reverse(name)).status_code == 403
    response = as_user("officer_hnd").get(reverse(name))
    assert response.status_code == 200
    body = response.content.decode()
    assert "cdn." not in body and "://" not in body.replace("http://testserver", "")
    if name == "api_schema":
        assert "/api/v1/report" in body and "/api/v1/series" in body
    else:
        assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in body


@pytest.mark.parametrize(
    "url,parameter,message",
    [
        (REPORT + "?as_of=2020-13-01", "as_of", "Ngày '2020-13-01' không hợp lệ, cần dạng YYYY-MM-DD."),
        (REPORT + "?as_of=31/03/2020", "as_of", "Ngày '31/03/2020' không hợp lệ, cần dạng YYYY-MM-DD."),
        (REPORT + "?period=2020Q5", "period", None),
        (REPORT + "?by_group=yes", "by_group", "Giá trị phải là 1 hoặc 0."),
        (REPORT + "?as_of=2020-03-31&foo=1", "foo", "Tham số không được hỗ trợ."),
        (SERIES + "?to=2020-03", "from", "Bắt buộc phải có tham số này."),
        (SERIES + "?from=2020-01&to=2020Q1", "to", "Tháng '2020Q1' không hợp lệ, cần dạng YYYY-MM."),
        (SERIES + "?from=2020-01&to=2020-03&by=group", "by", "Phải là một trong: association, commune, program."),
        (SERIES + "?from=2020-03&to=2020-01", "to", "Tháng cuối không được trước tháng đầu."),
        (SERIES + "?from=2017-01&to=2020-01", "to", "Tối đa 36 tháng một lần."),
        (SERIES + "?from=2020-01&to=2999-01", "to", "Tháng 2999-01 chưa bắt đầu."),
        (SERIES + "?from=2020&to=2020-03", "from", "Tháng '2020' không hợp lệ, cần dạng YYYY-MM."),
        (REPORT + "?as_of=9999-12-31", "as_of", "Ngày 9999-12-31 chưa đến: số liệu chỉ có đến hôm nay."),
        (REPORT + "?period=2999Q1", "period", "Kỳ 2999Q1 chưa bắt đầu."),
        (REPORT + "?as_of=2020-W01-1", "as_of", "Ngày '2020-W01-1' không hợp lệ, cần dạng YYYY-MM-DD."),
        (REPORT + "?period=\u0662\u0660\u0662\u0660", "period", None),
        (REPORT + "?as_of=2020-03-31&as_of=2019-12-31", "as_of", "Tham số chỉ được nêu một lần."),
        (REPORT + "?format=xml", "format", "Tham số không được hỗ trợ."),
        (REPORT + "?as_of=2020-03-31%00", "as_of", "Tham số có ký tự NUL (mã 0) không hợp lệ."),
        (SERIES + "?from=2020-01&to=%002020-03", "to", "Tham số có ký tự NUL (mã 0) không hợp lệ."),
        (REPORT + "?as%00_of=2020-03-31", "detail", "Tham số có ký tự NUL (mã 0) không hợp lệ."),
    ],
)
def test_a_bad_parameter_is_named_in_a_400(book, as_user, url, parameter, message):
    response = as_user("manager").get(url)
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [parameter]
    if message is not None:
        assert errors[parameter] == [message]


def test_the_api_is_read_only(book, users, client):
    """Refused before the CSRF check or any body is read, whatever is sent."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(users["manager"])
    for url in (REPORT, SERIES, reverse("api_schema")):
        for response in (
            strict.post(url, {"as_of": "2020-03-31"}),
            strict.post(url, "as_of=1", content_type="application/x-www-form-urlencoded"),
            strict.put(url, "{}", content_type="application/json"),
            strict.patch(url, "{}", content_type="application/json"),
            strict.delete(url),
            strict.options(url),
        ):
            assert response.status_code == 405, (url, response.status_code)
            assert "API chỉ cho phép đọc (GET)." in response.content.decode()
    assert strict.options(reverse("api_docs")).status_code == 405


def test_answers_are_json_whatever_is_accepted_and_never_cached(book, as_user):
    client = as_user("manager")
    for accept in ("text/html", "application/xml", "*/*", "garbage"):
        response = client.get(f"{REPORT}?as_of=2020-03-31", HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert "no-store" in response["Cache-Control"]
        assert response.json()["portfolio"]["outstanding"] == 66_000_000


def test_a_period_under_way_counts_to_today(book, as_user):
    from django.utils import timezone

    today = timezone.localdate()
    label = f"{today.year}Q{(today.month + 2) // 3}"
    report = as_user("manager").get(f"{REPORT}?period={label}").json()
    assert report["as_of"] == today.isoformat()
    assert (report["period"]["label"], report["period"]["end"]) == (label, today.isoformat())


def test_query_counts_are_pinned(book, as_user, django_assert_num_queries):
    client = as_user("manager")
    client.get("/")
    with django_assert_num_queries(11):
        client.get(f"{REPORT}?as_of=2020-03-31&period=2020Q1&by_group=1")
    officer = as_user("officer_hpn")
    officer.get("/")
    with django_assert_num_queries(11):
        officer.get(f"{REPORT}?as_of=2020-03-31&period=2020Q1&by_group=1")
    # 3 per request, the stored months' lookup, the book's first day (3: a month before it
    # is empty, with no statement), and per month (none stored here) the store's lookup,
    # the book's state (reporting/cache.py), the bills check and one aggregate
    with django_assert_num_queries(20):
        officer.get(f"{SERIES}?from=2020-01&to=2020-03")
