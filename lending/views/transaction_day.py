"""The commune transaction day: choose a commune and a day, post each group's sheet, print it.

Staff and managers post; an association officer sees and prints the sheets of the groups
their association manages (in their commune, for a commune-level officer) and posts
nothing. A commune out of the user's scope is a 404.
"""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import trigger_client_event

from groups.models import Commune
from vbsp_district.access.pages import deny_unless_poster
from vbsp_district.core.forms import VNDateField
from vbsp_district.core.money import vn_date, vnd
from vbsp_district.core.months import month_add

from ..forms.transaction_day import GroupSheetForm, sheet_member_rows
from ..selectors.transaction_day import (
    groups_active_on,
    next_transaction_day,
    transaction_day_in,
    transaction_day_sheets,
)
from ..services.transaction_day import SheetRefused, transaction_day_post
from ..sheet_pdf import collection_sheets_pdf

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def _commune(request, commune_code: str) -> Commune:
    return get_object_or_404(request.scope.communes(), code=commune_code)


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Http404("Ngày không hợp lệ.") from None
    if not 1900 <= day.year <= 2999:
        raise Http404("Ngày không hợp lệ.")
    return day


def _sheet_url(commune: Commune, day: date) -> str:
    return reverse("transaction_day_sheet", args=[commune.code, day.isoformat()])


def _month_step(commune: Commune, day: date, months: int) -> date:
    return transaction_day_in(commune, *month_add(day.year, day.month, months))


@require_safe
def transaction_day(request):
    """Chọn xã và ngày giao dịch: the communes with their next transaction day."""
    communes = list(request.scope.communes().order_by("code"))
    today = timezone.localdate()
    code = request.GET.get("commune", "").strip()
    if code:
        commune = _commune(request, code)
        field = VNDateField(required=False)
        try:
            day = field.clean(request.GET.get("date", ""))
        except ValidationError:
            day = None
        if day is None or not 1900 <= day.year <= 2999:
            day = next_transaction_day(commune, today)
        return redirect(_sheet_url(commune, day))
    rows = sorted(
        ({"commune": c, "next": next_transaction_day(c, today)} for c in communes),
        key=lambda r: (r["next"], r["commune"].code),
    )
    for row in rows:
        row["url"] = _sheet_url(row["commune"], row["next"])
        row["pdf_url"] = reverse("transaction_day_pdf", args=[row["commune"].code, row["next"].isoformat()])
    return render(request, "lending/transaction_day/index.html", {"rows": rows, "today": today})


def _totals(sheets) -> dict:
    """The figures at the top of the sheet: the commune's groups in the user's scope."""
    return {
        "groups": len(sheets),
        "members": sum(len(s.members) for s in sheets),
        "loans": sum(len(s.loans) for s in sheets),
        "principal_due": sum(s.principal_due for s in sheets),
        "interest_due": sum(s.interest_due for s in sheets),
        "savings_balance": sum(s.savings_balance for s in sheets),
        "collected": sum(s.principal_posted + s.interest_posted for s in sheets),
    }


# The event a posted group's card sends up the page: the figures at the top then ask
# for themselves again (`?part=totals`), the commune's as they are after the post.
POSTED_EVENT = "sheet-posted"


def _context(request, commune: Commune, day: date, sheets, forms: dict | None = None) -> dict:
    today = timezone.localdate()
    can_post = request.scope.can_post and day <= today
    forms = forms or {}
    cards = []
    for sheet in sheets:
        form = forms.get(sheet.group.pk)
        if form is None and can_post and sheet.members:
            form = GroupSheetForm(sheet)
        rows = form.member_rows() if form is not None else sheet_member_rows(sheet)
        cards.append({"sheet": sheet, "form": form, "rows": rows})
    return {
        "commune": commune,
        "day": day,
        "weekday": WEEKDAYS[day.weekday()],
        "today": today,
        "cards": cards,
        "can_post": can_post,
        "future": day > today,
        "is_transaction_day": day == transaction_day_in(commune, day.year, day.month),
        "scheduled_day": transaction_day_in(commune, day.year, day.month),
        "previous_day": _month_step(commune, day, -1),
        "next_day": _month_step(commune, day, 1),
        "totals": _totals(sheets),
        "pdf_url": reverse("transaction_day_pdf", args=[commune.code, day.isoformat()]),
        "sheet_url": _sheet_url(commune, day),
        "posted_event": POSTED_EVENT,
    }


