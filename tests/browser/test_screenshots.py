"""A screenshot of each main page under tests/artifacts/, at a desktop and a tablet width.

Staff on a 1366×900 screen, the manager on a 820×1180 tablet (portrait), an association
officer's home page. Each page must answer 200 with its heading, and no page may be wider
than the window: wide tables scroll inside their own box, never the whole page.
"""

import pytest
from playwright.sync_api import expect

from lending.models import LoanTransaction
from lending.services import reversal_request

from . import portfolio
from .conftest import shot, sign_in

NGAY = "?date=31/03/2020"
DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}

# (screenshot name, address, the page's h1)
PAGES = [
    ("home", "/" + NGAY, "Tổng quan dư nợ toàn phòng giao dịch"),
    ("commune-list", "/communes/" + NGAY, "Xã, thị trấn"),
    ("commune-detail", "/communes/QH/" + NGAY, "Xã Quán Hàu"),
    ("group-detail", "/groups/QH-01/" + NGAY, None),
    ("member-detail", "/members/044000000001/" + NGAY, "Nguyễn Văn An"),
    ("loan-detail", "/loans/HND-1/" + NGAY, "Khế ước HND-1"),
    ("search", "/search/?q=Th%E1%BB%8B", "Tìm kiếm"),
    ("loan-post", "/loans/HND-1/post/", None),
    ("transaction-day", "/transaction-day/", "Giao dịch xã"),
    ("transaction-day-sheet", "/transaction-day/QH/2020-03-20/", "Bảng kê giao dịch Xã Quán Hàu"),
    ("reversal-list", "/reversals/", "Đề nghị hủy giao dịch"),
    ("period-list", "/periods/", "Khóa sổ quý"),
]


def _open(browser, live_server, viewport):
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    return context, page


def _fits(page) -> bool:
    """The page is no wider than the window (a table may scroll inside .table-responsive)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _visit(page, prefix: str, name: str, path: str, heading: str | None):
    response = page.goto(page.base + path)
    assert response.status == 200, path
    if heading is not None:
        assert page.locator("main h1").inner_text().strip() == heading, path
    shot(page, f"{prefix}-{name}")
    assert _fits(page), f"{path} is wider than the {prefix} window"


def _preview(page, prefix: str):
    """The disbursement form, empty, then with its schedule preview."""
    page.goto(page.base + "/loans/new/?member=044000000002")
    shot(page, f"{prefix}-loan-disburse")
    assert _fits(page)
    page.fill("#id_loan_no", "HPN-3")
    page.select_option("#id_program", label="01 Cho vay hộ nghèo")
    page.fill("#id_amount", "30000000")
    page.fill("#id_disbursed_on", "20/03/2020")
    page.fill("#id_term_months", "36")
    page.fill("#id_interval_months", "6")
    # The preview is a full form post: wait for the page it answers with, not the old one.
    with page.expect_navigation():
        page.click("button[value=preview]")
    rows = page.locator("#schedule tbody tr")
    expect(rows).to_have_count(6)
    assert rows.last.inner_text().split("\t") == ["6", "20/03/2023", "5.000.000"]
    shot(page, f"{prefix}-loan-disburse-preview")
    assert _fits(page)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_screenshots_of_the_main_pages(browser, live_server):
    people = portfolio.users()
    book = portfolio.build(people["staff"])
    pending = LoanTransaction.objects.get(loan=book.hnd1, kind="interest")
    reversal_request(transaction=pending, reason="Ghi trùng biên lai", acting_user=people["staff"])

    for username, prefix, viewport in (("canbo", "staff", DESKTOP), ("quanly", "tablet-manager", TABLET)):
        context, page = _open(browser, live_server, viewport)
        sign_in(page, username)
        for name, path, heading in PAGES:
            _visit(page, prefix, name, path, heading)
        _preview(page, prefix)
        if username == "quanly":
            _visit(page, prefix, "workbook-import", "/import/", "Nhập sổ cho vay từ tệp Excel")
        context.close()

    context, page = _open(browser, live_server, DESKTOP)
    sign_in(page, "quanly")
    _visit(page, "manager", "home", "/" + NGAY, "Tổng quan dư nợ toàn phòng giao dịch")
    _visit(page, "manager", "workbook-import", "/import/", "Nhập sổ cho vay từ tệp Excel")
    context.close()

    for viewport, prefix in ((DESKTOP, "officer"), (TABLET, "tablet-officer")):
        context, page = _open(browser, live_server, viewport)
        sign_in(page, "hpn")
        _visit(page, prefix, "home", "/" + NGAY, "Hội Liên hiệp Phụ nữ: dư nợ ủy thác")
        _visit(page, prefix, "transaction-day-sheet", "/transaction-day/QH/2020-03-20/", None)
        context.close()
