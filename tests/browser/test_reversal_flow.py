"""Maker-checker in the browser, from the loan page: staff ask, a manager approves on the
reversal page, and the loan page shows the balance restored.

tests/browser/test_desk.py drives the request from the posting form and checks the ledger;
this test starts from the loan page's transaction list, signs the staff member out and the
manager in on the same browser (one office computer), and reads every figure on the pages.

HND-1 of tests/browser/portfolio.py: 12.000.000 đ from 10/01/2020, interest 90.200 paid on
20/02/2020. A repayment of 2.000.000 is posted by mistake on 20/03/2020 (the leader brought
200.000): 10.000.000 outstanding until the reversal, 12.000.000 after. Interest arrears at
31/03/2020 are 63.800 either way (the 20/03 bill covers 20/02–19/03: 29 × 2.200).
"""

import re
from datetime import date

import pytest

from lending.models import LoanTransaction, ReversalRequest
from lending.selectors import loan_book
from lending.services import repayment_post

from . import portfolio
from .conftest import cells, figure, shot, sign_in

NGAY = "?date=31/03/2020"


def _transactions(page) -> list[list[str]]:
    """Date, kind, amount and status of each row of the loan page's transaction tab."""
    rows = page.locator("#tab-transactions tbody tr").all()
    return [[c for i, c in enumerate(cells(r)) if i in (0, 1, 2, 5)] for r in rows]


def _sign_out(page):
    page.locator("nav button", has_text="Đăng xuất").click()
    page.wait_for_url(re.compile(r".*/login/.*"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_asks_a_manager_approves_and_the_loan_page_shows_the_balance_restored(page):
    people = portfolio.users()
    book = portfolio.build(people["staff"])
    wrong = repayment_post(loan=book.hnd1, amount=2_000_000, value_date=date(2020, 3, 20), acting_user=people["staff"])

    # -- staff: the loan page, then "Đề nghị hủy" on the wrong row ----------------------------
    sign_in(page, "canbo")
    page.goto(page.base + "/loans/HND-1/" + NGAY)
    assert figure(page, "Dư nợ (đồng)") == "10.000.000"
    assert figure(page, "Lãi tồn đọng (đồng)") == "63.800"
    assert _transactions(page) == [
        ["10/01/2020", "Giải ngân", "12.000.000", "Đề nghị hủy"],
        ["20/02/2020", "Thu lãi", "90.200", "Đề nghị hủy"],
        ["20/03/2020", "Thu nợ gốc", "2.000.000", "Đề nghị hủy"],
    ]
    page.locator("#tab-transactions tbody tr", has_text="Thu nợ gốc").locator("a", has_text="Đề nghị hủy").click()
    page.wait_for_url(re.compile(rf".*/reversals/new/\?loan_txn={wrong.pk}$"))
    posting = page.locator("main table").first.inner_text()
    assert "HND-1 · Nguyễn Văn An (044000000001)" in posting and "2.000.000 đồng" in posting
    assert "20/03/2020" in posting
    page.fill("#id_reason", "Tổ trưởng nộp 200.000 đồng, nhập nhầm thành 2.000.000 đồng")
    page.click("main form button[type=submit]")
    page.wait_for_url(page.base + "/reversals/")
    assert page.locator(".alert-success").inner_text() == (
        "Đã gửi đề nghị hủy giao dịch thu nợ gốc 2.000.000 đồng ngày 20/03/2020 của món vay HND-1; "
        "chờ lãnh đạo phòng giao dịch duyệt."
    )
    filed = ReversalRequest.objects.get()
    # Staff may look at the request but not decide it.
    assert page.locator("#pending a", has_text="Xem").count() == 1
    page.goto(page.base + "/loans/HND-1/" + NGAY)
    assert _transactions(page)[2] == ["20/03/2020", "Thu nợ gốc", "2.000.000", "Chờ duyệt hủy"]
    assert figure(page, "Dư nợ (đồng)") == "10.000.000"  # nothing changes until approved
    _sign_out(page)

    # -- the manager: the pending list, the request, approve -----------------------------------
    sign_in(page, "quanly")
    page.locator("nav a", has_text="Nghiệp vụ").click()
    page.locator("nav a", has_text="Đề nghị hủy giao dịch").click()
    page.wait_for_url(page.base + "/reversals/")
    row = cells(page.locator("#pending tbody tr"))
    assert row[0] == str(filed.pk) and re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", row[1])
    assert row[2:] == [
        "Nguyễn Thu Hà",
        "Thu nợ gốc · món vay HND-1 (Nguyễn Văn An)",
        "20/03/2020",
        "2.000.000",
        "Tổ trưởng nộp 200.000 đồng, nhập nhầm thành 2.000.000 đồng",
        "Duyệt",
    ]
    shot(page, "reversal-list-pending")
    page.locator("#pending a", has_text="Duyệt").click()
    page.wait_for_url(page.base + f"/reversals/{filed.pk}/")
    page.click("button[value=approve]")
    page.wait_for_url(page.base + "/reversals/")
    assert page.locator(".alert-success").inner_text() == (
        f"Đã duyệt đề nghị số {filed.pk}: giao dịch thu nợ gốc 2.000.000 đồng ngày 20/03/2020 "
        "của món vay HND-1 đã được hủy."
    )
    assert page.locator("#pending tbody").inner_text().strip() == "Không có đề nghị nào chờ duyệt."
    decided = cells(page.locator("#decided tbody tr"))
    assert decided[1:7] == [
        "Thu nợ gốc · món vay HND-1",
        "20/03/2020",
        "2.000.000",
        "Tổ trưởng nộp 200.000 đồng, nhập nhầm thành 2.000.000 đồng",
        "Đã duyệt",
        "Trần Văn Minh",
    ]
    shot(page, "reversal-list-decided")

    # -- the loan page: the balance is restored ------------------------------------------------
    page.goto(page.base + "/loans/HND-1/" + NGAY)
    assert figure(page, "Dư nợ (đồng)") == "12.000.000"
    assert figure(page, "Lãi tồn đọng (đồng)") == "63.800"
    assert _transactions(page)[2:] == [
        ["20/03/2020", "Thu nợ gốc", "2.000.000", "Đã hủy"],
        ["20/03/2020", "Thu nợ gốc", "2.000.000", "Bút toán hủy giao dịch ngày 20/03/2020"],
    ]
    struck = page.locator("#tab-transactions tbody tr").nth(2).locator("td.num")
    assert "text-decoration-line-through" in struck.get_attribute("class")
    shot(page, "reversal-loan-restored")
    assert loan_book(book.hnd1).outstanding(date(2020, 3, 31)) == 12_000_000
    assert LoanTransaction.objects.get(reverses=wrong).recorded_by == people["manager"]
