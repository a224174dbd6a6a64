"""The rules of the book for one loan (lending.engine), against hand-computed figures."""

from datetime import date
from fractions import Fraction

from lending.engine import LoanBook, LoanFacts, billing_day


def facts(**kw):
    base = dict(
        annual_rate=Fraction("6.60"),
        overdue_factor=Fraction("1.30"),
        overdue_rule="maturity",
        transaction_day=20,
        disbursements=[(date(2020, 1, 10), 12_000_000)],
        installments=[(1, date(2025, 1, 10), 12_000_000)],
    )
    base.update(kw)
    return LoanFacts(**base)


def amounts(book, through=date(2020, 6, 30)):
    return [(b.billed_on, b.amount) for b in book.bills(through)]


def test_design_example():
    # 12,000,000 × 6.60 / 36000 = 2,200 a day: 10 days to 20/01, 31 days to 20/02.
    assert amounts(LoanBook(facts()))[:2] == [(date(2020, 1, 20), 22_000), (date(2020, 2, 20), 68_200)]


def test_transaction_day_31_bills_on_the_last_day_of_short_months():
    assert billing_day(2020, 2, 31) == date(2020, 2, 29)
    assert billing_day(2020, 4, 31) == date(2020, 4, 30)
    book = LoanBook(
        facts(
            transaction_day=31,
            disbursements=[(date(2020, 1, 31), 10_000_000)],
            installments=[(1, date(2023, 1, 31), 10_000_000)],
        )
    )
    # 10,000,000 × 6.6 / 36000 = 1,833.33 a day
    # 31/01–28/02: 29 days = 53,166.67 → 53,167; 29/02–30/03: 31 days = 56,833.33 → 56,833
    # 31/03–29/04: 30 days = 55,000; 30/04–30/05: 31 days → 56,833
    assert amounts(book, date(2020, 5, 31)) == [
        (date(2020, 2, 29), 53_167),
        (date(2020, 3, 31), 56_833),
        (date(2020, 4, 30), 55_000),
        (date(2020, 5, 31), 56_833),
    ]


def test_closing_bill_on_full_repayment_then_nothing():
    book = LoanBook(facts(repayments=[(date(2020, 3, 5), 12_000_000)]))
    # 20/02–04/03: 14 days × 2,200 = 30,800 billed on the day the outstanding reaches 0
    assert amounts(book) == [
        (date(2020, 1, 20), 22_000),
        (date(2020, 2, 20), 68_200),
        (date(2020, 3, 5), 30_800),
    ]
    assert book.bills_complete_through(date(2020, 6, 30)) == date(9999, 12, 31)


def test_overdue_days_accrue_at_130_percent():
    book = LoanBook(facts(installments=[(1, date(2020, 2, 15), 12_000_000)]))
    bills = book.bills(date(2020, 3, 31))
    # 20/01–15/02: 27 normal days × 2,200 = 59,400; 16/02–19/02: 4 overdue days × 2,860 = 11,440
    assert (bills[1].billed_on, bills[1].amount, bills[1].overdue_amount) == (date(2020, 2, 20), 70_840, 11_440)
    # 20/02–19/03: 29 overdue days × 2,860 = 82,940
    assert (bills[2].amount, bills[2].overdue_amount) == (82_940, 82_940)


def test_frozen_amount_earns_nothing():
    book = LoanBook(facts(freezes=[(4_000_000, date(2020, 2, 1), None)]))
    # 20/01–31/01: 12 days × 2,200 = 26,400; 01/02–19/02: 19 days × 1,466.67 = 27,866.67
    assert amounts(book)[1] == (date(2020, 2, 20), 54_267)
    assert book.position(date(2020, 2, 1)).frozen == 4_000_000
    assert book.position(date(2020, 1, 31)).frozen == 0


def test_freeze_with_an_end_stops_freezing_on_the_end_day():
    book = LoanBook(facts(freezes=[(12_000_000, date(2020, 1, 20), date(2020, 2, 1))]))
    # 20/01–31/01 frozen whole: nothing; 01/02–19/02: 19 days × 2,200 = 41,800
    assert amounts(book)[:2] == [(date(2020, 1, 20), 22_000), (date(2020, 2, 20), 41_800)]
    assert book.position(date(2020, 1, 31)).frozen == 12_000_000
    assert book.position(date(2020, 2, 1)).frozen == 0


def test_frozen_is_capped_at_the_outstanding():
    book = LoanBook(facts(freezes=[(12_000_000, date(2020, 2, 1), None)], repayments=[(date(2020, 3, 1), 5_000_000)]))
    assert book.position(date(2020, 3, 1)).frozen == 7_000_000


def test_half_a_dong_rounds_up():
    # 10,000 × 9.00 / 36000 = 2.5 đồng for one day → 3
    book = LoanBook(
        facts(
            annual_rate=Fraction(9),
            disbursements=[(date(2020, 1, 19), 10_000)],
            installments=[(1, date(2021, 1, 19), 10_000)],
        )
    )
    assert amounts(book, date(2020, 1, 31)) == [(date(2020, 1, 20), 3)]


def test_prepaid_interest_is_credit():
    book = LoanBook(facts(interest_payments=[(date(2020, 1, 20), 100_000)]))
    bills = book.bills(date(2020, 3, 1))
    assert book.interest_balance(date(2020, 1, 20), bills) == -78_000
    assert book.interest_balance(date(2020, 2, 20), bills) == -9_800
    assert book.interest_balance(date(2020, 1, 19), bills) == 0


