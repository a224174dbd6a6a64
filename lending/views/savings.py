"""A member's savings: deposit or withdrawal."""

from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from vbsp_district.access.pages import deny_unless_poster
from vbsp_district.core.forms import call_service
from vbsp_district.core.money import vn_date, vnd

from .. import services
from ..forms import SavingsPostForm
from ..models import SavingsTransaction
from ..selectors import member_savings_balance
from ._desk import done, replayed, savings_ledger

SAVINGS_SERVICES = {
    SavingsTransaction.Kind.DEPOSIT: services.savings_deposit,
    SavingsTransaction.Kind.WITHDRAWAL: services.savings_withdraw,
}


@require_http_methods(["GET", "POST"])
def savings_post(request, national_id):
    """Gửi or rút tiết kiệm for one member."""
    member = get_object_or_404(request.scope.members().select_related("commune"), national_id=national_id)
    deny_unless_poster(request)
    form = SavingsPostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if response := replayed(request, form):
            return response
        data = form.cleaned_data
        txn = call_service(
            form,
            SAVINGS_SERVICES[data["kind"]],
            member=member,
            amount=data["amount"],
            value_date=data["value_date"],
            reference=form.reference_or_token(),
            acting_user=request.user,
        )
        if txn is not None:
            return done(
                request,
                form,
                member.get_absolute_url(),
                f"Đã ghi {txn.get_kind_display().lower()} {vnd(txn.amount)} đồng ngày {vn_date(txn.value_date)} "
                f"cho hộ {member.full_name}.",
            )
    today = timezone.localdate()
    return render(
        request,
        "lending/savings_post.html",
        {
            "member": member,
            "form": form,
            "today": today,
            "balance": member_savings_balance(member, as_of=today),
            "ledger": savings_ledger(member),
        },
    )
