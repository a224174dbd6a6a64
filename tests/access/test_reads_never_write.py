"""Reads never write: no page opened with GET and no report command issues an INSERT, an
UPDATE, a DELETE or a row lock, as any role, at any date, even when the stored interest
bills (a cache) stop short of the day shown."""

import re
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.models import Loan
from tests.support.marks import postgres_only

from .test_url_walk import OWN_DATES, PUBLIC, TARGETS, named_patterns

pytestmark = pytest.mark.django_db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE)\b|\bFOR (NO KEY )?UPDATE\b|\bFOR SHARE\b", re.I)
ROLES = ["staff", "manager", "officer_hnd", "officer_hpn", "commune_officer"]
DAYS = ["", "31/03/2020", "31/12/2019", "31/12/2030"]


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if WRITE.search(q["sql"])]


@pytest.fixture
def stale_world(world):
    """The walk's book with every loan's stored bills ending on 31/01/2020, as if the
    nightly rebuild had not run since: pages must compute what they need, not store it."""
    Loan.objects.update(bills_through=date(2020, 1, 31))
    return world


def test_every_pattern_is_read_here():
    assert set(TARGETS) >= set(named_patterns()) - PUBLIC


# The walk of every page runs on PostgreSQL alone: there a read that locks a row shows
# (`SELECT … FOR UPDATE`; SQLite compiles the lock away), and it is the slowest test of
# the suite (every page, at four dates, as five roles).
@postgres_only
@pytest.mark.parametrize("role", ROLES)
def test_no_page_writes_on_a_read(stale_world, as_user, role):
    client = as_user(role)
    client.get("/")  # the session is loaded and stamped once, as after signing in
    for name, build in TARGETS.items():
        for url in build(stale_world).values():
            for day in [""] if name in OWN_DATES else DAYS:
                target = f"{url}{'&' if '?' in url else '?'}date={day}" if day else url
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(target)
                assert response.status_code in (200, 302, 403, 404), (role, target, response.status_code)
                assert writes(queries) == [], (role, target)


@pytest.mark.parametrize(
    "command,args",
    [
        ("district_report", ["--as-of", "2020-03-31", "--period", "2020Q1", "--by-group", "--format", "json"]),
        ("district_report", ["--as-of", "2030-12-31", "--format", "text"]),
        ("rebuild_interest", ["--check"]),
        ("rebuild_figures", ["--check"]),
    ],
)
def test_no_report_command_writes(stale_world, command, args):
    with CaptureQueriesContext(connection) as queries:
        try:
            call_command(command, *args, stdout=StringIO(), stderr=StringIO())
        except SystemExit:
            pass  # --check exits 1 when the cache is stale: it says so, it does not mend it
    assert writes(queries) == []


def test_exporting_the_workbook_writes_nothing(stale_world, tmp_path):
    with CaptureQueriesContext(connection) as queries:
        call_command("export_workbook", str(tmp_path / "so.xlsx"), stdout=StringIO())
    assert writes(queries) == []
