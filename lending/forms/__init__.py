"""Forms of the lending desk: disbursement, postings, debt treatments, reversals, periods, import.

Forms check what the user typed (formats, required values, choices) and look records
up through the user's scope; the rules of the book are the services'. Posting forms
carry a hidden one-time `token`: it is the posting's reference when the user typed no
voucher number, so a second submit of the same form finds the first row instead of
posting again.
"""

import hashlib
import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from vbsp_district.core.forms import BankForm, MoneyField, VNDateField, parse_money
from vbsp_district.core.money import vn_date, vnd
from vbsp_district.core.text import key_normalize, key_problem

from ..models import Channel, ClosedPeriod, LoanProgram, LoanTransaction, SavingsTransaction
from ..services import schedule_generate
from ..workbook import WorkbookUnreadable, workbook_check

TOKEN_PATTERN = re.compile(r"^[0-9a-f]{32}$")
TOKEN_PREFIX = "WEB-"
SCHEDULE_LINE = re.compile(r"^\s*(\S+)[\s;]+(\S+)\s*$")


def new_token() -> str:
    return uuid.uuid4().hex


class DeskForm(BankForm):
    """A BankForm whose fields in error carry Bootstrap's `is-invalid`."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                if "is-invalid" not in css.split():
                    widget.attrs["class"] = f"{css} is-invalid".strip()


class PostingForm(DeskForm):
    """A form that writes: it carries the one-time token of its page."""

    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", new_token())

    def clean_token(self):
        token = self.cleaned_data["token"]
        if not TOKEN_PATTERN.match(token or ""):
            raise ValidationError("Biểu mẫu đã cũ hoặc không hợp lệ; hãy tải lại trang và nhập lại.")
        return token

    def reference_or_token(self) -> str:
        """The voucher number typed, or the form's one-time token as the reference."""
        typed = (self.cleaned_data.get("reference") or "").strip()
        return typed or TOKEN_PREFIX + self.cleaned_data["token"]


def _reference_field():
    return forms.CharField(
        label="Số chứng từ",
        required=False,
        max_length=64,
        help_text="Số phiếu thu/chi, nếu có.",
    )


def _today():
    return timezone.localdate()


# -- disbursement ----------------------------------------------------------------------


class RateField(forms.CharField):
    """A rate in percent per year typed as 6,6 or 6.6."""

    default_error_messages = {"invalid": "Lãi suất phải là số, ví dụ 6,6."}

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        text = value.strip().replace(" ", "").replace("%", "").replace(",", ".")
        if text.count(".") > 1:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            rate = Decimal(text)
        except InvalidOperation:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not rate.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return rate


def parse_schedule(text: str) -> list[tuple[date, int]]:
    """Lines of `dd/mm/yyyy amount` (space, tab or `;` between) → (due date, principal)."""
    rows, errors = [], []
    date_field = VNDateField()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = SCHEDULE_LINE.match(line)
        try:
            if not match:
                raise ValueError
            due_on = date_field.clean(match.group(1))
            principal = parse_money(match.group(2))
        except (ValueError, ValidationError):
            errors.append(f"Dòng {number}: cần ngày dd/mm/yyyy và số tiền gốc, ví dụ 10/01/2021 6.000.000.")
            continue
        rows.append((due_on, principal))
    if errors:
        raise ValidationError(errors)
    return rows


