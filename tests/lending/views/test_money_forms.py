"""The money forms: disbursement with its schedule preview, postings, savings, extension,
freeze, write-off. Each success with the exact balances after, each refusal with the
service's Vietnamese message on the page and nothing written, officers refused (403),
objects outside the user's scope not found (404), a double submit posted once, and the
pages' query counts pinned.

Interest arithmetic: 12.000.000 đ at 6,60 %/năm accrues 2.200 đ a day; commune QH bills
on the 20th (22.000 đ on 20/01/2020 for 10 days).
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from lending.models import Extension, Freeze, Installment, Loan, LoanTransaction
from lending.selectors import loan_book
from lending.services import loan_freeze, period_close, savings_deposit
from tests.support.book import loan_interest_balance, loan_rows, outstanding, row_counts, savings_balance, savings_rows
from tests.support.factories import MemberFactory
from tests.support.pages import (
    DISBURSE,
    disburse_data,
    flash,
    post_form,
    preview,
    refused_on_page,
    same_queries,
    shows,
    signed_in,
    text_of,
    token_of,
)

pytestmark = pytest.mark.django_db


# -- disbursement ---------------------------------------------------------------------


def schedule_rows(response) -> list[list[str]]:
    table = re.search(
        r'<table class="table table-sm" id="schedule">.*?<tbody>(.*?)</tbody>', response.content.decode(), re.S
    )
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)]


def test_disburse_previews_the_generated_schedule_then_writes_on_confirm(client, staff, member, poor):
    signed_in(client, staff)
    response, token, digest = preview(client, disburse_data(poor))
    assert schedule_rows(response) == [
        ["1", "10/07/2020", "3.000.000"],
        ["2", "10/01/2021", "3.000.000"],
        ["3", "10/07/2021", "3.000.000"],
        ["4", "10/01/2022", "3.000.000"],
    ]
    assert shows(response, "Tổ TK&VV QH-01")
    assert shows(response, "6,6 %/năm")
    assert not Loan.objects.exists()  # a preview writes nothing

    response = client.post(DISBURSE, {**disburse_data(poor), "token": token, "previewed": digest, "action": "confirm"})
    assert response.status_code == 302
    assert response["Location"] == reverse("loan_detail", args=["L2"])
    loan = Loan.objects.get(loan_no="L2")
    assert (loan.member.national_id, loan.program, loan.channel, loan.annual_rate, loan.approved_amount) == (
        "044000000001",
        poor,
        "entrusted",
        Decimal("6.600"),
        12_000_000,
    )
    assert loan.purpose == "Chăn nuôi bò"
    assert list(Installment.objects.filter(loan=loan).values_list("due_on", "principal")) == [
        (date(2020, 7, 10), 3_000_000),
        (date(2021, 1, 10), 3_000_000),
        (date(2021, 7, 10), 3_000_000),
        (date(2022, 1, 10), 3_000_000),
    ]
    assert loan_rows(loan) == [("disbursement", date(2020, 1, 10), 12_000_000, f"WEB-{token}")]
    assert outstanding(loan, date(2020, 1, 10)) == 12_000_000
    assert loan_interest_balance(loan, as_of=date(2020, 1, 20)) == 22_000
    assert flash(response) == ["Đã giải ngân món vay L2: 12.000.000 đồng cho hộ " + member.full_name + "."]


def test_disburse_with_a_typed_schedule_a_given_rate_and_a_later_tranche(client, staff, member, poor):
    signed_in(client, staff)
    data = disburse_data(
        poor,
        loan_no="HSSV/2020/1",
        amount="10.000.000",
        approved_amount="20.000.000",
        annual_rate="6,6",
        term_months="",
        interval_months="",
        installments="10/01/2021\t5.000.000\n\n10/01/2022 15.000.000",
    )
    response, token, digest = preview(client, data)
    assert schedule_rows(response) == [["1", "10/01/2021", "5.000.000"], ["2", "10/01/2022", "15.000.000"]]
    response = client.post(DISBURSE, {**data, "token": token, "previewed": digest, "action": "confirm"})
    assert response.status_code == 302
    loan = Loan.objects.get(loan_no="HSSV/2020/1")
    assert response["Location"] == "/loans/HSSV/2020/1/"
    assert (loan.approved_amount, outstanding(loan, date(2020, 1, 10))) == (20_000_000, 10_000_000)

    # the second term's tranche, on the posting page of a loan number with slashes
    url = reverse("loan_post", args=[loan.loan_no])
    response = post_form(
        client, url, {"kind": "disbursement", "value_date": "10/09/2020", "amount": "10.000.000", "reference": "PC-7"}
    )
    assert response.status_code == 302
    assert outstanding(loan, date(2020, 9, 10)) == 20_000_000
    assert loan_rows(loan)[-1] == ("disbursement", date(2020, 9, 10), 10_000_000, "PC-7")


def test_disburse_confirm_of_a_changed_form_previews_again(client, staff, member, poor):
    signed_in(client, staff)
    _, token, digest = preview(client, disburse_data(poor))
    before = row_counts()
    response = client.post(
        DISBURSE,
        {**disburse_data(poor, term_months="12"), "token": token, "previewed": digest, "action": "confirm"},
    )
    assert response.status_code == 200
    assert shows(response, "Thông tin đã thay đổi sau lần xem trước")
    assert schedule_rows(response) == [["1", "10/07/2020", "6.000.000"], ["2", "10/01/2021", "6.000.000"]]
    assert row_counts() == before
    # a confirmation without any preview only previews
    response = client.post(DISBURSE, {**disburse_data(poor), "token": token, "action": "confirm"})
    assert response.status_code == 200
    assert schedule_rows(response)
    assert not shows(response, "Thông tin đã thay đổi sau lần xem trước")
    assert row_counts() == before


def confirm_refused(client, data, message):
    _, token, digest = preview(client, data)
    before = row_counts()
    response = client.post(DISBURSE, {**data, "token": token, "previewed": digest, "action": "confirm"})
    assert response.status_code == 200
    assert shows(response, message), text_of(response)
    assert row_counts() == before
    return response


def test_disburse_refusals_show_the_service_message(client, staff, member, poor, commune, loan):
    signed_in(client, staff)
    MemberFactory(national_id="044000000002", full_name="Trần Thị Bình", commune=commune)
    confirm_refused(
        client,
        disburse_data(poor, member="044000000002"),
        "Hộ vay Trần Thị Bình không thuộc tổ TK&VV nào vào ngày 10/01/2020; món vay ủy thác phải qua tổ.",
    )
    confirm_refused(client, disburse_data(poor, loan_no="L1"), "Số khế ước L1 đã có trong hệ thống.")
    confirm_refused(
        client,
        disburse_data(poor, annual_rate="6,6666"),
        "Lãi suất phải là số dương dưới 100 %/năm, tối đa 3 chữ số thập phân.",
    )
    confirm_refused(
        client,
        disburse_data(poor, term_months="", interval_months="", installments="10/01/2021 5.000.000"),
        "Tổng các kỳ hạn trả nợ (5.000.000 đồng) phải bằng số tiền cho vay (12.000.000 đồng).",
    )


def test_disburse_form_errors(client, staff, member, poor):
    signed_in(client, staff)
    cases = [
        ({"member": "999999999"}, "Không tìm thấy hộ vay có số CCCD/CMND 999999999."),
        ({"amount": "12.5"}, "Số tiền phải là số nguyên dương (đồng), ví dụ 1.500.000."),
        ({"disbursed_on": "2020/01/10"}, "Ngày phải có dạng dd/mm/yyyy, ví dụ 20/01/2020."),
        ({"term_months": "", "interval_months": ""}, "Nhập thời hạn và kỳ hạn trả nợ, hoặc nhập lịch trả nợ."),
        ({"interval_months": "36"}, "Kỳ hạn trả nợ phải từ 1 tháng đến hết thời hạn cho vay."),
        ({"term_months": "0"}, "Thời hạn cho vay phải là số tháng nguyên dương."),
        ({"installments": "10/01/2021 12.000.000"}, "Đã nhập lịch trả nợ thì để trống thời hạn và kỳ hạn trả nợ."),
        (
            {"term_months": "", "interval_months": "", "installments": "10/01/2021 6.000.000\nmười hai"},
            "Dòng 2: cần ngày dd/mm/yyyy và số tiền gốc, ví dụ 10/01/2021 6.000.000.",
        ),
    ]
    for overrides, message in cases:
        response, _, digest = preview(client, disburse_data(poor, **overrides))
        assert shows(response, message), (overrides, text_of(response))
        assert digest is None  # no preview of an invalid form
    assert not Loan.objects.exists()


def test_disburse_page_prefills_the_member(client, staff, member):
    response = signed_in(client, staff).get(DISBURSE + "?member=044000000001")
    assert 'name="member" value="044000000001"' in response.content.decode()


# -- loan postings --------------------------------------------------------------------


def test_principal_repayment(client, staff, loan):
    url = reverse("loan_post", args=["L1"])
    response = post_form(
        signed_in(client, staff), url, {"kind": "principal", "value_date": "20/01/2020", "amount": "2.000.000"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("loan_detail", args=["L1"])
    assert flash(response) == ["Đã ghi thu nợ gốc 2.000.000 đồng ngày 20/01/2020 cho món vay L1."]
    assert outstanding(loan, date(2020, 1, 20)) == 10_000_000
    # 22.000 to 20/01, then 31 days at 10.000.000 × 6,60 / 36000 = 1.833,33 đ a day
    assert loan_interest_balance(loan, as_of=date(2020, 2, 20)) == 22_000 + 56_833


def test_interest_payment_with_a_voucher_number(client, staff, loan):
    url = reverse("loan_post", args=["L1"])
    response = post_form(
        signed_in(client, staff),
        url,
        {"kind": "interest", "value_date": "20/01/2020", "amount": "22000", "reference": " PT-0001 "},
    )
    assert response.status_code == 302
    assert loan_interest_balance(loan, as_of=date(2020, 1, 20)) == 0
    assert loan_interest_balance(loan, as_of=date(2020, 2, 20)) == 68_200
    assert outstanding(loan, date(2020, 1, 20)) == 12_000_000
    assert loan_rows(loan)[-1] == ("interest", date(2020, 1, 20), 22_000, "PT-0001")


def test_loan_posting_refusals(client, staff, manager, member, poor, loan):
    url = reverse("loan_post", args=["L1"])
    signed_in(client, staff)
    refused_on_page(
        client,
        url,
        {"kind": "principal", "value_date": "20/01/2020", "amount": "13.000.000"},
        "Số tiền trả gốc 13.000.000 đồng vượt dư nợ 12.000.000 đồng tại ngày 20/01/2020.",
    )
    refused_on_page(
        client,
        url,
        {"kind": "interest", "value_date": "05/01/2020", "amount": "10.000"},
        "Ngày giao dịch 05/01/2020 trước ngày giải ngân (10/01/2020).",
    )
    refused_on_page(
        client,
        url,
        {"kind": "disbursement", "value_date": "20/01/2020", "amount": "1.000.000"},
        "Giải ngân thêm 1.000.000 đồng vượt số tiền cho vay theo hợp đồng: đã giải ngân 12.000.000/12.000.000 đồng.",
    )
    refused_on_page(
        client,
        url,
        {"kind": "principal", "value_date": "20/01/2020", "amount": "1.000.000,5"},
        "Số tiền phải là số nguyên dương (đồng), ví dụ 1.500.000.",
    )
    period_close(year=2020, quarter=1, acting_user=manager)
    refused_on_page(
        client,
        url,
        {"kind": "principal", "value_date": "20/01/2020", "amount": "1.000.000"},
        "Ngày giao dịch 20/01/2020 nằm trong quý 1/2020 đã khóa sổ (01/01/2020–31/03/2020).",
    )
    assert outstanding(loan, date(2020, 12, 31)) == 12_000_000


def test_double_submit_posts_once(client, staff, loan):
    url = reverse("loan_post", args=["L1"])
    signed_in(client, staff)
    page = client.get(url)
    data = {"token": token_of(page), "kind": "principal", "value_date": "20/01/2020", "amount": "1.000.000"}
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert flash(second)[-1] == "Biểu mẫu này đã được ghi sổ trước đó; không ghi lại lần nữa."
    assert LoanTransaction.objects.filter(loan=loan, kind="principal").count() == 1
    assert outstanding(loan, date(2020, 1, 20)) == 11_000_000

    # the same form sent from another session reaches the service, which finds the row
    other = signed_in(Client(), staff)
    third = other.post(url, data)
    assert third.status_code == 302
    assert LoanTransaction.objects.filter(loan=loan, kind="principal").count() == 1
    assert outstanding(loan, date(2020, 1, 20)) == 11_000_000


def test_double_submit_of_a_disbursement_opens_one_loan(client, staff, member, poor):
    signed_in(client, staff)
    _, token, digest = preview(client, disburse_data(poor))
    data = {**disburse_data(poor), "token": token, "previewed": digest, "action": "confirm"}
    assert client.post(DISBURSE, data).status_code == 302
    second = client.post(DISBURSE, data)
    assert second.status_code == 302
    assert second["Location"] == reverse("loan_detail", args=["L2"])
    assert Loan.objects.filter(loan_no="L2").count() == 1
    assert LoanTransaction.objects.filter(loan__loan_no="L2").count() == 1


# -- savings --------------------------------------------------------------------------


def test_savings_deposit_and_withdrawal(client, staff, member, loan):
    url = reverse("savings_post", args=[member.national_id])
    signed_in(client, staff)
    response = post_form(client, url, {"kind": "deposit", "value_date": "20/01/2020", "amount": "500.000"})
    assert response.status_code == 302
    assert response["Location"] == reverse("member_detail", args=[member.national_id])
    assert flash(response) == [f"Đã ghi gửi tiết kiệm 500.000 đồng ngày 20/01/2020 cho hộ {member.full_name}."]
    response = post_form(client, url, {"kind": "withdrawal", "value_date": "20/02/2020", "amount": "200.000"})
    assert response.status_code == 302
    assert savings_balance(member, date(2020, 1, 31)) == 500_000
    assert savings_balance(member, date(2020, 2, 20)) == 300_000
    page = client.get(url)
    assert shows(page, "300.000 đồng")
    refused_on_page(
        client,
        url,
        {"kind": "withdrawal", "value_date": "20/02/2020", "amount": "600.000"},
        "Số tiền rút 600.000 đồng vượt số dư tiết kiệm 300.000 đồng tại ngày 20/02/2020.",
    )
    refused_on_page(
        client,
        url,
        {"kind": "withdrawal", "value_date": "10/02/2020", "amount": "400.000"},
        "Số tiền rút 400.000 đồng vượt số dư tiết kiệm 300.000 đồng tại ngày 20/02/2020 (sau ngày giao dịch 10/02/2020).",
    )


def test_savings_double_submit_posts_once(client, staff, member):
    url = reverse("savings_post", args=[member.national_id])
    signed_in(client, staff)
    data = {"token": token_of(client.get(url)), "kind": "deposit", "value_date": "20/01/2020", "amount": "500.000"}
    client.post(url, data)
    client.post(url, data)
    signed_in(Client(), staff).post(url, data)
    assert len(savings_rows(member)) == 1
    assert savings_balance(member, date(2020, 1, 20)) == 500_000


# -- extension, freeze, write-off -----------------------------------------------------


def test_extension(client, staff, loan):
    url = reverse("loan_extend", args=["L1"])
    signed_in(client, staff)
    installment = loan.installments.get()
    response = post_form(
        client,
        url,
        {"installment": installment.pk, "new_due_on": "10/01/2023", "decided_on": "05/01/2022"},
    )
    assert response.status_code == 302
    assert flash(response) == ["Đã gia hạn kỳ 10/01/2022 của món vay L1 đến ngày 10/01/2023."]
    assert list(Extension.objects.values_list("installment", "new_due_on", "decided_on")) == [
        (installment.pk, date(2023, 1, 10), date(2022, 1, 5))
    ]
    book = loan_book(loan)
    assert book.maturity(date(2022, 1, 5)) == date(2023, 1, 10)
    assert book.position(date(2022, 6, 30)).overdue == 0
    refused_on_page(
        client,
        url,
        {"installment": installment.pk, "new_due_on": "01/06/2022", "decided_on": "05/02/2022"},
        "Ngày đến hạn mới phải sau ngày đến hạn hiện tại (10/01/2023).",
    )
    page = client.get(url)
    assert shows(page, "Kỳ 10/01/2022 — 12.000.000 đồng (đã gia hạn đến 10/01/2023)")


def test_freeze_and_its_end(client, staff, loan):
    url = reverse("loan_freeze", args=["L1"])
    signed_in(client, staff)
    response = post_form(
        client, url, {"action": "freeze", "amount": "5.000.000", "effective_on": "01/06/2020", "ends_on": ""}
    )
    assert response.status_code == 302
    assert flash(response) == ["Đã khoanh 5.000.000 đồng của món vay L1 từ ngày 01/06/2020."]
    book = loan_book(loan)
    assert (book.frozen(date(2020, 5, 31)), book.frozen(date(2020, 6, 1))) == (0, 5_000_000)
    freeze = Freeze.objects.get()

    response = post_form(
        client, url, {"action": "end", "end-freeze": freeze.pk, "end-ends_on": "01/09/2020"}, prefix="end-"
    )
    assert response.status_code == 302
    assert flash(response) == ["Đã kết thúc khoanh nợ 5.000.000 đồng của món vay L1 từ ngày 01/09/2020."]
    book = loan_book(loan)
    assert (book.frozen(date(2020, 8, 31)), book.frozen(date(2020, 9, 1))) == (5_000_000, 0)


def test_freeze_refusals(client, staff, loan):
    url = reverse("loan_freeze", args=["L1"])
    signed_in(client, staff)
    refused_on_page(
        client,
        url,
        {"action": "freeze", "amount": "13.000.000", "effective_on": "01/06/2020"},
        "Số tiền khoanh 13.000.000 đồng vượt dư nợ chưa khoanh 12.000.000 đồng tại ngày 01/06/2020.",
    )
    refused_on_page(
        client,
        url,
        {"action": "freeze", "amount": "1.000.000", "effective_on": "01/06/2020", "ends_on": "01/05/2020"},
        "Ngày kết thúc khoanh nợ phải sau ngày bắt đầu.",
    )
    freeze = loan_freeze(loan=loan, amount=2_000_000, effective_on=date(2020, 6, 1), acting_user=staff)
    refused_on_page(
        client,
        url,
        {"action": "end", "end-freeze": freeze.pk, "end-ends_on": "01/06/2020"},
        "Ngày kết thúc khoanh nợ phải sau ngày bắt đầu.",
        prefix="end-",
    )


def test_freeze_double_submit_freezes_once(client, staff, loan):
    url = reverse("loan_freeze", args=["L1"])
    signed_in(client, staff)
    data = {"token": token_of(client.get(url)), "action": "freeze", "amount": "1.000.000", "effective_on": "01/06/2020"}
    client.post(url, data)
    client.post(url, data)
    assert Freeze.objects.count() == 1


def test_write_offs(client, staff, loan):
    url = reverse("loan_write_off", args=["L1"])
    signed_in(client, staff)
    refused_on_page(
        client,
        url,
        {"kind": "interest", "value_date": "20/01/2020", "amount": "30.000"},
        "Số tiền xóa nợ lãi 30.000 đồng vượt lãi tồn đọng 22.000 đồng tại ngày 20/01/2020.",
    )
    response = post_form(client, url, {"kind": "interest", "value_date": "20/01/2020", "amount": "22.000"})
    assert response.status_code == 302
    assert flash(response) == ["Đã ghi xóa nợ lãi 22.000 đồng ngày 20/01/2020 cho món vay L1."]
    assert loan_interest_balance(loan, as_of=date(2020, 1, 20)) == 0
    response = post_form(
        client, url, {"kind": "principal", "value_date": "01/03/2021", "amount": "12.000.000", "reference": "QĐ-12"}
    )
    assert response.status_code == 302
    assert outstanding(loan, date(2021, 3, 1)) == 0
    assert loan_rows(loan)[-1] == ("principal_write_off", date(2021, 3, 1), 12_000_000, "QĐ-12")
    refused_on_page(
        client,
        url,
        {"kind": "principal", "value_date": "02/03/2021", "amount": "1"},
        "Số tiền xóa nợ gốc 1 đồng vượt dư nợ 0 đồng tại ngày 02/03/2021.",
    )


# -- who may post, what is in scope ---------------------------------------------------


def posting_pages(loan, member):
    return [
        reverse("loan_disburse"),
        reverse("loan_post", args=[loan.loan_no]),
        reverse("loan_extend", args=[loan.loan_no]),
        reverse("loan_freeze", args=[loan.loan_no]),
        reverse("loan_write_off", args=[loan.loan_no]),
        reverse("savings_post", args=[member.national_id]),
    ]


def test_officers_may_not_post(client, officer_hnd, loan, member):
    signed_in(client, officer_hnd)
    before = row_counts()
    for url in posting_pages(loan, member):
        assert client.get(url).status_code == 403, url
        response = client.post(
            url, {"kind": "principal", "value_date": "20/01/2020", "amount": "1.000.000", "token": "0" * 32}
        )
        assert response.status_code == 403, url
    assert row_counts() == before


def test_objects_outside_the_scope_are_not_found(client, officer_hpn, staff, loan, member):
    # an officer of another association does not even learn that the loan exists
    signed_in(client, officer_hpn)
    for url in posting_pages(loan, member)[1:]:
        assert client.get(url).status_code == 404, url
    signed_in(client, staff)
    for url in [
        reverse("loan_post", args=["L404"]),
        reverse("loan_extend", args=["L404"]),
        reverse("loan_freeze", args=["L404"]),
        reverse("loan_write_off", args=["L404"]),
        reverse("savings_post", args=["044999999999"]),
    ]:
        assert client.get(url).status_code == 404, url


def test_an_officer_cannot_disburse_to_a_member_by_typing_the_id(client, staff, officer_hpn, member, poor):
    from django.test import RequestFactory

    from lending.forms import LoanDisburseForm
    from vbsp_district.access.scoping import Scope

    request = RequestFactory().get("/")
    request.user = officer_hpn
    form = LoanDisburseForm(disburse_data(poor) | {"token": "a" * 32}, scope=Scope.of(officer_hpn))
    assert not form.is_valid()
    assert form.errors["member"] == ["Không tìm thấy hộ vay có số CCCD/CMND 044000000001."]


def test_anonymous_users_are_sent_to_sign_in(client, loan):
    response = client.get(reverse("loan_post", args=["L1"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# -- query counts: the same with a one-row ledger and a long one ------------------------

# each page reads the loan's facts once: with the borrower's memberships (the day they are
# billed on, from their group's commune) since transaction days change through time
PAGE_QUERIES = {"loan_post": 10, "loan_write_off": 10, "loan_freeze": 13, "loan_extend": 12}


@pytest.mark.parametrize("name", sorted(PAGE_QUERIES))
def test_loan_page_queries(client, staff, loan, busy_loan, name, django_assert_max_num_queries):
    signed_in(client, staff)
    loan_freeze(loan=loan, amount=1_000_000, effective_on=date(2020, 6, 1), acting_user=staff)
    for month in (6, 7, 8):
        loan_freeze(loan=busy_loan, amount=1_000_000, effective_on=date(2020, month, 1), acting_user=staff)
    same_queries(
        django_assert_max_num_queries,
        PAGE_QUERIES[name],
        *[lambda each=each: client.get(reverse(name, args=[each.loan_no])) for each in (loan, busy_loan)],
    )


def test_savings_page_queries(client, staff, member, busy_loan, django_assert_max_num_queries):
    signed_in(client, staff)
    savings_deposit(member=member, amount=100_000, value_date=date(2020, 1, 20), acting_user=staff)
    same_queries(
        django_assert_max_num_queries,
        6,
        *[
            lambda each=each: client.get(reverse("savings_post", args=[each.national_id]))
            for each in (member, busy_loan.member)
        ],
    )


def test_disburse_page_queries(client, staff, member, poor, loan, django_assert_max_num_queries):
    signed_in(client, staff)
    assert_max = django_assert_max_num_queries
    same_queries(assert_max, 4, lambda: client.get(DISBURSE))
    token = token_of(client.get(DISBURSE))
    short = {**disburse_data(poor, term_months="12"), "token": token, "action": "preview"}
    long = {**disburse_data(poor, term_months="120", interval_months="1"), "token": token, "action": "preview"}
    same_queries(assert_max, 8, lambda: client.post(DISBURSE, short), lambda: client.post(DISBURSE, long))


def test_posting_queries(client, staff, loan, busy_loan, django_assert_max_num_queries):
    signed_in(client, staff)
    calls = []
    for each in (loan, busy_loan):
        url = reverse("loan_post", args=[each.loan_no])
        data = {
            "token": token_of(client.get(url)),
            "kind": "principal",
            "value_date": "20/12/2020",
            "amount": "100.000",
        }
        calls.append(lambda url=url, data=data: client.post(url, data))
    # 22, and the borrower's memberships (their billing day) and whether the loan has an
    # interest write-off to keep within the bills the repayment changes
    same_queries(django_assert_max_num_queries, 24, *calls)
