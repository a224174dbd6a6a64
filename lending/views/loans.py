"""Loan pages that write: disbursement, postings, extension, freeze, write-off."""

from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from groups.selectors import membership_on
from vbsp_district.access.pages import deny_unless_poster
from vbsp_district.core.forms import call_service
from vbsp_district.core.money import vn_date, vnd

from .. import services
from ..forms import FreezeEndForm, LoanDisburseForm, LoanExtendForm, LoanFreezeForm, LoanPostForm, WriteOffForm
from ..models import LoanTransaction
from ..selectors import program_rate_on
from ._desk import done, loan_ledger, loan_summary, rate_text, replayed

Kind = LoanTransaction.Kind

POST_SERVICES = {
    Kind.PRINCIPAL: services.repayment_post,
    Kind.INTEREST: services.interest_payment_post,
    Kind.DISBURSEMENT: services.loan_tranche_disburse,
}


def _loan(request, loan_no):
    """The loan through the user's scope (404 outside it); then only posters go on (403)."""
    loan = get_object_or_404(request.scope.loans().select_related("member__commune", "program"), loan_no=loan_no)
    deny_unless_poster(request)
    return loan


def _page(request, template, loan, **context):
    today = timezone.localdate()
    return render(
        request,
        template,
        {"loan": loan, "summary": loan_summary(loan, today), "ledger": loan_ledger(loan), **context},
    )


@require_http_methods(["GET", "POST"])
def loan_disburse(request):
    """Giải ngân: fill the contract, preview the schedule, confirm."""
    deny_unless_poster(request)
    preview = stale = None
    if request.method == "POST":
        form = LoanDisburseForm(request.POST, scope=request.scope)
        if form.is_valid():
            if response := replayed(request, form):
                return response
            if form.is_confirmed():
                loan = call_service(form, services.loan_disburse, acting_user=request.user, **form.service_kwargs())
                if loan is not None:
                    return done(
                        request,
                        form,
                        loan.get_absolute_url(),
                        f"Đã giải ngân món vay {loan.loan_no}: {vnd(form.cleaned_data['amount'])} đồng "
                        f"cho hộ {loan.member.full_name}.",
                    )
            else:
                # a confirmation of a form changed since its preview shows the new preview
                stale = request.POST.get("action") == "confirm" and bool(form.cleaned_data.get("previewed"))
        if not form.errors:
            preview = _preview(form)
    else:
        form = LoanDisburseForm(scope=request.scope, initial={"member": request.GET.get("member", "")[:12]})
    return render(request, "lending/loan_disburse.html", {"form": form, "preview": preview, "stale": stale})


def _preview(form):
    data = form.cleaned_data
    schedule = sorted(data["schedule"])
    membership = membership_on(data["member"], data["disbursed_on"])
    return {
        "member": data["member"],
        "group": membership.group if membership else None,
        "program": data["program"],
        "channel": dict(form.fields["channel"].choices)[data["channel"]],
        "amount": data["amount"],
        "approved_amount": data.get("approved_amount") or data["amount"],
        "disbursed_on": data["disbursed_on"],
        "rate": rate_text(data.get("annual_rate") or program_rate_on(data["program"], data["disbursed_on"])),
        "rows": schedule,
        "total": sum(principal for _, principal in schedule),
        "digest": form.digest(),
    }


@require_http_methods(["GET", "POST"])
def loan_post(request, loan_no):
    """Thu nợ gốc, thu lãi, or a later tranche."""
    loan = _loan(request, loan_no)
    form = LoanPostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if response := replayed(request, form):
            return response
        data = form.cleaned_data
        txn = call_service(
            form,
            POST_SERVICES[data["kind"]],
            loan=loan,
            amount=data["amount"],
            value_date=data["value_date"],
            reference=form.reference_or_token(),
            acting_user=request.user,
        )
        if txn is not None:
            return done(
                request,
                form,
                loan.get_absolute_url(),
                f"Đã ghi {form.kind_label()} {vnd(txn.amount)} đồng ngày {vn_date(txn.value_date)} "
                f"cho món vay {loan.loan_no}.",
            )
    return _page(request, "lending/loan_post.html", loan, form=form)