def test_maturity_rule_before_on_and_after_the_due_date():
    book = LoanBook(facts(installments=[(1, date(2020, 6, 10), 6_000_000), (2, date(2021, 1, 10), 6_000_000)]))
    for day, overdue in [(date(2021, 1, 9), 0), (date(2021, 1, 10), 0), (date(2021, 1, 11), 12_000_000)]:
        assert book.position(day).overdue == overdue


def test_installment_rule_before_on_and_after_the_due_date():
    book = LoanBook(
        facts(
            overdue_rule="installment",
            installments=[(1, date(2020, 6, 10), 6_000_000), (2, date(2021, 1, 10), 6_000_000)],
            repayments=[(date(2020, 6, 20), 2_000_000)],
        )
    )
    assert book.position(date(2020, 6, 10)).overdue == 0
    assert book.position(date(2020, 6, 11)).overdue == 6_000_000
    assert book.position(date(2020, 6, 20)).overdue == 4_000_000
    assert book.position(date(2021, 1, 11)).overdue == 10_000_000


def test_extension_decided_before_the_due_date():
    book = LoanBook(
        facts(
            installments=[(1, date(2020, 6, 10), 12_000_000)],
            extensions=[(1, date(2020, 12, 10), date(2020, 6, 1), 1)],
        )
    )
    assert book.maturity(date(2020, 5, 31)) == date(2020, 6, 10)
    assert book.position(date(2020, 6, 11)).overdue == 0
    assert book.position(date(2020, 12, 11)).overdue == 12_000_000


def test_extension_decided_after_the_due_date_ends_the_overdue_from_its_decision():
    book = LoanBook(
        facts(
            installments=[(1, date(2020, 6, 10), 12_000_000)],
            extensions=[(1, date(2020, 12, 10), date(2020, 7, 1), 1)],
        )
    )
    assert book.position(date(2020, 6, 30)).overdue == 12_000_000  # at a past date it stays
    assert book.position(date(2020, 7, 1)).overdue == 0
    bills = book.bills(date(2020, 7, 31))
    # 20/06–30/06: 11 overdue days × 2,860 = 31,460; 01/07–19/07: 19 days × 2,200 = 41,800
    assert (bills[-1].billed_on, bills[-1].amount, bills[-1].overdue_amount) == (date(2020, 7, 20), 73_260, 31_460)


def test_second_tranche_and_partial_repayment():
    book = LoanBook(
        facts(
            disbursements=[(date(2020, 1, 10), 6_000_000), (date(2020, 2, 1), 6_000_000)],
            repayments=[(date(2020, 2, 10), 3_000_000)],
        )
    )
    assert book.outstanding(date(2020, 1, 31)) == 6_000_000
    assert book.outstanding(date(2020, 2, 1)) == 12_000_000
    assert book.outstanding(date(2020, 2, 10)) == 9_000_000
    # 20/01–31/01: 12 × 1,100 = 13,200; 01/02–09/02: 9 × 2,200 = 19,800; 10/02–19/02: 10 × 1,650 = 16,500
    assert amounts(book)[1] == (date(2020, 2, 20), 49_500)


def test_write_offs_reduce_the_outstanding_and_stop_accrual():
    book = LoanBook(facts(principal_write_offs=[(date(2020, 2, 1), 12_000_000)]))
    assert book.outstanding(date(2020, 2, 1)) == 0
    assert book.outstanding(date(2020, 1, 31)) == 12_000_000
    # closing bill on 01/02: 20/01–31/01 = 12 × 2,200
    assert amounts(book) == [(date(2020, 1, 20), 22_000), (date(2020, 2, 1), 26_400)]


def test_principal_due_waterfall_with_prepayment_and_write_off():
    book = LoanBook(
        facts(
            installments=[
                (1, date(2020, 3, 10), 4_000_000),
                (2, date(2020, 6, 10), 4_000_000),
                (3, date(2020, 9, 10), 4_000_000),
            ],
            repayments=[(date(2020, 2, 1), 5_000_000)],
            principal_write_offs=[(date(2020, 5, 1), 2_000_000)],
        )
    )
    # payments in order: 5,000,000 repaid (covers #1 and 1,000,000 of #2), 2,000,000 written off (of #2)
    assert book.principal_due_in(date(2020, 1, 1), date(2020, 3, 31)) == (4_000_000, 4_000_000)
    assert book.principal_due_in(date(2020, 4, 1), date(2020, 6, 30)) == (2_000_000, 1_000_000)
    assert book.principal_due_in(date(2020, 7, 1), date(2020, 9, 30)) == (4_000_000, 0)


def test_principal_room_is_the_lowest_outstanding_from_the_day_on():
    """12.000.000 đ on 10/01/2020, 3.000.000 đ more on 10/06; 9.000.000 đ repaid on 10/04."""
    from lending.selectors.transaction_day import principal_room

    loan = facts(
        disbursements=[(date(2020, 1, 10), 12_000_000), (date(2020, 6, 10), 3_000_000)],
        repayments=[(date(2020, 4, 10), 9_000_000)],
    )
    # on 20/02 the repayment of April leaves 3.000.000 to take; the later tranche does not help
    assert principal_room(loan, date(2020, 2, 20)) == 3_000_000
    assert principal_room(loan, date(2020, 4, 10)) == 3_000_000  # that day's own repayment counted
    assert principal_room(loan, date(2020, 6, 10)) == 6_000_000
    assert principal_room(loan, date(2020, 1, 9)) == 0  # before the loan
