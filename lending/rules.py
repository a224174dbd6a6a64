"""The rules of the lending book, one function each, shared by both write paths.

The single-record services (`lending.services`) and the batch path
(`lending.services.batch`) call these with what they know (the database's rows, or the
batch's in memory) and get the same refusal with the same message. Each raises a
ValidationError naming the service's field; the batch maps fields to its columns.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from vbsp_district.core.closing import check_open
from vbsp_district.core.errors import refuse
from vbsp_district.core.money import over_cap_message, posting_cap, vn_date, vnd
from vbsp_district.core.text import text_checked

from .models import Channel, LoanProgram, LoanTransaction, OverdueRule, SavingsTransaction


def check_amount(amount, field: str = "amount") -> int:
    """A positive whole number of đồng up to the posting cap (bool, float, fractions refused)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        refuse(field, "Số tiền phải là số nguyên dương (đồng).")
    if amount > (cap := posting_cap()):
        refuse(field, over_cap_message(cap))
    return amount


def check_day(day, field: str, label: str, *, closed_periods=None, today=None) -> date:
    """A value date that is not in the future nor inside a closed period.

    Batch writers pass the closed periods and today's date they loaded once.
    """
    if not isinstance(day, date):
        refuse(field, f"{label} không hợp lệ.")
    if day > (today or timezone.localdate()):
        refuse(field, f"{label} {vn_date(day)} không được sau ngày hôm nay.")
    check_open(day, field, label, closed_periods)
    return day


def check_not_before(day: date, first: date, field: str, label: str, what: str):
    if day < first:
        refuse(field, f"{label} {vn_date(day)} trước {what} ({vn_date(first)}).")


def lowest_balance_from(path: list[tuple[date, int]], day: date) -> tuple[int, date]:
    """The lowest end-of-day balance on `day` or any later date of a dated-delta path."""
    by_day: dict[date, int] = {}
    for d, delta in path:
        by_day[d] = by_day.get(d, 0) + delta
    balance = sum(delta for d, delta in by_day.items() if d <= day)
    lowest, lowest_on = balance, day
    for d in sorted(d for d in by_day if d > day):
        balance += by_day[d]
        if balance < lowest:
            lowest, lowest_on = balance, d
    return lowest, lowest_on


def check_covers(path, day: date, amount: int, field: str, what: str, balance_name: str):
    """Refuse when taking `amount` on `day` would drive the balance below 0 on some day."""
    lowest, lowest_on = lowest_balance_from(path, day)
    if amount > lowest:
        when = f"ngày {vn_date(lowest_on)}"
        if lowest_on != day:
            when += f" (sau ngày giao dịch {vn_date(day)})"
        refuse(
            field,
            f"Số tiền {what} {vnd(amount)} đồng vượt {balance_name} {vnd(max(lowest, 0))} đồng tại {when}.",
        )


# -- programs and loans ------------------------------------------------------------------
def check_rate(annual_rate) -> Decimal:
    try:
        rate = Decimal(str(annual_rate))
    except (InvalidOperation, ValueError):
        refuse("annual_rate", "Lãi suất không hợp lệ.")
    if not rate.is_finite() or rate <= 0 or rate >= 100 or rate != rate.quantize(Decimal("0.001")):
        refuse("annual_rate", "Lãi suất phải là số dương dưới 100 %/năm, tối đa 3 chữ số thập phân.")
    return rate


def check_program(*, name, overdue_factor, overdue_rule) -> tuple[str, Decimal]:
    """A program's name and overdue factor as stored (its code and rate are checked apart)."""
    name = text_checked(
        name, "name", "Tên chương trình", required=True, max_length=LoanProgram._meta.get_field("name").max_length
    )
    try:
        factor = Decimal(str(overdue_factor))
    except (InvalidOperation, ValueError):
        refuse("overdue_factor", "Hệ số lãi quá hạn không hợp lệ.")
    if not factor.is_finite() or factor < 1 or factor > 10 or factor != factor.quantize(Decimal("0.01")):
        refuse("overdue_factor", "Hệ số lãi quá hạn phải từ 1 đến 10, tối đa 2 chữ số thập phân.")
    if overdue_rule not in OverdueRule.values:
        refuse("overdue_rule", "Cách tính quá hạn phải là maturity hoặc installment.")
    return name, factor


