"""The quarterly reports (reports/views.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/<str:quarter>/issue/", views.report_issue, name="report_issue"),
    path("reports/<str:quarter>/<str:version>.<str:kind>", views.report_download, name="report_download"),
]
