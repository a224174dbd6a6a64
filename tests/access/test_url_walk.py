"""Every URL pattern, walked as every role: officers see their own association and
nothing else, whatever URL they type, and can post nothing anywhere.

A new URL pattern fails `test_every_pattern_is_walked` until it is added to `TARGETS`.
"""

from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from lending.models import LoanTransaction, ReversalRequest
from tests.support.book import row_counts

SKIPPED_PREFIXES = ("admin/",)  # the admin has its own permission tests
PUBLIC = {"login", "logout"}
DAY = "2020-03-20"


def named_patterns(patterns=None, prefix=""):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith(SKIPPED_PREFIXES):
                continue
            yield from named_patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            yield p.name


def _loan_urls(name):
    def build(w):
        return {
            "own": reverse(name, args=["HND-1"]),
            "other": reverse(name, args=["HPN-2"]),
            "direct": reverse(name, args=["TT-1"]),
        }

    return build


# name → function(world) → {"own": url of an HND object, "other": url of an HPN object,
# "direct": url of the direct loan/borrower} or a single URL under "any".
TARGETS = {
    "home": lambda w: {"any": reverse("home")},
    "search": lambda w: {"any": reverse("search") + "?q=Thị"},
    "commune_list": lambda w: {"any": reverse("commune_list")},
    "commune_detail": lambda w: {
        "own": reverse("commune_detail", args=["QH"]),
        "other": reverse("commune_detail", args=["VN"]),
    },
    "group_detail": lambda w: {
        "own": reverse("group_detail", args=["QH-01"]),
        "other": reverse("group_detail", args=["VN-01"]),
    },
    "group_create": lambda w: {"any": reverse("group_create")},
    "group_transfer": lambda w: {
        "own": reverse("group_transfer", args=["QH-01"]),
        "other": reverse("group_transfer", args=["VN-01"]),
    },
    "meeting_record": lambda w: {
        "own": reverse("meeting_record", args=["QH-01"]),
        "other": reverse("meeting_record", args=["VN-01"]),
    },
    "member_register": lambda w: {"any": reverse("member_register")},
    "member_detail": lambda w: {
        "own": reverse("member_detail", args=[w.an.national_id]),
        "other": reverse("member_detail", args=[w.cuc.national_id]),
        "direct": reverse("member_detail", args=[w.dung.national_id]),
    },
    "member_move": lambda w: {
        "own": reverse("member_move", args=[w.an.national_id]),
        "other": reverse("member_move", args=[w.cuc.national_id]),
    },
    "savings_post": lambda w: {
        "own": reverse("savings_post", args=[w.an.national_id]),
        "other": reverse("savings_post", args=[w.cuc.national_id]),
    },
    "loan_disburse": lambda w: {"any": reverse("loan_disburse")},
    **{name: _loan_urls(name) for name in ("loan_detail", "loan_post", "loan_extend", "loan_freeze", "loan_write_off")},
    "reversal_list": lambda w: {"any": reverse("reversal_list")},
    "reversal_request": lambda w: {
        "own": reverse("reversal_request") + f"?loan_txn={w.t_hnd.pk}",
        "other": reverse("reversal_request") + f"?loan_txn={w.t_hpn.pk}",
    },
    "reversal_decide": lambda w: {
        "own": reverse("reversal_decide", args=[w.r_hnd.pk]),
        "other": reverse("reversal_decide", args=[w.r_hpn.pk]),
    },
    "period_list": lambda w: {"any": reverse("period_list")},
    "workbook_import": lambda w: {"any": reverse("workbook_import")},
    "workbook_template_download": lambda w: {"any": reverse("workbook_template_download")},
    "transaction_day": lambda w: {"any": reverse("transaction_day")},
    "transaction_day_sheet": lambda w: {
        "own": reverse("transaction_day_sheet", args=["QH", DAY]),
        "other": reverse("transaction_day_sheet", args=["VN", DAY]),
    },
    "transaction_day_pdf": lambda w: {
        "own": reverse("transaction_day_pdf", args=["QH", DAY]),
        "other": reverse("transaction_day_pdf", args=["VN", DAY]),
    },
    # the report API: JSON, its own date parameter (tests/reporting/api checks its figures)
    "api_report": lambda w: {"any": reverse("api_report") + "?as_of=2020-03-31&period=2020Q1&by_group=1"},
    "api_series": lambda w: {"any": reverse("api_series") + "?from=2020-01&to=2020-03&by=commune"},
    "api_schema": lambda w: {"any": reverse("api_schema")},
    "api_docs": lambda w: {"any": reverse("api_docs")},
}
# Pages whose date is not the app's `?date=` (the API takes `as_of` and months).
OWN_DATES = {"api_report", "api_series", "api_schema", "api_docs"}

