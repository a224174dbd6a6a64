"""Lending pages: loans, postings, the commune transaction day, reversals, periods, import."""

from django.urls import path

from . import views
from .views import transaction_day as transaction_day_views

urlpatterns = [
    # Money forms and the manager's desk (lending/views/). A loan number may contain a slash;
    # its converter (vbsp_district/core/converters.py) never takes the lower-case action after it.
    path("loans/new/", views.loan_disburse, name="loan_disburse"),
    path("loans/<loan_no:loan_no>/post/", views.loan_post, name="loan_post"),
    path("loans/<loan_no:loan_no>/extend/", views.loan_extend, name="loan_extend"),
    path("loans/<loan_no:loan_no>/freeze/", views.loan_freeze, name="loan_freeze"),
    path("loans/<loan_no:loan_no>/write-off/", views.loan_write_off, name="loan_write_off"),
    path("members/<national_id:national_id>/savings/", views.savings_post, name="savings_post"),
    path("reversals/", views.reversal_list, name="reversal_list"),
    path("reversals/new/", views.reversal_request, name="reversal_request"),
    path("reversals/<int:pk>/", views.reversal_decide, name="reversal_decide"),
    path("periods/", views.period_list, name="period_list"),
    path("import/", views.workbook_import_page, name="workbook_import"),
    path("import/<int:pk>/", views.workbook_import_job, name="workbook_import_job"),
    path("import/template.xlsx", views.workbook_template_download, name="workbook_template_download"),
    # The commune transaction day (lending/views/transaction_day.py).
    path("transaction-day/", transaction_day_views.transaction_day, name="transaction_day"),
    path(
        "transaction-day/<key:commune_code>/<str:day>/",
        transaction_day_views.transaction_day_sheet,
        name="transaction_day_sheet",
    ),
    path(
        "transaction-day/<key:commune_code>/<str:day>/pdf/",
        transaction_day_views.transaction_day_pdf,
        name="transaction_day_pdf",
    ),
]
