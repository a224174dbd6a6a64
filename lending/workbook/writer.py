"""Writing the portfolio workbook: the blank template and the export of the whole book.

Both write every sheet with the column keys in row 1 and a `#` row of Vietnamese
descriptions (which the reader skips), so an export is also a filled-in template and
imports back into an empty database with the same figures.
"""

import importlib
from collections import defaultdict
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from groups.models import (
    Commune,
    CommuneTransactionDay,
    GroupAssignment,
    GroupMeeting,
    Member,
    Membership,
    NewsItem,
    SavingsGroup,
    Training,
)
from vbsp_district.core.db import read_snapshot
from vbsp_district.core.excel import cell

from ..models import Extension, Freeze, Installment, Loan, LoanProgram, LoanTransaction, ProgramRate
from ..selectors import effective_loan_transactions, effective_savings_transactions
from .spec import COLUMNS

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_NOTE_FONT = Font(italic=True, color="595959")
_NOTE_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
_CHUNK = 5000


def workbook_template(path) -> None:
    """A blank workbook: every sheet with its column keys and their descriptions."""
    _write(path, {})


def workbook_export(path) -> dict[str, int]:
    """The whole database as a portfolio workbook; returns the number of rows per sheet.

    Transactions hold every effective ledger row but each loan's first disbursement (its
    Loans row); reversed rows and their reversals count as never posted and are left
    out. Programs holds the programs the first migration does not ship.
    """
    with read_snapshot():  # one snapshot for every sheet, while others keep posting
        return _write(path, _portfolio_rows())


def _write(target, data: dict[str, Iterable[list]]) -> dict[str, int]:
    """Write to a path or a binary file object (an HTTP response, say)."""
    if not hasattr(target, "write"):
        with open(target, "wb") as stream:  # an unwritable path fails here, before any work
            return _write(stream, data)
    workbook = Workbook(write_only=True)
    counts = {}
    for sheet in COLUMNS:
        counts[sheet] = _write_sheet(workbook.create_sheet(sheet), COLUMNS[sheet], data.get(sheet, ()))
    workbook.save(target)
    return counts


def _write_sheet(ws, columns, rows: Iterable[list]) -> int:
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        dimension = ws.column_dimensions[letter]
        dimension.width = column.width
        dimension.number_format = column.number_format  # what Excel applies to typed-in cells
        if column.choices:
            validation = DataValidation(type="list", formula1=f'"{",".join(column.choices)}"', allow_blank=True)
            validation.add(f"{letter}3:{letter}1048576")
            ws.data_validations.append(validation)
    ws.freeze_panes = "A3"
    ws.append([_styled(ws, column.key, font=_HEADER_FONT, fill=_HEADER_FILL) for column in columns])
    ws.append(
        [_styled(ws, f"# {column.description}", font=_NOTE_FONT, alignment=_NOTE_ALIGNMENT) for column in columns]
    )
    count = 0
    formats = [column.number_format for column in columns]
    for values in rows:
        ws.append([_value_cell(ws, value, fmt) for value, fmt in zip(values, formats, strict=True)])
        count += 1
    return count


def _styled(ws, value, **styles) -> WriteOnlyCell:
    return cell(ws, value, **styles)


def _value_cell(ws, value, number_format):
    if value is None or value == "":
        return None
    return cell(ws, value, number_format)


# -- the rows of the book -------------------------------------------------------------


def shipped_program_codes() -> set[str]:
    """The programs the first migration creates (every database has them)."""
    return {code for code, _name, _rate in importlib.import_module("lending.migrations.0002_programs").PROGRAMS}


