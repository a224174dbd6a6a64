"""The money forms in a real browser: the two-step disbursement and the maker-checker buttons.

Both pages submit with named buttons (preview/confirm, approve/reject) while static/js/app.js
disables every button of a submitted form: the clicked button's value must still arrive.
"""

from datetime import date

import pytest

from groups.models import Association
from lending.models import Loan, LoanProgram, ReversalRequest
from lending.selectors import loan_book
from tests.support.factories import CommuneFactory, GroupFactory, MemberFactory, UserFactory
from vbsp_district.models import Role

from .conftest import shot, sign_in


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_disburse_repay_and_reverse_through_the_pages(browser, live_server):
    staff = UserFactory(username="canbo", role=Role.STAFF)
    UserFactory(username="quanly", role=Role.MANAGER)
    commune = CommuneFactory(code="QH", name="Quán Hàu", transaction_day=20)
    group = GroupFactory(code="QH-01", commune=commune, association=Association.objects.get(code="HND"))
    MemberFactory(national_id="044000000001", full_name="Nguyễn Thị Lan", commune=commune, group=group)
    poor = LoanProgram.objects.get(code="01")

    for username in ("canbo", "quanly"):
        context = browser.new_context(viewport={"width": 1024, "height": 900}, locale="vi-VN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base = live_server.url
        sign_in(page, username)
        if username == "canbo":
            page.goto(page.base + "/loans/new/?member=044000000001")
            page.fill("#id_loan_no", "L1")
            page.select_option("#id_program", str(poor.pk))
            page.fill("#id_amount", "12000000")
            assert page.input_value("#id_amount") == "12.000.000"  # grouped as typed
            page.fill("#id_disbursed_on", "10/01/2020")
            page.fill("#id_term_months", "24")
            page.fill("#id_interval_months", "12")
            page.click("button[value=preview]")
            rows = page.locator("#schedule tbody tr").all_inner_texts()
            assert [r.split("\t") for r in rows] == [["1", "10/01/2021", "6.000.000"], ["2", "10/01/2022", "6.000.000"]]
            shot(page, "desk-disburse-preview")
            assert not Loan.objects.exists()
            page.click("button[value=confirm]")
            page.wait_for_url(page.base + "/loans/L1/")
            loan = Loan.objects.get(loan_no="L1")
            assert loan_book(loan).outstanding(date(2020, 1, 10)) == 12_000_000

            page.goto(page.base + "/loans/L1/post/")
            page.fill("#id_value_date", "20/01/2020")
            page.fill("#id_amount", "2000000")
            page.click("main form button[type=submit]")
            page.wait_for_url(page.base + "/loans/L1/")
            assert loan_book(loan).outstanding(date(2020, 1, 20)) == 10_000_000

            page.goto(page.base + "/loans/L1/post/")
            page.locator("main a", has_text="Đề nghị hủy").first.click()
            page.fill("#id_reason", "Nhập nhầm số tiền")
            page.click("main form button[type=submit]")
            page.wait_for_url(page.base + "/reversals/")
            assert ReversalRequest.objects.get().requested_by == staff
        else:
            page.goto(page.base + "/reversals/")
            page.locator("#pending a", has_text="Duyệt").click()
            shot(page, "desk-reversal-decide")
            page.click("button[value=approve]")
            page.wait_for_url(page.base + "/reversals/")
            assert ReversalRequest.objects.get().status == "approved"
            assert loan_book(loan).outstanding(date(2020, 1, 20)) == 12_000_000
        context.close()
