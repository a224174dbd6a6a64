"""Reversals through the pages (maker-checker) and the closing of quarters."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from lending.models import ClosedPeriod, LoanTransaction, ReversalRequest, SavingsTransaction
from lending.services import (
    period_close,
    period_reopen,
    repayment_post,
    reversal_approve,
    reversal_reject,
    reversal_request,
    savings_deposit,
)
from tests.support.book import outstanding, row_counts, savings_balance
from tests.support.pages import flash, post_form, refused_on_page, same_queries, shows, signed_in, text_of, token_of
from vbsp_district.models import AuditEvent

pytestmark = pytest.mark.django_db

REVERSALS = reverse("reversal_list")
PERIODS = reverse("period_list")
MANAGER_ONLY = "Chỉ lãnh đạo phòng giao dịch được thực hiện thao tác này."


def request_url(txn) -> str:
    param = "loan_txn" if isinstance(txn, LoanTransaction) else "savings_txn"
    return f"{reverse('reversal_request')}?{param}={txn.pk}"


@pytest.fixture
def repayment(loan, staff):
    return repayment_post(loan=loan, amount=2_000_000, value_date=date(2020, 1, 20), acting_user=staff)


# -- the maker-checker flow -----------------------------------------------------------


def test_staff_request_and_a_manager_approves(client, staff, manager, loan, repayment):
    assert outstanding(loan, date(2020, 1, 20)) == 10_000_000
    signed_in(client, staff)
    page = client.get(request_url(repayment))
    assert shows(page, "Thu nợ gốc")
    assert shows(page, "2.000.000 đồng")
    refused_on_page(client, request_url(repayment), {"reason": "  "}, "Phải nêu lý do hủy giao dịch.")

    response = post_form(client, request_url(repayment), {"reason": "Nhập nhầm số tiền"})
    assert response.status_code == 302
    assert response["Location"] == REVERSALS
    assert flash(response) == [
        "Đã gửi đề nghị hủy giao dịch thu nợ gốc 2.000.000 đồng ngày 20/01/2020 của món vay L1; "
        "chờ lãnh đạo phòng giao dịch duyệt."
    ]
    filed = ReversalRequest.objects.get()
    assert (filed.loan_transaction, filed.reason, filed.status, filed.requested_by) == (
        repayment,
        "Nhập nhầm số tiền",
        "pending",
        staff,
    )
    assert outstanding(loan, date(2020, 1, 20)) == 10_000_000  # nothing changes until approved

    listing = client.get(REVERSALS)
    assert [r.pk for r in listing.context["pending"]] == [filed.pk]
    text = text_of(listing)
    assert "Thu nợ gốc · món vay L1" in text and "20/01/2020 2.000.000 Nhập nhầm số tiền" in text

    refused_on_page(
        client, request_url(repayment), {"reason": "Lần nữa"}, "Giao dịch này đã có đề nghị hủy đang chờ duyệt."
    )
    # staff may see the request but not decide it: the service says so
    refused_on_page(client, reverse("reversal_decide", args=[filed.pk]), {"decision": "approve"}, MANAGER_ONLY)

    signed_in(client, manager)
    response = post_form(client, reverse("reversal_decide", args=[filed.pk]), {"decision": "approve"})
    assert response.status_code == 302
    assert response["Location"] == REVERSALS
    assert flash(response) == [
        f"Đã duyệt đề nghị số {filed.pk}: giao dịch thu nợ gốc 2.000.000 đồng ngày 20/01/2020 của món vay L1 "
        "đã được hủy."
    ]
    filed.refresh_from_db()
    assert (filed.status, filed.decided_by) == ("approved", manager)
    assert LoanTransaction.objects.get(reverses=repayment).amount == 2_000_000
    assert outstanding(loan, date(2020, 1, 20)) == 12_000_000

    listing = client.get(REVERSALS)
    assert listing.context["pending"] == []
    assert [r.pk for r in listing.context["decided"]] == [filed.pk]
    assert shows(listing, "Đã duyệt")
    # the loan's ledger shows what became of the row
    assert shows(client.get(reverse("loan_post", args=["L1"])), "đã hủy")
    # a decided request can no longer be decided
    response = client.post(reverse("reversal_decide", args=[filed.pk]), {"token": "a" * 32, "decision": "reject"})
    assert shows(response, "Đề nghị đã được xử lý (đã duyệt).")


def test_the_requesting_manager_cannot_approve_their_own_request(client, manager, manager2, loan, repayment):
    signed_in(client, manager)
    assert post_form(client, request_url(repayment), {"reason": "Trùng chứng từ"}).status_code == 302
    filed = ReversalRequest.objects.get()
    url = reverse("reversal_decide", args=[filed.pk])
    assert shows(client.get(url), "Bạn là người đề nghị: một lãnh đạo khác phải duyệt.")
    refused_on_page(client, url, {"decision": "approve"}, "Người duyệt phải khác người đề nghị hủy giao dịch.")
    assert ReversalRequest.objects.get().status == "pending"
    assert outstanding(loan, date(2020, 1, 20)) == 10_000_000

    signed_in(client, manager2)
    response = post_form(client, url, {"decision": "reject", "note": "Chứng từ đúng"})
    assert response.status_code == 302
    assert flash(response) == [
        f"Đã từ chối đề nghị số {filed.pk}; giao dịch thu nợ gốc 2.000.000 đồng ngày 20/01/2020 của món vay L1 "
        "giữ nguyên."
    ]
    filed.refresh_from_db()
    assert (filed.status, filed.decided_by, filed.decision_note) == ("rejected", manager2, "Chứng từ đúng")
    assert outstanding(loan, date(2020, 1, 20)) == 10_000_000
    assert shows(client.get(REVERSALS), "Ghi chú: Chứng từ đúng")


def test_a_savings_reversal(client, staff, manager, member):
    deposit = savings_deposit(member=member, amount=500_000, value_date=date(2020, 1, 20), acting_user=staff)
    signed_in(client, staff)
    assert post_form(client, request_url(deposit), {"reason": "Gửi nhầm hộ"}).status_code == 302
    filed = ReversalRequest.objects.get()
    assert filed.savings_transaction == deposit
    signed_in(client, manager)
    assert post_form(client, reverse("reversal_decide", args=[filed.pk]), {"decision": "approve"}).status_code == 302
    assert savings_balance(member, date(2020, 1, 20)) == 0
    assert SavingsTransaction.objects.filter(reverses=deposit).count() == 1
    # a reversal row cannot itself be reversed
    reversal = SavingsTransaction.objects.get(reverses=deposit)
    refused_on_page(client, request_url(reversal), {"reason": "Nhầm"}, "Không thể hủy một giao dịch hủy.")


def test_reversal_double_submit_files_one_request(client, staff, repayment):
    signed_in(client, staff)
    url = request_url(repayment)
    data = {"token": token_of(client.get(url)), "reason": "Nhập nhầm"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert ReversalRequest.objects.count() == 1


def test_reversal_pages_refuse_officers_and_hide_what_is_out_of_scope(
    client, staff, officer_hnd, officer_hpn, member, repayment
):
    filed = reversal_request(transaction=repayment, reason="Nhập nhầm", acting_user=staff)
    deposit = savings_deposit(member=member, amount=500_000, value_date=date(2020, 1, 20), acting_user=staff)
    before = row_counts()
    signed_in(client, officer_hnd)  # the loan is theirs to see, not to correct
    assert client.get(request_url(repayment)).status_code == 403
    assert client.post(request_url(repayment), {"token": "a" * 32, "reason": "x"}).status_code == 403
    assert client.get(REVERSALS).status_code == 403
    assert client.get(reverse("reversal_decide", args=[filed.pk])).status_code == 403
    assert client.post(reverse("reversal_decide", args=[filed.pk]), {"decision": "approve"}).status_code == 403
    signed_in(client, officer_hpn)  # another association's loan: not found at all
    assert client.get(request_url(repayment)).status_code == 404
    assert client.get(request_url(deposit)).status_code == 404
    assert client.get(reverse("reversal_decide", args=[filed.pk])).status_code == 404
    signed_in(client, staff)
    for url in [
        reverse("reversal_request"),
        reverse("reversal_request") + "?loan_txn=999999",
        reverse("reversal_request") + "?savings_txn=999999",
        reverse("reversal_request") + "?loan_txn=abc",
        reverse("reversal_request") + "?loan_txn=99999999999999999999999",
        reverse("reversal_decide", args=[999999]),
    ]:
        assert client.get(url).status_code == 404, url
    assert row_counts() == before


def test_reversal_page_queries(client, staff, manager, manager2, loan, busy_loan, django_assert_max_num_queries):
    repayments = list(LoanTransaction.objects.filter(loan=busy_loan, kind="principal"))
    first = reversal_request(transaction=repayments[0], reason="Nhầm 0", acting_user=staff)
    signed_in(client, manager)
    assert_max = django_assert_max_num_queries
    same_queries(assert_max, 6, lambda: client.get(REVERSALS))
    disbursement = LoanTransaction.objects.filter(loan=loan).get()
    same_queries(
        assert_max,
        5,
        lambda: client.get(request_url(repayments[1])),
        lambda: client.get(request_url(disbursement)),
    )
    same_queries(assert_max, 5, lambda: client.get(reverse("reversal_decide", args=[first.pk])))
    for i, txn in enumerate(repayments[1:], start=1):
        filed = reversal_request(transaction=txn, reason=f"Nhầm {i}", acting_user=staff)
        if i % 3 == 0:
            reversal_approve(request=filed, acting_user=manager2)
        elif i % 3 == 1:
            reversal_reject(request=filed, acting_user=manager2)
    deposit = SavingsTransaction.objects.filter(member=busy_loan.member).first()
    reversal_request(transaction=deposit, reason="Nhầm hộ", acting_user=staff)
    assert len(client.get(REVERSALS).context["pending"]) == 5
    same_queries(assert_max, 6, lambda: client.get(REVERSALS))
    same_queries(assert_max, 5, lambda: client.get(reverse("reversal_decide", args=[first.pk])))


# -- periods --------------------------------------------------------------------------


def this_quarter():
    today = timezone.localdate()
    return today.year, (today.month + 2) // 3


def test_a_manager_closes_and_reopens_a_quarter(client, manager):
    signed_in(client, manager)
    page = client.get(PERIODS)
    assert len(page.context["quarters"]) == 8
    response = post_form(client, PERIODS, {"action": "close", "year": "2020", "quarter": "1"})
    assert response.status_code == 302
    assert flash(response) == ["Đã khóa sổ quý 1/2020."]
    period = ClosedPeriod.objects.get()
    assert (period.start, period.end, period.closed_by, period.reopened_at) == (
        date(2020, 1, 1),
        date(2020, 3, 31),
        manager,
        None,
    )
    assert AuditEvent.objects.filter(action="period.close", object_key="2020Q1").count() == 1
    refused_on_page(client, PERIODS, {"action": "close", "year": "2020", "quarter": "1"}, "Quý 1/2020 đã khóa sổ.")
    year, quarter = this_quarter()
    refused_on_page(
        client,
        PERIODS,
        {"action": "close", "year": str(year), "quarter": str(quarter)},
        f"Quý {quarter}/{year} chưa kết thúc, chưa thể khóa sổ.",
    )

    refused_on_page(
        client,
        PERIODS,
        {"action": "reopen", "period": period.pk, "reason": " "},
        "Phải nêu lý do mở lại kỳ đã khóa sổ.",
    )
    response = post_form(client, PERIODS, {"action": "reopen", "period": period.pk, "reason": "Bổ sung chứng từ"})
    assert response.status_code == 302
    assert flash(response) == ["Đã mở lại quý 1/2020."]
    period.refresh_from_db()
    assert (period.reopened_by, period.reopened_at is not None) == (manager, True)
    event = AuditEvent.objects.get(action="period.reopen")
    assert event.data == {"reason": "Bổ sung chứng từ"}
    assert shows(client.get(PERIODS), "Lý do: Bổ sung chứng từ")
    # closed and reopened again: each reopening keeps its own reason
    period_close(year=2020, quarter=1, acting_user=manager)
    assert (
        post_form(
            client,
            PERIODS,
            {"action": "reopen", "period": ClosedPeriod.objects.get(reopened_at=None).pk, "reason": "Sửa sai lần hai"},
        ).status_code
        == 302
    )
    history = client.get(PERIODS).context["history"]
    assert [(p.quarter_label, p.reopen_reason) for p in history] == [
        ("1/2020", "Sửa sai lần hai"),
        ("1/2020", "Bổ sung chứng từ"),
    ]
    # reopening what is no longer closed
    refused_on_page(
        client, PERIODS, {"action": "reopen", "period": period.pk, "reason": "Lần nữa"}, "Kỳ này không còn khóa sổ."
    )


def test_the_latest_ended_quarter_closes_from_its_row(client, manager):
    signed_in(client, manager)
    page = client.get(PERIODS)
    latest = page.context["quarters"][0]
    token = latest["form"].initial["token"]
    response = client.post(
        PERIODS, {"token": token, "action": "close", "year": latest["year"], "quarter": latest["quarter"]}
    )
    assert response.status_code == 302
    assert ClosedPeriod.objects.get().start == latest["start"]
    assert client.get(PERIODS).context["quarters"][0]["closed"] is not None


def test_staff_view_the_periods_officers_do_not(client, staff, manager, officer_hnd):
    period_close(year=2020, quarter=1, acting_user=manager)
    signed_in(client, staff)
    page = client.get(PERIODS)
    assert page.status_code == 200
    assert "Quý 1/2020 " in text_of(page) and shows(page, "Đang khóa")
    assert 'value="close"' not in page.content.decode()
    before = row_counts()
    assert (
        client.post(PERIODS, {"token": "a" * 32, "action": "close", "year": "2020", "quarter": "2"}).status_code == 403
    )
    period = ClosedPeriod.objects.get()
    assert (
        client.post(PERIODS, {"token": "a" * 32, "action": "reopen", "period": period.pk, "reason": "x"}).status_code
        == 403
    )
    signed_in(client, officer_hnd)
    assert client.get(PERIODS).status_code == 403
    assert row_counts() == before


def test_period_page_queries(client, manager, manager2, django_assert_max_num_queries):
    signed_in(client, manager)
    same_queries(django_assert_max_num_queries, 6, lambda: client.get(PERIODS))
    for year in (2019, 2020, 2021):
        for quarter in (1, 2, 3, 4):
            period = period_close(year=year, quarter=quarter, acting_user=manager)
            if quarter % 2:
                period_reopen(period=period, reason=f"Bổ sung quý {quarter}", acting_user=manager2)
    same_queries(django_assert_max_num_queries, 6, lambda: client.get(PERIODS))
