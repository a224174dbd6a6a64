"""Building a book through the services and reading it back: row counts, refusals that
write nothing, the standard loan, balances and ledgers."""

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from groups.services import group_create, member_register, membership_add
from lending.models import InterestBill, LoanTransaction, SavingsTransaction
from lending.selectors import effective_loan_transactions, loan_book, member_savings_balance
from lending.services import loan_disburse

BOOK_APPS = ("groups", "lending", "vbsp_district")


def row_counts() -> dict[str, int]:
    """The number of rows of every model of the book (the audit trail included; not the
    uploads queued for import, which are no part of it)."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in BOOK_APPS and model._meta.label != "lending.WorkbookImport"
    }


def refused(call, field: str, message: str, **kwargs):
    """Call a service, expect exactly one Vietnamese message on `field`, and no row written."""
    before = row_counts()
    with pytest.raises(ValidationError) as exc:
        call(**kwargs)
    assert exc.value.message_dict == {field: [message]}
    assert row_counts() == before


def tomorrow() -> date:
    return timezone.localdate() + timedelta(days=1)


def bills_of(loan) -> list[tuple[date, date, int, int]]:
    """The stored interest bills of a loan as plain tuples."""
    return list(
        InterestBill.objects.filter(loan=loan)
        .order_by("billed_on")
        .values_list("billed_on", "period_start", "amount", "overdue_amount")
    )


def new_group(code, name, commune, association, staff, *, founded_on=date(2015, 1, 1), **kwargs):
    """A savings group through the service, founded on 01/01/2015 unless told."""
    return group_create(
        code=code,
        name=name,
        commune=commune,
        association=association,
        founded_on=founded_on,
        acting_user=staff,
        **kwargs,
    )


def new_member(national_id, commune, staff, group=None, joined_on=date(2016, 1, 1), full_name=None):
    """A household through the service (`Hộ` and the last three digits of its ID unless
    named), in `group` from `joined_on` when given."""
    member = member_register(
        national_id=national_id,
        full_name=full_name or f"Hộ {national_id[-3:]}",
        commune=commune,
        acting_user=staff,
    )
    if group is not None:
        membership_add(member=member, group=group, joined_on=joined_on, acting_user=staff)
    return member


def disburse(
    member,
    program,
    user,
    loan_no="L1",
    *,
    amount=12_000_000,
    disbursed_on=date(2020, 1, 10),
    due_on=date(2022, 1, 10),
    **kwargs,
):
    """A loan through the service, by default the design's example: 12.000.000 đ at the
    program's rate from 10/01/2020, one installment of the approved amount on `due_on`."""
    if "installments" not in kwargs and "term_months" not in kwargs:
        kwargs["installments"] = [(due_on, kwargs.get("approved_amount", amount))]
    return loan_disburse(
        loan_no=loan_no,
        member=member,
        program=program,
        amount=amount,
        disbursed_on=disbursed_on,
        acting_user=user,
        **kwargs,
    )


def loan_interest_balance(loan, *, as_of: date) -> int:
    """Interest arrears (> 0) or credit (< 0) at the end of `as_of`, from the stored bills:
    what the bills cache says, to check against the engine."""
    billed = InterestBill.objects.filter(loan=loan, billed_on__lte=as_of).aggregate(s=Sum("amount"))["s"] or 0
    kinds = [LoanTransaction.Kind.INTEREST, LoanTransaction.Kind.INTEREST_WRITE_OFF]
    paid = effective_loan_transactions(loan=loan, kind__in=kinds, value_date__lte=as_of).aggregate(s=Sum("amount"))
    return billed - (paid["s"] or 0)


def outstanding(loan, day: date) -> int:
    return loan_book(loan).outstanding(day)


def savings_balance(member, day: date) -> int:
    return member_savings_balance(member, as_of=day)


def loan_rows(loan) -> list[tuple]:
    return list(
        LoanTransaction.objects.filter(loan=loan)
        .order_by("id")
        .values_list("kind", "value_date", "amount", "reference")
    )


def savings_rows(member) -> list[tuple]:
    return list(
        SavingsTransaction.objects.filter(member=member)
        .order_by("id")
        .values_list("kind", "value_date", "amount", "reference")
    )
