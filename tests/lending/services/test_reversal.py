from datetime import date

import pytest
from django.utils import timezone

from lending.engine import MAX_DATE
from lending.models import Loan, LoanTransaction, ReversalRequest, SavingsTransaction
from lending.selectors import (
    effective_loan_transactions,
    loan_book,
    member_savings_balance,
)
from lending.services import (
    interest_payment_post,
    loan_tranche_disburse,
    period_close,
    period_reopen,
    repayment_post,
    reversal_approve,
    reversal_reject,
    reversal_request,
    savings_deposit,
    savings_withdraw,
    write_off_post,
)
from tests.support.book import bills_of, disburse, loan_interest_balance, refused
from tests.support.factories import UserFactory
from vbsp_district.models import Role

pytestmark = pytest.mark.django_db

MANAGER_ONLY = "Chỉ lãnh đạo phòng giao dịch được thực hiện thao tác này."


@pytest.fixture
def loan(member, poor, staff):
    return disburse(member=member, program=poor, user=staff)


def test_approved_reversal_counts_as_never_posted(loan, staff, manager):
    bills_before = bills_of(loan)
    repayment = repayment_post(loan=loan, amount=6_000_000, value_date=date(2020, 2, 10), acting_user=staff)
    assert bills_of(loan) != bills_before
    assert loan_book(loan).outstanding(date(2020, 2, 10)) == 6_000_000

    request = reversal_request(transaction=repayment, reason=" Nhập nhầm số tiền ", acting_user=staff)
    request.refresh_from_db()
    assert (
        request.loan_transaction,
        request.savings_transaction,
        request.reason,
        request.status,
        request.requested_by,
    ) == (repayment, None, "Nhập nhầm số tiền", "pending", staff)
    # A pending request changes nothing yet.
    assert loan_book(loan).outstanding(date(2020, 2, 10)) == 6_000_000

    reversal = reversal_approve(request=request, acting_user=manager)
    reversal.refresh_from_db()
    assert (
        reversal.loan,
        reversal.kind,
        reversal.value_date,
        reversal.amount,
        reversal.reverses,
        reversal.recorded_by,
        reversal.reference,
    ) == (
        loan,
        "principal",
        date(2020, 2, 10),
        6_000_000,
        repayment,
        manager,
        None,
    )
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", manager)
    assert request.decided_at is not None
    # Both rows stay in the ledger; neither counts.
    assert LoanTransaction.objects.filter(loan=loan).count() == 3
    assert list(effective_loan_transactions(loan=loan).values_list("kind", flat=True)) == ["disbursement"]
    assert loan_book(loan).outstanding(date(2020, 2, 10)) == 12_000_000
    assert bills_of(loan) == bills_before


def test_reversal_of_a_closing_repayment_restores_the_bills(loan, staff, manager):
    bills_before = bills_of(loan)
    repayment = repayment_post(loan=loan, amount=12_000_000, value_date=date(2020, 3, 5), acting_user=staff)
    assert bills_of(loan)[-1][0] == date(2020, 3, 5)
    # A closed loan's bills are final.
    assert Loan.objects.get(pk=loan.pk).bills_through == MAX_DATE
    reversal_approve(
        request=reversal_request(transaction=repayment, reason="Sai món vay", acting_user=staff), acting_user=manager
    )
    assert bills_of(loan) == bills_before
    assert Loan.objects.get(pk=loan.pk).bills_through == timezone.localdate()


def test_reversal_of_an_interest_payment_and_a_write_off(loan, staff, manager):
    payment = interest_payment_post(loan=loan, amount=22_000, value_date=date(2020, 1, 20), acting_user=staff)
    write_off = write_off_post(loan=loan, amount=68_200, value_date=date(2020, 2, 20), interest=True, acting_user=staff)
    assert loan_interest_balance(loan, as_of=date(2020, 2, 20)) == 0
    reversal_approve(
        request=reversal_request(transaction=payment, reason="Sai", acting_user=staff), acting_user=manager
    )
    assert loan_interest_balance(loan, as_of=date(2020, 2, 20)) == 22_000
    reversal_approve(
        request=reversal_request(transaction=write_off, reason="Sai", acting_user=staff), acting_user=manager
    )
    assert loan_interest_balance(loan, as_of=date(2020, 2, 20)) == 90_200


def test_reversal_of_a_disbursement_without_dependants(loan, staff, manager):
    first = LoanTransaction.objects.get(loan=loan)
    reversal_approve(
        request=reversal_request(transaction=first, reason="Giải ngân nhầm", acting_user=staff), acting_user=manager
    )
    assert loan_book(loan).outstanding(date(2020, 6, 30)) == 0
    assert bills_of(loan) == []


