"""Corrections: a reversal row pointing at the original, requested by staff, approved by a
different manager (maker-checker)."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from groups.models import Member
from vbsp_district.core.audit import audit_record
from vbsp_district.core.errors import refuse
from vbsp_district.core.roles import require_manager, require_poster
from vbsp_district.core.writes import book_write

from ..models import Loan, LoanTransaction, ReversalRequest, SavingsTransaction
from ..rules import check_covers, check_day
from .interest import interest_bills_rebuild, write_offs_before
from .postings import PRINCIPAL_KINDS, principal_path, savings_path


def _check_reversible(txn):
    if txn.reverses_id is not None:
        refuse("transaction", "Không thể hủy một giao dịch hủy.")
    if type(txn).objects.filter(reverses=txn).exists():
        refuse("transaction", "Giao dịch đã bị hủy trước đó.")


def _request_create(**values) -> ReversalRequest:
    try:
        with transaction.atomic():
            return ReversalRequest.objects.create(**values)
    except IntegrityError:
        # Another request for the same row was filed since the check.
        pending = {k: v for k, v in values.items() if k.endswith("_transaction")}
        if ReversalRequest.objects.filter(status=ReversalRequest.Status.PENDING, **pending).exists():
            refuse("transaction", "Giao dịch này đã có đề nghị hủy đang chờ duyệt.")
        raise


@transaction.atomic
def reversal_request(*, transaction, reason: str, acting_user) -> ReversalRequest:
    """Ask for a posted loan or savings row to be reversed, with a reason."""
    require_poster(acting_user)
    txn = transaction
    if not reason or not reason.strip():
        refuse("reason", "Phải nêu lý do hủy giao dịch.")
    _check_reversible(txn)
    target = {"loan_transaction": txn} if isinstance(txn, LoanTransaction) else {"savings_transaction": txn}
    if ReversalRequest.objects.filter(status=ReversalRequest.Status.PENDING, **target).exists():
        refuse("transaction", "Giao dịch này đã có đề nghị hủy đang chờ duyệt.")
    request = _request_create(reason=reason.strip(), requested_by=acting_user, **target)
    audit_record(
        user=acting_user,
        action="reversal.request",
        obj=request,
        data={"transaction": txn.pk, "type": type(txn).__name__, "reason": request.reason},
    )
    return request


def _locked_request(request: ReversalRequest, acting_user) -> ReversalRequest:
    require_manager(acting_user)
    request = ReversalRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ReversalRequest.Status.PENDING:
        refuse("request", f"Đề nghị đã được xử lý ({request.get_status_display().lower()}).")
    if request.requested_by_id == acting_user.pk:
        refuse("acting_user", "Người duyệt phải khác người đề nghị hủy giao dịch.")
    return request


@book_write
def reversal_approve(*, request: ReversalRequest, note: str = "", acting_user) -> LoanTransaction | SavingsTransaction:
    """Post the reversal row; the original then counts as never posted, at every date."""
    request = _locked_request(request, acting_user)
    if request.loan_transaction_id:
        loan = Loan.objects.select_for_update().get(pk=request.loan_transaction.loan_id)
        txn = LoanTransaction.objects.get(pk=request.loan_transaction_id)
        _check_reversible(txn)
        check_day(txn.value_date, "transaction", "Ngày giao dịch")
        if txn.kind == LoanTransaction.Kind.DISBURSEMENT:
            check_covers(principal_path(loan), txn.value_date, txn.amount, "transaction", "hủy giải ngân", "dư nợ")
        kept = write_offs_before(loan) if txn.kind in PRINCIPAL_KINDS else None
        reversal = LoanTransaction.objects.create(
            loan=loan,
            kind=txn.kind,
            value_date=txn.value_date,
            amount=txn.amount,
            reverses=txn,
            recorded_by=acting_user,
        )
        interest_bills_rebuild(loan=loan, from_date=txn.value_date - timedelta(days=1), kept=kept, field="transaction")
    else:
        txn = SavingsTransaction.objects.get(pk=request.savings_transaction_id)
        member = Member.objects.select_for_update().get(pk=txn.member_id)
        _check_reversible(txn)
        check_day(txn.value_date, "transaction", "Ngày giao dịch")
        if txn.kind == SavingsTransaction.Kind.DEPOSIT:
            check_covers(savings_path(member), txn.value_date, txn.amount, "transaction", "hủy gửi", "số dư tiết kiệm")
        reversal = SavingsTransaction.objects.create(
            member=member,
            kind=txn.kind,
            value_date=txn.value_date,
            amount=txn.amount,
            reverses=txn,
            recorded_by=acting_user,
        )
    request.status = ReversalRequest.Status.APPROVED
    request.decided_by = acting_user
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        user=acting_user,
        action="reversal.approve",
        obj=request,
        data={"transaction": txn.pk, "reversal": reversal.pk, "amount": txn.amount, "note": note},
    )
    return reversal


@transaction.atomic
def reversal_reject(*, request: ReversalRequest, note: str = "", acting_user) -> ReversalRequest:
    """Refuse a reversal request; the posted row stays as it is."""
    request = _locked_request(request, acting_user)
    request.status = ReversalRequest.Status.REJECTED
    request.decided_by = acting_user
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(user=acting_user, action="reversal.reject", obj=request, data={"note": note})
    return request
