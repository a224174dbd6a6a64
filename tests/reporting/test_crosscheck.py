"""The SQL engine against the Python reference (lending.engine.LoanBook) on random loans."""

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from groups.models import Membership
from groups.selectors import association_of_group_on
from groups.services import group_create, group_transfer, member_move
from lending.models import Channel, Freeze, LoanTransaction
from lending.selectors import loan_book
from lending.services import (
    freeze_end,
    interest_payment_post,
    loan_disburse,
    loan_extend,
    loan_freeze,
    loan_tranche_disburse,
    repayment_post,
    reversal_approve,
    reversal_request,
    write_off_post,
)
from reporting.indicators import figures_by, loan_figures
from reporting.periods import Period
from tests.support.book import new_member

D = date
START = D(2019, 1, 1)
AS_OF = [
    D(2019, 6, 30),
    D(2019, 12, 31),
    D(2020, 3, 31),
    D(2020, 6, 30),
    D(2020, 9, 15),
    D(2021, 1, 1),
    D(2021, 6, 30),
    D(2022, 3, 31),
]
PERIODS = ["2019", "2020Q1", "2020-06", "2020Q3", "2021", "2021Q4"]


def _day(rng, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _try(call, **kwargs):
    try:
        return call(**kwargs)
    except ValidationError:
        return None


def _build_random_book(rng, *, staff, manager, programs, groups, communes, loans=36):
    """Loans with tranches, repayments, write-offs, interest, extensions, freezes and
    reversals, all through the services; refused postings are simply skipped."""
    created = []
    for i in range(loans):
        direct = i % 9 == 0
        commune = rng.choice(communes)
        group = None if direct else rng.choice([g for g in groups if g.commune_id == commune.pk])
        member = new_member(f"0450000{i:05d}", commune, staff, group=group, joined_on=D(2017, 1, 1))
        disbursed_on = _day(rng, START, D(2020, 9, 30))
        approved = rng.randrange(50, 500) * 100_000
        first = approved if rng.random() < 0.7 else approved // 2
        term = rng.choice([6, 12, 18, 24, 36])
        loan = loan_disburse(
            loan_no=f"X{i:03d}",
            member=member,
            program=rng.choice(programs),
            amount=first,
            approved_amount=approved,
            disbursed_on=disbursed_on,
            channel=Channel.DIRECT if direct else Channel.ENTRUSTED,
            term_months=term,
            interval_months=rng.choice([i for i in (3, 6, 12) if i <= term]),
            acting_user=staff,
        )
        created.append(loan)
        if first < approved:
            _try(
                loan_tranche_disburse,
                loan=loan,
                amount=approved - first,
                value_date=_day(rng, disbursed_on, disbursed_on + timedelta(days=200)),
                acting_user=staff,
            )
        installments = list(loan.installments.order_by("due_on"))
        for _ in range(rng.randrange(0, 9)):
            op = rng.random()
            day = _day(rng, disbursed_on, D(2022, 6, 30))
            amount = rng.randrange(1, 60) * 100_000
            if op < 0.35:
                _try(repayment_post, loan=loan, amount=amount, value_date=day, acting_user=staff)
            elif op < 0.50:
                _try(
                    interest_payment_post,
                    loan=loan,
                    amount=rng.randrange(1, 400) * 1_000,
                    value_date=day,
                    acting_user=staff,
                )
            elif op < 0.58:
                _try(write_off_post, loan=loan, amount=amount, value_date=day, acting_user=staff)
            elif op < 0.63:
                _try(
                    write_off_post,
                    loan=loan,
                    amount=rng.randrange(1, 100) * 1_000,
                    value_date=day,
                    interest=True,
                    acting_user=staff,
                )
            elif op < 0.78:
                inst = rng.choice(installments)
                _try(
                    loan_extend,
                    loan=loan,
                    due_on=inst.due_on,
                    new_due_on=inst.due_on + timedelta(days=rng.randrange(30, 400)),
                    decided_on=_day(rng, disbursed_on, inst.due_on + timedelta(days=60)),
                    acting_user=staff,
                )
            elif op < 0.90:
                ends = day + timedelta(days=rng.randrange(20, 300)) if rng.random() < 0.5 else None
                _try(loan_freeze, loan=loan, amount=amount, effective_on=day, ends_on=ends, acting_user=staff)
            else:
                txn = (
                    LoanTransaction.objects.filter(loan=loan, reverses__isnull=True, reversed_by__isnull=True)
                    .exclude(kind=LoanTransaction.Kind.DISBURSEMENT)
                    .order_by("?")
                    .first()
                )
                if txn is not None:
                    request = reversal_request(transaction=txn, reason="Sai số liệu", acting_user=staff)
                    _try(reversal_approve, request=request, acting_user=manager)
        for freeze in Freeze.objects.filter(loan=loan, ends_on__isnull=True):
            if rng.random() < 0.5:
                _try(
                    freeze_end,
                    freeze=freeze,
                    ends_on=freeze.effective_on + timedelta(days=rng.randrange(10, 300)),
                    acting_user=staff,
                )
        if group is not None and rng.random() < 0.3:
            others = [g for g in groups if g.pk != group.pk]
            _try(
                member_move,
                member=member,
                group=rng.choice(others),
                moved_on=_day(rng, START, D(2021, 12, 31)),
                acting_user=staff,
            )
    return created


def _engine_period(book, bills, period: Period) -> dict:
    s, e = period.start, period.end
    f = book.facts
    due, collected = book.principal_due_in(s, e)
    billed = sum(b.amount for b in bills if s <= b.billed_on <= e)
    paid = sum(a for d, a in f.interest_payments if s <= d <= e)
    balance_start = book.interest_balance(period.day_before, bills)
    arrears_start, credit_start = max(0, balance_start), max(0, -balance_start)
    applied_current = min(paid + credit_start, billed)
    return {
        "disbursed": sum(a for d, a in f.disbursements if s <= d <= e),
        "principal_repaid": sum(a for d, a in f.repayments if s <= d <= e),
        "principal_written_off": sum(a for d, a in f.principal_write_offs if s <= d <= e),
        "principal_due": due,
        "principal_collected_of_due": collected,
        "interest_billed": billed,
        "interest_paid": paid,
        "interest_applied_current": applied_current,
        "interest_arrears_start": arrears_start,
        "interest_applied_arrears": min(paid + credit_start - applied_current, arrears_start),
        "interest_arrears_end": max(0, book.interest_balance(e, bills)),
        **dict(
            zip(("principal_falling_due", "principal_handled_on_time"), book.principal_on_time_in(s, e), strict=True)
        ),
    }


def _association_at(loan, day):
    """The reference attribution, through the organization's own selectors."""
    if loan.channel != Channel.ENTRUSTED:
        return None
    membership = Membership.objects.filter(member=loan.member, joined_on__lte=day).order_by("-joined_on").first()
    if membership is None:
        return None
    association = association_of_group_on(membership.group, day)
    return association.pk if association else None


@pytest.mark.django_db
def test_sql_figures_match_the_loan_book(
    staff, manager, poor, installment_program, commune, commune2, hnd, hpn, ccb, group, group2
):
    rng = random.Random(20200331)
    group3 = group_create(
        code="VN-02",
        name="Tổ Vạn Ninh 2",
        commune=commune2,
        association=ccb,
        founded_on=D(2016, 6, 1),
        acting_user=staff,
    )
    group_transfer(group=group3, association=hnd, effective_on=D(2020, 4, 1), acting_user=staff)
    loans = _build_random_book(
        rng,
        staff=staff,
        manager=manager,
        programs=[poor, installment_program],
        groups=[group, group2, group3],
        communes=[commune, commune2],
    )
    today = timezone.localdate()
    books = {loan.pk: loan_book(loan) for loan in loans}
    bills = {pk: book.bills(today) for pk, book in books.items()}
    checked = defaultdict(int)

    for as_of in AS_OF:
        sql = loan_figures(as_of)
        by_association = defaultdict(lambda: [0, 0])
        for loan in loans:
            book = books[loan.pk]
            if book.first_disbursed_on > as_of:
                continue
            position = book.position(as_of)
            row = sql[loan.pk]
            expected = {
                "outstanding": position.outstanding,
                "frozen": position.frozen,
                "overdue": position.overdue,
                "maturity": position.maturity,
                "interest_balance": book.interest_balance(as_of, bills[loan.pk]),
            }
            assert {k: row[k] for k in expected} == expected, (loan.loan_no, as_of)
            checked["stock"] += 1
            checked["overdue > 0"] += position.overdue > 0
            checked["frozen > 0"] += position.frozen > 0
            totals = by_association[_association_at(loan, as_of)]
            totals[0] += position.outstanding
            totals[1] += position.overdue
        aggregated = figures_by("association", as_of)
        for key, (outstanding, overdue) in by_association.items():
            f = aggregated.get(key)
            assert (f.outstanding, f.overdue) == (outstanding, overdue), (key, as_of)

    for label in PERIODS:
        period = Period.parse(label)
        sql = loan_figures(period.end, period)
        for loan in loans:
            book = books[loan.pk]
            if book.first_disbursed_on > period.end:
                continue
            expected = _engine_period(book, bills[loan.pk], period)
            assert {k: sql[loan.pk][k] for k in expected} == expected, (loan.loan_no, label)
            checked["period"] += 1
            checked["due > 0"] += expected["principal_due"] > 0

    # The random book exercised what it should.
    assert checked["stock"] > 150 and checked["period"] > 100
    assert checked["overdue > 0"] > 10 and checked["frozen > 0"] > 3 and checked["due > 0"] > 10
    assert LoanTransaction.objects.filter(reverses__isnull=False).exists()
