"""Debt treatments: extension (gia hạn nợ) and freezing (khoanh nợ)."""

from datetime import date, timedelta

from vbsp_district.core.audit import audit_record
from vbsp_district.core.errors import refuse
from vbsp_district.core.money import vn_date
from vbsp_district.core.roles import require_poster
from vbsp_district.core.writes import book_write

from .. import rules
from ..models import Extension, Freeze, Installment, Loan
from ..rules import check_amount, check_day, check_not_before
from ..selectors import loan_book
from .interest import interest_bills_rebuild, write_offs_before


def _locked(loan: Loan) -> Loan:
    return Loan.objects.select_for_update(of=("self",)).select_related("program", "member__commune").get(pk=loan.pk)


@book_write
def loan_extend(*, loan: Loan, due_on: date, new_due_on: date, decided_on: date, acting_user) -> Extension:
    """Move the installment contracted for `due_on` to `new_due_on`, decided on `decided_on`."""
    require_poster(acting_user)
    loan = _locked(loan)
    installment = Installment.objects.filter(loan=loan, due_on=due_on).first()
    rules.check_has_installment(installment is not None, loan.loan_no, due_on)
    check_day(decided_on, "decided_on", "Ngày quyết định")
    check_not_before(decided_on, loan.disbursed_on, "decided_on", "Ngày quyết định", "ngày giải ngân")
    book = loan_book(loan)
    current = book.due_date(installment.pk, installment.due_on, decided_on)
    rules.check_new_due_on(new_due_on, current)
    rules.check_outstanding(book.outstanding(decided_on), loan.loan_no, decided_on)
    kept = write_offs_before(loan)
    extension = Extension.objects.create(
        loan=loan,
        installment=installment,
        new_due_on=new_due_on,
        decided_on=decided_on,
        recorded_by=acting_user,
    )
    interest_bills_rebuild(loan=loan, from_date=decided_on - timedelta(days=1), kept=kept, field="decided_on")
    audit_record(
        user=acting_user,
        action="loan.extend",
        obj=extension,
        data={
            "loan": loan.loan_no,
            "due_on": due_on,
            "previous_due_on": current,
            "new_due_on": new_due_on,
            "decided_on": decided_on,
        },
    )
    return extension


@book_write
def loan_freeze(*, loan: Loan, amount: int, effective_on: date, ends_on: date | None = None, acting_user) -> Freeze:
    """Freeze principal from `effective_on` (to the day before `ends_on`): it earns nothing."""
    require_poster(acting_user)
    loan = _locked(loan)
    check_amount(amount)
    check_day(effective_on, "effective_on", "Ngày khoanh nợ")
    check_not_before(effective_on, loan.disbursed_on, "effective_on", "Ngày khoanh nợ", "ngày giải ngân")
    rules.check_freeze_ends(ends_on, effective_on)
    position = loan_book(loan).position(effective_on)
    rules.check_freeze_amount(amount, position.outstanding - position.frozen, effective_on)
    kept = write_offs_before(loan)
    freeze = Freeze.objects.create(
        loan=loan, amount=amount, effective_on=effective_on, ends_on=ends_on, recorded_by=acting_user
    )
    interest_bills_rebuild(loan=loan, from_date=effective_on - timedelta(days=1), kept=kept, field="effective_on")
    audit_record(
        user=acting_user,
        action="loan.freeze",
        obj=freeze,
        data={"loan": loan.loan_no, "amount": amount, "effective_on": effective_on, "ends_on": ends_on},
    )
    return freeze


@book_write
def freeze_end(*, freeze: Freeze, ends_on: date, acting_user) -> Freeze:
    """End an open-ended freeze: from `ends_on` on the amount is no longer frozen."""
    require_poster(acting_user)
    loan = _locked(freeze.loan)
    freeze = Freeze.objects.select_for_update().get(pk=freeze.pk)
    if freeze.ends_on is not None:
        refuse("ends_on", f"Khoản khoanh nợ đã kết thúc ngày {vn_date(freeze.ends_on)}.")
    check_day(ends_on, "ends_on", "Ngày kết thúc khoanh nợ")
    rules.check_freeze_ends(ends_on, freeze.effective_on)
    kept = write_offs_before(loan)
    freeze.ends_on = ends_on
    freeze.save(update_fields=["ends_on"])
    interest_bills_rebuild(loan=loan, from_date=ends_on - timedelta(days=1), kept=kept, field="ends_on")
    audit_record(
        user=acting_user,
        action="loan.freeze_end",
        obj=freeze,
        data={"loan": loan.loan_no, "ends_on": ends_on},
    )
    return freeze
