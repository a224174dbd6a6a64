"""Every kind of write through the services, one after another on the page tests' book:
after each, every stored period (and today's figures) equals the ledger. Also writes dated
before the book's first day, which add periods of their own."""

from datetime import date

import pytest
from django.utils import timezone

from groups.services import group_dissolve, member_move, member_register, membership_add, membership_end
from lending.models import Channel
from lending.services import (
    freeze_end,
    loan_disburse,
    loan_extend,
    loan_freeze,
    loan_tranche_disburse,
    repayment_post,
    reversal_approve,
    reversal_request,
    savings_deposit,
    savings_withdraw,
    write_off_post,
)
from lending.services.transaction_day import LoanRow, SavingsRow, transaction_day_post
from reporting import store

pytestmark = pytest.mark.django_db
TODAY = date(2021, 3, 15)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda: TODAY)


def ok(label):
    """The store equals the ledger after the write `label`."""
    assert store.differences() == [], label


def test_a_deposit_before_the_first_book_day_adds_its_periods(book, staff):
    store.build_all()
    ok("start")
    savings_deposit(member=book.dung, amount=10_000, value_date=date(2019, 12, 15), acting_user=staff)
    ok("deposit 2019-12-15")


def test_every_kind_of_write_in_turn_keeps_the_store_true(book, staff, manager, poor):
    store.build_all()
    ok("start")
    loan = loan_disburse(
        loan_no="N-1",
        member=book.binh,
        program=poor,
        amount=5_000_000,
        approved_amount=8_000_000,
        disbursed_on=date(2020, 5, 20),
        installments=[(date(2021, 5, 20), 8_000_000)],
        acting_user=staff,
    )
    ok("disburse")
    tranche = loan_tranche_disburse(loan=loan, amount=3_000_000, value_date=date(2020, 6, 20), acting_user=staff)
    ok("tranche")
    member_move(member=book.binh, group=book.g3, moved_on=date(2020, 7, 1), acting_user=staff)
    ok("move to other commune")
    direct = loan_disburse(
        loan_no="D-1",
        member=book.binh,
        program=poor,
        amount=1_000_000,
        channel=Channel.DIRECT,
        disbursed_on=date(2020, 8, 3),
        installments=[(date(2021, 1, 3), 1_000_000)],
        acting_user=staff,
    )
    ok("direct")
    request = reversal_request(transaction=tranche, reason="Nhập nhầm", acting_user=staff)
    reversal_approve(request=request, acting_user=manager)
    ok("reverse tranche")
    # the last group is left once the entrusted loan is repaid (groups.rules.check_last_leaving)
    repayment_post(loan=book.hnd1, amount=11_000_000, value_date=date(2020, 9, 10), acting_user=staff)
    ok("repay")
    repayment_post(loan=book.hnd1, amount=1_000_000, value_date=date(2020, 9, 1), acting_user=staff)
    ok("repay back-dated")
    membership_end(member=book.an, left_on=date(2020, 9, 10), acting_user=staff)
    ok("leave")
    savings_deposit(member=book.an, amount=70_000, value_date=date(2020, 10, 1), acting_user=staff)
    ok("dep after leave")
    savings_withdraw(member=book.an, amount=70_000, value_date=date(2020, 4, 1), acting_user=staff)
    ok("withdraw back while in group")
    group_dissolve(group=book.g1, dissolved_on=date(2020, 12, 1), acting_user=staff)
    ok("dissolve")
    membership_add(
        member=book.dung, group=book.g2, joined_on=date(2017, 1, 1), left_on=date(2020, 2, 10), acting_user=staff
    )
    ok("historical membership")
    savings_deposit(member=book.dung, amount=30_000, value_date=date(2020, 2, 1), acting_user=staff)
    ok("dung deposit")
    frozen = loan_freeze(loan=direct, amount=500_000, effective_on=date(2020, 9, 1), acting_user=staff)
    freeze_end(freeze=frozen, ends_on=date(2021, 1, 1), acting_user=staff)
    ok("freeze")
    loan_extend(
        loan=direct,
        due_on=date(2021, 1, 3),
        new_due_on=date(2021, 6, 3),
        decided_on=date(2020, 12, 30),
        acting_user=staff,
    )
    ok("extend")
    write_off_post(loan=book.hpn1, amount=1_000_000, value_date=date(2020, 12, 20), acting_user=staff)
    ok("write off")
    m = member_register(
        national_id="044000000009",
        full_name="X",
        commune=book.van_ninh,
        group=book.g3,
        joined_on=date(2021, 3, 15),
        acting_user=staff,
    )
    savings_deposit(member=m, amount=10_000, value_date=TODAY, acting_user=staff)
    ok("today")
    transaction_day_post(
        group=book.g3,
        value_date=date(2021, 2, 28),
        token="abcdefgh1",
        rows=[
            LoanRow("HPN-2", principal=100_000, interest=10_000),
            LoanRow("N-1", interest=5_000),
            SavingsRow(book.cuc.national_id, deposit=5_000),
        ],
        acting_user=staff,
    )
    ok("sheet")


def test_a_direct_loan_before_the_first_book_day_adds_its_periods(book, staff, poor):
    store.build_all()
    loan_disburse(
        loan_no="EARLY",
        member=book.dung,
        program=poor,
        amount=1_000_000,
        channel=Channel.DIRECT,
        disbursed_on=date(2019, 11, 5),
        installments=[(date(2020, 11, 5), 1_000_000)],
        acting_user=staff,
    )
    ok("loan 2019-11-05")