def check_channel(channel) -> str:
    if channel not in Channel.values:
        refuse("channel", "Phương thức cho vay phải là ủy thác (entrusted) hoặc trực tiếp (direct).")
    return channel


def check_purpose(purpose) -> str:
    return text_checked(purpose, "purpose", "Mục đích vay", max_length=200)


def check_installment(due_on, principal, *, disbursed_on: date, seen, due_field="due_on", amount_field="principal"):
    """One installment of a schedule; `seen` holds the due dates before it."""
    if not isinstance(due_on, date):
        refuse(due_field, "Ngày đến hạn của kỳ hạn trả nợ không hợp lệ.")
    if due_on <= disbursed_on:
        refuse(due_field, f"Kỳ hạn {vn_date(due_on)} phải sau ngày giải ngân {vn_date(disbursed_on)}.")
    if due_on in seen:
        refuse(due_field, f"Kỳ hạn {vn_date(due_on)} bị trùng.")
    check_amount(principal, amount_field)


def check_schedule_total(scheduled: int, approved_amount: int, field: str):
    if scheduled != approved_amount:
        refuse(
            field,
            f"Tổng các kỳ hạn trả nợ ({vnd(scheduled)} đồng) phải bằng số tiền cho vay ({vnd(approved_amount)} đồng).",
        )


# -- postings ------------------------------------------------------------------------------
LOAN_KINDS = frozenset(LoanTransaction.Kind.values)
SAVINGS_KINDS = frozenset(SavingsTransaction.Kind.values)


def check_loan_kind(kind) -> str:
    if kind not in LOAN_KINDS:
        refuse(
            "kind",
            "Loại giao dịch phải là disbursement, principal, interest, principal_write_off hoặc interest_write_off.",
        )
    return kind


def check_savings_kind(kind) -> str:
    if kind not in SAVINGS_KINDS:
        refuse("kind", "Loại giao dịch tiết kiệm phải là deposit hoặc withdrawal.")
    return kind


def check_reference(reference) -> str | None:
    """A voucher number as stored: none, or up to 64 characters."""
    if reference is None:
        return None
    reference = str(reference).strip()
    if not reference:
        return None
    if len(reference) > 64:
        refuse("reference", "Số chứng từ dài quá 64 ký tự.")
    return reference


def check_approved_covers(approved_amount: int, disbursed: int, field: str = "approved_amount"):
    """A loan's contract amount is at least what has gone out on it."""
    if approved_amount < disbursed:
        refuse(
            field,
            f"Số tiền cho vay theo hợp đồng ({vnd(approved_amount)} đồng) nhỏ hơn số tiền đã giải ngân "
            f"({vnd(disbursed)} đồng).",
        )


def check_tranche_total(already: int, amount: int, approved_amount: int):
    if already + amount > approved_amount:
        refuse(
            "amount",
            f"Giải ngân thêm {vnd(amount)} đồng vượt số tiền cho vay theo hợp đồng: đã giải ngân "
            f"{vnd(already)}/{vnd(approved_amount)} đồng.",
        )


POSTING_LABELS = {
    LoanTransaction.Kind.DISBURSEMENT: "giải ngân",
    LoanTransaction.Kind.PRINCIPAL: "trả gốc",
    LoanTransaction.Kind.INTEREST: "trả lãi",
    LoanTransaction.Kind.PRINCIPAL_WRITE_OFF: "xóa nợ gốc",
    LoanTransaction.Kind.INTEREST_WRITE_OFF: "xóa nợ lãi",
}


