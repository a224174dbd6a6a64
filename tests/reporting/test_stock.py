"""Stock figures of one loan at D (DESIGN §4), hand-computed, through the SQL engine."""

from datetime import date

from lending.services import (
    freeze_end,
    loan_extend,
    loan_freeze,
    loan_tranche_disburse,
    repayment_post,
    write_off_post,
)
from lending.services.postings import interest_payment_post
from tests.support.book import disburse
from tests.support.figures import figures_of, portfolio

D = date


def test_maturity_rule_before_on_and_after_the_due_date(member, poor, staff):
    loan = disburse(member, poor, staff, "M1", due_on=D(2020, 6, 30))  # 12.000.000, one installment due 30/06/2020
    assert figures_of(loan, D(2020, 6, 29))["overdue"] == 0
    # Due on D is not overdue on D; it is on D + 1.
    assert figures_of(loan, D(2020, 6, 30))["overdue"] == 0
    assert figures_of(loan, D(2020, 7, 1))["overdue"] == 12_000_000
    assert figures_of(loan, D(2020, 7, 1))["maturity"] == D(2020, 6, 30)

    # Partial repayment on the due date: 12.000.000 − 5.000.000 = 7.000.000 overdue.
    repayment_post(loan=loan, amount=5_000_000, value_date=D(2020, 6, 30), acting_user=staff)
    at = figures_of(loan, D(2020, 7, 1))
    assert (at["outstanding"], at["overdue"]) == (7_000_000, 7_000_000)
    p = portfolio(D(2020, 7, 1))
    assert p["overdue"] == p["entrusted_overdue"] == 7_000_000
    assert p["overdue_ratio"] == p["entrusted_overdue_ratio"] == 1.0


def test_installment_rule_before_on_and_after_each_due_date(member, installment_program, staff):
    loan = disburse(
        member,
        installment_program,
        staff,
        "K1",
        installments=[(D(2020, 3, 31), 4_000_000), (D(2020, 6, 30), 4_000_000), (D(2020, 9, 30), 4_000_000)],
    )
    repayment_post(loan=loan, amount=3_000_000, value_date=D(2020, 3, 31), acting_user=staff)

    def at(day):
        f = figures_of(loan, day)
        return f["outstanding"], f["overdue"]

    assert at(D(2020, 3, 30)) == (12_000_000, 0)
    assert at(D(2020, 3, 31)) == (9_000_000, 0)  # the 4.000.000 due today is not overdue yet
    assert at(D(2020, 4, 1)) == (9_000_000, 1_000_000)  # 4.000.000 due − 3.000.000 repaid
    assert at(D(2020, 6, 30)) == (9_000_000, 1_000_000)
    assert at(D(2020, 7, 1)) == (9_000_000, 5_000_000)  # 8.000.000 due − 3.000.000
    # Partial repayment 2.000.000 on 15/07: 8.000.000 − 5.000.000 = 3.000.000.
    repayment_post(loan=loan, amount=2_000_000, value_date=D(2020, 7, 15), acting_user=staff)
    assert at(D(2020, 7, 15)) == (7_000_000, 3_000_000)
    # After the last due date everything left is overdue: 12.000.000 − 5.000.000.
    assert at(D(2020, 10, 1)) == (7_000_000, 7_000_000)


def test_installment_rule_with_an_extension_and_a_freeze(member, installment_program, staff):
    loan = disburse(
        member,
        installment_program,
        staff,
        "K2",
        installments=[(D(2020, 3, 31), 4_000_000), (D(2020, 6, 30), 8_000_000)],
    )
    # The 30/06 installment is moved to 31/08, decided on 20/06 (before it fell due).
    loan_extend(
        loan=loan, due_on=D(2020, 6, 30), new_due_on=D(2020, 8, 31), decided_on=D(2020, 6, 20), acting_user=staff
    )
    assert figures_of(loan, D(2020, 7, 1))["overdue"] == 4_000_000  # only the 31/03 one
    # 3.000.000 frozen from 01/08: 4.000.000 − 0 − 3.000.000 = 1.000.000.
    loan_freeze(loan=loan, amount=3_000_000, effective_on=D(2020, 8, 1), acting_user=staff)
    f = figures_of(loan, D(2020, 8, 1))
    assert (f["frozen"], f["overdue"]) == (3_000_000, 1_000_000)
    # From 01/09 all 12.000.000 is due: 12.000.000 − 3.000.000 frozen = 9.000.000 (the cap).
    f = figures_of(loan, D(2020, 9, 1))
    assert (f["outstanding"], f["frozen"], f["overdue"]) == (12_000_000, 3_000_000, 9_000_000)


