"""The managers' audit trail page: who did what and when, filtered, a page at a time."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from vbsp_district.core.audit import audit_record
from vbsp_district.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = reverse("audit_trail")


def rows(page: str) -> int:
    body = page[page.index('id="events"') :]
    return body.count("<tr>") - 1  # the header row


@pytest.fixture
def trail(staff, manager):
    audit_record(
        user=staff, action="loan.principal", object_type="lending.LoanTransaction", key="41", data={"amount": 1_000_000}
    )
    audit_record(
        user=manager,
        action="period.close",
        object_type="lending.ClosedPeriod",
        key="2020Q1",
        data={"quarter": "2020Q1"},
    )
    audit_record(user=None, action="portfolio.write", object_type="workbook", key="<b>x</b>", data={"rows": [1, 2]})


def test_a_manager_reads_the_trail_newest_first(trail, as_user):
    page = as_user("manager").get(URL).content.decode()
    at = [page.index(f"<code>{action}</code>") for action in ("portfolio.write", "period.close", "loan.principal")]
    assert at == sorted(at)
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page  # a key typed by a user, escaped
    assert "amount: 1000000" in page and "hệ thống" in page


@pytest.mark.parametrize(
    "query, shown",
    [
        ("?action=period.close", ["period.close"]),
        ("?object_type=lending.LoanTransaction", ["loan.principal"]),
        ("?object_key=2020Q1", ["period.close"]),
        ("?user={staff}", ["loan.principal"]),
        ("?date_from={today}&date_to={today}", ["portfolio.write", "period.close", "loan.principal"]),
        ("?date_to={yesterday}", []),
    ],
)
def test_the_filters(trail, as_user, staff, query, shown):
    today = timezone.localdate()
    query = query.format(staff=staff.pk, today=f"{today:%d/%m/%Y}", yesterday=f"{today - timedelta(days=1):%d/%m/%Y}")
    page = as_user("manager").get(URL + query).content.decode()
    if not shown:
        assert "Không có thao tác nào khớp bộ lọc" in page
    for action in ("loan.principal", "period.close", "portfolio.write"):
        assert (f"<code>{action}</code>" in page) == (action in shown), (query, action)


def test_bad_filters_are_named_not_failed(trail, as_user):
    client = as_user("manager")
    page = client.get(URL + "?date_from=32/13/2020&action=drop%20table").content.decode()
    assert "Ngày phải có dạng dd/mm/yyyy" in page
    assert "drop table" not in page.split('id="events"')[1] or rows(page) == 1
    page = client.get(URL + "?date_from=02/01/2020&date_to=01/01/2020").content.decode()
    assert "Đến ngày phải từ ngày" in page


def test_older_events_a_page_at_a_time(manager, as_user, django_assert_max_num_queries):
    for n in range(105):
        audit_record(user=manager, action="meeting.record", object_type="groups.GroupMeeting", key=str(n))
    client = as_user("manager")
    url = URL + "?action=meeting.record"
    client.get(url)
    with django_assert_max_num_queries(8):
        first = client.get(url).content.decode()
    assert rows(first) == 100
    older = first.split('href="?')[-1].split('"')[0].replace("&amp;", "&")
    assert "action=meeting.record" in older
    second = client.get(URL + "?" + older).content.decode()
    assert rows(second) == 5
    assert 'id="older"' not in second
    assert AuditEvent.objects.filter(action="meeting.record").count() == 105


@pytest.mark.parametrize("role", ["staff", "officer_hnd", "commune_officer"])
def test_only_managers_read_it(role, as_user):
    assert as_user(role).get(URL).status_code == 403
