"""Stored interest bills are a cache of the ledger: whatever the order postings are
recorded in, they equal a rebuild from scratch, and `rebuild_interest --check` says so."""

import random
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from lending.models import InterestBill
from lending.services import (
    interest_payment_post,
    loan_disburse,
    loan_extend,
    loan_freeze,
    loan_tranche_disburse,
    repayment_post,
)
from tests.support.factories import MemberFactory

OPERATIONS = [
    (repayment_post, {"amount": 2_000_000, "value_date": date(2020, 6, 20)}),
    (repayment_post, {"amount": 1_000_000, "value_date": date(2020, 3, 5)}),
    (interest_payment_post, {"amount": 90_200, "value_date": date(2020, 2, 20)}),
    (interest_payment_post, {"amount": 150_000, "value_date": date(2020, 5, 20)}),
    (loan_tranche_disburse, {"amount": 4_000_000, "value_date": date(2020, 4, 1)}),
    (loan_freeze, {"amount": 1_500_000, "effective_on": date(2020, 7, 1), "ends_on": date(2020, 10, 1)}),
    (loan_extend, {"due_on": date(2020, 9, 10), "new_due_on": date(2021, 3, 10), "decided_on": date(2020, 9, 1)}),
]


def build(member, poor, staff, loan_no, order):
    loan = loan_disburse(
        loan_no=loan_no,
        member=member,
        program=poor,
        amount=12_000_000,
        approved_amount=16_000_000,
        disbursed_on=date(2020, 1, 10),
        installments=[(date(2020, 9, 10), 6_000_000), (date(2021, 1, 10), 10_000_000)],
        acting_user=staff,
    )
    for service, kwargs in order:
        service(loan=loan, acting_user=staff, **kwargs)
    return loan


def bills(loan):
    return list(
        InterestBill.objects.filter(loan=loan).values_list("billed_on", "period_start", "amount", "overdue_amount")
    )


@pytest.mark.django_db
def test_bills_do_not_depend_on_the_order_of_recording(group, commune, poor, staff):
    in_order = sorted(OPERATIONS, key=lambda op: min(v for v in op[1].values() if isinstance(v, date)))
    reference = build(MemberFactory(commune=commune, group=group), poor, staff, "R0", in_order)
    for seed in range(5):
        shuffled = list(OPERATIONS)
        random.Random(seed).shuffle(shuffled)
        loan = build(MemberFactory(commune=commune, group=group), poor, staff, f"R{seed + 1}", shuffled)
        assert bills(loan) == bills(reference)
    out = StringIO()
    call_command("rebuild_interest", check=True, stdout=out)
    assert out.getvalue().strip().endswith("6 khế ước, 0 khác biệt.")


@pytest.mark.django_db
def test_check_reports_a_stale_cache_and_rebuild_mends_it(member, poor, staff):
    loan = build(member, poor, staff, "S1", OPERATIONS[:3])
    expected = bills(loan)
    InterestBill.objects.filter(loan=loan, billed_on=date(2020, 2, 20)).update(amount=1)
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("rebuild_interest", check=True, stdout=out)
    assert exit_.value.code == 1
    assert "Khế ước S1: lãi đã lưu khác với sổ giao dịch" in out.getvalue()
    call_command("rebuild_interest", stdout=StringIO())
    assert bills(loan) == expected
