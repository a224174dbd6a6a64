"""No input makes a page fail: random and hostile values sent to every form get a clear
message and leave the database as it was."""

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lending.services import repayment_post, reversal_request
from tests.support.book import row_counts

HOSTILE = [
    "",
    " ",
    "0",
    "-5",
    "-1.000.000",
    "1,5",
    "1.500.000,5",
    "1e9",
    "99999999999999999999999999",
    "9" * 400,
    "NaN",
    "Infinity",
    "<script>alert(1)</script>",
    "'; DROP TABLE lending_loan; --",
    "31/02/2020",
    "00/00/0000",
    "2020-13-45",
    "01/01/0001",
    "31/12/9999",
    "\x00",
    "null",
    "HPN-2",
    "044000000003",
    "VN-01",
    "999999",
    "ĐẶNG THỊ ỨNG",
    # keys that read as paths, hidden and reordering characters, formulas, other digits
    "QN01/T999",
    ".",
    "..",
    "KU-A/../HND-1",
    "HND-1/post",
    "QH-01\x00",
    "Nguyễn\u202eVăn",
    "An\u200bBình",
    '=HYPERLINK("http://127.0.0.1/x","x")',
    "+1+1",
    "@SUM(A1)",
    "１.０００.０００",
    "١٠٠٠",
]
values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))


class _Fields(HTMLParser):
    """The named controls of the first form posting to `action` (or any POST form)."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.hidden: dict[str, str] = {}
        self.in_post_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.in_post_form = (attrs.get("method") or "").lower() == "post" and "logout/" not in (
                attrs.get("action") or ""
            )
        if not self.in_post_form or tag not in ("input", "select", "textarea"):
            return
        name = attrs.get("name")
        if not name or name == "csrfmiddlewaretoken":
            return
        if attrs.get("type") == "hidden":
            self.hidden[name] = attrs.get("value") or ""
        else:
            self.fields[name] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_post_form = False


def form_fields(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    parser = _Fields()
    parser.feed(response.content.decode())
    return parser.fields, parser.hidden


@pytest.fixture
def desk(book, staff):
    txn = repayment_post(loan=book.hnd1, amount=1_000_000, value_date=date(2020, 3, 20), acting_user=staff)
    book.request = reversal_request(transaction=txn, reason="Nhập nhầm", acting_user=staff)
    book.txn = txn
    return book


FORMS = [
    ("staff", lambda b: reverse("member_register")),
    ("staff", lambda b: reverse("group_create")),
    ("staff", lambda b: reverse("group_transfer", args=["QH-01"])),
    ("staff", lambda b: reverse("meeting_record", args=["QH-01"])),
    ("staff", lambda b: reverse("member_move", args=[b.an.national_id])),
    ("staff", lambda b: reverse("savings_post", args=[b.an.national_id])),
    ("staff", lambda b: reverse("loan_disburse")),
    ("staff", lambda b: reverse("loan_post", args=["HND-1"])),
    ("staff", lambda b: reverse("loan_extend", args=["HND-1"])),
    ("staff", lambda b: reverse("loan_freeze", args=["HND-1"])),
    ("staff", lambda b: reverse("loan_write_off", args=["HND-1"])),
    ("staff", lambda b: reverse("reversal_request") + f"?loan_txn={b.txn.pk}"),
    ("manager", lambda b: reverse("reversal_decide", args=[b.request.pk])),
    ("manager", lambda b: reverse("period_list")),
    ("staff", lambda b: reverse("transaction_day_sheet", args=["QH", "2020-03-20"])),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role,url_of", FORMS, ids=[f"{i:02d}" for i in range(len(FORMS))])
def test_hostile_values_never_break_a_form(desk, as_user, role, url_of):
    client = as_user(role)
    url = url_of(desk)
    fields, hidden = form_fields(client, url)
    assert fields, f"no form fields found on {url}"
    names = sorted(fields)

    @settings(
        max_examples=20,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.fixed_dictionaries({name: values for name in names}))
    def send(data):
        before = row_counts()
        response = client.post(url, {**hidden, **data})
        assert response.status_code < 500, (url, data, response.status_code)
        if response.status_code == 200:
            page = response.content.decode()
            # a clear message: an error shown on a field or at the top of the form
            assert re.search(r"invalid-feedback|alert-danger|errorlist|text-danger", page), (url, data)
            assert "<script>alert(1)</script>" not in page  # always escaped
            assert row_counts() == before, (url, data)
        elif response.status_code == 400:  # a NUL anywhere: refused before any view
            assert "ký tự NUL" in response.content.decode(), (url, data)
            assert row_counts() == before, (url, data)
        else:
            assert response.status_code in (302, 303, 403, 404), (url, data, response.status_code)
            if response.status_code != 302:
                assert row_counts() == before, (url, data)

    send()


@pytest.mark.django_db
def test_hostile_workbook_uploads(desk, as_user):
    client = as_user("manager")
    before = row_counts()
    for content in (b"", b"not a workbook", b"PK\x03\x04broken zip", b"<script>alert(1)</script>" * 100):
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("x.xlsx", content, content_type="application/octet-stream")
        response = client.post(reverse("workbook_import"), {"workbook": upload, "file": upload})
        assert response.status_code in (200, 400), response.status_code
        assert "<script>alert(1)</script>" not in response.content.decode()
    assert row_counts() == before
