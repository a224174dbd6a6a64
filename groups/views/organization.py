"""Organization forms: register members, found groups, transfer groups, move members.

Only branch staff and managers record the organization (others get 403); the objects
are looked up through `request.scope`. Each view validates its form, makes one service
call and redirects with a message, or shows the form again with the refusal on its field.
"""

from datetime import date
from functools import wraps

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from vbsp_district.access.pages import deny_unless_poster
from vbsp_district.core.forms import call_service
from vbsp_district.core.money import vn_date

from .. import services
from ..forms import GroupCreateForm, GroupTransferForm, MemberMoveForm, MemberRegisterForm, TransactionDayChangeForm
from ..selectors import association_of_group_on


def poster_required(view):
    """Branch staff and managers only."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        deny_unless_poster(request)
        return view(request, *args, **kwargs)

    return require_http_methods(["GET", "POST"])(wrapper)


def _form_page(request, template, form, **context):
    return render(request, template, {"form": form, **context})


@poster_required
def member_register(request):
    initial = {}
    if code := request.GET.get("to", "").strip():
        group = request.scope.groups().filter(code=code).select_related("commune").first()
        if group is not None:
            initial = {"group": group, "commune": group.commune}
    form = MemberRegisterForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        member = call_service(form, services.member_register, acting_user=request.user, **form.cleaned_data)
        if member is not None:
            message = f"Đã đăng ký hộ vay {member.full_name} (số CCCD/CMND {member.national_id})"
            if form.cleaned_data["group"]:
                message += (
                    f", tổ viên tổ {form.cleaned_data['group'].code} từ {vn_date(form.cleaned_data['joined_on'])}"
                )
            messages.success(request, message + ".")
            return redirect(member)
    return _form_page(request, "groups/member_register.html", form)


@poster_required
def commune_transaction_day(request, code):
    """Record a commune's new transaction day from a month's first day; its history."""
    commune = get_object_or_404(request.scope.communes(), code=code)
    form = TransactionDayChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        change = call_service(
            form,
            services.commune_transaction_day_change,
            commune=commune,
            acting_user=request.user,
            **form.cleaned_data,
        )
        if change is not None:
            messages.success(
                request,
                f"Đã đổi ngày giao dịch {commune}: ngày {change.day} hằng tháng từ {vn_date(change.effective_on)}.",
            )
            return redirect(commune)
    history = sorted(commune.day_history.all(), key=lambda row: row.effective_on or date.min)
    return _form_page(request, "groups/commune_transaction_day.html", form, commune=commune, history=history)


@poster_required
def group_create(request):
    code = request.GET.get("commune", "").strip()
    commune = request.scope.communes().filter(code=code).first() if code else None
    form = GroupCreateForm(request.POST or None, initial={"commune": commune} if commune else None)
    if request.method == "POST" and form.is_valid():
        group = call_service(form, services.group_create, acting_user=request.user, **form.cleaned_data)
        if group is not None:
            messages.success(request, f"Đã thành lập tổ {group.code} – {group.name}.")
            return redirect(group)
    return _form_page(request, "groups/group_create.html", form)


@poster_required
def group_transfer(request, code):
    group = get_object_or_404(request.scope.groups().select_related("commune"), code=code)
    form = GroupTransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assignment = call_service(
            form, services.group_transfer, group=group, acting_user=request.user, **form.cleaned_data
        )
        if assignment is not None:
            messages.success(
                request,
                f"Đã chuyển tổ {group.code} cho {assignment.association.name} quản lý "
                f"từ ngày {vn_date(assignment.effective_on)}.",
            )
            return redirect(group)
    current = association_of_group_on(group, timezone.localdate())
    return _form_page(request, "groups/group_transfer.html", form, group=group, current=current)


@poster_required
def member_move(request, national_id):
    member = get_object_or_404(request.scope.members().select_related("commune"), national_id=national_id)
    form = MemberMoveForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        membership = call_service(
            form, services.member_move, member=member, acting_user=request.user, **form.cleaned_data
        )
        if membership is not None:
            commune = membership.group.commune
            day = commune.transaction_days.day_on(membership.joined_on)
            now = f", nay là ngày {commune.transaction_day}" if commune.transaction_day != day else ""
            messages.success(
                request,
                f"Đã chuyển {member.full_name} sang tổ {membership.group.code} "
                f"từ ngày {vn_date(membership.joined_on)}; từ ngày đó hộ vay trả lãi vào ngày giao dịch "
                f"{day} hằng tháng của {commune}{now}.",
            )
            return redirect(member)
    current = member.memberships.open().select_related("group").first()
    return _form_page(request, "groups/member_move.html", form, member=member, current=current)
