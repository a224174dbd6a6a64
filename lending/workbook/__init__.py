"""The portfolio workbook (shared/formats/portfolio-workbook.md): import, export, template."""

from .reader import WorkbookUnreadable, workbook_check, workbook_import, workbook_read
from .writer import workbook_export, workbook_template

__all__ = [
    "WorkbookUnreadable",
    "workbook_check",
    "workbook_export",
    "workbook_import",
    "workbook_read",
    "workbook_template",
]
