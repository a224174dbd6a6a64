"""Maker-checker: staff ask to reverse a posted row, a different manager decides."""

import re

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from vbsp_district.access.pages import deny_unless_poster
from vbsp_district.core.forms import call_service
from vbsp_district.core.money import vn_date, vnd

from .. import services
from ..forms import ReversalDecideForm, ReversalRequestForm
from ..models import LoanTransaction, ReversalRequest, SavingsTransaction
from ._desk import done, replayed

RECENT_DECISIONS = 20
_ID = r"^\d{1,18}$"


def _scoped_requests(scope):
    return ReversalRequest.objects.filter(
        Q(loan_transaction__loan__in=scope.loans().values("pk"))
        | Q(savings_transaction__member__in=scope.members().values("pk"))
    ).select_related(
        "loan_transaction__loan__member",
        "savings_transaction__member",
        "requested_by",
        "decided_by",
    )


def _posting_from_query(request):
    """The loan or savings row named by ?loan_txn= or ?savings_txn=, through the scope."""
    loan_txn, savings_txn = request.GET.get("loan_txn", ""), request.GET.get("savings_txn", "")
    if re.match(_ID, loan_txn):
        rows = LoanTransaction.objects.filter(loan__in=request.scope.loans().values("pk"))
        return get_object_or_404(rows.select_related("loan__member", "reversed_by"), pk=int(loan_txn))
    if re.match(_ID, savings_txn):
        rows = SavingsTransaction.objects.filter(member__in=request.scope.members().values("pk"))
        return get_object_or_404(rows.select_related("member", "reversed_by"), pk=int(savings_txn))
    raise Http404("Không có giao dịch cần hủy.")


def describe(txn) -> str:
    """'thu nợ gốc 1.000.000 đồng ngày 20/01/2020 của món vay L1' (or of a member's savings)."""
    owner = f"món vay {txn.loan.loan_no}" if isinstance(txn, LoanTransaction) else f"hộ {txn.member.full_name}"
    return f"{txn.get_kind_display().lower()} {vnd(txn.amount)} đồng ngày {vn_date(txn.value_date)} của {owner}"


@require_http_methods(["GET", "POST"])
def reversal_request(request):
    """Đề nghị hủy giao dịch, with a reason."""
    txn = _posting_from_query(request)
    deny_unless_poster(request)
    form = ReversalRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if response := replayed(request, form):
            return response
        filed = call_service(
            form,
            services.reversal_request,
            transaction=txn,
            reason=form.cleaned_data["reason"],
            acting_user=request.user,
        )
        if filed is not None:
            return done(
                request,
                form,
                reverse("reversal_list"),
                f"Đã gửi đề nghị hủy giao dịch {describe(txn)}; chờ lãnh đạo phòng giao dịch duyệt.",
            )
    pending = ReversalRequest.objects.filter(
        Q(loan_transaction=txn) if isinstance(txn, LoanTransaction) else Q(savings_transaction=txn),
        status=ReversalRequest.Status.PENDING,
    ).exists()
    return render(
        request,
        "lending/reversal_request.html",
        {"txn": txn, "is_loan": isinstance(txn, LoanTransaction), "form": form, "pending": pending},
    )


@require_safe
def reversal_list(request):
    """Pending requests with the postings they would reverse, and the latest decisions."""
    deny_unless_poster(request)
    requests = _scoped_requests(request.scope)
    pending = requests.filter(status=ReversalRequest.Status.PENDING).order_by("requested_at", "id")
    decided = requests.exclude(status=ReversalRequest.Status.PENDING).order_by("-decided_at", "-id")
    return render(
        request,
        "lending/reversal_list.html",
        {"pending": list(pending), "decided": list(decided[:RECENT_DECISIONS])},
    )


@require_http_methods(["GET", "POST"])
def reversal_decide(request, pk):
    """A manager other than the requester approves or rejects (the services say who may)."""
    filed = get_object_or_404(_scoped_requests(request.scope), pk=pk)
    deny_unless_poster(request)
    form = ReversalDecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if response := replayed(request, form):
            return response
        txn = filed.target
        if form.cleaned_data["decision"] == "approve":
            result = call_service(
                form, services.reversal_approve, request=filed, note=form.cleaned_data["note"], acting_user=request.user
            )
            message = f"Đã duyệt đề nghị số {filed.pk}: giao dịch {describe(txn)} đã được hủy."
        else:
            result = call_service(
                form, services.reversal_reject, request=filed, note=form.cleaned_data["note"], acting_user=request.user
            )
            message = f"Đã từ chối đề nghị số {filed.pk}; giao dịch {describe(txn)} giữ nguyên."
        if result is not None:
            return done(request, form, reverse("reversal_list"), message)
    return render(
        request,
        "lending/reversal_decide.html",
        {"filed": filed, "txn": filed.target, "is_loan": filed.loan_transaction_id is not None, "form": form},
    )
