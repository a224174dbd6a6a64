"""Cells for every workbook the app writes: text is always text, never a formula.

openpyxl reads a string starting with `=` as a formula and `#N/A` as an error; a member
named `=HYPERLINK(...)` would become a live link in the office's Excel. Every cell the
app writes goes through `cell()`, which keeps a string a string.
"""

from openpyxl.cell import WriteOnlyCell


def cell(ws, value, number_format: str | None = None, **styles) -> WriteOnlyCell:
    """A write-only cell holding `value`; a string is stored as text whatever it starts with."""
    result = WriteOnlyCell(ws, value)
    if isinstance(value, str):
        result.data_type = "s"
    if number_format:
        result.number_format = number_format
    for name, style in styles.items():
        setattr(result, name, style)
    return result
