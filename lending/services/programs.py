"""Loan programs and their dated rates."""

from datetime import date

from django.db import transaction

from vbsp_district.core.audit import audit_record
from vbsp_district.core.errors import refuse, refuse_taken
from vbsp_district.core.roles import require_manager
from vbsp_district.core.text import key_checked

from ..models import LoanProgram, OverdueRule, ProgramRate
from ..rules import check_program, check_rate

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
        refuse_taken("code", "Mã chương trình", code)
    name, factor = check_program(name=name, overdue_factor=overdue_factor, overdue_rule=overdue_rule)
    rate = check_rate(annual_rate)
    program = LoanProgram.objects.create(code=code, name=name, overdue_factor=factor, overdue_rule=overdue_rule)
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
    rate = check_rate(annual_rate)
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