class LoanDisburseForm(PostingForm):
    """Giải ngân món vay: the contract, then its schedule (generated or typed)."""

    member = forms.CharField(
        label="Số CCCD/CMND của hộ vay", max_length=12, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    loan_no = forms.CharField(label="Số khế ước", max_length=30)
    program = forms.ModelChoiceField(
        label="Chương trình cho vay", queryset=LoanProgram.objects.none(), empty_label="— chọn chương trình —"
    )
    channel = forms.ChoiceField(label="Phương thức", choices=Channel.choices, initial=Channel.ENTRUSTED)
    amount = MoneyField(label="Số tiền giải ngân (đồng)")
    approved_amount = MoneyField(
        label="Số tiền cho vay theo hợp đồng (đồng)",
        required=False,
        help_text="Để trống nếu giải ngân một lần; lớn hơn số giải ngân khi còn các đợt sau (HSSV).",
    )
    disbursed_on = VNDateField(label="Ngày giải ngân")
    annual_rate = RateField(
        label="Lãi suất (%/năm)", required=False, help_text="Để trống: lãi suất của chương trình tại ngày giải ngân."
    )
    term_months = forms.IntegerField(label="Thời hạn cho vay (tháng)", required=False)
    interval_months = forms.IntegerField(label="Kỳ hạn trả nợ (tháng)", required=False)
    installments = forms.CharField(
        label="Hoặc nhập lịch trả nợ",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "10/01/2021 6.000.000\n10/01/2022 6.000.000"}),
        help_text="Mỗi dòng một kỳ: ngày đến hạn và số tiền gốc.",
    )
    purpose = forms.CharField(label="Mục đích sử dụng vốn", max_length=200, required=False)
    previewed = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["program"].queryset = LoanProgram.objects.all()
        if not self.is_bound:
            self.initial.setdefault("disbursed_on", _today())

    def clean_member(self):
        national_id = self.cleaned_data["member"].strip()
        member = self.scope.members().filter(national_id=national_id).select_related("commune").first()
        if member is None:
            raise ValidationError(f"Không tìm thấy hộ vay có số CCCD/CMND {national_id}.")
        return member

    def clean_loan_no(self):
        loan_no = key_normalize(self.cleaned_data["loan_no"])
        if problem := key_problem(loan_no, "Số khế ước", slashes=True):
            raise ValidationError(problem)
        return loan_no

    def clean(self):
        data = super().clean()
        typed = (data.get("installments") or "").strip()
        term, interval = data.get("term_months"), data.get("interval_months")
        amount = data.get("approved_amount") or data.get("amount")
        if typed:
            if term is not None or interval is not None:
                self.add_error("installments", "Đã nhập lịch trả nợ thì để trống thời hạn và kỳ hạn trả nợ.")
                return data
            try:
                data["schedule"] = parse_schedule(typed)
            except ValidationError as exc:
                self.add_error("installments", exc)
            return data
        if term is None or interval is None:
            self.add_error("installments", "Nhập thời hạn và kỳ hạn trả nợ, hoặc nhập lịch trả nợ.")
            return data
        if amount is None or data.get("disbursed_on") is None:
            return data
        try:
            data["schedule"] = schedule_generate(
                amount=amount, disbursed_on=data["disbursed_on"], term_months=term, interval_months=interval
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return data

    def digest(self) -> str:
        """A fingerprint of what would be written, to tell a confirmed preview from a stale one."""
        data = self.cleaned_data
        values = [
            data["member"].pk,
            data["loan_no"],
            data["program"].pk,
            data["channel"],
            data["amount"],
            data.get("approved_amount"),
            data["disbursed_on"],
            data.get("annual_rate"),
            data.get("purpose", ""),
            sorted(data["schedule"]),
        ]
        return hashlib.sha256(repr(values).encode()).hexdigest()[:32]

    def is_confirmed(self) -> bool:
        return self.data.get("action") == "confirm" and self.cleaned_data.get("previewed") == self.digest()

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "loan_no": data["loan_no"],
            "member": data["member"],
            "program": data["program"],
            "channel": data["channel"],
            "amount": data["amount"],
            "approved_amount": data.get("approved_amount"),
            "disbursed_on": data["disbursed_on"],
            "annual_rate": data.get("annual_rate"),
            "installments": data["schedule"],
            "purpose": data.get("purpose", ""),
            "reference": self.reference_or_token(),
        }


# -- loan postings ---------------------------------------------------------------------


class LoanPostForm(PostingForm):
    """Thu nợ gốc, thu lãi, or a later tranche, on one loan."""

    KINDS = [
        (LoanTransaction.Kind.PRINCIPAL, "Thu nợ gốc"),
        (LoanTransaction.Kind.INTEREST, "Thu lãi"),
        (LoanTransaction.Kind.DISBURSEMENT, "Giải ngân đợt tiếp theo"),
    ]

    kind = forms.ChoiceField(label="Loại giao dịch", choices=KINDS, initial=LoanTransaction.Kind.PRINCIPAL)
    value_date = VNDateField(label="Ngày giao dịch")
    amount = MoneyField(label="Số tiền (đồng)")
    reference = _reference_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("value_date", _today())

    def kind_label(self) -> str:
        return dict(self.KINDS)[self.cleaned_data["kind"]].lower()


class WriteOffForm(PostingForm):
    """Xóa nợ gốc or xóa nợ lãi."""

    KINDS = [("principal", "Xóa nợ gốc"), ("interest", "Xóa nợ lãi")]

    kind = forms.ChoiceField(label="Loại xóa nợ", choices=KINDS, initial="principal")
    value_date = VNDateField(label="Ngày xóa nợ")
    amount = MoneyField(label="Số tiền xóa (đồng)")
    reference = _reference_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("value_date", _today())
        self.fields["reference"].help_text = "Số quyết định xóa nợ, nếu có."


