"""Reading the portfolio workbook: cells to typed rows, then the batch write path.

Reading checks what one cell can tell (types, required values, choices, lengths) and
lists every such problem at once; the rules of the book across rows are the batch's
(`portfolio_write`). Either stage refusing raises `BatchRefused`, nothing written.
"""

import os
import posixpath
import re
import zlib
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zipfile import ZIP_DEFLATED, ZIP_STORED, BadZipFile, ZipFile

from defusedxml import ElementTree as DefusedET
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import WorkSheetParser

from vbsp_district.core.money import vn_date
from vbsp_district.core.text import key_normalize, key_problem, text_clean, text_problem

from ..services.batch import SHEETS, BatchRefused, Issue, Row, portfolio_write
from . import spec
from .spec import COLUMNS, Column

_SHEET_BY_KEY = {name.lower(): name for name in SHEETS}
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_PLAIN = re.compile(r"\d+", re.ASCII)
_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+|\d{1,3}(?:,\d{3})+", re.ASCII)
_NUMBERISH = re.compile(r"[\d.,]+", re.ASCII)
_NATIONAL_ID = re.compile(r"\d{9}|\d{12}", re.ASCII)
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


class WorkbookUnreadable(Exception):
    """The file is missing or is not an .xlsx workbook."""


class _CellError(Exception):
    pass


def _source_name(source) -> str:
    name = source if isinstance(source, (str, os.PathLike)) else getattr(source, "name", "") or ""
    return os.path.basename(str(name))


# Bounds on what one upload may make the server read (a zip bomb stops here). A sheet
# of the demo district at scale 1 is at most about 60 MB of XML, compressed 8 to 12 times.
MAX_PART_BYTES = 256 * 1024 * 1024  # one sheet (or any other part) uncompressed
MAX_TOTAL_BYTES = 768 * 1024 * 1024  # the whole workbook uncompressed
MAX_RATIO = 100  # uncompressed / compressed, for parts over RATIO_FROM_BYTES
RATIO_FROM_BYTES = 1024 * 1024
MAX_PARTS = 1000
# openpyxl holds every shared string in memory, and parses every cell of a row whatever
# columns are read: both are bounded too (the demo's largest sheet has 2.8 million cells).
MAX_SHARED_STRINGS_BYTES = 32 * 1024 * 1024
MAX_CELLS = 5_000_000
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
MAX_HEADER_COLUMNS = 64  # row 1 is read this far
STRAY_COLUMNS = 8  # the rows as far as the last named column and this many more (a stray value there is an error)

# Excel writes neither comments, DTDs nor CDATA ("<!") into a sheet or its shared strings,
# nor a stretch of text anywhere near this long between two tags (a cell holds at most
# 32,767 characters): the XML parser's time grows with the square of such a token.
MAX_TEXT_RUN = 1024 * 1024
_LONG_TEXT = re.compile(rb"[^<]{%d}" % MAX_TEXT_RUN)
# The parts every workbook has, and the compressions Excel writes (no encryption).
_REQUIRED_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
_COMPRESSIONS = (ZIP_STORED, ZIP_DEFLATED)
_SHARED_STRINGS_TYPE = "sharedStrings+xml"

# What a damaged or hostile part raises while it is parsed (ParseError is a SyntaxError;
# defusedxml's refusals are ValueErrors; zipfile's encrypted or unknown parts are
# RuntimeError and NotImplementedError).
_PARSE_ERRORS = (
    SyntaxError,
    ValueError,
    KeyError,
    TypeError,
    EOFError,
    OSError,
    BadZipFile,
    zlib.error,
    RuntimeError,
    NotImplementedError,
)


