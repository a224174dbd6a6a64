"""Helpers of the reporting tests: members and loans through the services, figure lookups."""

from datetime import date

from groups.services import member_register, membership_add
from lending.services import loan_disburse
from reporting.indicators import district_figures, loan_figures


def new_member(national_id, commune, staff, group=None, joined_on=date(2016, 1, 1)):
    member = member_register(
        national_id=national_id, full_name=f"Hộ {national_id[-3:]}", commune=commune, acting_user=staff
    )
    if group is not None:
        membership_add(member=member, group=group, joined_on=joined_on, acting_user=staff)
    return member


def disburse(
    member,
    program,
    staff,
    loan_no,
    *,
    amount=12_000_000,
    on=date(2020, 1, 10),
    installments=None,
    approved_amount=None,
    **kwargs,
):
    """A loan through the service; by default one installment of the whole amount on 30/06/2020."""
    approved_amount = approved_amount or amount
    return loan_disburse(
        loan_no=loan_no,
        member=member,
        program=program,
        amount=amount,
        disbursed_on=on,
        approved_amount=approved_amount,
        installments=installments or [(date(2020, 6, 30), approved_amount)],
        acting_user=staff,
        **kwargs,
    )


def figures_of(loan, as_of, period=None) -> dict:
    """The SQL per-loan figures of one loan."""
    return loan_figures(as_of, period, [loan.pk])[loan.pk]


def portfolio(as_of, period=None) -> dict:
    return district_figures(as_of, period)["portfolio"]


def row(rows: list[dict], code: str) -> dict:
    return next(r for r in rows if r["code"] == code)