def check_principal_debit(principal_path, kind: str, value_date: date, amount: int):
    """A repayment or principal write-off never takes the outstanding below 0, at any day."""
    check_covers(principal_path, value_date, amount, "amount", POSTING_LABELS[kind], "dư nợ")


def check_interest_write_off(interest_path, value_date: date, amount: int):
    """Interest written off never exceeds the arrears, at any day."""
    check_covers(
        interest_path, value_date, amount, "amount", POSTING_LABELS[LoanTransaction.Kind.INTEREST_WRITE_OFF],
        "lãi tồn đọng",
    )  # fmt: skip


def check_write_offs_kept(loan_no: str, write_offs, before, after, field: str):
    """A write that changes a loan's bills (a back-dated repayment, a reversal, a
    treatment, another billing day) never leaves an interest write-off beyond what was
    owed: from each write-off's date on, the arrears with every payment and write-off
    (`after`, a dated-delta path like `before`, the path before the write) stay ≥ 0, or
    no lower than they were. The message names the write-off to reverse first: the latest
    one dated on or before the day the arrears fall lowest."""
    worst = None
    for day, _amount in sorted(write_offs):
        low, low_on = lowest_balance_from(after, day)
        if low < min(0, lowest_balance_from(before, day)[0]) and (worst is None or low < worst[0]):
            worst = (low, low_on)
    if worst is None:
        return
    low, low_on = worst
    # the latest one by then (of one day's, the last recorded)
    day, amount = [w for w in sorted(write_offs, key=lambda w: w[0]) if w[0] <= low_on][-1]
    refuse(
        field,
        f"Thay đổi này làm lãi đã thu và đã xóa của món vay {loan_no} vượt lãi phải thu (thừa {vnd(-low)} đồng "
        f"tại ngày {vn_date(low_on)}). Cần hủy khoản xóa nợ lãi ngày {vn_date(day)} ({vnd(amount)} đồng) của món "
        f"vay {loan_no} trước.",
    )


def check_withdrawal(savings_path, value_date: date, amount: int):
    """A withdrawal never overdraws the savings, at any day."""
    check_covers(savings_path, value_date, amount, "amount", "rút", "số dư tiết kiệm")


def check_interest_on_settled(principal_path, interest_path, value_date: date, amount: int):
    """A settled loan bills no more interest: paying beyond what is owed would be a credit
    nothing can ever use (a typo, or money meant for another loan)."""
    if sum(delta for day, delta in principal_path if day <= value_date) == 0:
        check_covers(interest_path, value_date, amount, "amount", "thu lãi của khế ước đã tất toán", "lãi còn phải trả")


# -- treatments ----------------------------------------------------------------------------
def check_has_installment(found: bool, loan_no: str, due_on):
    if not found:
        shown = vn_date(due_on) if isinstance(due_on, date) else due_on
        refuse("due_on", f"Món vay {loan_no} không có kỳ hạn ngày {shown}.")


def check_new_due_on(new_due_on, current: date):
    if not isinstance(new_due_on, date) or new_due_on <= current:
        refuse("new_due_on", f"Ngày đến hạn mới phải sau ngày đến hạn hiện tại ({vn_date(current)}).")


def check_outstanding(outstanding: int, loan_no: str, day: date):
    """A treatment needs a debt to treat."""
    if outstanding <= 0:
        refuse("loan", f"Món vay {loan_no} đã hết dư nợ tại ngày {vn_date(day)}.")


def check_freeze_ends(ends_on, effective_on: date):
    if ends_on is not None and (not isinstance(ends_on, date) or ends_on <= effective_on):
        refuse("ends_on", "Ngày kết thúc khoanh nợ phải sau ngày bắt đầu.")


def check_freeze_amount(amount: int, free: int, effective_on: date):
    if amount > free:
        refuse(
            "amount",
            f"Số tiền khoanh {vnd(amount)} đồng vượt dư nợ chưa khoanh {vnd(max(free, 0))} đồng "
            f"tại ngày {vn_date(effective_on)}.",
        )