def workbook_read(source) -> dict[str, list[Row]]:
    """The workbook's rows per sheet (in the format's sheet order), values typed.

    `source` is a path or a file object. Raises `BatchRefused` listing every cell and
    header problem, or `WorkbookUnreadable` when the file cannot be opened as .xlsx, is
    damaged (the message names the sheet), or would unpack beyond the bounds above.
    """
    file = " ".join(("tệp", _source_name(source))).strip()
    titles = _check_parts(source, file)
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except FileNotFoundError as exc:
        raise WorkbookUnreadable(f"Không tìm thấy {file}.") from exc
    except (InvalidFileException, *_PARSE_ERRORS) as exc:
        raise _unreadable(source, file, titles) from exc
    issues: list[Issue] = []
    found: dict[str, list[Row]] = {}
    try:
        for sheet in workbook.worksheets:
            try:
                _read_sheet(sheet, found, issues)
            except _PARSE_ERRORS as exc:
                raise WorkbookUnreadable(_damaged(sheet.title, file)) from exc
    finally:
        workbook.close()
    if issues:
        raise BatchRefused(issues)
    return {name: found[name] for name in SHEETS if name in found}


def _damaged(title: str, file: str) -> str:
    return f"Không đọc được trang {title} của {file}: trang bị hỏng hoặc không đúng định dạng Excel."


def workbook_check(source):
    """Refuse at once a file that is no workbook or would unpack too far (`WorkbookUnreadable`);
    what is in its sheets is read by `workbook_read`."""
    _check_parts(source, " ".join(("tệp", _source_name(source))).strip())


def _check_parts(source, file: str) -> dict[str, str]:
    """Refuse a workbook that would unpack too far; return {sheet part: sheet title}.

    zipfile never returns more than a part's declared size (a part that holds more fails
    its CRC check), so the declared sizes bound what openpyxl can be made to read. They
    are checked before openpyxl opens anything: it reads every sheet's start on opening.
    """
    try:
        with ZipFile(source) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_PARTS:
                raise WorkbookUnreadable(f"Không đọc được {file}: tệp có quá nhiều thành phần ({len(infos)}).")
            sizes = {info.filename: (info.file_size, info.compress_size) for info in infos}
            if any(part not in sizes for part in _REQUIRED_PARTS):
                raise WorkbookUnreadable(f"Không đọc được {file}: phải là tệp Excel .xlsx.")
            if any(info.flag_bits & 0x1 or info.compress_type not in _COMPRESSIONS for info in infos):
                raise WorkbookUnreadable(
                    f"Không đọc được {file}: tệp bị đặt mật khẩu hoặc nén không theo cách Excel ghi; "
                    "hãy mở bằng Excel và lưu lại thành .xlsx."
                )
            if sum(size for size, _ in sizes.values()) > MAX_TOTAL_BYTES:
                raise WorkbookUnreadable(
                    f"Không nhập {file}: giải nén ra quá {MAX_TOTAL_BYTES // 2**20} MB; hãy chia thành nhiều tệp."
                )
            book_ok = not any(_too_big(sizes[name]) for name in (*_BOOK_PARTS, _REQUIRED_PARTS[0]) if name in sizes)
            titles = _sheet_titles(archive) if book_ok else {}
            shared = _shared_strings_parts(archive, sizes) if book_ok else set()
    except FileNotFoundError as exc:
        raise WorkbookUnreadable(f"Không tìm thấy {file}.") from exc
    except (BadZipFile, OSError, ValueError) as exc:
        raise WorkbookUnreadable(f"Không đọc được {file}: phải là tệp Excel .xlsx.") from exc
    finally:
        if hasattr(source, "seek"):
            source.seek(0)
    for name, size in sizes.items():
        if _too_big(size):
            what = f"trang {titles[name]}" if name in titles else f"phần {name} của {file}"
            raise WorkbookUnreadable(
                f"Không nhập {what}: giải nén ra {size[0] // 2**20} MB hoặc nén bất thường "
                f"(tối đa {MAX_PART_BYTES // 2**20} MB, nén không quá {MAX_RATIO} lần); hãy chia thành nhiều tệp."
            )
        if name in shared and size[0] > MAX_SHARED_STRINGS_BYTES:
            raise WorkbookUnreadable(
                f"Không nhập {file}: bảng chuỗi dùng chung giải nén ra {size[0] // 2**20} MB "
                f"(tối đa {MAX_SHARED_STRINGS_BYTES // 2**20} MB); hãy chia thành nhiều tệp."
            )
    _check_cells(source, file, titles, shared)
    return titles