class SavingsPostForm(PostingForm):
    """Gửi or rút tiết kiệm of one member."""

    kind = forms.ChoiceField(
        label="Loại giao dịch", choices=SavingsTransaction.Kind.choices, initial=SavingsTransaction.Kind.DEPOSIT
    )
    value_date = VNDateField(label="Ngày giao dịch")
    amount = MoneyField(label="Số tiền (đồng)")
    reference = _reference_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("value_date", _today())


# -- debt treatments -------------------------------------------------------------------


class InstallmentChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, effective_due=None, **kwargs):
        self.effective_due = effective_due or {}
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        label = f"Kỳ {vn_date(obj.due_on)} — {vnd(obj.principal)} đồng"
        current = self.effective_due.get(obj.pk)
        if current and current != obj.due_on:
            label += f" (đã gia hạn đến {vn_date(current)})"
        return label


class LoanExtendForm(PostingForm):
    """Gia hạn nợ: move one installment to a later date."""

    installment = InstallmentChoiceField(label="Kỳ hạn trả nợ", queryset=None, empty_label=None)
    new_due_on = VNDateField(label="Ngày đến hạn mới")
    decided_on = VNDateField(label="Ngày quyết định gia hạn")

    def __init__(self, *args, loan, effective_due=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["installment"]
        field.queryset = loan.installments.order_by("due_on")
        field.effective_due = effective_due or {}
        if not self.is_bound:
            self.initial.setdefault("decided_on", _today())


class LoanFreezeForm(PostingForm):
    """Khoanh nợ: freeze an amount of principal from a date."""

    amount = MoneyField(label="Số tiền khoanh (đồng)")
    effective_on = VNDateField(label="Khoanh từ ngày")
    ends_on = VNDateField(label="Đến ngày", required=False, help_text="Để trống nếu chưa có ngày kết thúc.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("effective_on", _today())


class FreezeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{vnd(obj.amount)} đồng, khoanh từ {vn_date(obj.effective_on)}"


class FreezeEndForm(PostingForm):
    """End an open-ended freeze."""

    freeze = FreezeChoiceField(label="Khoản khoanh nợ", queryset=None, empty_label=None)
    ends_on = VNDateField(label="Kết thúc khoanh từ ngày")

    def __init__(self, *args, loan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["freeze"].queryset = loan.freezes.filter(ends_on__isnull=True).order_by("effective_on")
        if not self.is_bound:
            self.initial.setdefault("ends_on", _today())


# -- reversals and periods -------------------------------------------------------------


class ReversalRequestForm(PostingForm):
    reason = forms.CharField(
        label="Lý do hủy giao dịch", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ReversalDecideForm(PostingForm):
    DECISIONS = [("approve", "Duyệt hủy"), ("reject", "Từ chối")]

    decision = forms.ChoiceField(choices=DECISIONS)
    note = forms.CharField(label="Ghi chú", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PeriodCloseForm(PostingForm):
    year = forms.IntegerField(label="Năm", min_value=2000, max_value=2999)
    quarter = forms.TypedChoiceField(label="Quý", coerce=int, choices=[(q, f"Quý {q}") for q in (1, 2, 3, 4)])


class PeriodReopenForm(PostingForm):
    period = forms.ModelChoiceField(
        queryset=ClosedPeriod.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "Kỳ này không còn khóa sổ."},
    )
    reason = forms.CharField(label="Lý do mở lại", max_length=1000, required=False)

    def __init__(self, *args, closed, **kwargs):
        super().__init__(*args, **kwargs)
        if closed is not None:
            self.fields["period"].queryset = closed


# -- workbook import -------------------------------------------------------------------

# The demo district at scale 1 exports to 28 MB; what the file unpacks to is bounded by the reader.
MAX_WORKBOOK_BYTES = 64 * 1024 * 1024


class WorkbookImportForm(DeskForm):
    file = forms.FileField(label="Tệp Excel (.xlsx)", widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError("Chỉ nhận tệp Excel .xlsx theo mẫu.")
        if upload.size > MAX_WORKBOOK_BYTES:
            raise ValidationError(f"Tệp lớn quá {MAX_WORKBOOK_BYTES // 2**20} MB; hãy chia thành nhiều tệp.")
        try:
            workbook_check(upload)
        except WorkbookUnreadable as exc:
            raise ValidationError(str(exc)) from exc
        return upload
