"""Every role's dashboard on the emulation book (tests/emulation/conftest.py) at 31/03/2020:
its figures by hand, and equal to the report API and `district_figures` for the same scope
and date; who may open which unit.

By hand (tests/support/fixtures.py's table) at 31/03/2020: HND-1 12.000.000 (An, QH-01,
HND), HPN-1 6.000.000 all overdue since 21/03 (Bình, QH-02, HPN), HPN-2 18.000.000 (Cúc,
VN-01, HPN), TT-1 30.000.000 direct (Dũng). Interest arrears 63.800, 77.000, 95.700,
159.500. Savings An 500.000, Bình 200.000.
"""

import re
from datetime import date

import pytest
from django.urls import reverse

from groups.models import Association, Commune
from reporting.indicators import district_figures
from reporting.periods import Period

pytestmark = pytest.mark.django_db

MARCH = "?month=2020-03"


def headline(page: str) -> dict[str, str]:
    """The dashboard's headline figures as written: {data-figure name: text}."""
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', page))


def dashboard(client, unit: str | None = None, query: str = MARCH, status: int = 200) -> str:
    url = reverse("dashboard") if unit is None else reverse("dashboard_unit", args=[unit])
    response = client.get(url + query)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode() if status == 200 else ""


def vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def pct(ratio) -> str:
    return "—" if ratio is None else f"{ratio * 100:.2f}".replace(".", ",") + " %"


BY_HAND = {
    # role: (unit, outstanding, overdue, overdue ratio, interest arrears, savings, groups with savings / groups)
    "manager": ("district", 66_000_000, 6_000_000, "9,09 %", 396_000, 700_000, ("2", "3")),
    "staff": ("district", 66_000_000, 6_000_000, "9,09 %", 396_000, 700_000, ("2", "3")),
    "officer_hnd": ("HND", 12_000_000, 0, "0,00 %", 63_800, 500_000, ("1", "1")),
    "officer_hpn": ("HPN", 24_000_000, 6_000_000, "25,00 %", 172_700, 200_000, ("1", "2")),
    "commune_officer": ("VN-HPN", 18_000_000, 0, "0,00 %", 95_700, 0, ("0", "1")),
}


@pytest.mark.parametrize("role", sorted(BY_HAND))
def test_each_role_sees_its_own_figures_by_hand(card_book, as_user, role):
    _unit, outstanding, overdue, ratio, arrears, savings, (saving, groups) = BY_HAND[role]
    shown = headline(dashboard(as_user(role)))
    assert shown["outstanding"] == vnd(outstanding)
    assert shown["overdue"] == vnd(overdue)
    assert shown["overdue_ratio"] == ratio
    assert shown["interest_arrears"] == vnd(arrears)
    assert shown["savings_balance"] == vnd(savings)
    assert (shown["groups_with_savings"], shown["groups"]) == (saving, groups)
    # the loans were disbursed in January 2020: the year started with nothing
    assert shown["change_since_year_start"] == "+" + vnd(outstanding)


def _scope_of(role: str) -> dict:
    unit = BY_HAND[role][0]
    if unit == "district":
        return {}
    commune_code, _, association_code = unit.rpartition("-")
    scope = {"association_id": Association.objects.get(code=association_code).pk}
    if commune_code:
        scope["commune_id"] = Commune.objects.get(code=commune_code).pk
    return scope


@pytest.mark.parametrize("role", sorted(BY_HAND))
def test_the_dashboard_equals_the_api_and_the_report(card_book, as_user, role):
    client = as_user(role)
    shown = headline(dashboard(client))
    month = client.get(reverse("api_report") + "?as_of=2020-03-31&period=2020-03").json()
    quarter = client.get(reverse("api_report") + "?as_of=2020-03-31&period=2020Q1").json()
    portfolio = month["portfolio"]
    outstanding = portfolio["outstanding"] if not _scope_of(role) else portfolio["entrusted_outstanding"]
    assert shown["outstanding"] == vnd(outstanding)
    assert shown["overdue"] == vnd(portfolio["overdue"])
    assert shown["overdue_ratio"] == pct(portfolio["overdue_ratio"])
    assert shown["interest_arrears"] == vnd(portfolio["interest_arrears"])
    assert shown["savings_balance"] == vnd(portfolio["savings_balance"])
    assert shown["groups_with_savings"] == str(portfolio["groups_with_savings"])
    assert shown["interest_rate_month"] == pct(month["period"]["interest_collection_rate"])
    assert shown["interest_rate_quarter"] == pct(quarter["period"]["interest_collection_rate"])
    # the year so far (01/01–31/03): the report's figures over the same days and scope
    so_far = Period.year(2020).so_far(date(2020, 3, 31))
    year = district_figures(date(2020, 3, 31), so_far, **_scope_of(role))["period"]
    assert shown["interest_rate_year"] == pct(year["interest_collection_rate"])
    assert shown["arrears_recovery_year"] == pct(year["arrears_recovery_rate"])
    assert month["period"]["interest_billed"] > 0  # the rates compared are figures, not "—"


