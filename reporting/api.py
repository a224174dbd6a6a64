"""The report API, version 1: read-only JSON, cut to the signed-in user's scope.

- `GET /api/v1/report?as_of=YYYY-MM-DD[&period=P][&by_group=1]`: the object of
  formats/district-report.md. Staff and managers get exactly what `district_report
  --format json` prints; an association officer gets the same keys over their
  association (in their commune, for a commune-level officer) and nothing else.
- `GET /api/v1/series?from=YYYY-MM&to=YYYY-MM&by=association|commune|program`: month by
  month, the figures the dashboards chart, scoped the same way.
- `/api/v1/schema/` (OpenAPI 3) and `/api/v1/docs/` (its documentation page).

Sign-in is the session of the pages. An anonymous caller gets 403 and no data; a bad
parameter gets 400 with a message under the parameter's name.
"""

from datetime import date

from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import MethodNotAllowed, NotAuthenticated, PermissionDenied, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from vbsp_district.core.months import iso_day, month_add

from .indicators import MAX_SERIES_MONTHS, SERIES_DIMENSIONS, district_figures, monthly_series
from .periods import Period

_UNKNOWN = "Tham số không được hỗ trợ."
_REPEATED = "Tham số chỉ được nêu một lần."
_READ_ONLY = "API chỉ cho phép đọc (GET)."


class JSONOnly(BaseContentNegotiation):
    """Every answer is JSON, whatever the Accept header asks for."""

    def select_parser(self, request, parsers):
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def exception_handler(exc, context):
    """DRF's handler, with its sign-in refusals said in Vietnamese, as the pages say them."""
    if isinstance(exc, NotAuthenticated):
        status = exc.status_code  # 403 under session sign-in: there is no challenge to answer
        exc = NotAuthenticated("Cần đăng nhập để xem số liệu.")
        exc.status_code = status
    elif isinstance(exc, MethodNotAllowed):
        exc = MethodNotAllowed(context["request"].method, _READ_ONLY)
    return drf_exception_handler(exc, context)


def _scope_ids(request) -> dict:
    """The figures a user may read: everything for staff and managers, one association
    (and commune) for an officer; nothing without a reading role."""
    scope = request.scope
    if scope.sees_everything:
        return {}
    if scope.is_officer and scope.association_id:
        return {"association_id": scope.association_id, "commune_id": scope.commune_id}
    raise PermissionDenied("Tài khoản không có quyền xem số liệu.")


def _only(params, allowed: set[str]):
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValidationError({name: [_UNKNOWN] for name in unknown})
    repeated = sorted(name for name in params if len(params.getlist(name)) > 1)
    if repeated:
        raise ValidationError({name: [_REPEATED] for name in repeated})


def _day(text: str, name: str, today: date) -> date:
    day = iso_day(text)
    if day is None:
        raise ValidationError({name: [f"Ngày '{text}' không hợp lệ, cần dạng YYYY-MM-DD."]})
    if day > today:
        raise ValidationError({name: [f"Ngày {day.isoformat()} chưa đến: số liệu chỉ có đến hôm nay."]})
    return day


def _period(text: str, name: str, today: date) -> Period:
    try:
        period = Period.parse(text)
    except ValueError as exc:
        raise ValidationError({name: [str(exc)]}) from None
    if period.start > today:
        raise ValidationError({name: [f"Kỳ {period.label} chưa bắt đầu."]})
    return period


def _month(text: str, name: str, today: date) -> Period:
    try:
        period = Period.parse(text)
    except ValueError:
        period = None
    if period is None or period.kind != "month":
        raise ValidationError({name: [f"Tháng '{text}' không hợp lệ, cần dạng YYYY-MM."]})
    if period.start > today:
        raise ValidationError({name: [f"Tháng {period.label} chưa bắt đầu."]})
    return period


