"""Each role's dashboard in a real browser, at a desktop and a tablet width: the headline
at the end of March 2020, the four trend charts, the follow-up list loaded by htmx and
followed to a loan, and another month chosen with the month selector (the browser
portfolio: tests/browser/portfolio.py, with the 2020 periods stored and graded).

By hand from portfolio.py at 31/03/2020 (every loan disbursed in January 2020, nothing
repaid, so the outstanding is the sum of the amounts lent and all of it is this year's):

| role (unit)                  | loans                               | outstanding | overdue   |
|------------------------------|-------------------------------------|-------------|-----------|
| manager, staff (district)    | HND-1 12M + HPN-1 6M + HPN-2 18M    | 36.000.000  | 6.000.000 |
| HND officer (HND)            | HND-1 12M                           | 12.000.000  | 0         |
| Vạn Ninh HPN officer (VN-HPN)| HPN-2 18M                           | 18.000.000  | 0         |

HPN-1 fell due on 20/03/2020 unpaid (overdue new in March); HND-1 and HPN-2 carry
interest arrears (63.800, 95.700): each unit's follow-up list has a loan entry.

The other month chosen is July 2020: HND-1 fell due on 30/06/2020 unpaid, so at
31/07/2020 it is overdue too (the office: 6.000.000 + 12.000.000 = 18.000.000; HND:
12.000.000); HPN-2 is due only on 28/01/2021. The outstanding is unchanged.
"""

import re

import pytest
from playwright.sync_api import expect

from groups.models import Association
from tests.emulation.conftest import store_2020
from tests.support.factories import UserFactory
from vbsp_district.models import Role

from . import portfolio
from .conftest import shot, sign_in

VIEWPORTS = (("desktop", {"width": 1366, "height": 900}), ("tablet", {"width": 820, "height": 1180}))

# role, username, the dashboard's h1, outstanding at 31/03/2020 (and 31/07/2020), overdue
# at 31/03/2020 and at 31/07/2020, the follow-up loan to follow, other units' borrowers
ROLES = [
    ("manager", "quanly", "Toàn phòng giao dịch", "36.000.000", "6.000.000", "18.000.000", "HPN-1", ()),
    ("staff", "canbo", "Toàn phòng giao dịch", "36.000.000", "6.000.000", "18.000.000", "HND-1", ()),
    ("officer", "hnd", "Hội Nông dân", "12.000.000", "0", "12.000.000", "HND-1", ("Trần Thị Bình", "Lê Thị Cúc")),
    ("commune-officer", "hpn-vn", "Vạn Ninh", "18.000.000", "0", "0", "HPN-2", ("Trần Thị Bình", "Nguyễn Văn An")),
]
JULY = "2020-07"


def _follow_up_loaded(page):
    """The follow-up section once htmx has swapped it in (the placeholder has no table)."""
    expect(page.locator("#follow-up table tbody a").first).to_be_visible()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_role_reads_its_dashboard_and_follows_a_loan(browser, live_server):
    users = portfolio.users()
    book = portfolio.build(users["staff"])
    # the Women's Union officer of Vạn Ninh, as tests/support/fixtures.py's commune_officer
    UserFactory(
        username="hpn-vn",
        first_name="Đỗ Thị Lan",
        role=Role.OFFICER,
        role__association=Association.objects.get(code="HPN"),
        role__commune=book.van_ninh,
    )
    store_2020()

    for role, username, unit_name, outstanding, overdue, overdue_july, loan_no, foreign in ROLES:
        for width_name, viewport in VIEWPORTS:
            context = browser.new_context(viewport=viewport, locale="vi-VN")
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.base = live_server.url
            sign_in(page, username)
            where = f"{role} at {width_name} width"

            # -- March 2020: the headline, the charts, the follow-up list ------------------
            page.goto(page.base + "/dashboard/?month=2020-03")
            expect(page.locator("main h1")).to_contain_text(unit_name)
            expect(page.locator("[data-figure=outstanding]")).to_have_text(outstanding)
            expect(page.locator("[data-figure=overdue]")).to_have_text(overdue)
            expect(page.locator("[data-figure=change_since_year_start]")).to_have_text("+" + outstanding)
            expect(page.locator("figure.chart svg")).to_have_count(4)
            _follow_up_loaded(page)
            for name in foreign:
                expect(page.locator("main")).not_to_contain_text(name)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), where
            shot(page, f"dashboard-{role}-{width_name}")

            # -- a follow-up loan to its page, and back ----------------------------------
            loan = page.locator("#follow-up table tbody a[href^='/loans/']", has_text=re.compile(f"^{loan_no} · "))
            expect(loan).to_have_count(1)
            loan.click()
            page.wait_for_url(f"**/loans/{loan_no}/**")
            expect(page.locator("main h1")).to_have_text(f"Khế ước {loan_no}")
            page.go_back()
            page.wait_for_url("**/dashboard/?month=2020-03")
            _follow_up_loaded(page)

            # -- July 2020, chosen with the month field ----------------------------------------
            page.fill("#month-form input[name=month]", JULY)
            with page.expect_navigation():
                page.click("#month-form button[type=submit]")
            expect(page).to_have_url(re.compile(f"[?&]month={JULY}(&|$)"))
            expect(page.locator("#month-form input[name=month]")).to_have_value(JULY)
            expect(page.locator("[data-figure=outstanding]")).to_have_text(outstanding)
            expect(page.locator("[data-figure=overdue]")).to_have_text(overdue_july)
            expect(page.locator("figure.chart svg")).to_have_count(4)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), where
            context.close()
