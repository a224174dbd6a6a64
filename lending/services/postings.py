from datetime import date, timedelta

from django.utils import timezone

from groups.models import Member
from vbsp_district.core.audit import audit_record
from vbsp_district.core.errors import refuse
from vbsp_district.core.money import vn_date
from vbsp_district.core.roles import require_poster
from vbsp_district.core.writes import book_write

from ..models import Loan, LoanTransaction, SavingsTransaction
from ..rules import (
    check_amount,
    check_day,
    check_interest_on_settled,
    check_interest_write_off,
    check_loan_kind,
    check_not_before,
    check_principal_debit,
    check_reference,
    check_savings_kind,
    check_withdrawal,
)
from ..selectors import effective_loan_transactions, effective_savings_transactions, loan_book
from .disbursement import check_tranche
from .interest import arrears_path, interest_bills_rebuild, write_offs_before

Kind = LoanTransaction.Kind
# the postings that change a loan's outstanding, and so the interest billed after them
PRINCIPAL_KINDS = (Kind.DISBURSEMENT, Kind.PRINCIPAL, Kind.PRINCIPAL_WRITE_OFF)


def principal_path(loan: Loan) -> list[tuple[date, int]]:
    """The loan's outstanding as dated deltas: + disbursements, − repayments, − write-offs."""
    sign = {Kind.DISBURSEMENT: 1, Kind.PRINCIPAL: -1, Kind.PRINCIPAL_WRITE_OFF: -1}
    # unordered: the path is summed by day (ordered by date, SQLite would walk the whole ledger)
    rows = (
        effective_loan_transactions(loan=loan, kind__in=list(sign))
        .order_by()
        .values_list("kind", "value_date", "amount")
    )
    return [(d, sign[k] * a) for k, d, a in rows]


def interest_path(loan: Loan) -> list[tuple[date, int]]:
    """Interest arrears as dated deltas: + bills to today, − payments, − write-offs."""
    return arrears_path(loan_book(loan), timezone.localdate())


def savings_path(member: Member) -> list[tuple[date, int]]:
    sign = {SavingsTransaction.Kind.DEPOSIT: 1, SavingsTransaction.Kind.WITHDRAWAL: -1}
    rows = effective_savings_transactions(member=member).order_by().values_list("kind", "value_date", "amount")
    return [(d, sign[k] * a) for k, d, a in rows]


def check_loan_posting(loan: Loan, kind: str, value_date: date, amount: int):
    """The balance rules of one loan posting (the loan row is locked by the caller)."""
    if kind == Kind.DISBURSEMENT:
        check_tranche(loan, amount, value_date)
        return
    check_not_before(value_date, loan.disbursed_on, "value_date", "Ngày giao dịch", "ngày giải ngân")
    if kind in (Kind.PRINCIPAL, Kind.PRINCIPAL_WRITE_OFF):
        check_principal_debit(principal_path(loan), kind, value_date, amount)
    elif kind == Kind.INTEREST_WRITE_OFF:
        check_interest_write_off(interest_path(loan), value_date, amount)
    elif kind == Kind.INTEREST:
        principal = principal_path(loan)
        if sum(delta for day, delta in principal if day <= value_date) == 0:
            check_interest_on_settled(principal, interest_path(loan), value_date, amount)


def _existing_by_reference(model, owner: dict, reference, kind, value_date, amount):
    if reference is None:
        return None
    existing = model.objects.filter(reference=reference, **owner).first()
    if existing is None:
        return None
    if model.objects.filter(reverses=existing).exists():
        # A voucher number stays with the row it was posted on, even once reversed:
        # returning that row would tell the caller a reversed posting counts.
        refuse(
            "reference",
            f"Số chứng từ {reference} thuộc giao dịch đã bị hủy; dùng số chứng từ mới cho bút toán điều chỉnh.",
        )
    if (existing.kind, existing.value_date, existing.amount) == (kind, value_date, amount):
        return existing
    refuse(
        "reference",
        f"Số chứng từ {reference} đã được dùng cho giao dịch khác "
        f"({existing.get_kind_display().lower()} ngày {vn_date(existing.value_date)}).",
    )


