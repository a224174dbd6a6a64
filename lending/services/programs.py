"""Loan programs and their dated rates."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction

from vbsp_district.core.audit import audit_record
from vbsp_district.core.errors import refuse
from vbsp_district.core.roles import require_manager
from vbsp_district.core.text import key_checked

from ..models import LoanProgram, OverdueRule, ProgramRate
from .disbursement import _check_rate

PROGRAMS_FROM = date(2000, 1, 1)


@transaction.atomic
def program_create(
    *,
    code: str,
    name: str,
    annual_rate,
    overdue_factor="1.30",
    overdue_rule: str = OverdueRule.MATURITY,
    effective_on: date = PROGRAMS_FROM,
    acting_user,
) -> LoanProgram:
    """Add a loan program with its first rate."""
    if acting_user is not None:
        require_manager(acting_user)
    code = key_checked(code, "code", "Mã chương trình", max_length=LoanProgram._meta.get_field("code").max_length)
    if LoanProgram.objects.filter(code=code).exists():
        refuse("code", f"Mã chương trình {code} đã có trong hệ thống.")
    if not name or not name.strip():
        refuse("name", "Tên chương trình không được để trống.")
    rate = _check_rate(annual_rate)
    try:
        factor = Decimal(str(overdue_factor))
    except (InvalidOperation, ValueError):
        refuse("overdue_factor", "Hệ số lãi quá hạn không hợp lệ.")
    if not factor.is_finite() or factor < 1 or factor > 10 or factor != factor.quantize(Decimal("0.01")):
        refuse("overdue_factor", "Hệ số lãi quá hạn phải từ 1 đến 10, tối đa 2 chữ số thập phân.")
    if overdue_rule not in OverdueRule.values:
        refuse("overdue_rule", "Cách tính quá hạn phải là maturity hoặc installment.")
    program = LoanProgram.objects.create(code=code, name=name.strip(), overdue_factor=factor, overdue_rule=overdue_rule)
    ProgramRate.objects.create(program=program, annual_rate=rate, effective_on=effective_on)
    audit_record(
        user=acting_user,
        action="program.create",
        obj=program,
        key=code,
        data={"name": program.name, "annual_rate": rate, "overdue_factor": factor, "overdue_rule": overdue_rule},
    )
    return program


@transaction.atomic
def program_rate_set(*, program: LoanProgram, annual_rate, effective_on: date, acting_user) -> ProgramRate:
    """A new rate for loans disbursed from `effective_on`; existing loans keep theirs."""
    require_manager(acting_user)
    rate = _check_rate(annual_rate)
    if ProgramRate.objects.filter(program=program, effective_on=effective_on).exists():
        refuse("effective_on", "Chương trình đã có lãi suất áp dụng từ ngày này.")
    row = ProgramRate.objects.create(program=program, annual_rate=rate, effective_on=effective_on)
    audit_record(
        user=acting_user,
        action="program.rate",
        obj=program,
        key=program.code,
        data={"annual_rate": rate, "effective_on": effective_on},
    )
    return row
