"""Every write to the lending book. Views, the importer and the demo call these."""

from .disbursement import loan_disburse, schedule_generate
from .interest import interest_bills_rebuild
from .periods import period_close, period_reopen, quarter_bounds
from .postings import (
    interest_payment_post,
    loan_tranche_disburse,
    loan_transaction_post,
    repayment_post,
    savings_deposit,
    savings_transaction_post,
    savings_withdraw,
    write_off_post,
)
from .programs import program_create, program_rate_set
from .reversal import reversal_approve, reversal_reject, reversal_request
from .treatments import freeze_end, loan_extend, loan_freeze

__all__ = [
    "freeze_end",
    "interest_bills_rebuild",
    "interest_payment_post",
    "loan_disburse",
    "loan_extend",
    "loan_freeze",
    "loan_tranche_disburse",
    "loan_transaction_post",
    "period_close",
    "period_reopen",
    "program_create",
    "program_rate_set",
    "quarter_bounds",
    "repayment_post",
    "reversal_approve",
    "reversal_reject",
    "reversal_request",
    "savings_deposit",
    "savings_transaction_post",
    "savings_withdraw",
    "schedule_generate",
    "write_off_post",
]
