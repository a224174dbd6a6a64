"""The stored figures of ended periods (reporting/store.py) on the page tests' book.

Every stored period answers exactly what the live statement answers; a write dated on or
before a period's end brings that period's rows of the keys it touches up to date in the
same transaction (one outside a book write marks it stale: computed live again); the
check command finds a stored row that differs from the ledger."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from groups.services import group_transfer, member_move
from lending.models import LoanTransaction
from lending.services import repayment_post
from reporting import store
from reporting.indicators import district_figures, figure_sets
from reporting.models import PeriodCube, PeriodTotal, StoredPeriod
from reporting.periods import Period

pytestmark = pytest.mark.django_db

CASES = [
    (date(2020, 1, 31), None),
    (date(2020, 2, 29), "2020-02"),
    (date(2020, 3, 31), "2020Q1"),
    (date(2020, 12, 31), "2020"),
    (date(2021, 6, 30), "2021Q2"),
]
DIMS = [(), ("association",), ("commune",), ("program",), ("group",), ("association", "commune", "group", "program")]


def live(as_of, period):
    StoredPeriod.objects.update(stale=True)
    try:
        return district_figures(as_of, period, by_group=True), figure_sets(DIMS, as_of, period)
    finally:
        StoredPeriod.objects.update(stale=False)


def test_every_stored_period_answers_what_the_ledger_answers(book):
    expected = {case: live(*case) for case in CASES}
    built = store.build_all()
    labels = [p.label for p in built]
    assert labels[:4] == ["2020-01", "2020-02", "2020-03", "2020Q1"]
    assert "2020" in labels and labels[-2] == store.ended_periods()[-1].label
    assert labels[-1] == store.day_label(timezone.localdate())
    for as_of, period in CASES:
        with CaptureQueriesContext(connection) as queries:
            got = district_figures(as_of, period, by_group=True), figure_sets(DIMS, as_of, period)
        assert got == expected[(as_of, period)], (as_of, period)
        assert any("reporting_periodcube" in q["sql"] for q in queries.captured_queries)
        assert not any("lending_loantransaction" in q["sql"] for q in queries.captured_queries)
        assert not [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]
    out = StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("rebuild_figures", "--check", stdout=out)
    assert out.getvalue().endswith(f"{len(store.ended_periods())} kỳ, 0 khác biệt.\n")
    # the check reads: it computes each period as the store would hold it, and compares
    assert not [
        q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_a_period_cut_short_is_never_answered_by_the_whole_one_stored(book):
    """The year so far at 31/03/2020 keeps the label '2020' (`Period.so_far`): the stored
    year (all of 2020's flows) must not answer it."""
    cut = [(date(2020, 3, 31), Period.year(2020).so_far(date(2020, 3, 31))), (date(2020, 3, 20), Period.month(2020, 3))]
    expected = {case: live(*case) for case in cut}
    store.build_all()
    for as_of, period in cut:
        assert (district_figures(as_of, period, by_group=True), figure_sets(DIMS, as_of, period)) == expected[
            (as_of, period)
        ], period
    whole = district_figures(date(2020, 12, 31), "2020")["period"]
    assert expected[cut[0]][0]["period"]["interest_billed"] < whole["interest_billed"]


def _row_ids(label: str, **keys) -> set[int]:
    return set(PeriodCube.objects.filter(period__label=label, **keys).values_list("pk", flat=True))


def test_a_write_in_the_past_brings_the_periods_after_it_up_to_date(book, staff):
    store.build_all()
    before = district_figures(date(2020, 3, 31), "2020Q1")
    untouched = _row_ids("2020Q1", group_id=book.g2.pk)
    touched = _row_ids("2020Q1", group_id=book.g1.pk)
    january = _row_ids("2020-01")
    with CaptureQueriesContext(connection) as queries:
        repayment_post(loan=book.hnd1, amount=1_000_000, value_date=date(2020, 2, 20), acting_user=staff)
    assert not StoredPeriod.objects.filter(stale=True).exists()
    assert store.differences() == []
    # the stored periods answer at once, and differ from before by the repayment alone
    report = district_figures(date(2020, 3, 31), "2020Q1")
    assert report["period"]["principal_repaid"] == before["period"]["principal_repaid"] + 1_000_000
    assert report["portfolio"]["outstanding"] == before["portfolio"]["outstanding"] - 1_000_000 == 65_000_000
    # only the rows of the touched group were computed again, and nothing before February
    assert _row_ids("2020Q1", group_id=book.g2.pk) == untouched
    assert not _row_ids("2020Q1", group_id=book.g1.pk) & touched
    assert _row_ids("2020-01") == january
    # within the write: statements over the touched keys only, one per period changed
    changed = StoredPeriod.objects.filter(end__gte=date(2020, 2, 20)).count()
    inserts = [q for q in queries.captured_queries if "INSERT INTO reporting_periodcube" in q["sql"]]
    assert 0 < len(inserts) <= changed


def test_organization_changes_bring_the_periods_up_to_date(book, staff, hpn):
    store.build_all()
    # Cúc (HPN-2 outstanding) moves to Quán Hàu, billed on its day 20 instead of 28
    member_move(member=book.cuc, group=book.g2, moved_on=date(2021, 3, 15), acting_user=staff)
    group_transfer(group=book.g1, association=hpn, effective_on=date(2022, 1, 1), acting_user=staff)
    assert store.differences() == []
    by_association = figure_sets([("association",)], date(2022, 1, 31), "2022-01")[0]
    assert (
        by_association[hpn.pk].outstanding == figure_sets([("association",)], date(2022, 1, 31))[0][hpn.pk].outstanding
    )


def test_a_save_outside_a_book_write_marks_the_periods_stale(book, staff):
    """The admin or a shell saves rows without the services: those periods are then
    computed live, until `rebuild_figures --stale`."""
    store.build_all()
    LoanTransaction.objects.create(
        loan=book.hnd1, kind=LoanTransaction.Kind.PRINCIPAL, value_date=date(2020, 2, 20), amount=1_000_000
    )
    stale = set(StoredPeriod.objects.filter(stale=True).values_list("label", flat=True))
    assert "2020-01" not in stale
    assert {"2020-02", "2020-03", "2020Q1", "2020", "2021Q2"} <= stale
    report = district_figures(date(2020, 3, 31), "2020Q1")
    assert report["portfolio"]["outstanding"] == 65_000_000
    call_command("rebuild_figures", "--stale", stdout=StringIO())
    assert not StoredPeriod.objects.filter(stale=True).exists()
    assert district_figures(date(2020, 3, 31), "2020Q1") == report


@pytest.mark.parametrize("model", [PeriodCube, PeriodTotal])
def test_the_check_finds_a_stored_row_that_differs(book, model):
    store.build_all()
    row = model.objects.filter(period__label="2020Q1", outstanding__gt=0).first()
    model.objects.filter(pk=row.pk).update(outstanding=row.outstanding + 1)
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("rebuild_figures", "--check", stdout=out)
    assert exit_.value.code == 1
    assert "2020Q1: khác số liệu tính từ sổ" in out.getvalue()
    call_command("rebuild_figures", stdout=StringIO())
    call_command("rebuild_figures", "--check", stdout=StringIO())


def test_the_api_reads_the_store_and_equals_the_command(book, as_user):
    store.build_all()
    out = StringIO()
    call_command("district_report", "--period", "2020Q1", "--by-group", "--format", "json", stdout=out)
    response = as_user("manager").get("/api/v1/report?period=2020Q1&by_group=1")
    assert response.json() == json.loads(out.getvalue())
    assert Period.parse("2020Q1").end == date(2020, 3, 31)


@pytest.mark.parametrize("role", ["officer_hpn", "commune_officer"])
def test_an_officers_report_from_the_store_equals_the_live_one(book, as_user, role):
    url = "/api/v1/report?period=2020Q1&by_group=1"
    client = as_user(role)
    live_report = client.get(url).json()
    store.build_all()
    with CaptureQueriesContext(connection) as queries:
        stored_report = client.get(url).json()
    assert any("reporting_periodcube" in q["sql"] for q in queries.captured_queries)
    assert stored_report == live_report


@pytest.mark.parametrize("role", ["manager", "officer_hpn", "commune_officer"])
@pytest.mark.parametrize("by", ["association", "commune", "program"])
def test_a_series_from_the_store_equals_the_live_one_in_one_statement(book, as_user, role, by):
    url = f"/api/v1/series?from=2020-01&to=2021-06&by={by}"
    client = as_user(role)
    live_series = client.get(url).json()
    store.build_all()
    with CaptureQueriesContext(connection) as queries:
        stored_series = client.get(url).json()
    assert stored_series == live_series
    # the months are read in one statement, from the totals summed over groups
    assert sum("reporting_periodtotal" in q["sql"] for q in queries.captured_queries) == 1
    assert not any("reporting_periodcube" in q["sql"] for q in queries.captured_queries)


def test_todays_figures_are_stored_and_kept_true_by_each_write(book, staff):
    """Today's stock figures are a stored period of their own (kind `day`): the pages at
    today read them, and a posting dated today brings them up to date in its write."""
    today = timezone.localdate()
    live_report = district_figures(today, by_group=True)
    built = store.build_all()
    assert built[-1].kind == StoredPeriod.Kind.DAY and built[-1].label == today.strftime("%Y%m%d")
    with CaptureQueriesContext(connection) as queries:
        assert district_figures(today, by_group=True) == live_report
    assert any("reporting_periodcube" in q["sql"] for q in queries.captured_queries)
    assert not any("lending_loantransaction" in q["sql"] for q in queries.captured_queries)
    outstanding = live_report["portfolio"]["outstanding"]
    repayment_post(loan=book.hnd1, amount=1_000_000, value_date=today, acting_user=staff)
    assert district_figures(today)["portfolio"]["outstanding"] == outstanding - 1_000_000
    assert store.differences() == []
    # tomorrow, yesterday's figures are not today's: computed live until rebuilt
    assert store.stored_period(None, today + timedelta(days=1)) is None