def _portfolio_rows() -> dict[str, Iterable[list]]:
    assignments = defaultdict(list)
    for group_id, effective_on, association in GroupAssignment.objects.order_by(
        "group_id", "effective_on", "id"
    ).values_list("group_id", "effective_on", "association__code"):
        assignments[group_id].append((effective_on, association))
    first_disbursements = {}
    for pk, loan_id, value_date, amount in (
        effective_loan_transactions(kind=LoanTransaction.Kind.DISBURSEMENT)
        .order_by("loan_id", "value_date", "id")
        .values_list("pk", "loan_id", "value_date", "amount")
        .iterator(chunk_size=_CHUNK)
    ):
        first_disbursements.setdefault(loan_id, (pk, value_date, amount))
    sheets = {
        "Communes": _communes(),
        "Programs": _programs(),
        "Groups": _groups(assignments),
        "GroupTransfers": _transfers(assignments),
        "Members": Member.objects.order_by("national_id").values_list(
            "national_id", "full_name", "gender", "birth_year", "commune__code", "village", "household_category"
        ),
        "Memberships": Membership.objects.order_by("member__national_id", "joined_on").values_list(
            "member__national_id", "group__code", "joined_on", "left_on"
        ),
        "Loans": _loans(first_disbursements),
        "Installments": _of_loans(
            first_disbursements,
            Installment.objects.order_by("loan__loan_no", "due_on"),
            "loan__loan_no",
            "due_on",
            "principal",
        ),
        "Transactions": _transactions(first_disbursements),
        "Extensions": _of_loans(
            first_disbursements,
            Extension.objects.order_by("loan__loan_no", "decided_on", "id"),
            "loan__loan_no",
            "installment__due_on",
            "new_due_on",
            "decided_on",
        ),
        "Freezes": _of_loans(
            first_disbursements,
            Freeze.objects.order_by("loan__loan_no", "effective_on", "id"),
            "loan__loan_no",
            "amount",
            "effective_on",
            "ends_on",
        ),
        "Savings": effective_savings_transactions()
        .order_by("member__national_id", "value_date", "id")
        .values_list("member__national_id", "value_date", "kind", "amount"),
        "Meetings": GroupMeeting.objects.order_by("group__code", "held_on").values_list(
            "group__code", "held_on", "attendees"
        ),
        "Trainings": Training.objects.order_by("held_on", "id").values_list(
            "held_on", "association__code", "commune__code", "audience", "trainees", "planned"
        ),
        "NewsItems": NewsItem.objects.order_by("published_on", "id").values_list(
            "published_on", "association__code", "commune__code", "channel", "title"
        ),
        "CommuneTransactionDays": CommuneTransactionDay.objects.filter(effective_on__isnull=False)
        .order_by("commune__code", "effective_on")
        .values_list("commune__code", "effective_on", "day"),
    }
    return {
        name: rows.iterator(chunk_size=_CHUNK) if hasattr(rows, "iterator") else rows for name, rows in sheets.items()
    }


def _communes():
    """Each commune with its first transaction day (the day before its first change, in
    CommuneTransactionDays; today's when it never changed)."""
    first = dict(CommuneTransactionDay.objects.filter(effective_on__isnull=True).values_list("commune_id", "day"))
    for pk, code, name, kind, day in Commune.objects.order_by("code").values_list(
        "pk", "code", "name", "kind", "transaction_day"
    ):
        yield [code, name, kind, first.get(pk, day)]


def _programs():
    latest = dict(ProgramRate.objects.order_by("program_id", "effective_on").values_list("program_id", "annual_rate"))
    for pk, code, name, factor, rule in (
        LoanProgram.objects.exclude(code__in=shipped_program_codes())
        .order_by("code")
        .values_list("pk", "code", "name", "overdue_factor", "overdue_rule")
    ):
        yield [code, name, latest.get(pk), factor, rule]


def _groups(assignments):
    for pk, code, name, commune, village, leader, founded_on, dissolved_on in SavingsGroup.objects.order_by(
        "code"
    ).values_list("pk", "code", "name", "commune__code", "village", "leader_name", "founded_on", "dissolved_on"):
        founding = assignments[pk][0][1] if assignments[pk] else None
        yield [code, name, commune, founding, village, leader, founded_on, dissolved_on]


def _transfers(assignments):
    codes = dict(SavingsGroup.objects.values_list("pk", "code"))
    for pk in sorted(assignments, key=codes.get):
        for effective_on, association in assignments[pk][1:]:
            yield [codes[pk], effective_on, association]


def _loans(first_disbursements):
    for pk, loan_no, nid, program, channel, rate, purpose, approved in (
        Loan.objects.order_by("loan_no")
        .values_list(
            "pk",
            "loan_no",
            "member__national_id",
            "program__code",
            "channel",
            "annual_rate",
            "purpose",
            "approved_amount",
        )
        .iterator(chunk_size=_CHUNK)
    ):
        if pk in first_disbursements:  # a loan whose every disbursement was reversed has no Loans row
            _txn, disbursed_on, amount = first_disbursements[pk]
            yield [loan_no, nid, program, channel, disbursed_on, amount, rate, purpose, approved]


def _of_loans(first_disbursements, queryset, *fields):
    """The rows of the loans that have a Loans row."""
    for loan_id, *values in queryset.values_list("loan_id", *fields).iterator(chunk_size=_CHUNK):
        if loan_id in first_disbursements:
            yield values


def _transactions(first_disbursements):
    first = {pk for pk, _d, _a in first_disbursements.values()}
    for pk, loan_id, *values in (
        effective_loan_transactions()
        .order_by("loan__loan_no", "value_date", "id")
        .values_list("pk", "loan_id", "loan__loan_no", "value_date", "kind", "amount", "reference")
        .iterator(chunk_size=_CHUNK)
    ):
        if loan_id in first_disbursements and pk not in first:
            yield values
