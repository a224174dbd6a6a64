"""Every URL pattern, walked as every role: officers see their own association and
nothing else, whatever URL they type, and can post nothing anywhere but their own
association's outreach (group meetings, trainings, news items, commune broadcasts).

A new URL pattern fails `test_every_pattern_is_walked` until it is added to `TARGETS`.
"""

from datetime import date
from io import BytesIO

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from emulation.models import EmulationTarget
from groups.services import meeting_record, news_item_record, training_record
from lending.models import LoanTransaction, ReversalRequest
from tests.support.book import row_counts

SKIPPED_PREFIXES = ("admin/",)  # the admin has its own permission tests
PUBLIC = {"login", "logout", "healthz"}  # healthz: "ok" or 503, nothing of the book
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


def _outreach(w):
    """The walk's outreach rows, made once per book: HND's in Quán Hàu ("own") and HPN's in
    Vạn Ninh ("other"). Made here, when a page first needs them, so that every module that
    walks `TARGETS` with the shared `world` has them; this module's `world` makes them first."""
    if not hasattr(w, "outreach"):
        hnd, hpn = w.g1.assignments.get().association, w.g3.assignments.get().association
        by = {"acting_user": None}
        w.outreach = {
            "meeting_own": meeting_record(group=w.g1, held_on=date(2020, 3, 16), attendees=18, **by),
            "meeting_other": meeting_record(group=w.g3, held_on=date(2020, 3, 23), attendees=12, **by),
            "training_own": training_record(
                held_on=date(2020, 3, 5),
                audience="Tổ trưởng Nông dân Quán Hàu",
                trainees=30,
                planned=35,
                association=hnd,
                commune=w.quan_hau,
                **by,
            ),
            "training_other": training_record(
                held_on=date(2020, 3, 6),
                audience="Tổ trưởng Phụ nữ Vạn Ninh",
                trainees=25,
                planned=25,
                association=hpn,
                commune=w.van_ninh,
                **by,
            ),
            "news_own": news_item_record(
                published_on=date(2020, 3, 9),
                association=hnd,
                channel="district_portal",
                title="Tin Nông dân Quán Hàu",
                **by,
            ),
            "news_other": news_item_record(
                published_on=date(2020, 3, 10),
                association=hpn,
                commune=w.van_ninh,
                channel="newspaper",
                title="Tin Phụ nữ Vạn Ninh",
                **by,
            ),
            "broadcast_own": news_item_record(
                published_on=date(2020, 3, 11),
                association=hnd,
                commune=w.quan_hau,
                channel="commune_loudspeaker",
                title="Phát thanh Nông dân Quán Hàu",
                **by,
            ),
            "broadcast_other": news_item_record(
                published_on=date(2020, 3, 12),
                association=hpn,
                commune=w.van_ninh,
                channel="commune_loudspeaker",
                title="Phát thanh Phụ nữ Vạn Ninh",
                **by,
            ),
        }
    return w.outreach


@pytest.fixture
def world(world):
    _outreach(world)
    return world


def _outreach_urls(name, kind, *group_codes):
    """{"own": the HND row's page, "other": the HPN row's} (a meeting's under its group)."""

    def build(w):
        rows = _outreach(w)
        return {
            variant: reverse(name, args=[*group_codes[i : i + 1], rows[f"{kind}_{variant}"].pk])
            for i, variant in enumerate(("own", "other"))
        }

    return build


