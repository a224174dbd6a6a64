"""The batch write path: many records of the portfolio validated together, written at once.

The workbook import and the demo district both write through `portfolio_write`. Every row
goes through the same rule functions as the single-record services (`groups.rules`,
`lending.rules`), against the database and the earlier rows of the batch; every problem
is listed with its sheet, row and column, and nothing is written unless there is none.
Interest bills are computed once per loan, from the facts already in memory.

- `records`: the rows, their problems, what the database holds (read once);
- `organization`: communes, groups, members, memberships, outreach;
- `loans`: programs, loans, postings, treatments, savings, and the whole-ledger rules;
- `writing`: the inserts and the bills.
"""

from datetime import date

from django.db import transaction

from groups.models import GroupMeeting, Member, Membership
from vbsp_district.core.audit import audit_record
from vbsp_district.core.roles import require_poster
from vbsp_district.core.signals import book_changed

from ...models import Installment, InterestBill, Loan, LoanTransaction, SavingsTransaction
from .._bulk import analyze_tables
from . import loans, organization
from .records import SHEETS, Batch, BatchRefused, Issue, Row
from .writing import imported_keys, write

__all__ = ["SHEETS", "BatchRefused", "Issue", "Row", "portfolio_write"]

# A batch this large changes the shape of the tables: their planner statistics are
# refreshed with it, so that the first report after an import is planned on real numbers.
ANALYZE_FROM = 100_000

# Each sheet's handler, in the order the sheets are read (a row may name keys of the
# sheets before it), and the key a refused row leaves unknown to the rows after it.
HANDLERS = [
    ("Communes", organization.commune_row, ("commune", "code")),
    ("Programs", loans.program_row, ("program", "code")),
    ("Groups", organization.group_row, ("group", "code")),
    ("GroupTransfers", organization.transfer_row, None),
    ("Members", organization.member_row, ("member", "national_id")),
    ("Memberships", organization.membership_row, None),
    ("Loans", loans.loan_row, ("loan", "loan_no")),
    ("Installments", loans.installment_row, None),
    ("Transactions", loans.transaction_row, None),
    ("Extensions", loans.extension_row, None),
    ("Freezes", loans.freeze_row, None),
    ("Savings", loans.savings_row, None),
    ("Meetings", organization.meeting_row, None),
    ("Trainings", organization.training_row, None),
    ("NewsItems", organization.news_row, None),
    ("CommuneTransactionDays", organization.commune_day_row, None),
]
assert [sheet for sheet, _h, _k in HANDLERS] == SHEETS


def validate(batch: Batch):
    for sheet, handler, key in HANDLERS:
        batch.run(sheet, lambda row, handler=handler: handler(batch, row), key)
    for state in batch.loans.values():
        loans.check_loan(batch, state)
    loans.check_rebilled(batch)
    loans.check_leavings(batch)
    loans.check_savings(batch)


@transaction.atomic
def portfolio_write(
    rows: dict[str, list[Row]],
    *,
    acting_user,
    source: str,
    bills_through: date | None = None,
    progress=None,
    figures_later: bool = False,
) -> dict[str, int]:
    """Validate and write a batch of portfolio records, all or nothing.

    Raises `BatchRefused` listing every problem (nothing written). Returns the number of
    records written per sheet. One audit event records the batch. Interest bills are
    stored through `bills_through` (default today); reports extend them when needed.
    The stored figures of the periods the batch changes are built again at its end, in
    its transaction (`figures_later`: the caller builds them once it has committed).
    """
    require_poster(acting_user)
    progress = progress or (lambda message: None)
    batch = Batch(rows, acting_user)
    batch.bills_through = bills_through
    validate(batch)
    if batch.issues:
        raise BatchRefused(batch.issues)
    progress("Đã kiểm tra xong, đang ghi...")
    counts = write(batch)
    if sum(counts.values()) >= ANALYZE_FROM:
        analyze_tables(
            Member,
            Membership,
            Loan,
            Installment,
            LoanTransaction,
            SavingsTransaction,
            InterestBill,
            GroupMeeting,
        )
    progress("Đã ghi sổ và tính lãi.")
    # the figures change from the batch's earliest date on
    days = [value for sheet in rows.values() for row in sheet for value in row.data.values() if isinstance(value, date)]
    if days:
        book_changed.send(sender=portfolio_write, day=min(days), later=figures_later)
    audit_record(
        user=acting_user,
        action="portfolio.write",
        object_type="workbook",
        key=source[:64],
        data={"source": source, "counts": counts, **imported_keys(batch)},
    )
    return counts