def _shared_strings_parts(archive: ZipFile, sizes: dict) -> set[str]:
    """The shared strings' parts: by name, and as `[Content_Types].xml` declares them
    (openpyxl finds them there, whatever they are called)."""
    parts = {name for name in sizes if name.lower().endswith("sharedstrings.xml")}
    try:
        types = DefusedET.fromstring(archive.read(_REQUIRED_PARTS[0]))
    except (KeyError, SyntaxError, ValueError):
        return parts
    for override in types.iter("{http://schemas.openxmlformats.org/package/2006/content-types}Override"):
        if override.get("ContentType", "").endswith(_SHARED_STRINGS_TYPE):
            parts.add(override.get("PartName", "").lstrip("/"))
    return parts


def _check_cells(source, file: str, titles: dict[str, str], shared: set[str] = frozenset()):
    """Refuse a sheet of more than MAX_CELLS cells, counted in one pass over its bytes, and
    a sheet or shared strings' part holding what Excel never writes (`_scan`)."""
    try:
        with ZipFile(source) as archive:
            for part in sorted(shared):
                try:
                    _scan(archive, part, f"Không nhập {file}: bảng chuỗi dùng chung")
                except KeyError:
                    continue
            for part, title in titles.items():
                try:
                    count = _scan(archive, part, f"Không nhập trang {title}")
                except KeyError:
                    continue
                if count > MAX_CELLS:
                    raise WorkbookUnreadable(
                        f"Không nhập trang {title}: có {count:,} ô (tối đa {MAX_CELLS:,}); "
                        "hãy chia thành nhiều tệp.".replace(",", ".")
                    )
    except (BadZipFile, OSError, zlib.error):
        pass  # the damage is reported, naming the sheet, when the sheet is read
    finally:
        if hasattr(source, "seek"):
            source.seek(0)


def _scan(archive: ZipFile, part: str, what: str) -> int:
    """Count the part's cells in one pass over its bytes (stopping past MAX_CELLS), and
    refuse (`what`: …) a comment, DTD or CDATA, or a text of more than MAX_TEXT_RUN bytes
    between two tags."""
    count, carry, run = 0, b"", 0  # run: bytes since the last "<" before this chunk
    hostile = WorkbookUnreadable(
        f"{what}: có nội dung Excel không ghi (chú thích, khai báo XML hoặc đoạn chữ dài quá "
        f"{MAX_TEXT_RUN // 2**20} MB); hãy mở bằng Excel và lưu lại thành .xlsx."
    )
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            data = carry + chunk
            first = chunk.find(b"<")
            if run + (len(chunk) if first < 0 else first) > MAX_TEXT_RUN or b"<!" in data or _LONG_TEXT.search(chunk):
                raise hostile
            last = chunk.rfind(b"<")
            run = run + len(chunk) if last < 0 else len(chunk) - last - 1
            cut = max(len(data) - 64, 0)  # a cell tag cut by the chunk is counted next time
            count += sum(1 for match in _CELL.finditer(data) if match.start() < cut)
            carry = data[cut:]
            if count > MAX_CELLS:
                return count
    return count + len(_CELL.findall(carry))


_BOOK_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _sheet_titles(archive: ZipFile) -> dict[str, str]:
    """{part name: sheet title} from the workbook part and its relationships ({} if unreadable)."""
    try:
        book = DefusedET.fromstring(archive.read(_BOOK_PARTS[0]))
        rels = DefusedET.fromstring(archive.read(_BOOK_PARTS[1]))
    except (KeyError, SyntaxError, ValueError):
        return {}
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PKG_REL}Relationship")}
    titles = {}
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        titles[part] = sheet.get("name", "")
    return titles