def test_reversing_a_disbursement_that_later_repayments_depend_on_is_refused(member, poor, staff, manager):
    loan = disburse(member=member, program=poor, user=staff, amount=6_000_000, approved_amount=12_000_000)
    tranche = loan_tranche_disburse(loan=loan, amount=6_000_000, value_date=date(2020, 2, 10), acting_user=staff)
    repayment_post(loan=loan, amount=8_000_000, value_date=date(2020, 3, 20), acting_user=staff)
    request = reversal_request(transaction=tranche, reason="Giải ngân nhầm", acting_user=staff)
    refused(
        reversal_approve,
        "transaction",
        "Số tiền hủy giải ngân 6.000.000 đồng vượt dư nợ 4.000.000 đồng tại ngày 20/03/2020 "
        "(sau ngày giao dịch 10/02/2020).",
        request=request,
        acting_user=manager,
    )
    assert ReversalRequest.objects.get(pk=request.pk).status == "pending"
    first = LoanTransaction.objects.get(loan=loan, value_date=date(2020, 1, 10))
    request = reversal_request(transaction=first, reason="Giải ngân nhầm", acting_user=staff)
    refused(
        reversal_approve,
        "transaction",
        "Số tiền hủy giải ngân 6.000.000 đồng vượt dư nợ 4.000.000 đồng tại ngày 20/03/2020 "
        "(sau ngày giao dịch 10/01/2020).",
        request=request,
        acting_user=manager,
    )


def test_the_requester_cannot_approve_even_as_a_manager(loan, staff, manager, manager2):
    repayment = repayment_post(loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), acting_user=manager)
    request = reversal_request(transaction=repayment, reason="Sai ngày", acting_user=manager)
    refused(
        reversal_approve,
        "acting_user",
        "Người duyệt phải khác người đề nghị hủy giao dịch.",
        request=request,
        acting_user=manager,
    )
    refused(
        reversal_reject,
        "acting_user",
        "Người duyệt phải khác người đề nghị hủy giao dịch.",
        request=request,
        acting_user=manager,
    )
    reversal_approve(request=request, acting_user=manager2)
    assert loan_book(loan).outstanding(date(2020, 2, 20)) == 12_000_000


def test_staff_cannot_decide(loan, staff):
    other = UserFactory(username="canbo2", role=Role.STAFF)
    repayment = repayment_post(loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), acting_user=staff)
    request = reversal_request(transaction=repayment, reason="Sai ngày", acting_user=staff)
    refused(reversal_approve, "acting_user", MANAGER_ONLY, request=request, acting_user=other)
    refused(reversal_reject, "acting_user", MANAGER_ONLY, request=request, acting_user=other)


def test_association_officer_cannot_request(loan, staff, hnd):
    officer = UserFactory(username="hnd", role=Role.OFFICER, role__association=hnd)
    repayment = repayment_post(loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), acting_user=staff)
    refused(
        reversal_request,
        "acting_user",
        "Bạn không có quyền ghi sổ giao dịch.",
        transaction=repayment,
        reason="Sai",
        acting_user=officer,
    )


def test_reversal_reject_keeps_the_posting(loan, staff, manager):
    repayment = repayment_post(loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), acting_user=staff)
    request = reversal_request(transaction=repayment, reason="Sai ngày", acting_user=staff)
    rejected = reversal_reject(request=request, note="Chứng từ đúng", acting_user=manager)
    rejected.refresh_from_db()
    assert (rejected.status, rejected.decided_by, rejected.decision_note) == ("rejected", manager, "Chứng từ đúng")
    assert not LoanTransaction.objects.filter(reverses=repayment).exists()
    assert loan_book(loan).outstanding(date(2020, 2, 20)) == 11_000_000
    refused(reversal_approve, "request", "Đề nghị đã được xử lý (từ chối).", request=request, acting_user=manager)
    # A new request may follow a rejected one.
    reversal_approve(
        request=reversal_request(transaction=repayment, reason="Sai số tiền", acting_user=staff), acting_user=manager
    )
    assert loan_book(loan).outstanding(date(2020, 2, 20)) == 12_000_000


def test_reversal_request_refusals(loan, staff, manager):
    repayment = repayment_post(loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), acting_user=staff)
    for reason in ("", "   ", None):
        refused(
            reversal_request,
            "reason",
            "Phải nêu lý do hủy giao dịch.",
            transaction=repayment,
            reason=reason,
            acting_user=staff,
        )
    request = reversal_request(transaction=repayment, reason="Sai", acting_user=staff)
    refused(
        reversal_request,
        "transaction",
        "Giao dịch này đã có đề nghị hủy đang chờ duyệt.",
        transaction=repayment,
        reason="Sai",
        acting_user=staff,
    )
    reversal = reversal_approve(request=request, acting_user=manager)
    refused(reversal_approve, "request", "Đề nghị đã được xử lý (đã duyệt).", request=request, acting_user=manager)
    refused(reversal_reject, "request", "Đề nghị đã được xử lý (đã duyệt).", request=request, acting_user=manager)
    # Reversing twice, and reversing a reversal.
    refused(
        reversal_request,
        "transaction",
        "Giao dịch đã bị hủy trước đó.",
        transaction=repayment,
        reason="Sai",
        acting_user=staff,
    )
    refused(
        reversal_request,
        "transaction",
        "Không thể hủy một giao dịch hủy.",
        transaction=reversal,
        reason="Hủy nhầm",
        acting_user=staff,
    )
    assert loan_book(loan).outstanding(date(2020, 2, 20)) == 12_000_000