# What an HND officer must never see on any page: the HPN and direct borrowers' keys.
FOREIGN = ["Lê Thị Cúc", "044000000003", "HPN-2", "Trần Thị Bình", "HPN-1", "Phạm Văn Dũng", "TT-1", "VN-01"]
# Pages an officer may not open at all (they post, or are the managers' desk).
POSTING = {
    "group_create",
    "group_transfer",
    "meeting_record",
    "member_register",
    "member_move",
    "savings_post",
    "loan_disburse",
    "loan_post",
    "loan_extend",
    "loan_freeze",
    "loan_write_off",
    "reversal_request",
    "reversal_decide",
    "workbook_import",
    "workbook_template_download",
    "transaction_day_sheet",
    "transaction_day_pdf",
    "transaction_day",
    "reversal_list",
    "period_list",
}


COMMUNE_PAGES = {"commune_detail", "transaction_day_sheet", "transaction_day_pdf"}


def test_every_pattern_is_walked():
    missing = sorted(set(named_patterns()) - set(TARGETS) - PUBLIC)
    assert missing == [], f"add these URL names to TARGETS: {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "manager"])
def test_branch_staff_open_every_page(world, as_user, role):
    client = as_user(role)
    for name, build in TARGETS.items():
        for url in build(world).values():
            status = client.get(url).status_code
            expected = {200}
            if name == "workbook_import":
                expected = {200} if role == "manager" else {403}
            if name == "reversal_decide" and role == "staff":
                expected = {200, 403}
            assert status in expected, (role, name, url, status)


@pytest.mark.django_db
def test_an_officer_sees_only_their_association(world, as_user):
    client = as_user("officer_hnd")
    for name, build in TARGETS.items():
        urls = build(world)
        for variant, url in urls.items():
            response = client.get(url)
            status = response.status_code
            if variant == "other" and name in COMMUNE_PAGES:
                # a district officer opens any commune, and sees only their groups in it
                assert status == 200, (name, url, status)
            elif variant in ("other", "direct"):
                # another association's object, or a direct loan: it does not exist for them
                assert status in ({404} if name not in POSTING else {403, 404}), (name, url, status)
                continue
            elif name in POSTING and name not in ("transaction_day", "transaction_day_sheet", "transaction_day_pdf"):
                assert status in {403, 404}, (name, url, status)
                continue
            else:
                assert status in {200, 403}, (name, url, status)
            if status == 200 and response.get("Content-Type", "").startswith(("text/html", "application/json")):
                page = response.content.decode()
                for foreign in FOREIGN:
                    if name in COMMUNE_PAGES and foreign == "VN-01":
                        continue
                    assert foreign not in page, (name, url, foreign)


@pytest.mark.django_db
def test_a_commune_officer_sees_only_their_commune(world, as_user):
    client = as_user("commune_officer")  # Women's Union, Vạn Ninh
    assert client.get(reverse("commune_detail", args=["QH"])).status_code == 404
    assert client.get(reverse("group_detail", args=["QH-02"])).status_code == 404  # HPN, but Quán Hàu
    assert client.get(reverse("member_detail", args=[world.binh.national_id])).status_code == 404
    assert client.get(reverse("loan_detail", args=["HPN-1"])).status_code == 404
    assert client.get(reverse("group_detail", args=["VN-01"])).status_code == 200
    assert client.get(reverse("loan_detail", args=["HPN-2"])).status_code == 200
    page = client.get(reverse("home")).content.decode()
    assert "Quán Hàu" not in page or "QH-02" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["officer_hnd", "officer_hpn", "commune_officer"])