def _unreadable(source, file: str, titles: dict[str, str]) -> WorkbookUnreadable:
    """Name the sheet openpyxl failed on, when it was one: it reads each sheet's start on opening."""
    try:
        with ZipFile(source) as archive:
            for part, title in titles.items():
                try:
                    with archive.open(part) as stream:
                        WorkSheetParser(stream, []).parse_dimensions()
                except KeyError:
                    continue
                except _PARSE_ERRORS:
                    return WorkbookUnreadable(_damaged(title, file))
            for part in archive.namelist():
                if part.endswith((".xml", ".rels")) and part not in titles:
                    try:
                        DefusedET.fromstring(archive.read(part))  # bounded by _check_parts
                    except (SyntaxError, ValueError):
                        return WorkbookUnreadable(f"Không đọc được {file}: phần {part} bị hỏng.")
    except (BadZipFile, OSError, ValueError):
        pass
    finally:
        if hasattr(source, "seek"):
            source.seek(0)
    return WorkbookUnreadable(f"Không đọc được {file}: phải là tệp Excel .xlsx.")


def _too_big(size: tuple[int, int]) -> bool:
    uncompressed, compressed = size
    if uncompressed > MAX_PART_BYTES:
        return True
    return uncompressed > RATIO_FROM_BYTES and uncompressed > MAX_RATIO * max(compressed, 1)


def workbook_import(source, *, acting_user) -> dict[str, int]:
    """Read the workbook and write it through `portfolio_write`, all or nothing.

    Returns the number of records written for each sheet of the workbook. Raises
    `BatchRefused` (cell problems first; when there are none, the rules of the book).
    """
    rows = workbook_read(source)
    if not any(rows.values()):
        file = " ".join(("Tệp", _source_name(source))).strip()
        raise WorkbookUnreadable(f"{file} không có dòng dữ liệu nào để nhập (dữ liệu bắt đầu từ dòng 2).")
    counts = portfolio_write(rows, acting_user=acting_user, source=f"workbook:{_source_name(source)}")
    return {sheet: counts[sheet] for sheet in rows}


# -- sheets -------------------------------------------------------------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_sheet(worksheet, found: dict, issues: list[Issue]):
    title = worksheet.title
    sheet = _SHEET_BY_KEY.get(title.strip().lower())
    worksheet.reset_dimensions()  # some writers store a wrong sheet size; read what is there
    if sheet is None:
        rows = worksheet.iter_rows(max_col=MAX_HEADER_COLUMNS, values_only=True)
        if any(not _blank(value) for row in rows for value in row):
            issues.append(
                Issue(title, 1, "sheet", f"Trang {title} không có trong mẫu; các trang: {', '.join(SHEETS)}.")
            )
        return
    if sheet in found:
        issues.append(Issue(title, 1, "sheet", f"Trang {sheet} bị lặp."))
        return
    found[sheet] = records = []
    first = next(worksheet.iter_rows(max_row=1, max_col=MAX_HEADER_COLUMNS, values_only=True), ())
    header = None if all(_blank(v) for v in first) else _header(sheet, list(first), issues)
    # Only the named columns (and a few beyond) are read: a cell far to the right costs nothing.
    width = (max(header, default=-1) + 1 if header else len(COLUMNS[sheet])) + STRAY_COLUMNS
    for line, cells in enumerate(worksheet.iter_rows(min_row=2, max_col=width), start=2):
        values = [cell.value for cell in cells]
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
    if kind == spec.TEXT:
        text = text_clean(text).strip()
        if not text:
            return None
        if problem := text_problem(text):
            raise _CellError(problem)
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
    elif kind in (spec.CODE, spec.LOAN_NO):
        text = key_normalize(text)
        if problem := key_problem(text, column.label, slashes=kind == spec.LOAN_NO):
            raise _CellError(problem)
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


# Whole numbers in the sheets (days, years, counts) are small; a huge one is a typo.
MAX_INTEGER = 2_147_483_647


def _integer(value) -> int:
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,20}", value.strip(), re.ASCII):
        number = int(value.strip())
    if number is None:
        raise _CellError(f'Giá trị "{_shown(value)}" không phải số nguyên.')
    if abs(number) > MAX_INTEGER:
        raise _CellError(f"Giá trị {_shown(value)} quá lớn.")
    return number


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
