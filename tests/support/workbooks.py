"""Portfolio workbooks on disk for the import tests: the format's sheets and columns, a file."""

from pathlib import Path

from openpyxl import Workbook

# The format's table (shared/formats/portfolio-workbook.md); `?` marks an optional column.
FORMAT = {
    "Communes": "code name kind transaction_day",
    "Programs": "code name annual_rate overdue_factor? overdue_rule",
    "Groups": "code name commune_code association_code village? leader_name? founded_on dissolved_on?",
    "GroupTransfers": "group_code effective_on association_code",
    "Members": "national_id full_name gender? birth_year? commune_code village? household_category?",
    "Memberships": "national_id group_code joined_on left_on?",
    # approved_amount: an addition to the format (docs/formats.md)
    "Loans": "loan_no national_id program_code channel disbursed_on amount annual_rate? purpose? approved_amount?",
    "Installments": "loan_no due_on principal",
    "Transactions": "loan_no value_date kind amount reference?",
    "Extensions": "loan_no due_on new_due_on decided_on",
    "Freezes": "loan_no amount effective_on ends_on?",
    "Savings": "national_id value_date kind amount",
    "Meetings": "group_code held_on attendees?",
    "Trainings": "held_on association_code? commune_code? audience trainees planned?",
    "NewsItems": "published_on association_code commune_code? channel title",
    # an addition to the format (docs/formats.md)
    "CommuneTransactionDays": "commune_code effective_on transaction_day",
}


def header(sheet):
    return [key.rstrip("?") for key in FORMAT[sheet].split()]


def xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook with one sheet per entry; each entry's rows are written from row 1."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        worksheet = workbook.create_sheet(title)
        for row in rows:
            worksheet.append(row)
    workbook.save(path)
    return path
