"""Reading the portfolio workbook: cells to typed rows, then the batch write path.

Reading checks what one cell can tell (types, required values, choices, lengths) and
lists every such problem at once; the rules of the book across rows are the batch's
(`portfolio_write`). Either stage refusing raises `BatchRefused`, nothing written.
"""

import os
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from vbsp_district.money import vn_date

from ..services.batch import SHEETS, BatchRefused, Issue, Row, portfolio_write
from . import spec
from .spec import COLUMNS, Column

_SHEET_BY_KEY = {name.lower(): name for name in SHEETS}
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_PLAIN = re.compile(r"\d+")
_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+|\d{1,3}(?:,\d{3})+")
_NUMBERISH = re.compile(r"[\d.,]+")
_NATIONAL_ID = re.compile(r"\d{9}|\d{12}")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


class WorkbookUnreadable(Exception):
    """The file is missing or is not an .xlsx workbook."""


class _CellError(Exception):
    pass


def _source_name(source) -> str:
    name = source if isinstance(source, (str, os.PathLike)) else getattr(source, "name", "") or ""
    return os.path.basename(str(name))


def workbook_read(source) -> dict[str, list[Row]]:
    """The workbook's rows per sheet (in the format's sheet order), values typed.

    `source` is a path or a file object. Raises `BatchRefused` listing every cell and
    header problem, or `WorkbookUnreadable` when the file cannot be opened as .xlsx.
    """
    file = " ".join(("tệp", _source_name(source))).strip()
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except FileNotFoundError as exc:
        raise WorkbookUnreadable(f"Không tìm thấy {file}.") from exc
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as exc:
        raise WorkbookUnreadable(f"Không đọc được {file}: phải là tệp Excel .xlsx.") from exc
    issues: list[Issue] = []
    found: dict[str, list[Row]] = {}
    try:
        for sheet in workbook.worksheets:
            _read_sheet(sheet, found, issues)
    finally:
        workbook.close()
    if issues:
        raise BatchRefused(issues)
    return {name: found[name] for name in SHEETS if name in found}


def workbook_import(source, *, acting_user) -> dict[str, int]:
    """Read the workbook and write it through `portfolio_write`, all or nothing.

    Returns the number of records written for each sheet of the workbook. Raises
    `BatchRefused` (cell problems first; when there are none, the rules of the book).
    """
    rows = workbook_read(source)
    counts = portfolio_write(rows, acting_user=acting_user, source=f"workbook:{_source_name(source)}")
    return {sheet: counts[sheet] for sheet in rows}


# -- sheets -------------------------------------------------------------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_sheet(worksheet, found: dict, issues: list[Issue]):
    title = worksheet.title
    sheet = _SHEET_BY_KEY.get(title.strip().lower())
    worksheet.reset_dimensions()  # some writers store a wrong sheet size; read what is there
    rows = worksheet.iter_rows()
    if sheet is None:
        if any(not _blank(cell.value) for row in rows for cell in row):
            issues.append(
                Issue(title, 1, "sheet", f"Trang {title} không có trong mẫu; các trang: {', '.join(SHEETS)}.")
            )
        return
    if sheet in found:
        issues.append(Issue(title, 1, "sheet", f"Trang {sheet} bị lặp."))
        return
    found[sheet] = records = []
    header = None
    for line, cells in enumerate(rows, start=1):
        values = [cell.value for cell in cells]
        if line == 1:
            if not all(_blank(v) for v in values):
                header = _header(sheet, values, issues)
            continue
        if line == 2 and values and isinstance(values[0], str) and values[0].lstrip().startswith("#"):
            continue
        if all(_blank(v) for v in values):
            continue
        if header is None:  # data under an empty first row
            header = _header(sheet, [], issues)
        records.append(_record(sheet, line, cells, header, issues))


def _header(sheet: str, values: list, issues: list[Issue]) -> dict[int, Column | None]:
    """Column position -> Column (None: an unknown column, reported once here)."""
    columns = {c.key: c for c in COLUMNS[sheet]}
    positions: dict[int, Column | None] = {}
    for index, value in enumerate(values):
        if _blank(value):
            continue
        key = str(value).strip().lower()
        column = columns.get(key)
        if column is None:
            issues.append(Issue(sheet, 1, key, f"Cột không có trong mẫu của trang {sheet}."))
        elif any(c is column for c in positions.values()):
            issues.append(Issue(sheet, 1, key, "Cột bị lặp."))
            column = None
        positions[index] = column
    present = {c.key for c in positions.values() if c is not None}
    for column in COLUMNS[sheet]:
        if column.required and column.key not in present:
            issues.append(Issue(sheet, 1, column.key, "Thiếu cột bắt buộc."))
    return positions


