"""A branch staff member's day in the browser: disburse a loan, then post the group's sheet.

Interest at 6,60 %/năm on 360 days; commune QH bills on the 20th.

- L1 (Hoà), disbursed through the form: 12.000.000 đ on 10/01/2020, accruing 2.200 đ a
  day: billed 22.000 on 20/01 (10 days) and 68.200 on 20/02 (31 days): 90.200 due on
  20/02. After 1.500.000 repaid on 20/02: 10.500.000 at 1.925 a day, 29 days to 20/03:
  55.825.
- L2 (Dũng): 6.000.000 đ on 10/01/2020 in three installments of 2.000.000 (20/02, 20/03,
  20/04), 1.100 đ a day: 11.000 + 34.100 = 45.100 due on 20/02. After its first
  installment: 4.000.000 at 733,33 a day, 29 days: 21.266,67 → 21.267.
- Savings: Hoà 200.000 before the day, +50.000; Dũng 0, +100.000.
"""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from groups.models import Association
from groups.services import commune_create, group_create
from lending.models import Loan, LoanProgram
from lending.selectors import loan_book, member_savings_balance
from lending.services import loan_disburse, savings_deposit
from tests.support.book import new_member
from tests.support.factories import UserFactory
from vbsp_district.models import Role

from .conftest import cells, figure, shot, sign_in

FEB, MAR = date(2020, 2, 20), date(2020, 3, 20)


def _loan_row(card, loan_no: str):
    return card.locator(f'tbody tr:has(> td > div:text-is("{loan_no}"))')


def _the_group(staff):
    commune = commune_create(code="QH", name="Quán Hàu", transaction_day=20, acting_user=staff)
    group = group_create(
        code="QH-01",
        name="Tổ thôn Quán Hàu",
        commune=commune,
        association=Association.objects.get(code="HND"),
        founded_on=date(2015, 1, 1),
        village="Thôn Quán Hàu",
        leader_name="Lê Thị Oanh",
        acting_user=staff,
    )
    people = {}
    for national_id, name in (("044000000011", "Nguyễn Thị Hoà"), ("044000000012", "Trần Văn Dũng")):
        people[name] = new_member(national_id, commune, staff, group, full_name=name)
    hoa, dung = people["Nguyễn Thị Hoà"], people["Trần Văn Dũng"]
    savings_deposit(member=hoa, amount=200_000, value_date=date(2020, 1, 20), acting_user=staff)
    loan_disburse(
        loan_no="L2",
        member=dung,
        program=LoanProgram.objects.get(code="01"),
        amount=6_000_000,
        disbursed_on=date(2020, 1, 10),
        installments=[(FEB, 2_000_000), (MAR, 2_000_000), (date(2020, 4, 20), 2_000_000)],
        acting_user=staff,
    )
    return group, hoa, dung


