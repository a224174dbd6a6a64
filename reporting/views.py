"""The browsing pages: figures at a date and the drill-down communes → groups → members → loans.

Every object is looked up through `request.scope`, so an association officer who types
the address of another association's group, member or loan gets a 404; every list is
cut by the same scope. The date shown is `?date=dd/mm/yyyy` (today by default).
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from vbsp_district.core.forms import as_of_from
from vbsp_district.core.money import vn_date

from . import selectors


def reader_required(view):
    """Signed-in users with a role; `request.as_of` and `request.date_query` set for the page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.scope.sees_everything or request.scope.is_officer):
            raise PermissionDenied
        request.as_of = as_of_from(request)
        request.date_query = "" if request.as_of == timezone.localdate() else f"?date={vn_date(request.as_of)}"
        return view(request, *args, **kwargs)

    return require_GET(wrapper)


def _render(request, template, context):
    context |= {"as_of": request.as_of, "date_query": request.date_query}
    return render(request, template, context)


@reader_required
def home(request):
    figures = selectors.home_figures(request.scope, request.as_of)
    commune = request.scope.communes().first() if request.scope.commune_id else None
    association = request.scope.associations().first() if request.scope.is_officer else None
    return _render(
        request,
        "reporting/home.html",
        {"figures": figures, "association": association, "commune": commune},
    )


@reader_required
def commune_list(request):
    total, rows = selectors.commune_rows(request.scope, request.as_of)
    return _render(request, "reporting/commune_list.html", {"total": total, "rows": rows})


@reader_required
def commune_detail(request, code):
    commune = get_object_or_404(request.scope.communes(), code=code)
    page = selectors.commune_groups(request.scope, commune, request.as_of)
    # the day in force on the date looked at (a commune may have changed it since)
    day = commune.transaction_days.day_on(request.as_of)
    return _render(request, "reporting/commune_detail.html", {"commune": commune, "page": page, "day": day})


@reader_required
def group_detail(request, code):
    group = get_object_or_404(request.scope.groups(on=request.as_of).select_related("commune"), code=code)
    page = selectors.group_page(request.scope, group, request.as_of)
    return _render(request, "reporting/group_detail.html", {"group": group, "page": page})


@reader_required
def member_detail(request, national_id):
    member = get_object_or_404(
        request.scope.members(on=request.as_of).select_related("commune"), national_id=national_id
    )
    page = selectors.member_page(request.scope, member, request.as_of)
    return _render(request, "reporting/member_detail.html", {"member": member, "page": page})


@reader_required
def loan_detail(request, loan_no):
    loan = get_object_or_404(
        request.scope.loans(on=request.as_of).select_related("member__commune", "program"), loan_no=loan_no
    )
    page = selectors.loan_page(loan, request.as_of)
    return _render(request, "reporting/loan_detail.html", {"loan": loan, "page": page})


@reader_required
def search(request):
    text = request.GET.get("q", "").strip()[:100]
    results = None
    if len(text) >= 2:
        hit = selectors.exact_hit(request.scope, text, request.as_of)
        if hit is not None:
            return redirect(hit.get_absolute_url() + request.date_query)
        results = selectors.search(request.scope, text, request.as_of)
    return _render(request, "reporting/search.html", {"q": text, "results": results})