def test_the_office_side_by_side_equals_the_report_by_association(card_book, as_user):
    page = dashboard(as_user("manager"))
    report = as_user("manager").get(reverse("api_report") + "?as_of=2020-03-31&period=2020-03").json()
    table = page[page.index('id="associations"') : page.index('id="trends"')]
    first_row = re.search(r"<th scope=\"row\" class=\"fw-normal\">Dư nợ</th>(.*?)</tr>", table).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', first_row)
    by_association = {row["code"]: row["outstanding"] for row in report["by_association"]}
    direct = report["portfolio"]["direct_outstanding"]
    expected = [by_association[code] for code in ("HND", "HPN", "CCB", "DTN")] + [direct, 66_000_000]
    assert cells == [vnd(amount) for amount in expected]
    assert cells == ["12.000.000", "24.000.000", "0", "0", "30.000.000", "66.000.000"]


def test_the_breakdowns(card_book, as_user):
    hpn = dashboard(as_user("officer_hpn"))
    breakdown = hpn[hpn.index('id="breakdown"') : hpn.index('id="targets"')]
    assert "Quán Hàu" in breakdown and "Vạn Ninh" in breakdown
    assert reverse("dashboard_unit", args=["QH-HPN"]) in breakdown  # a commune opens its association there
    commune = dashboard(as_user("commune_officer"))
    breakdown = commune[commune.index('id="breakdown"') : commune.index('id="targets"')]
    assert "VN-01" in breakdown and "18.000.000" in breakdown and "QH-02" not in breakdown


def test_who_opens_which_dashboard(card_book, as_user):
    for unit in ("district", "HND", "HPN", "QH-HND", "VN-HPN"):
        dashboard(as_user("manager"), unit)
    hnd = as_user("officer_hnd")
    dashboard(hnd, "HND")
    dashboard(hnd, "QH-HND")
    for unit in ("district", "HPN", "QH-HPN", "VN-HPN", "CCB", "XX", "QH-XX", "-HND"):
        dashboard(hnd, unit, status=404)
        for name in ("dashboard_follow_up", "dashboard_follow_up_xlsx"):
            assert hnd.get(reverse(name, args=[unit]) + MARCH).status_code == 404, (name, unit)
    commune = as_user("commune_officer")
    dashboard(commune, "VN-HPN")
    for unit in ("HPN", "QH-HPN", "district"):
        dashboard(commune, unit, status=404)


def test_the_month_chosen(card_book, as_user):
    client = as_user("manager")
    # February: HPN-1 not yet due, nothing overdue
    assert headline(dashboard(client, query="?month=2020-02"))["overdue"] == "0"
    assert headline(dashboard(client, query="?month=02/2020"))["overdue"] == "0"
    # the app's one date parameter chooses the same day
    assert headline(dashboard(client, query="?date=31/03/2020")) == headline(dashboard(client))
    for bad in ("2020-13", "xyz", "2020Q1", "2020"):
        dashboard(client, query=f"?month={bad}", status=404)
    # a month not yet begun shows today's figures, not a future
    assert "Số liệu cuối ngày" in dashboard(client, query="?month=2999-01")


@pytest.mark.parametrize("query", ["?month=1900-01", "?date=01/01/1900", "?date=15/02/1900"])
@pytest.mark.parametrize("role", ["manager", "officer_hpn", "commune_officer"])
def test_the_first_months_the_book_takes(card_book, as_user, query, role):
    # the month before, the movers' and the trend's, lie before 1900: nothing in them
    client = as_user(role)
    figures = headline(dashboard(client, query=query))
    assert figures["outstanding"] == figures["overdue"] == "0"
    if role == "manager":
        follow_up = client.get(reverse("dashboard_follow_up", args=["district"]) + query, HTTP_HX_REQUEST="true")
        assert follow_up.status_code == 200