def test_extension_decided_before_the_due_date(member, poor, staff):
    loan = disburse(member, poor, staff, "E1", due_on=D(2020, 6, 30))
    loan_extend(
        loan=loan, due_on=D(2020, 6, 30), new_due_on=D(2020, 12, 31), decided_on=D(2020, 6, 15), acting_user=staff
    )
    assert figures_of(loan, D(2020, 6, 14))["maturity"] == D(2020, 6, 30)  # not decided yet
    assert figures_of(loan, D(2020, 6, 15))["maturity"] == D(2020, 12, 31)
    assert figures_of(loan, D(2020, 7, 1))["overdue"] == 0
    assert figures_of(loan, D(2020, 12, 31))["overdue"] == 0
    assert figures_of(loan, D(2021, 1, 1))["overdue"] == 12_000_000


def test_extension_decided_after_the_due_date(member, poor, staff):
    loan = disburse(member, poor, staff, "E2", due_on=D(2020, 6, 30))
    loan_extend(
        loan=loan, due_on=D(2020, 6, 30), new_due_on=D(2020, 12, 31), decided_on=D(2020, 7, 15), acting_user=staff
    )
    # Overdue from 01/07 until the decision on 15/07, which does not rewrite those days.
    assert figures_of(loan, D(2020, 7, 1))["overdue"] == 12_000_000
    assert figures_of(loan, D(2020, 7, 14))["overdue"] == 12_000_000
    assert figures_of(loan, D(2020, 7, 15))["overdue"] == 0
    assert portfolio(D(2020, 7, 14))["overdue"] == 12_000_000
    assert portfolio(D(2020, 7, 15))["overdue"] == 0


def test_freeze_with_an_end_and_without_one(member, poor, staff):
    loan = disburse(member, poor, staff, "F1", due_on=D(2020, 6, 30))  # overdue from 01/07/2020 under the maturity rule
    loan_freeze(loan=loan, amount=5_000_000, effective_on=D(2020, 8, 1), ends_on=D(2020, 10, 1), acting_user=staff)
    open_freeze = loan_freeze(loan=loan, amount=2_000_000, effective_on=D(2020, 11, 1), acting_user=staff)

    def at(day):
        f = figures_of(loan, day)
        return f["frozen"], f["overdue"]

    assert at(D(2020, 7, 31)) == (0, 12_000_000)
    assert at(D(2020, 8, 1)) == (5_000_000, 7_000_000)
    assert at(D(2020, 9, 30)) == (5_000_000, 7_000_000)
    assert at(D(2020, 10, 1)) == (0, 12_000_000)  # ends_on is the first day no longer frozen
    assert at(D(2021, 6, 30)) == (2_000_000, 10_000_000)  # no end: still in force
    assert portfolio(D(2021, 6, 30))["frozen"] == 2_000_000

    # The frozen amount is capped at the outstanding: 12.000.000 − 11.000.000 = 1.000.000 left.
    repayment_post(loan=loan, amount=11_000_000, value_date=D(2021, 7, 1), acting_user=staff)
    assert at(D(2021, 7, 1)) == (1_000_000, 0)
    # Ending the open freeze on 01/08/2021: the 1.000.000 left is overdue again.
    freeze_end(freeze=open_freeze, ends_on=D(2021, 8, 1), acting_user=staff)
    assert at(D(2021, 7, 31)) == (1_000_000, 0)
    assert at(D(2021, 8, 1)) == (0, 1_000_000)


