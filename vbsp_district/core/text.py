"""What text from users may be: the bank's keys, names, and the characters refused in both.

Keys (commune, group and program codes, loan numbers) end up in URLs, file names and
other programs' files, so they are plain: ASCII capitals, digits, `-`, `_` and `.`,
each part starting with a letter or digit. A loan number may hold `/` between parts
(`HSSV/2020/1`), never an empty, `.` or `..` part: a key never reads as a path. The
forms and the workbook import upper-case what was typed before checking.

Names and other free text are Unicode NFC; zero-width characters are dropped; control
characters (NUL among them) and bidirectional overrides, which make a name print other
than it reads, are refused.
"""

import re
import unicodedata

# One part of a key; the URL converters in `vbsp_district.core.converters` use the same text.
KEY_PART = r"[A-Z0-9][A-Z0-9._-]*"
KEY = KEY_PART
LOAN_NO = rf"{KEY_PART}(?:/{KEY_PART})*"
NATIONAL_ID = r"[0-9]{9}|[0-9]{12}"

_KEY_RE = re.compile(KEY)
_LOAN_NO_RE = re.compile(LOAN_NO)

KEY_MESSAGE = "{label} chỉ gồm chữ cái không dấu, chữ số và các dấu - _ . ; bắt đầu bằng chữ cái hoặc chữ số."
LOAN_NO_MESSAGE = (
    "{label} chỉ gồm chữ cái không dấu, chữ số và các dấu - _ . / ; "
    "mỗi phần giữa hai dấu / bắt đầu bằng chữ cái hoặc chữ số."
)

# Dropped silently: they are invisible and change nothing a reader sees.
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# Refused: characters that reorder, hide or blank out what is printed. Format characters
# (category Cf: bidirectional controls, soft hyphen, ...), line and paragraph separators,
# and the letters that print as nothing.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_BLANK_LETTERS = frozenset("\u034f\u115f\u1160\u3164\uffa0\u2800")
_LINE_BREAKS = frozenset("\n\r\t")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

CONTROL_MESSAGE = "Có ký tự điều khiển không hợp lệ (ký tự ẩn hoặc đảo chiều văn bản); hãy gõ lại."


def key_normalize(text) -> str:
    """What a clerk typed as a key, the way it is stored: no surrounding spaces, capitals.

    Only a–z are upper-cased: `ﬁ` or a dotless `ı` stays what it is, and is refused."""
    return str(text if text is not None else "").strip().translate(_ASCII_UPPER)


def key_problem(key: str, label: str, *, slashes: bool = False) -> str | None:
    """The message for a key that is not of the bank's form (None when it is)."""
    pattern, message = (_LOAN_NO_RE, LOAN_NO_MESSAGE) if slashes else (_KEY_RE, KEY_MESSAGE)
    if not key or pattern.fullmatch(key) is None:
        return message.format(label=label)
    return None


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """The message for free text holding a control or bidirectional character (None if clean)."""
    for char in text:
        if multiline and char in _LINE_BREAKS:
            continue
        if char in _BLANK_LETTERS or unicodedata.category(char) in _REFUSED_CATEGORIES:
            return CONTROL_MESSAGE
    return None


def text_clean(text: str) -> str:
    """Free text in NFC without zero-width characters (what is checked and stored)."""
    return unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)


def has_nul(*texts) -> bool:
    return any("\x00" in text for text in texts if isinstance(text, str))


def text_checked(
    value, field: str, label: str, *, required: bool = False, multiline: bool = False, max_length: int | None = None
) -> str:
    """Free text as stored (NFC, zero-width dropped, stripped), or a refusal naming `field`.

    The services' check, so that every path (pages, the import, the demo) stores the same."""
    from .errors import refuse

    text = text_clean("" if value is None else str(value)).strip()
    if required and not text:
        refuse(field, f"{label} không được để trống.")
    if problem := text_problem(text, multiline=multiline):
        refuse(field, problem)
    if max_length is not None and len(text) > max_length:
        refuse(field, f"{label} dài quá {max_length} ký tự.")
    return text


def key_checked(value, field: str, label: str, *, slashes: bool = False, max_length: int | None = None) -> str:
    """A key as stored (normalized), or a refusal naming `field` (the services' check)."""
    from .errors import refuse

    key = key_normalize(value)
    if not key:
        refuse(field, f"{label} không được để trống.")
    if max_length is not None and len(key) > max_length:
        refuse(field, f"{label} dài quá {max_length} ký tự.")
    if problem := key_problem(key, label, slashes=slashes):
        refuse(field, problem)
    return key
