"""The portfolio workbook's sheets and columns (shared/formats/portfolio-workbook.md).

One table drives the reader, the template and the export, so the three never disagree.
"""

from dataclasses import dataclass

from groups.models import Commune, Member, NewsItem, SavingsGroup, Training
from lending.models import Channel, Loan, LoanProgram, LoanTransaction, OverdueRule, SavingsTransaction
from lending.services.batch import SHEETS

# Kinds of column: how a cell is read, written and formatted.
TEXT = "text"  # free text
CODE = "code"  # a bank key: commune, group, program code (upper-cased; vbsp_district/core/text.py)
LOAN_NO = "loan_no"  # a loan number: a key whose parts may be joined by "/"
NATIONAL_ID = "national_id"  # 9 or 12 digits, as text
ASSOCIATION = "association"  # HND, HPN, CCB, DTN (upper-cased)
CHOICE = "choice"  # one of `choices` (lower-cased)
DATE = "date"
AMOUNT = "amount"  # whole đồng > 0
RATE = "rate"  # percent per year
DECIMAL = "decimal"
INTEGER = "integer"


@dataclass(frozen=True)
class Column:
    key: str
    kind: str
    required: bool
    description: str  # Vietnamese, for the template's second header row
    max_length: int | None = None
    choices: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The description's first words, to name the column in a message."""
        return self.description.split(" (")[0].split(":")[0]

    @property
    def width(self) -> int:
        base = {DATE: 13, AMOUNT: 16, RATE: 12, DECIMAL: 12, INTEGER: 12, TEXT: 28, NATIONAL_ID: 16}
        return max(base.get(self.kind, 14), len(self.key) + 4)

    @property
    def number_format(self) -> str:
        return {
            DATE: "dd/mm/yyyy",
            AMOUNT: "#,##0",
            RATE: "0.0##",
            DECIMAL: "0.0#",
            INTEGER: "0",
        }.get(self.kind, "@")


def _length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


def _req(key, kind, description, **kw) -> Column:
    return Column(key, kind, True, description, **kw)


def _opt(key, kind, description, **kw) -> Column:
    return Column(key, kind, False, description + " (không bắt buộc)", **kw)


def _commune_code(required=True):
    make = _req if required else _opt
    return make("commune_code", CODE, "Mã xã", max_length=_length(Commune, "code"))


def _group_code():
    return _req("group_code", CODE, "Mã tổ TK&VV", max_length=_length(SavingsGroup, "code"))


def _loan_no():
    return _req("loan_no", LOAN_NO, "Số khế ước", max_length=_length(Loan, "loan_no"))


def _national_id():
    return _req("national_id", NATIONAL_ID, "Số CCCD/CMND: 9 hoặc 12 chữ số; định dạng ô là Text để giữ số 0 ở đầu")


def _association(required=True):
    make = _req if required else _opt
    return make("association_code", ASSOCIATION, "Tổ chức hội: HND, HPN, CCB hoặc DTN")


def _date(key, description, required=True):
    return (_req if required else _opt)(key, DATE, description + " (dd/mm/yyyy)")


def _amount(key="amount", description="Số tiền (đồng)"):
    return _req(key, AMOUNT, description)


