"""The dashboards (dashboards/views.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/<str:unit_code>/", views.dashboard, name="dashboard_unit"),
    path("dashboard/<str:unit_code>/follow-up/", views.follow_up, name="dashboard_follow_up"),
    path("dashboard/<str:unit_code>/follow-up.xlsx", views.follow_up_workbook, name="dashboard_follow_up_xlsx"),
]