def test_officers_can_post_nothing_anywhere(world, as_user, role):
    client = as_user(role)
    before = row_counts()
    junk = {
        "amount": "1.000.000",
        "value_date": "20/03/2020",
        "kind": "principal",
        "reason": "x",
        "national_id": "044000000099",
        "full_name": "X",
        "code": "X-1",
        "name": "X",
        "decision": "approve",
        "action": "approve",
        "loan_no": "NEW-1",
        "program": "01",
        "disbursed_on": "20/03/2020",
    }
    for name, build in TARGETS.items():
        for url in build(world).values():
            status = client.post(url, junk).status_code
            # the transaction-day chooser only navigates; everything else refuses outright
            allowed = {200, 302, 403, 404, 405} if name == "transaction_day" else {403, 404, 405}
            assert status in allowed, (role, name, url, status)
    assert row_counts() == before
    assert LoanTransaction.objects.filter(reverses__isnull=False).count() == 0
    assert ReversalRequest.objects.filter(status="pending").count() == 2


# -- looking back across a handover ------------------------------------------------------------------
@pytest.fixture
def handed_over(world, staff, hnd):
    """QH-02 (Bình, loan HPN-1) passes from HPN to HND on 01/07/2020."""
    from groups.services import group_transfer

    group_transfer(group=world.g2, association=hnd, effective_on=date(2020, 7, 1), acting_user=staff)
    return world


READING = [name for name in TARGETS if name not in POSTING]
# (officer, day) → keys that must never appear on any page they open at that day
HANDOVER_FOREIGN = {
    ("officer_hnd", "30/06/2020"): ["Trần Thị Bình", "HPN-1", "QH-02", "Lê Thị Cúc", "HPN-2"],
    ("officer_hnd", "31/12/2020"): ["Lê Thị Cúc", "HPN-2", "Phạm Văn Dũng", "TT-1"],
    ("officer_hpn", "30/06/2020"): ["Nguyễn Văn An", "HND-1", "Phạm Văn Dũng", "TT-1"],
    ("officer_hpn", "31/12/2020"): ["Trần Thị Bình", "HPN-1", "QH-02", "Nguyễn Văn An", "HND-1"],
    ("commune_officer", "30/06/2020"): ["Trần Thị Bình", "HPN-1", "QH-02", "Nguyễn Văn An", "HND-1"],
    ("commune_officer", "31/12/2020"): ["Trần Thị Bình", "HPN-1", "QH-02", "Nguyễn Văn An", "HND-1"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("role,day", sorted(HANDOVER_FOREIGN))
def test_every_page_looked_back_across_a_handover(handed_over, as_user, role, day):
    client = as_user(role)
    iso = "-".join(reversed(day.split("/")))
    urls = [url for name in READING if name not in OWN_DATES for url in TARGETS[name](handed_over).values()]
    urls += [
        reverse("api_report") + f"?as_of={iso}&by_group=1",
        reverse("api_series") + f"?from={iso[:7]}&to={iso[:7]}&by=commune",
    ]
    urls += [
        reverse("group_detail", args=["QH-02"]),
        reverse("member_detail", args=[handed_over.binh.national_id]),
        reverse("loan_detail", args=["HPN-1"]),
        reverse("search") + "?q=HPN",
        reverse("search") + "?q=Bình",
    ]
    for url in urls:
        joined = "&" if "?" in url else "?"
        response = client.get(url if url.startswith("/api/") else f"{url}{joined}date={day}")
        assert response.status_code in (200, 302, 404), (role, day, url, response.status_code)
        if response.status_code == 200:
            page = response.content.decode()
            for foreign in HANDOVER_FOREIGN[(role, day)]:
                assert foreign not in page, (role, day, url, foreign)