COLUMNS: dict[str, tuple[Column, ...]] = {
    "Communes": (
        _req("code", CODE, "Mã xã", max_length=_length(Commune, "code")),
        _req("name", TEXT, "Tên xã / thị trấn", max_length=_length(Commune, "name")),
        _req("kind", CHOICE, "Loại: xa (xã) hoặc thi_tran (thị trấn)", choices=tuple(Commune.Kind.values)),
        _req(
            "transaction_day",
            INTEGER,
            "Ngày giao dịch xã hằng tháng (1–31); xã đã đổi ngày: ngày ban đầu, các lần đổi ở trang CommuneTransactionDays",
        ),
    ),
    "Programs": (
        _req("code", CODE, "Mã chương trình", max_length=_length(LoanProgram, "code")),
        _req("name", TEXT, "Tên chương trình", max_length=_length(LoanProgram, "name")),
        _req("annual_rate", RATE, "Lãi suất %/năm, ví dụ 6,6"),
        _opt("overdue_factor", DECIMAL, "Hệ số lãi quá hạn, mặc định 1,3"),
        _req(
            "overdue_rule",
            CHOICE,
            "Quá hạn: maturity (khi hết hạn cuối cùng) hoặc installment (theo từng kỳ hạn)",
            choices=tuple(OverdueRule.values),
        ),
    ),
    "Groups": (
        _req("code", CODE, "Mã tổ TK&VV", max_length=_length(SavingsGroup, "code")),
        _req("name", TEXT, "Tên tổ", max_length=_length(SavingsGroup, "name")),
        _commune_code(),
        _association(),
        _opt("village", TEXT, "Thôn / xóm", max_length=_length(SavingsGroup, "village")),
        _opt("leader_name", TEXT, "Tổ trưởng", max_length=_length(SavingsGroup, "leader_name")),
        _date("founded_on", "Ngày thành lập"),
        _date("dissolved_on", "Ngày giải thể", required=False),
    ),
    "GroupTransfers": (
        _group_code(),
        _date("effective_on", "Hội nhận quản lý tổ từ ngày"),
        _association(),
    ),
    "Members": (
        _national_id(),
        _req("full_name", TEXT, "Họ và tên chủ hộ", max_length=_length(Member, "full_name")),
        _opt("gender", CHOICE, "Giới tính: nam hoặc nu", choices=tuple(Member.Gender.values)),
        _opt("birth_year", INTEGER, "Năm sinh"),
        _commune_code(),
        _opt("village", TEXT, "Thôn / xóm", max_length=_length(Member, "village")),
        _opt("household_category", TEXT, "Đối tượng hộ", max_length=_length(Member, "household_category")),
    ),
    "Memberships": (
        _national_id(),
        _group_code(),
        _date("joined_on", "Ngày vào tổ"),
        _date("left_on", "Ngày rời tổ (còn ở tổ hết ngày này)", required=False),
    ),
    "Loans": (
        _loan_no(),
        _national_id(),
        _req("program_code", CODE, "Mã chương trình cho vay", max_length=_length(LoanProgram, "code")),
        _req(
            "channel", CHOICE, "Phương thức: entrusted (ủy thác) hoặc direct (trực tiếp)", choices=tuple(Channel.values)
        ),
        _date("disbursed_on", "Ngày giải ngân lần đầu"),
        _amount(description="Số tiền giải ngân lần đầu (đồng)"),
        _opt("annual_rate", RATE, "Lãi suất %/năm; để trống: lãi suất của chương trình"),
        _opt("purpose", TEXT, "Mục đích vay", max_length=_length(Loan, "purpose")),
        # An addition to the format (docs/formats.md): last, so that the columns before it keep their places.
        _opt(
            "approved_amount",
            AMOUNT,
            "Số tiền cho vay theo hợp đồng (đồng); để trống: tổng số tiền đã giải ngân",
        ),
    ),
    "Installments": (
        _loan_no(),
        _date("due_on", "Ngày đến hạn theo hợp đồng"),
        _amount("principal", "Số tiền gốc đến hạn (đồng)"),
    ),
    "Transactions": (
        _loan_no(),
        _date("value_date", "Ngày giao dịch"),
        _req(
            "kind",
            CHOICE,
            "Loại: disbursement (giải ngân thêm), principal (thu gốc), interest (thu lãi), "
            "principal_write_off (xóa nợ gốc), interest_write_off (xóa nợ lãi)",
            choices=tuple(LoanTransaction.Kind.values),
        ),
        _amount(),
        _opt(
            "reference",
            TEXT,
            "Số chứng từ, không trùng trong một khế ước",
            max_length=_length(LoanTransaction, "reference"),
        ),
    ),
    "Extensions": (
        _loan_no(),
        _date("due_on", "Ngày đến hạn theo hợp đồng của kỳ được gia hạn"),
        _date("new_due_on", "Ngày đến hạn mới"),
        _date("decided_on", "Ngày quyết định gia hạn"),
    ),
    "Freezes": (
        _loan_no(),
        _amount(description="Số tiền gốc khoanh (đồng)"),
        _date("effective_on", "Khoanh từ ngày"),
        _date("ends_on", "Hết khoanh từ ngày", required=False),
    ),
    "Savings": (
        _national_id(),
        _date("value_date", "Ngày giao dịch"),
        _req(
            "kind", CHOICE, "Loại: deposit (gửi) hoặc withdrawal (rút)", choices=tuple(SavingsTransaction.Kind.values)
        ),
        _amount(),
    ),
    "Meetings": (
        _group_code(),
        _date("held_on", "Ngày họp tổ"),
        _opt("attendees", INTEGER, "Số người dự"),
    ),
    "Trainings": (
        _date("held_on", "Ngày tập huấn"),
        _association(required=False),
        _commune_code(required=False),
        _req("audience", TEXT, "Đối tượng tập huấn", max_length=_length(Training, "audience")),
        _req("trainees", INTEGER, "Số học viên"),
        _opt("planned", INTEGER, "Số học viên kế hoạch"),
    ),
    "NewsItems": (
        _date("published_on", "Ngày đăng"),
        _association(),
        _commune_code(required=False),
        _req(
            "channel",
            CHOICE,
            "Kênh: tv, newspaper, sector_newspaper, province_portal, district_portal, commune_loudspeaker",
            choices=tuple(NewsItem.Channel.values),
        ),
        _req("title", TEXT, "Tiêu đề", max_length=_length(NewsItem, "title")),
    ),
    # An addition to the format (docs/formats.md): last, so that the sheets before it keep their places.
    "CommuneTransactionDays": (
        _commune_code(),
        _date("effective_on", "Áp dụng từ ngày: ngày đầu tháng"),
        _req("transaction_day", INTEGER, "Ngày giao dịch xã hằng tháng từ ngày đó (1–31)"),
    ),
}

assert list(COLUMNS) == SHEETS, "the batch and the workbook share one sheet order"