@book_write
def loan_transaction_post(
    *,
    loan: Loan,
    kind: str,
    amount: int,
    value_date: date,
    reference: str | None = None,
    acting_user,
    rebuild_interest: bool = True,
) -> LoanTransaction:
    """Post one row to a loan's ledger: a tranche, a repayment, interest or a write-off.

    Locks the loan, so two postings on it never interleave. A `reference` already posted
    with the same kind, date and amount returns that row instead of posting twice.
    """
    require_poster(acting_user)
    check_loan_kind(kind)
    check_amount(amount)
    if not isinstance(value_date, date):
        refuse("value_date", "Ngày giao dịch không hợp lệ.")
    reference = check_reference(reference)
    loan = Loan.objects.select_for_update(of=("self",)).select_related("program", "member__commune").get(pk=loan.pk)
    existing = _existing_by_reference(LoanTransaction, {"loan": loan}, reference, kind, value_date, amount)
    if existing is not None:
        return existing
    check_day(value_date, "value_date", "Ngày giao dịch")
    check_loan_posting(loan, kind, value_date, amount)
    # a posting of principal changes the bills after it: the interest written off stays within them
    kept = write_offs_before(loan) if kind in PRINCIPAL_KINDS else None
    txn = LoanTransaction.objects.create(
        loan=loan,
        kind=kind,
        value_date=value_date,
        amount=amount,
        reference=reference,
        recorded_by=acting_user,
    )
    if rebuild_interest:
        interest_bills_rebuild(loan=loan, from_date=value_date - timedelta(days=1), kept=kept)
    audit_record(
        user=acting_user,
        action=f"loan.{kind}",
        obj=txn,
        data={
            "loan": loan.loan_no,
            "kind": kind,
            "value_date": value_date,
            "amount": amount,
            "reference": reference,
        },
    )
    return txn


def repayment_post(*, loan, amount, value_date, reference=None, acting_user) -> LoanTransaction:
    """Thu nợ gốc: a principal repayment."""
    return loan_transaction_post(
        loan=loan,
        kind=Kind.PRINCIPAL,
        amount=amount,
        value_date=value_date,
        reference=reference,
        acting_user=acting_user,
    )


def interest_payment_post(*, loan, amount, value_date, reference=None, acting_user) -> LoanTransaction:
    """Thu lãi: an interest payment; beyond the bills it is kept as credit (prepaid)."""
    return loan_transaction_post(
        loan=loan,
        kind=Kind.INTEREST,
        amount=amount,
        value_date=value_date,
        reference=reference,
        acting_user=acting_user,
    )


def loan_tranche_disburse(*, loan, amount, value_date, reference=None, acting_user) -> LoanTransaction:
    """A later disbursement tranche, within the contract amount."""
    return loan_transaction_post(
        loan=loan,
        kind=Kind.DISBURSEMENT,
        amount=amount,
        value_date=value_date,
        reference=reference,
        acting_user=acting_user,
    )


def write_off_post(*, loan, amount, value_date, interest: bool = False, reference=None, acting_user) -> LoanTransaction:
    """Xóa nợ: principal (or, with `interest`, interest arrears) cancelled for risk debt."""
    kind = Kind.INTEREST_WRITE_OFF if interest else Kind.PRINCIPAL_WRITE_OFF
    return loan_transaction_post(
        loan=loan,
        kind=kind,
        amount=amount,
        value_date=value_date,
        reference=reference,
        acting_user=acting_user,
    )


@book_write
def savings_transaction_post(
    *,
    member: Member,
    kind: str,
    amount: int,
    value_date: date,
    reference: str | None = None,
    acting_user,
) -> SavingsTransaction:
    """Post a savings deposit or withdrawal; a withdrawal never overdraws, at any date."""
    require_poster(acting_user)
    check_savings_kind(kind)
    check_amount(amount)
    if not isinstance(value_date, date):
        refuse("value_date", "Ngày giao dịch không hợp lệ.")
    reference = check_reference(reference)
    member = Member.objects.select_for_update().get(pk=member.pk)
    existing = _existing_by_reference(SavingsTransaction, {"member": member}, reference, kind, value_date, amount)
    if existing is not None:
        return existing
    check_day(value_date, "value_date", "Ngày giao dịch")
    if kind == SavingsTransaction.Kind.WITHDRAWAL:
        check_withdrawal(savings_path(member), value_date, amount)
    txn = SavingsTransaction.objects.create(
        member=member,
        kind=kind,
        value_date=value_date,
        amount=amount,
        reference=reference,
        recorded_by=acting_user,
    )
    audit_record(
        user=acting_user,
        action=f"savings.{kind}",
        obj=txn,
        data={
            "member": member.national_id,
            "kind": kind,
            "value_date": value_date,
            "amount": amount,
            "reference": reference,
        },
    )
    return txn


def savings_deposit(*, member, amount, value_date, reference=None, acting_user):
    """Gửi tiết kiệm."""
    return savings_transaction_post(
        member=member,
        kind=SavingsTransaction.Kind.DEPOSIT,
        amount=amount,
        value_date=value_date,
        reference=reference,
        acting_user=acting_user,
    )


def savings_withdraw(*, member, amount, value_date, reference=None, acting_user):
    """Rút tiết kiệm."""
    return savings_transaction_post(
        member=member,
        kind=SavingsTransaction.Kind.WITHDRAWAL,
        amount=amount,
        value_date=value_date,
        reference=reference,
        acting_user=acting_user,
    )