@require_http_methods(["GET", "POST"])
def loan_write_off(request, loan_no):
    """Xóa nợ gốc or lãi for force-majeure risk debt."""
    loan = _loan(request, loan_no)
    form = WriteOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if response := replayed(request, form):
            return response
        data = form.cleaned_data
        txn = call_service(
            form,
            services.write_off_post,
            loan=loan,
            amount=data["amount"],
            value_date=data["value_date"],
            interest=data["kind"] == "interest",
            reference=form.reference_or_token(),
            acting_user=request.user,
        )
        if txn is not None:
            what = "xóa nợ lãi" if data["kind"] == "interest" else "xóa nợ gốc"
            return done(
                request,
                form,
                loan.get_absolute_url(),
                f"Đã ghi {what} {vnd(txn.amount)} đồng ngày {vn_date(txn.value_date)} cho món vay {loan.loan_no}.",
            )
    return _page(request, "lending/loan_write_off.html", loan, form=form)


@require_http_methods(["GET", "POST"])
def loan_extend(request, loan_no):
    """Gia hạn nợ: one installment to a later due date."""
    loan = _loan(request, loan_no)
    summary = loan_summary(loan, timezone.localdate())
    effective_due = {inst_id: due for due, _contract, inst_id, _p in summary["schedule"]}
    form = LoanExtendForm(request.POST or None, loan=loan, effective_due=effective_due)
    if request.method == "POST" and form.is_valid():
        if response := replayed(request, form):
            return response
        data = form.cleaned_data
        extension = call_service(
            form,
            services.loan_extend,
            loan=loan,
            due_on=data["installment"].due_on,
            new_due_on=data["new_due_on"],
            decided_on=data["decided_on"],
            acting_user=request.user,
        )
        if extension is not None:
            return done(
                request,
                form,
                loan.get_absolute_url(),
                f"Đã gia hạn kỳ {vn_date(data['installment'].due_on)} của món vay {loan.loan_no} "
                f"đến ngày {vn_date(extension.new_due_on)}.",
            )
    extensions = loan.extensions.select_related("installment").order_by("-decided_on", "-id")
    return render(
        request,
        "lending/loan_extend.html",
        {"loan": loan, "summary": summary, "form": form, "extensions": list(extensions)},
    )


@require_http_methods(["GET", "POST"])
def loan_freeze(request, loan_no):
    """Khoanh nợ, and ending an open freeze."""
    loan = _loan(request, loan_no)
    action = request.POST.get("action") if request.method == "POST" else None
    form = LoanFreezeForm(request.POST if action == "freeze" else None)
    end_form = FreezeEndForm(request.POST if action == "end" else None, loan=loan, prefix="end")
    if action == "freeze" and form.is_valid():
        if response := replayed(request, form):
            return response
        data = form.cleaned_data
        freeze = call_service(
            form,
            services.loan_freeze,
            loan=loan,
            amount=data["amount"],
            effective_on=data["effective_on"],
            ends_on=data["ends_on"],
            acting_user=request.user,
        )
        if freeze is not None:
            return done(
                request,
                form,
                loan.get_absolute_url(),
                f"Đã khoanh {vnd(freeze.amount)} đồng của món vay {loan.loan_no} từ ngày "
                f"{vn_date(freeze.effective_on)}.",
            )
    elif action == "end" and end_form.is_valid():
        if response := replayed(request, end_form):
            return response
        data = end_form.cleaned_data
        freeze = call_service(
            end_form, services.freeze_end, freeze=data["freeze"], ends_on=data["ends_on"], acting_user=request.user
        )
        if freeze is not None:
            return done(
                request,
                end_form,
                loan.get_absolute_url(),
                f"Đã kết thúc khoanh nợ {vnd(freeze.amount)} đồng của món vay {loan.loan_no} "
                f"từ ngày {vn_date(freeze.ends_on)}.",
            )
    freezes = list(loan.freezes.order_by("-effective_on", "-id"))
    return _page(
        request,
        "lending/loan_freeze.html",
        loan,
        form=form,
        end_form=end_form,
        freezes=freezes,
        has_open=any(f.ends_on is None for f in freezes),
    )