def _import_job(w):
    """A workbook upload refused for its content, as the import page keeps it."""
    from django.contrib.auth import get_user_model

    from lending.models import WorkbookImport

    job, _ = WorkbookImport.objects.get_or_create(
        file_name="so.xlsx",
        defaults={
            "content": b"",
            "size": 0,
            "sha256": "0" * 64,
            "uploaded_by": get_user_model().objects.order_by("pk").first(),
            "status": "refused",
            "message": "Không đọc được tệp so.xlsx: phải là tệp Excel .xlsx.",
        },
    )
    return job


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
    "commune_transaction_day": lambda w: {
        "own": reverse("commune_transaction_day", args=["QH"]),
        "other": reverse("commune_transaction_day", args=["VN"]),
    },
    "group_transfer": lambda w: {
        "own": reverse("group_transfer", args=["QH-01"]),
        "other": reverse("group_transfer", args=["VN-01"]),
    },
    "meeting_record": lambda w: {
        "own": reverse("meeting_record", args=["QH-01"]),
        "other": reverse("meeting_record", args=["VN-01"]),
    },
    # outreach: group meetings, trainings, news items, commune broadcasts
    "meeting_overview": lambda w: {"any": reverse("meeting_overview") + "?month=03/2020"},
    "group_meetings": lambda w: {
        "own": reverse("group_meetings", args=["QH-01"]),
        "other": reverse("group_meetings", args=["VN-01"]),
    },
    "meeting_timing": lambda w: {
        "own": reverse("meeting_timing", args=["QH-01"]) + "?held_on=16/03/2020",
        "other": reverse("meeting_timing", args=["VN-01"]) + "?held_on=23/03/2020",
    },
    "meeting_update": _outreach_urls("meeting_update", "meeting", "QH-01", "VN-01"),
    "training_list": lambda w: {"any": reverse("training_list") + "?year=2020"},
    "training_record": lambda w: {"any": reverse("training_record")},
    "training_update": _outreach_urls("training_update", "training"),
    "news_item_list": lambda w: {"any": reverse("news_item_list") + "?year=2020"},
    "news_item_record": lambda w: {"any": reverse("news_item_record")},
    "news_item_update": _outreach_urls("news_item_update", "news"),
    "broadcast_list": lambda w: {"any": reverse("broadcast_list") + "?year=2020"},
    "broadcast_record": lambda w: {"any": reverse("broadcast_record")},
    "broadcast_update": _outreach_urls("broadcast_update", "broadcast"),
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
    "audit_trail": lambda w: {"any": reverse("audit_trail") + "?object_type=lending.LoanTransaction"},
    # the managers' emulation desk: the year's targets and the grading rules
    "target_list": lambda w: {"any": reverse("target_list")},
    "target_year": lambda w: {"any": reverse("target_year", args=[2020])},
    "target_copy_year": lambda w: {"any": reverse("target_copy_year", args=[2020])},
    "target_edit": lambda w: {
        "any": reverse("target_edit", args=[EmulationTarget.objects.get(year=2020, code="T3").pk])
    },
    "grading_rules": lambda w: {"any": reverse("grading_rules")},
    "grading_rules_new": lambda w: {"any": reverse("grading_rules_new") + "?kind=group"},
    "workbook_import": lambda w: {"any": reverse("workbook_import")},
    "workbook_import_job": lambda w: {"any": reverse("workbook_import_job", args=[_import_job(w).pk])},
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
    # the scorecard (tests/emulation checks its figures and what is behind its cells)
    "scorecard": lambda w: {"any": reverse("scorecard") + "?year=2020"},
    "scorecard_unit": lambda w: {
        "own": reverse("scorecard_unit", args=["HND"]) + "?year=2020",
        "other": reverse("scorecard_unit", args=["HPN"]) + "?year=2020",
    },
    "scorecard_cell": lambda w: {
        "own": reverse("scorecard_cell", args=["QH-HND", "T2", "2020-03"]),
        "other": reverse("scorecard_cell", args=["QH-HPN", "T2", "2020-03"]),
    },
    # the dashboards (tests/dashboards checks their figures, charts and follow-up lists)
    "dashboard": lambda w: {"any": reverse("dashboard")},
    "dashboard_unit": lambda w: {
        "own": reverse("dashboard_unit", args=["HND"]),
        "other": reverse("dashboard_unit", args=["HPN"]),
    },
    "dashboard_follow_up": lambda w: {
        "own": reverse("dashboard_follow_up", args=["QH-HND"]),
        "other": reverse("dashboard_follow_up", args=["VN-HPN"]),
    },
    "dashboard_follow_up_xlsx": lambda w: {
        "own": reverse("dashboard_follow_up_xlsx", args=["HND"]),
        "other": reverse("dashboard_follow_up_xlsx", args=["district"]),
    },
    # the quarterly reports (tests/reports checks their figures and issue)
    "report_list": lambda w: {"any": reverse("report_list")},
    "report_issue": lambda w: {"any": reverse("report_issue", args=["2020Q1"])},
    "report_download": lambda w: {
        "own": reverse("report_download", args=["2020Q1", "HND", "xlsx"]),
        "other": reverse("report_download", args=["2020Q1", "HPN", "xlsx"]),
        "direct": reverse("report_download", args=["2020Q1", "office", "pdf"]),
    },
}
# Pages whose date is not the app's `?date=` (the API takes `as_of` and months; the
# scorecard, a year and its periods: tests/emulation/test_scorecard_pages.py looks back;
# a quarterly report, its quarter's last day: what the association held then).
OWN_DATES = {
    "api_report",
    "api_series",
    "api_schema",
    "api_docs",
    "scorecard",
    "scorecard_unit",
    "scorecard_cell",
    "report_list",
    "report_download",
}

