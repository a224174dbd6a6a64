"""The content security policy in a real browser: the pages that use scripts the most
(the dashboard with its htmx list, the API's Swagger UI, the scorecard's year select) work
under it, and Chromium refuses nothing (tests/browser/conftest.py checks every test)."""

import pytest

from . import portfolio
from .conftest import sign_in


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_script_pages_work_under_the_policy(page):
    users = portfolio.users()
    portfolio.build(users["staff"])
    sign_in(page, "quanly")
    response = page.goto(page.base + "/dashboard/?month=2020-03")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector("#follow-up table tbody a", timeout=30_000)  # swapped in by htmx

    page.goto(page.base + "/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=30_000)  # drawn by its own script file

    page.goto(page.base + "/scorecard/?year=2020")
    options = page.locator("#id_year option").all_inner_texts()
    other = next((o.strip() for o in options if o.strip() != "2020"), None)
    if other is not None:
        page.select_option("#id_year", other)  # data-submit-on-change: no inline handler
        page.wait_for_url(f"**year={other}**")
