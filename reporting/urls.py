from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import api, views


def _api(view):
    """The API answers an anonymous caller itself (403, JSON), never with the sign-in page."""
    return login_not_required(view)


urlpatterns = [
    path("", views.home, name="home"),
    path("communes/", views.commune_list, name="commune_list"),
    path("communes/<key:code>/", views.commune_detail, name="commune_detail"),
    path("groups/<key:code>/", views.group_detail, name="group_detail"),
    path("members/<national_id:national_id>/", views.member_detail, name="member_detail"),
    # A loan number is the bank's own key and may contain a slash (vbsp_district/core/converters.py).
    path("loans/<loan_no:loan_no>/", views.loan_detail, name="loan_detail"),
    path("search/", views.search, name="search"),
    # the report API (reporting/api.py)
    path("api/v1/report", _api(api.ReportView.as_view()), name="api_report"),
    path("api/v1/series", _api(api.SeriesView.as_view()), name="api_series"),
    path("api/v1/schema/", _api(api.SchemaView.as_view()), name="api_schema"),
    path("api/v1/docs/", _api(api.DocsView.as_view(url_name="api_schema")), name="api_docs"),
]