# What an HND officer must never see on any page: the HPN and direct borrowers' keys.
FOREIGN = [
    "Lê Thị Cúc",
    "044000000003",
    "HPN-2",
    "Trần Thị Bình",
    "HPN-1",
    "Phạm Văn Dũng",
    "TT-1",
    "VN-01",
    "Phụ nữ Vạn Ninh",  # HPN's training, news item and broadcast
]
# The managers' emulation desk: staff and officers are refused it.
EMULATION_DESK = {"target_list", "target_year", "target_copy_year", "target_edit", "grading_rules", "grading_rules_new"}
# Pages for managers alone: the emulation desk and the audit trail.
MANAGER_DESK = EMULATION_DESK | {"audit_trail"}
# Pages an officer may not open at all (they post, or are the managers' desk).
POSTING = {
    "commune_transaction_day",
    "group_create",
    "group_transfer",
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
    "workbook_import_job",
    "workbook_template_download",
    "transaction_day_sheet",
    "transaction_day_pdf",
    "transaction_day",
    "reversal_list",
    "period_list",
    *MANAGER_DESK,
    "report_issue",
}


# The one exception: an officer posts their own association's outreach (their commune's, at
# commune level), on the "any" forms and on the rows that are theirs, and nothing else.
OUTREACH = {
    "meeting_record",
    "meeting_update",
    "training_record",
    "training_update",
    "news_item_record",
    "news_item_update",
    "broadcast_record",
    "broadcast_update",
}
# Whose outreach rows each officer's are: HND's ("own"), or HPN's in Vạn Ninh ("other").
OWN_VARIANT = {"officer_hnd": "own", "officer_hpn": "other", "commune_officer": "other"}

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
            if name in ("workbook_import", "workbook_import_job") or name in MANAGER_DESK:
                expected = {200} if role == "manager" else {403}
            if name == "reversal_decide" and role == "staff":
                expected = {200, 403}
            if name == "report_download" and role == "staff" and "/office." not in url:
                expected = {404}  # staff get the office's report alone
            if name == "report_issue":  # managers only, and only a closed quarter's
                expected = {404} if role == "manager" else {403}
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
            if status == 200 and response.get("Content-Type", "").startswith(("text/html", "application/json", XLSX)):
                page = readable(response)
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
def test_officers_can_post_nothing_but_their_outreach(world, as_user, role):
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
        for variant, url in build(world).items():
            status = client.post(url, junk).status_code
            if name in OUTREACH and variant in ("any", OWN_VARIANT[role]):
                # their own outreach form: the junk is refused on the form's fields
                allowed = {200}
            elif name == "transaction_day":
                # the transaction-day chooser only navigates; everything else refuses outright
                allowed = {200, 302, 403, 404, 405}
            else:
                allowed = {403, 404, 405}
            assert status in allowed, (role, name, url, status)
    assert row_counts() == before
    assert LoanTransaction.objects.filter(reverses__isnull=False).count() == 0
    assert ReversalRequest.objects.filter(status="pending").count() == 2