class GetOnly:
    """GET (and HEAD) only, refused before anything else is read (no CSRF check, no body
    parsed); never cached, as the figures are private."""

    http_method_names = ["get", "head"]

    def initial(self, request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed(request.method, _READ_ONLY)
        super().initial(request, *args, **kwargs)


@method_decorator(never_cache, name="dispatch")
class _ReadOnly(GetOnly, APIView):
    content_negotiation_class = JSONOnly


@method_decorator(never_cache, name="dispatch")
class SchemaView(GetOnly, SpectacularAPIView):
    pass


@method_decorator(never_cache, name="dispatch")
class DocsView(GetOnly, SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served apart (`?script`): no inline script."""


def _flag(text: str, name: str) -> bool:
    if text in ("1", "true"):
        return True
    if text in ("0", "false", ""):
        return False
    raise ValidationError({name: ["Giá trị phải là 1 hoặc 0."]})


@extend_schema(
    summary="The district report",
    description=(
        "The object of formats/district-report.md at `as_of` (default: today, or the "
        "period's last day), with the period's flows and rates when `period` is given. "
        "An association officer gets the same keys over their association only."
    ),
    parameters=[
        OpenApiParameter("as_of", OpenApiTypes.DATE, description="figures at the end of this day (YYYY-MM-DD)"),
        OpenApiParameter("period", OpenApiTypes.STR, description="2020-03 (month), 2020Q1 (quarter) or 2020 (year)"),
        OpenApiParameter("by_group", OpenApiTypes.BOOL, description="1 adds the figures of every group"),
    ],
    responses={200: OpenApiTypes.OBJECT},
)
class ReportView(_ReadOnly):
    def get(self, request):
        scope = _scope_ids(request)
        params = request.query_params
        _only(params, {"as_of", "period", "by_group"})
        today = timezone.localdate()
        period = _period(params["period"], "period", today) if "period" in params else None
        if "as_of" in params:
            as_of = _day(params["as_of"], "as_of", today)
        else:
            as_of = min(period.end, today) if period is not None else today
        if period is not None:
            period = period.so_far(today)
        by_group = _flag(params.get("by_group", ""), "by_group")
        return Response(district_figures(as_of=as_of, period=period, by_group=by_group, **scope))


@extend_schema(
    summary="Monthly series",
    description=(
        "Month by month from `from` to `to` (at most 36 months, none after the current "
        "one): the total and each association, commune or program. Stock figures at the "
        "month's last day (today for the month under way), flows and rates of the month."
    ),
    parameters=[
        OpenApiParameter("from", OpenApiTypes.STR, required=True, description="first month, YYYY-MM"),
        OpenApiParameter("to", OpenApiTypes.STR, required=True, description="last month, YYYY-MM"),
        OpenApiParameter("by", OpenApiTypes.STR, enum=list(SERIES_DIMENSIONS), description="default: association"),
    ],
    responses={200: OpenApiTypes.OBJECT},
)
class SeriesView(_ReadOnly):
    def get(self, request):
        scope = _scope_ids(request)
        params = request.query_params
        _only(params, {"from", "to", "by"})
        missing = {name: ["Bắt buộc phải có tham số này."] for name in ("from", "to") if not params.get(name)}
        if missing:
            raise ValidationError(missing)
        today = timezone.localdate()
        first, last = _month(params["from"], "from", today), _month(params["to"], "to", today)
        by = params.get("by", "association")
        if by not in SERIES_DIMENSIONS:
            raise ValidationError({"by": [f"Phải là một trong: {', '.join(SERIES_DIMENSIONS)}."]})
        if last.start < first.start:
            raise ValidationError({"to": ["Tháng cuối không được trước tháng đầu."]})
        count = (last.start.year - first.start.year) * 12 + last.start.month - first.start.month + 1
        if count > MAX_SERIES_MONTHS:
            raise ValidationError({"to": [f"Tối đa {MAX_SERIES_MONTHS} tháng một lần."]})
        months = [Period.month(*month_add(first.start.year, first.start.month, k)) for k in range(count)]
        return Response(monthly_series(months, by, today=today, **scope))