def test_principal_and_interest_write_offs(member, poor, staff):
    loan = disburse(member, poor, staff, "W1", due_on=D(2020, 6, 30))
    write_off_post(loan=loan, amount=2_000_000, value_date=D(2020, 9, 1), acting_user=staff)
    assert figures_of(loan, D(2020, 8, 31))["outstanding"] == 12_000_000
    f = figures_of(loan, D(2020, 9, 1))
    assert (f["outstanding"], f["overdue"]) == (10_000_000, 10_000_000)

    # Bills (2.200 đ a day; 2.860 đ overdue): 20/01 10 days 22.000; 20/02 31 days 68.200;
    # 20/03 29 days 63.800; 20/04 31 days 68.200; 20/05 30 days 66.000; 20/06 31 days
    # 68.200; 20/07: 11 days normal (20–30/06) 24.200 + 19 days overdue (01–19/07) 54.340
    # = 78.540. Billed by 20/07: 434.940, nothing paid.
    assert figures_of(loan, D(2020, 7, 20))["interest_balance"] == 434_940
    write_off_post(loan=loan, amount=100_000, value_date=D(2020, 7, 25), interest=True, acting_user=staff)
    assert figures_of(loan, D(2020, 7, 24))["interest_balance"] == 434_940
    assert figures_of(loan, D(2020, 7, 25))["interest_balance"] == 334_940
    assert portfolio(D(2020, 7, 25))["interest_arrears"] == 334_940


def test_interest_credit_is_not_arrears(member, poor, staff):
    loan = disburse(member, poor, staff, "I1", due_on=D(2020, 6, 30))
    interest_payment_post(loan=loan, amount=30_000, value_date=D(2020, 1, 20), acting_user=staff)
    # 22.000 billed on 20/01, 30.000 paid: 8.000 credit, no arrears.
    assert figures_of(loan, D(2020, 1, 20))["interest_balance"] == -8_000
    assert portfolio(D(2020, 1, 20))["interest_arrears"] == 0
    # 20/02: 68.200 more billed: 90.200 − 30.000 = 60.200 arrears.
    assert portfolio(D(2020, 2, 20))["interest_arrears"] == 60_200


def test_second_tranche(member, poor, staff):
    loan = disburse(member, poor, staff, "T1", approved_amount=20_000_000, due_on=D(2020, 6, 30))
    loan_tranche_disburse(loan=loan, amount=8_000_000, value_date=D(2020, 4, 1), acting_user=staff)
    assert figures_of(loan, D(2020, 3, 31))["outstanding"] == 12_000_000
    assert figures_of(loan, D(2020, 4, 1))["outstanding"] == 20_000_000
    assert figures_of(loan, D(2020, 7, 1))["overdue"] == 20_000_000
    assert figures_of(loan, D(2020, 6, 30), "2020Q2")["disbursed"] == 8_000_000
    assert figures_of(loan, D(2020, 3, 31), "2020Q1")["disbursed"] == 12_000_000


def test_early_full_repayment(member, poor, staff):
    loan = disburse(member, poor, staff, "R1", due_on=D(2020, 6, 30))
    repayment_post(loan=loan, amount=12_000_000, value_date=D(2020, 3, 15), acting_user=staff)
    p = portfolio(D(2020, 3, 14))
    assert (p["outstanding"], p["loans"], p["borrowers"]) == (12_000_000, 1, 1)
    p = portfolio(D(2020, 3, 15))
    assert (p["outstanding"], p["loans"], p["borrowers"]) == (0, 0, 0)
    # Past maturity with nothing outstanding: nothing overdue.
    assert portfolio(D(2020, 7, 1))["overdue"] == 0
    # A closing bill on 15/03 for 20/02–14/03 (24 days × 2.200 = 52.800), then none:
    # 22.000 + 68.200 + 52.800 = 143.000 unpaid, still arrears at the year end.
    assert portfolio(D(2020, 3, 15))["interest_arrears"] == 143_000
    assert portfolio(D(2020, 12, 31))["interest_arrears"] == 143_000