def _outreach_data(name: str, w, role: str) -> dict:
    """Valid data for an outreach form, for the officer's own association and commune."""
    own = _outreach(w)[f"training_{OWN_VARIANT[role]}"]
    unit = {"association": own.association_id, "commune": own.commune_id}
    if name.startswith("meeting"):
        day = "15/03/2020" if name == "meeting_record" else "24/03/2020"
        return {"held_on": day, "attendees": "20", "notes": "Bình xét cho vay"}
    if name.startswith("training"):
        return unit | {"held_on": "01/04/2020", "audience": "Ban quản lý tổ", "trainees": "20", "planned": "25"}
    if name.startswith("news_item"):
        return unit | {"published_on": "02/04/2020", "channel": "tv", "title": "Tin vốn vay"}
    return unit | {"published_on": "03/04/2020", "title": "Phát thanh vốn vay"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["officer_hnd", "officer_hpn", "commune_officer"])
def test_officers_post_their_own_outreach_and_no_one_elses(world, as_user, role):
    client = as_user(role)
    before = row_counts()
    for name in sorted(OUTREACH):
        for variant, url in TARGETS[name](world).items():
            if variant not in ("any", OWN_VARIANT[role]):
                continue
            response = client.post(url, _outreach_data(name, world, role))
            assert response.status_code == 302, (role, name, url, response.status_code)
    written = {label: n - before[label] for label, n in row_counts().items() if n != before[label]}
    # a meeting, a training, a news item and a broadcast recorded, four rows corrected, each audited
    assert written == {
        "groups.GroupMeeting": 1,
        "groups.Training": 1,
        "groups.NewsItem": 2,
        "vbsp_district.AuditEvent": 8,
    }
    before = row_counts()
    others = [(n, v, u) for n in sorted(OUTREACH) for v, u in TARGETS[n](world).items() if v == "other" or v == "own"]
    for name, variant, url in others:
        if variant == OWN_VARIANT[role]:
            continue
        response = client.post(url, _outreach_data(name, world, role))
        assert response.status_code in (403, 404), (role, name, url, response.status_code)
    assert row_counts() == before


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
    ("officer_hpn", "30/06/2020"): ["Nguyễn Văn An", "HND-1", "Phạm Văn Dũng", "TT-1", "Nông dân Quán Hàu"],
    ("officer_hpn", "31/12/2020"): ["Trần Thị Bình", "HPN-1", "QH-02", "Nguyễn Văn An", "HND-1", "Nông dân Quán Hàu"],
    ("commune_officer", "30/06/2020"): [
        "Trần Thị Bình",
        "HPN-1",
        "QH-02",
        "Nguyễn Văn An",
        "HND-1",
        "Nông dân Quán Hàu",
    ],
    ("commune_officer", "31/12/2020"): [
        "Trần Thị Bình",
        "HPN-1",
        "QH-02",
        "Nguyễn Văn An",
        "HND-1",
        "Nông dân Quán Hàu",
    ],
}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def readable(response) -> str:
    """A page's text, or every cell of a workbook it downloads."""
    if response["Content-Type"].startswith(XLSX):
        workbook = load_workbook(BytesIO(response.content), read_only=True)
        return "\n".join(str(v) for ws in workbook for row in ws.iter_rows(values_only=True) for v in row if v)
    return response.content.decode()


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
            page = readable(response)
            for foreign in HANDOVER_FOREIGN[(role, day)]:
                assert foreign not in page, (role, day, url, foreign)