def _type(locator, text: str):
    """Clear an input and type into it key by key, as a person does."""
    locator.fill("")
    locator.press_sequentially(text)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_disburse_then_post_the_groups_sheet_and_see_the_balances(page):
    staff = UserFactory(username="canbo", first_name="Nguyễn Thu Hà", role=Role.STAFF)
    group, hoa, dung = _the_group(staff)
    sign_in(page, "canbo")

    # -- the disbursement form, with its schedule preview ----------------------------------
    page.goto(page.base + f"/members/{hoa.national_id}/")
    page.locator("main a", has_text="Giải ngân món vay").click()
    assert page.input_value("#id_member") == hoa.national_id
    page.fill("#id_loan_no", "L1")
    page.select_option("#id_program", label="01 Cho vay hộ nghèo")
    _type(page.locator("#id_amount"), "12000000")
    assert page.input_value("#id_amount") == "12.000.000"
    page.fill("#id_disbursed_on", "10/01/2020")
    page.fill("#id_term_months", "24")
    page.fill("#id_interval_months", "12")
    page.fill("#id_purpose", "Nuôi bò sinh sản")
    page.click("button[value=preview]")
    preview = page.locator("#schedule-preview")
    assert "Nguyễn Thị Hoà (044000000011)" in preview.inner_text()
    assert "QH-01 Tổ thôn Quán Hàu" in preview.inner_text()
    assert "12.000.000 đồng ngày 10/01/2020" in preview.inner_text()
    assert "6,6 %/năm" in preview.inner_text()
    assert [cells(r) for r in preview.locator("#schedule tbody tr").all()] == [
        ["1", "10/01/2021", "6.000.000"],
        ["2", "10/01/2022", "6.000.000"],
    ]
    assert preview.locator("#schedule tfoot").inner_text().split() == ["Cộng", "12.000.000"]
    assert not Loan.objects.filter(loan_no="L1").exists()  # nothing is written by the preview
    page.click("button[value=confirm]")
    page.wait_for_url(page.base + "/loans/L1/")
    assert (
        page.locator(".alert-success").inner_text() == "Đã giải ngân món vay L1: 12.000.000 đồng cho hộ Nguyễn Thị Hoà."
    )
    l1 = Loan.objects.get(loan_no="L1")

    # -- the transaction-day chooser, then the commune's sheet -------------------------------
    page.locator("nav a", has_text="Giao dịch xã").click()
    page.select_option("#commune", "QH")
    page.fill("#date", "20/02/2020")
    page.click("main form button[type=submit]")
    page.wait_for_url(page.base + "/transaction-day/QH/2020-02-20/")
    assert page.locator("h1").inner_text() == "Bảng kê giao dịch Xã Quán Hàu"
    assert figure(page, "Gốc đến hạn (đ)") == "2.000.000"
    assert figure(page, "Lãi phải trả (đ)") == "135.300"
    assert figure(page, "Số dư tiết kiệm (đ)") == "200.000"
    assert figure(page, "Đã thu gốc, lãi trong ngày (đ)") == "0"
    card = page.locator("#to-QH-01")
    assert "Tổ trưởng: Lê Thị Oanh" in card.locator(".card-header").inner_text()
    p1, i1 = f"g{group.pk}-p-{l1.pk}", f"g{group.pk}-i-{l1.pk}"
    l2 = Loan.objects.get(loan_no="L2")
    p2, i2 = f"g{group.pk}-p-{l2.pk}", f"g{group.pk}-i-{l2.pk}"
    deposit_hoa, deposit_dung = f"g{group.pk}-d-{hoa.pk}", f"g{group.pk}-d-{dung.pk}"
    # What is left to collect comes prefilled: L1's interest, L2's installment and interest.
    assert page.input_value(f"[name={i1}]") == "90.200"
    assert page.input_value(f"[name={p1}]") == ""
    assert page.input_value(f"[name={p2}]") == "2.000.000"
    assert page.input_value(f"[name={i2}]") == "45.100"
    assert cells(_loan_row(card, "L1"))[:6] == [
        "1",
        "Nguyễn Thị Hoà 044000000011",
        "L1 CT 01",
        "12.000.000",
        "0",
        "90.200",
    ]
    shot(page, "staff-day-sheet-before")

    # What the group leader brought: Hoà repays 1.500.000 early and deposits 50.000; Dũng
    # pays his installment and interest and deposits 100.000.
    _type(page.locator(f"[name={p1}]"), "1.500.000")
    _type(page.locator(f"[name={i1}]"), "90.200")
    _type(page.locator(f"[name={deposit_hoa}]"), "50.000")
    _type(page.locator(f"[name={deposit_dung}]"), "100000")
    assert page.input_value(f"[name={deposit_dung}]") == "100.000"
    card.locator("button[type=submit]", has_text="Ghi sổ tổ QH-01").click()
    card = page.locator("#to-QH-01")  # swapped in place by htmx
    message = (
        "Đã ghi sổ tổ QH-01 ngày 20/02/2020: thu gốc 3.500.000 đồng, thu lãi 135.300 đồng, "
        "gửi tiết kiệm 150.000 đồng, rút tiết kiệm 0 đồng (6 bút toán)."
    )
    assert card.locator(".alert-success").inner_text() == message
    assert card.locator(".badge", has_text="Đã ghi sổ ngày 20/02/2020").is_visible()
    # The sheet reads "before the day" with the day's postings beside the figures.
    row = cells(_loan_row(card, "L1"))
    assert row[3:6] == ["12.000.000", "0 đã thu 1.500.000", "90.200 đã thu 90.200"]
    assert row[8] == "200.000 đã gửi 50.000"
    assert cells(_loan_row(card, "L2"))[3:6] == ["6.000.000", "2.000.000 đã thu 2.000.000", "45.100 đã thu 45.100"]
    # Nothing is left to collect: the inputs come back empty.
    assert page.input_value(f"[name={i1}]") == "" and page.input_value(f"[name={p2}]") == ""
    shot(page, "staff-day-sheet-posted")
    assert loan_book(l1).outstanding(FEB) == 10_500_000
    assert member_savings_balance(hoa, as_of=FEB) == 250_000

    # The figures at the top follow the post, without a reload.
    expect(page.locator(".figure-card", has_text="Đã thu gốc, lãi trong ngày (đ)").locator(".value")).to_have_text(
        "3.635.300"
    )
    assert figure(page, "Gốc đến hạn (đ)") == "2.000.000"  # the figures before the day
    page.reload()
    assert figure(page, "Đã thu gốc, lãi trong ngày (đ)") == "3.635.300"

    # -- the next month's sheet carries the new balances ------------------------------------
    page.locator("a", has_text="Kỳ sau ›").click()
    page.wait_for_url(page.base + "/transaction-day/QH/2020-03-20/")
    card = page.locator("#to-QH-01")
    assert cells(_loan_row(card, "L1"))[3:6] == ["10.500.000", "0", "55.825"]
    assert cells(_loan_row(card, "L1"))[8] == "250.000"
    assert cells(_loan_row(card, "L2"))[3:6] == ["4.000.000", "2.000.000", "21.267"]
    assert figure(page, "Lãi phải trả (đ)") == "77.092"
    assert figure(page, "Số dư tiết kiệm (đ)") == "350.000"

    # -- the loan page and the member page --------------------------------------------------
    page.goto(page.base + "/loans/L1/?date=20/02/2020")
    assert figure(page, "Dư nợ (đồng)") == "10.500.000"
    assert figure(page, "Lãi tồn đọng (đồng)") == "0"
    rows = [cells(r)[:3] for r in page.locator("#tab-transactions tbody tr").all()]
    assert ["10/01/2020", "Giải ngân", "12.000.000"] in rows
    assert ["20/02/2020", "Thu nợ gốc", "1.500.000"] in rows
    assert ["20/02/2020", "Thu lãi", "90.200"] in rows
    page.fill("#id_date", "31/03/2020")
    page.locator("#id_date").press("Enter")
    page.wait_for_url(re.compile(r".*/loans/L1/\?date=31%2F03%2F2020$"))
    assert figure(page, "Dư nợ (đồng)") == "10.500.000"
    assert figure(page, "Lãi tồn đọng (đồng)") == "55.825"
    shot(page, "staff-day-loan")

    page.locator("main .breadcrumb a", has_text="Nguyễn Thị Hoà").click()
    page.wait_for_url(re.compile(r".*/members/044000000011/"))
    line = cells(page.locator("main table tbody tr", has_text="L1").first)
    assert line[0] == "L1" and line[5:7] == ["10.500.000", "0"]
    assert "Số dư tại ngày 31/03/2020: 250.000 đồng" in page.locator("main").inner_text()