def _record(sheet: str, line: int, cells, header: dict, issues: list[Issue]) -> Row:
    data = {}
    for index, column in header.items():
        if column is None:
            continue
        cell = cells[index] if index < len(cells) else None
        value = None if cell is None else cell.value
        try:
            value = _coerce(column, value, getattr(cell, "number_format", None))
            if value is None and column.required:
                raise _CellError("Bắt buộc phải có giá trị.")
        except _CellError as exc:
            issues.append(Issue(sheet, line, column.key, str(exc)))
            continue
        data[column.key] = value
    for index, cell in enumerate(cells):
        if index not in header and not _blank(cell.value):
            issues.append(
                Issue(sheet, line, get_column_letter(index + 1), "Ô có dữ liệu nhưng cột không có tên ở dòng 1.")
            )
    return Row(sheet, line, data)


# -- cells --------------------------------------------------------------------------


def _shown(value) -> str:
    if isinstance(value, datetime | date):
        return vn_date(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return vn_date(value)
    return _shown(value) or None


def _coerce(column: Column, value, number_format):
    if _blank(value):
        return None
    kind = column.kind
    if kind == spec.DATE:
        return _date(value)
    if kind == spec.AMOUNT:
        return _amount(value)
    if kind == spec.INTEGER:
        return _integer(value)
    if kind == spec.RATE:
        rate = _decimal(value, f'Lãi suất "{_shown(value)}" không hợp lệ; ghi số phần trăm mỗi năm, ví dụ 6,6.')
        # a cell formatted as a percentage holds 0.066 for 6.6 %
        if not isinstance(value, str) and number_format and "%" in number_format:
            rate *= 100
        return rate
    if kind == spec.DECIMAL:
        return _decimal(value, f'Giá trị "{_shown(value)}" không phải là số.')
    text = _text(value)
    if column.max_length and len(text) > column.max_length:
        raise _CellError(f"Dài quá {column.max_length} ký tự.")
    if kind == spec.NATIONAL_ID:
        if not _NATIONAL_ID.fullmatch(text):
            if isinstance(value, int | float) and len(text) in (8, 11):
                raise _CellError(
                    f"Số CCCD/CMND {text} phải gồm 9 hoặc 12 chữ số: ô kiểu số đã làm mất số 0 ở đầu; "
                    "hãy định dạng cột là Text và nhập đủ các chữ số."
                )
            raise _CellError("Số CCCD/CMND phải gồm 9 hoặc 12 chữ số.")
    elif kind == spec.ASSOCIATION:
        text = text.upper()
    elif kind == spec.CHOICE:
        text = text.lower()
        if text not in column.choices:
            *first, last = column.choices
            allowed = f"{', '.join(first)} hoặc {last}" if first else last
            raise _CellError(f'Giá trị "{_shown(value)}" không hợp lệ; phải là {allowed}.')
    return text


def _date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        parts = None
        if match := _DMY.fullmatch(text):
            day, month, year = match.groups()
            parts = (year, month, day)
        elif match := _ISO.fullmatch(text):
            parts = match.groups()
        if parts:
            try:
                return date(*map(int, parts))
            except ValueError:
                pass
    raise _CellError(f'Ngày "{_shown(value)}" không hợp lệ; dùng ô ngày của Excel, dd/mm/yyyy hoặc yyyy-mm-dd.')


def _amount(value) -> int:
    if isinstance(value, bool):
        raise _CellError(f'Số tiền "{_shown(value)}" không hợp lệ.')
    if isinstance(value, float):
        if not value.is_integer():
            raise _CellError(f"Số tiền {_shown(value)} có phần lẻ; phải là số nguyên đồng.")
        value = int(value)
    if isinstance(value, str):
        text = _SPACES.sub("", value)
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        if _PLAIN.fullmatch(digits) or _GROUPED.fullmatch(digits):
            value = sign * int(re.sub(r"[.,]", "", digits))
        elif _NUMBERISH.fullmatch(digits):
            raise _CellError(
                f'Số tiền "{value.strip()}" có phần lẻ hoặc dấu phân cách sai; '
                "phải là số nguyên đồng, ví dụ 1500000 hoặc 1.500.000."
            )
        else:
            raise _CellError(f'Số tiền "{value.strip()}" không hợp lệ; ví dụ 1500000 hoặc 1.500.000.')
    if not isinstance(value, int):
        raise _CellError(f'Số tiền "{_shown(value)}" không hợp lệ.')
    if value <= 0:
        raise _CellError("Số tiền phải là số nguyên dương (đồng).")
    return value


def _integer(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        return int(value.strip())
    raise _CellError(f'Giá trị "{_shown(value)}" không phải số nguyên.')


def _decimal(value, message: str) -> Decimal:
    if isinstance(value, bool):
        raise _CellError(message)
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        text = _SPACES.sub("", value).removesuffix("%")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            return number
    raise _CellError(message)