def test_reversal_inside_a_closed_period_waits_for_a_reopening(loan, staff, manager):
    repayment = repayment_post(loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), acting_user=staff)
    period = period_close(year=2020, quarter=1, acting_user=manager)
    request = reversal_request(transaction=repayment, reason="Sai", acting_user=staff)
    refused(
        reversal_approve,
        "transaction",
        "Ngày giao dịch 20/02/2020 nằm trong quý 1/2020 đã khóa sổ (01/01/2020–31/03/2020).",
        request=request,
        acting_user=manager,
    )
    period_reopen(period=period, reason="Điều chỉnh sai sót", acting_user=manager)
    reversal_approve(request=request, acting_user=manager)
    assert loan_book(loan).outstanding(date(2020, 2, 20)) == 12_000_000


# -- savings --------------------------------------------------------------------------


def test_savings_reversal(member, staff, manager):
    deposit = savings_deposit(member=member, amount=1_000_000, value_date=date(2020, 1, 20), acting_user=staff)
    withdrawal = savings_withdraw(member=member, amount=800_000, value_date=date(2020, 3, 20), acting_user=staff)
    request = reversal_request(transaction=deposit, reason="Gửi nhầm", acting_user=staff)
    assert (request.savings_transaction, request.loan_transaction) == (deposit, None)
    refused(
        reversal_approve,
        "transaction",
        "Số tiền hủy gửi 1.000.000 đồng vượt số dư tiết kiệm 200.000 đồng tại ngày 20/03/2020 "
        "(sau ngày giao dịch 20/01/2020).",
        request=request,
        acting_user=manager,
    )
    reversal_reject(request=request, acting_user=manager)
    reversal = reversal_approve(
        request=reversal_request(transaction=withdrawal, reason="Rút nhầm", acting_user=staff), acting_user=manager
    )
    assert (reversal.member, reversal.kind, reversal.amount, reversal.reverses) == (
        member,
        "withdrawal",
        800_000,
        withdrawal,
    )
    assert member_savings_balance(member, as_of=date(2020, 3, 20)) == 1_000_000
    reversal_approve(
        request=reversal_request(transaction=deposit, reason="Gửi nhầm", acting_user=staff), acting_user=manager
    )
    assert member_savings_balance(member, as_of=date(2020, 3, 20)) == 0
    assert SavingsTransaction.objects.count() == 4
    refused(
        reversal_request,
        "transaction",
        "Không thể hủy một giao dịch hủy.",
        transaction=reversal,
        reason="Sai",
        acting_user=staff,
    )
    refused(
        reversal_request,
        "transaction",
        "Giao dịch đã bị hủy trước đó.",
        transaction=deposit,
        reason="Sai",
        acting_user=staff,
    )


def test_a_reversed_rows_reference_cannot_be_replayed(member, poor, staff, manager):
    from lending.services import loan_disburse, repayment_post, reversal_approve, reversal_request
    from tests.support.book import refused

    loan = loan_disburse(
        loan_no="REF1",
        member=member,
        program=poor,
        amount=12_000_000,
        disbursed_on=date(2020, 1, 10),
        installments=[(date(2021, 1, 10), 12_000_000)],
        acting_user=staff,
    )
    txn = repayment_post(loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), reference="PT01", acting_user=staff)
    request = reversal_request(transaction=txn, reason="Nhập nhầm số tiền", acting_user=staff)
    reversal_approve(request=request, acting_user=manager)
    refused(
        repayment_post,
        "reference",
        "Số chứng từ PT01 thuộc giao dịch đã bị hủy; dùng số chứng từ mới cho bút toán điều chỉnh.",
        loan=loan,
        amount=1_000_000,
        value_date=date(2020, 2, 20),
        reference="PT01",
        acting_user=staff,
    )


def test_the_approvers_note_is_kept(loan, staff, manager):
    from lending.services import repayment_post, reversal_approve, reversal_request

    txn = repayment_post(loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), acting_user=staff)
    request = reversal_request(transaction=txn, reason="Nhập nhầm", acting_user=staff)
    reversal_approve(request=request, note="Đã đối chiếu chứng từ", acting_user=manager)
    request.refresh_from_db()
    assert request.decision_note == "Đã đối chiếu chứng từ"
