"""The lending desk's pages; the commune transaction day's are in `transaction_day`."""

from .imports import workbook_import_job, workbook_import_page, workbook_template_download
from .loans import loan_disburse, loan_extend, loan_freeze, loan_post, loan_write_off
from .periods import period_list
from .reversals import reversal_decide, reversal_list, reversal_request
from .savings import savings_post

__all__ = [
    "loan_disburse",
    "loan_extend",
    "loan_freeze",
    "loan_post",
    "loan_write_off",
    "period_list",
    "reversal_decide",
    "reversal_list",
    "reversal_request",
    "savings_post",
    "workbook_import_job",
    "workbook_import_page",
    "workbook_template_download",
]