def _posted_message(result) -> str:
    group, day = result.group, vn_date(result.value_date)
    if result.replayed:
        return f"Tờ kê của tổ {group.code} ngày {day} đã được ghi sổ trước đó; không ghi lại lần nữa."
    return (
        f"Đã ghi sổ tổ {group.code} ngày {day}: thu gốc {vnd(result.principal)} đồng, "
        f"thu lãi {vnd(result.interest)} đồng, gửi tiết kiệm {vnd(result.deposits)} đồng, "
        f"rút tiết kiệm {vnd(result.withdrawals)} đồng ({len(result.transactions)} bút toán)."
    )


@require_http_methods(["GET", "POST"])
def transaction_day_sheet(request, commune_code: str, day: str):
    """Bảng kê giao dịch xã: one card per group; each group posts its own form."""
    commune = _commune(request, commune_code)
    day = _day(day)
    if request.method != "POST":
        sheets = transaction_day_sheets(commune=commune, on=day, scope=request.scope)
        if request.GET.get("part") == "totals":
            context = {"totals": _totals(sheets), "sheet_url": _sheet_url(commune, day), "posted_event": POSTED_EVENT}
            return render(request, "lending/transaction_day/_totals.html", context)
        return render(request, "lending/transaction_day/sheet.html", _context(request, commune, day, sheets))

    deny_unless_poster(request)
    group = get_object_or_404(groups_active_on(commune, day, request.scope), code=request.POST.get("group", ""))
    (sheet,) = transaction_day_sheets(commune=commune, on=day, scope=request.scope, group_ids=[group.pk])
    form = GroupSheetForm(sheet, request.POST)
    result = None
    if form.is_valid():
        try:
            result = transaction_day_post(
                group=group,
                value_date=day,
                rows=form.rows(),
                token=form.cleaned_data["token"],
                acting_user=request.user,
            )
        except SheetRefused as exc:
            form.add_row_errors(exc.row_errors)
        except ValidationError as exc:
            # Refusals of the sheet as a whole: the day, the token, no amount at all.
            form.add_error(None, exc.messages)
    if result is not None:
        message = _posted_message(result)
        if not request.htmx:
            messages.success(request, message)
            return redirect(f"{_sheet_url(commune, day)}#to-{group.code}")
        (sheet,) = transaction_day_sheets(commune=commune, on=day, scope=request.scope, group_ids=[group.pk])
        context = _context(request, commune, day, [sheet])
        context["card"] = context["cards"][0] | {"message": message}
        response = render(request, "lending/transaction_day/_group.html", context)
        return trigger_client_event(response, POSTED_EVENT)
    if request.htmx:
        context = _context(request, commune, day, [sheet], {group.pk: form})
        context["card"] = context["cards"][0]
        return render(request, "lending/transaction_day/_group.html", context)
    sheets = transaction_day_sheets(commune=commune, on=day, scope=request.scope)
    return render(
        request, "lending/transaction_day/sheet.html", _context(request, commune, day, sheets, {group.pk: form})
    )


@require_safe
def transaction_day_pdf(request, commune_code: str, day: str):
    """The sheets printed before the day, one A4 page (or more) per group, to collect against."""
    commune = _commune(request, commune_code)
    day = _day(day)
    sheets = transaction_day_sheets(commune=commune, on=day, scope=request.scope)
    only = request.GET.get("to", "").strip()
    if only:
        sheets = [s for s in sheets if s.group.code == only]
        if not sheets:
            raise Http404("Không có tổ này trong xã ngày đã chọn.")
    pdf = collection_sheets_pdf(
        commune=commune,
        day=day,
        weekday=WEEKDAYS[day.weekday()],
        sheets=sheets,
        printed_at=timezone.localtime(),
        printed_by=request.user.get_full_name() or request.user.username,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    suffix = f"-{only}" if only else ""
    response["Content-Disposition"] = f'inline; filename="bang-ke-{commune.code}{suffix}-{day.isoformat()}.pdf"'
    return response
