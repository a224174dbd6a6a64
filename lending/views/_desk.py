"""What every page of the lending desk shares: who may post, and posting once per form."""

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect

from ..models import LoanTransaction, ReversalRequest, SavingsTransaction
from ..selectors import loan_position

# The last forms posted in this session: token → the page their success led to.
_DONE_KEY = "lending_desk_done"
_DONE_KEPT = 50


def replayed(request, form):
    """A redirect to where the first submit of this form went, when it was already posted."""
    token = form.cleaned_data.get("token")
    url = request.session.get(_DONE_KEY, {}).get(token) if token else None
    if url is None:
        return None
    messages.info(request, "Biểu mẫu này đã được ghi sổ trước đó; không ghi lại lần nữa.")
    return redirect(url)


def done(request, form, url: str, message: str):
    """The success of a posting form: remember its token, say so, redirect."""
    token = form.cleaned_data.get("token")
    if token:
        kept = dict(request.session.get(_DONE_KEY, {}))
        kept[token] = url
        request.session[_DONE_KEY] = dict(list(kept.items())[-_DONE_KEPT:])
    messages.success(request, message)
    return redirect(url)


def rate_text(rate) -> str:
    """Decimal('6.600') → '6,6' (percent per year, as the bank writes it)."""
    if rate is None:
        return ""
    text = f"{rate:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


# -- reads the desk pages show ---------------------------------------------------------


def loan_summary(loan, as_of):
    """The loan's figures at the end of `as_of` (`loan_position`, as on the loan's page)."""
    position = loan_position(loan, as_of)
    return {
        "as_of": as_of,
        "rate": rate_text(loan.annual_rate),
        "disbursed": position.disbursed,
        "outstanding": position.outstanding,
        "frozen": position.frozen,
        "overdue": position.overdue,
        "maturity": position.maturity,
        "interest_arrears": position.interest_arrears,
        "interest_credit": position.interest_credit,
        "schedule": position.schedule,
    }


def loan_ledger(loan, limit: int = 15):
    """The loan's latest ledger rows, with what became of each (reversed, pending)."""
    pending = ReversalRequest.objects.filter(loan_transaction=OuterRef("pk"), status=ReversalRequest.Status.PENDING)
    return list(
        LoanTransaction.objects.filter(loan=loan)
        .select_related("reversed_by")
        .annotate(pending_reversal=Exists(pending))
        .order_by("-value_date", "-id")[:limit]
    )


def savings_ledger(member, limit: int = 15):
    pending = ReversalRequest.objects.filter(savings_transaction=OuterRef("pk"), status=ReversalRequest.Status.PENDING)
    return list(
        SavingsTransaction.objects.filter(member=member)
        .select_related("reversed_by")
        .annotate(pending_reversal=Exists(pending))
        .order_by("-value_date", "-id")[:limit]
    )
