"""What the outreach pages share: who opens them, and their pages of rows."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.views.decorators.http import require_GET, require_http_methods

from ..rules import OUTREACH_WRITERS_ONLY

PER_PAGE = 25


def reader_required(view):
    """Signed-in users with a role see the lists (an officer, their own rows only)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.scope.sees_everything or request.scope.is_officer):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return require_GET(wrapper)


def recorder_required(view):
    """Staff, managers and association officers (`Scope.can_record_outreach`)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.scope.can_record_outreach:
            raise PermissionDenied(OUTREACH_WRITERS_ONLY)
        return view(request, *args, **kwargs)

    return require_http_methods(["GET", "POST"])(wrapper)


def page_of(request, rows, per_page: int = PER_PAGE):
    """The requested page of `rows` (the last one past the end, the first on bad input),
    and the query string of the other parameters, for the pages' links."""
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()
