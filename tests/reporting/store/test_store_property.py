"""Any write, in any order, back-dated or not: every stored period equals what the ledger
gives right after it, because each write brings the rows it changes up to date in its own
transaction (reporting.store.settle)."""

import random
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from groups.services import group_transfer, member_move, membership_end
from lending.services import (
    freeze_end,
    interest_payment_post,
    loan_extend,
    loan_freeze,
    repayment_post,
    reversal_approve,
    reversal_request,
    savings_deposit,
    savings_withdraw,
    write_off_post,
)
from reporting import store

pytestmark = pytest.mark.django_db

SEEDS = range(4)
FIRST, LAST = date(2020, 1, 11), date(2022, 12, 31)
TODAY = date(2023, 1, 15)


def _day(rng) -> date:
    return FIRST + timedelta(days=rng.randrange((LAST - FIRST).days))


def _writes(rng, book, staff, manager, hnd, hpn):
    loans = [book.hnd1, book.hpn1, book.hpn2, book.tt1]
    members = [book.an, book.binh, book.cuc]
    groups = [book.g1, book.g2, book.g3]
    posted = []

    def repay():
        posted.append(
            repayment_post(
                loan=rng.choice(loans), amount=rng.choice([100_000, 1_000_000]), value_date=_day(rng), acting_user=staff
            )
        )

    def interest():
        interest_payment_post(
            loan=rng.choice(loans), amount=rng.choice([10_000, 50_000]), value_date=_day(rng), acting_user=staff
        )

    def deposit():
        savings_deposit(member=rng.choice(members), amount=50_000, value_date=_day(rng), acting_user=staff)

    def withdraw():
        savings_withdraw(member=rng.choice(members), amount=20_000, value_date=_day(rng), acting_user=staff)

    def write_off():
        write_off_post(loan=rng.choice(loans), amount=500_000, value_date=_day(rng), acting_user=staff)

    def extend():
        loan = rng.choice(loans)
        due = loan.installments.order_by("due_on").first().due_on
        loan_extend(
            loan=loan, due_on=due, new_due_on=due + timedelta(days=365), decided_on=_day(rng), acting_user=staff
        )

    def freeze():
        frozen = loan_freeze(loan=rng.choice(loans), amount=1_000_000, effective_on=_day(rng), acting_user=staff)
        if rng.random() < 0.5:
            freeze_end(
                freeze=frozen, ends_on=frozen.effective_on + timedelta(days=rng.randrange(30, 400)), acting_user=staff
            )

    def reverse():
        if posted:
            request = reversal_request(transaction=posted.pop(), reason="Nhập nhầm", acting_user=staff)
            reversal_approve(request=request, acting_user=manager)

    def move():
        member_move(member=rng.choice(members), group=rng.choice(groups), moved_on=_day(rng), acting_user=staff)

    def leave():
        membership_end(member=rng.choice(members), left_on=_day(rng), acting_user=staff)

    def transfer():
        group_transfer(
            group=rng.choice(groups), association=rng.choice([hnd, hpn]), effective_on=_day(rng), acting_user=staff
        )

    return [repay, interest, deposit, withdraw, write_off, extend, freeze, reverse, move, leave, transfer]


@pytest.mark.parametrize("seed", SEEDS)
def test_current_stored_periods_always_equal_the_ledger(book, staff, manager, hnd, hpn, seed, monkeypatch):
    """Each kind of write once, in a random order: after each, every stored period is
    current and equals the ledger (so each write settled every key it changed)."""
    monkeypatch.setattr(timezone, "localdate", lambda: TODAY)  # fewer ended periods to check
    rng = random.Random(seed)
    store.build_all()
    writes = _writes(rng, book, staff, manager, hnd, hpn)
    done = []
    for write in rng.sample(writes, len(writes)):
        try:
            write()
        except ValidationError:
            continue  # a refused write changes nothing
        done.append(write.__name__)
        assert store.differences(derived=False) == [], (seed, write.__name__)
    assert store.differences() == [], (seed, "the grades after every write")
    assert len(done) >= 6, done
