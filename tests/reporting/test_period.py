"""Period figures (DESIGN §4): the principal waterfall and the interest applied, by hand."""

from datetime import date

import pytest

from lending.services import interest_payment_post, loan_extend, repayment_post, write_off_post
from reporting.indicators import district_figures
from reporting.periods import Period
from tests.support.book import disburse, new_member
from tests.support.figures import figures_of

D = date
QUARTERS = [
    (D(2020, 3, 31), 3_000_000),
    (D(2020, 6, 30), 3_000_000),
    (D(2020, 9, 30), 3_000_000),
    (D(2020, 12, 31), 3_000_000),
]


def period_of(label, as_of=None):
    period = Period.parse(label)
    return district_figures(as_of or period.end, period)["period"]


def test_period_parsing():
    assert Period.parse("2020-03") == Period("2020-03", D(2020, 3, 1), D(2020, 3, 31))
    assert Period.parse("2020-02").end == D(2020, 2, 29)
    assert Period.parse("2020Q1") == Period("2020Q1", D(2020, 1, 1), D(2020, 3, 31))
    assert Period.parse("2020q4").end == D(2020, 12, 31)
    assert Period.parse("2020") == Period("2020", D(2020, 1, 1), D(2020, 12, 31))
    assert Period.parse("2020Q2").day_before == D(2020, 3, 31)
    assert [m.label for m in Period.parse("2020Q3").months()] == ["2020-07", "2020-08", "2020-09"]
    assert [Period.parse(p).title for p in ("2020-03", "2020Q1", "2020")] == ["tháng 03/2020", "quý 1/2020", "năm 2020"]
    for bad in ("2020-13", "2020Q5", "20", "2020-1", "Q1", "", "2020-03-01"):
        with pytest.raises(ValueError):
            Period.parse(bad)


def test_waterfall_with_prepayment_and_write_off(member, poor, staff):
    loan = disburse(member, poor, staff, "P1", installments=QUARTERS)
    # Settlements in value-date order, laid end to end:
    #   15/02 repaid 2.000.000 [0; 2M)   31/03 repaid 1.000.000 [2M; 3M)
    #   10/05 repaid 4.000.000 [3M; 7M)  01/08 written off 1.500.000 [7M; 8,5M)
    #   31/12 repaid 2.000.000 [8,5M; 10,5M)
    # Installments: 31/03 [0; 3M), 30/06 [3M; 6M), 30/09 [6M; 9M), 31/12 [9M; 12M).
    repayment_post(loan=loan, amount=2_000_000, value_date=D(2020, 2, 15), acting_user=staff)
    repayment_post(loan=loan, amount=1_000_000, value_date=D(2020, 3, 31), acting_user=staff)
    repayment_post(loan=loan, amount=4_000_000, value_date=D(2020, 5, 10), acting_user=staff)
    write_off_post(loan=loan, amount=1_500_000, value_date=D(2020, 8, 1), acting_user=staff)
    repayment_post(loan=loan, amount=2_000_000, value_date=D(2020, 12, 31), acting_user=staff)

    def due(label):
        p = period_of(label)
        return p["principal_due"], p["principal_collected_of_due"], p["principal_collection_rate"]

    # Q1: the 31/03 installment, covered by the 2M prepayment and the 1M on the day.
    assert due("2020Q1") == (3_000_000, 3_000_000, 1.0)
    # Q2: [3M; 6M) inside the 10/05 repayment.
    assert due("2020Q2") == (3_000_000, 3_000_000, 1.0)
    # Q3: [6M; 9M): 1M repaid, 1,5M written off, 0,5M unpaid: due 3M − 1,5M, collected 1M.
    assert due("2020Q3") == (1_500_000, 1_000_000, 0.666667)
    # Q4: [9M; 12M): the 31/12 repayment covers [9M; 10,5M).
    assert due("2020Q4") == (3_000_000, 1_500_000, 0.5)
    # The year: 12M − 1,5M written off = 10,5M due, 9M repaid covers them: 9 / 10,5 = 0,857143.
    assert due("2020") == (10_500_000, 9_000_000, 0.857143)
    # June alone: the 30/06 installment; May: nothing due.
    assert due("2020-06") == (3_000_000, 3_000_000, 1.0)
    assert due("2020-05") == (0, 0, None)
    # Flows of the period.
    q3 = period_of("2020Q3")
    assert (q3["principal_repaid"], q3["principal_written_off"], q3["disbursed"]) == (0, 1_500_000, 0)
    year = period_of("2020")
    assert (year["disbursed"], year["principal_repaid"], year["principal_written_off"]) == (
        12_000_000,
        9_000_000,
        1_500_000,
    )

    # The period's figures do not depend on --as-of, nor the stock figures on --period
    # (31/12/2020 is both the period's end and the year start of 31/03/2021).
    for as_of in (D(2021, 3, 31), D(2020, 12, 31), D(2020, 5, 1)):
        report = district_figures(as_of, "2020")
        assert report["period"] == year
        assert report["portfolio"] == district_figures(as_of)["portfolio"]


def test_same_day_repayment_goes_before_the_write_off(member, poor, staff):
    loan = disburse(member, poor, staff, "P2", installments=[(D(2020, 3, 31), 6_000_000), (D(2020, 6, 30), 6_000_000)])
    # Posted write-off first, repayment second, both dated 31/03: the repayment still
    # covers the first installment [0; 6M), the write-off the second [6M; 12M).
    write_off_post(loan=loan, amount=6_000_000, value_date=D(2020, 3, 31), acting_user=staff)
    repayment_post(loan=loan, amount=6_000_000, value_date=D(2020, 3, 31), acting_user=staff)
    q1, q2 = period_of("2020Q1"), period_of("2020Q2")
    assert (q1["principal_due"], q1["principal_collected_of_due"]) == (6_000_000, 6_000_000)
    # Q2's installment is wholly written off: nothing due, the rate has no denominator.
    assert (q2["principal_due"], q2["principal_collected_of_due"], q2["principal_collection_rate"]) == (0, 0, None)


def test_extension_moves_an_installment_between_periods(member, poor, staff):
    loan = disburse(member, poor, staff, "P3", installments=[(D(2020, 3, 31), 6_000_000), (D(2020, 6, 30), 6_000_000)])
    # Decided 20/03: the 31/03 installment falls due on 31/05 in the schedule at 31/03.
    loan_extend(
        loan=loan, due_on=D(2020, 3, 31), new_due_on=D(2020, 5, 31), decided_on=D(2020, 3, 20), acting_user=staff
    )
    repayment_post(loan=loan, amount=6_000_000, value_date=D(2020, 5, 31), acting_user=staff)
    assert figures_of(loan, D(2020, 3, 31), "2020Q1")["principal_due"] == 0
    q2 = figures_of(loan, D(2020, 6, 30), "2020Q2")
    assert (q2["principal_due"], q2["principal_collected_of_due"]) == (12_000_000, 6_000_000)

    other = disburse(member, poor, staff, "P4", installments=[(D(2020, 3, 31), 6_000_000), (D(2020, 6, 30), 6_000_000)])
    # Decided 10/04, after Q1 ended: Q1 still had it due (schedule at 31/03), Q2 does not
    # count it twice: it moved to 31/07 in the schedule at 30/06.
    loan_extend(
        loan=other, due_on=D(2020, 3, 31), new_due_on=D(2020, 7, 31), decided_on=D(2020, 4, 10), acting_user=staff
    )
    assert figures_of(other, D(2020, 3, 31), "2020Q1")["principal_due"] == 6_000_000
    assert figures_of(other, D(2020, 6, 30), "2020Q2")["principal_due"] == 6_000_000
    # In the schedule at 30/09 the 30/06 installment is [0; 6M), the extended one [6M; 12M).
    q3 = figures_of(other, D(2020, 9, 30), "2020Q3")
    assert (q3["principal_due"], q3["principal_collected_of_due"]) == (6_000_000, 0)


def test_interest_applied_current_and_arrears_with_credit_start(member, poor, staff, commune, group):
    # Two loans of 12.000.000 at 6,60 % disbursed 10/01/2020, commune QH bills on the 20th:
    # bills 20/01 22.000; 20/02 68.200; 20/03 63.800 (29 days); 20/04 68.200; 20/05 66.000;
    # 20/06 68.200 (2.200 đ a day). Billed by 31/03: 154.000. Billed in Q2: 202.400.
    late = [(D(2025, 1, 10), 12_000_000)]
    a = disburse(member, poor, staff, "IA", installments=late)
    b = disburse(new_member("044000000007", commune, staff, group=group), poor, staff, "IB", installments=late)

    # A pays 22.000 + 50.000 in Q1 → arrears_start 154.000 − 72.000 = 82.000.
    interest_payment_post(loan=a, amount=22_000, value_date=D(2020, 1, 20), acting_user=staff)
    interest_payment_post(loan=a, amount=50_000, value_date=D(2020, 2, 20), acting_user=staff)
    # A pays 250.000 in Q2: applied_current = min(250.000 + 0, 202.400) = 202.400;
    # applied_arrears = min(250.000 − 202.400, 82.000) = 47.600.
    interest_payment_post(loan=a, amount=100_000, value_date=D(2020, 4, 20), acting_user=staff)
    interest_payment_post(loan=a, amount=150_000, value_date=D(2020, 6, 20), acting_user=staff)
    # B prepays 200.000 on 20/03 → credit_start 200.000 − 154.000 = 46.000.
    interest_payment_post(loan=b, amount=200_000, value_date=D(2020, 3, 20), acting_user=staff)
    # B pays 100.000 in Q2: applied_current = min(100.000 + 46.000, 202.400) = 146.000;
    # applied_arrears = min(0, 0) = 0.
    interest_payment_post(loan=b, amount=100_000, value_date=D(2020, 5, 20), acting_user=staff)

    fa = figures_of(a, D(2020, 6, 30), "2020Q2")
    assert (fa["interest_billed"], fa["interest_paid"], fa["interest_applied_current"]) == (202_400, 250_000, 202_400)
    assert (fa["interest_arrears_start"], fa["interest_applied_arrears"]) == (82_000, 47_600)
    # Arrears at 30/06: 154.000 + 202.400 − 322.000 = 34.400.
    assert fa["interest_arrears_end"] == 34_400
    fb = figures_of(b, D(2020, 6, 30), "2020Q2")
    assert (fb["interest_applied_current"], fb["interest_arrears_start"], fb["interest_applied_arrears"]) == (
        146_000,
        0,
        0,
    )
    # B at 30/06: 356.400 − 300.000 = 56.400.
    assert fb["interest_arrears_end"] == 56_400

    q2 = period_of("2020Q2")
    assert (q2["interest_billed"], q2["interest_paid"]) == (404_800, 350_000)
    assert q2["interest_applied_current"] == 202_400 + 146_000
    assert q2["interest_collection_rate"] == 0.860672  # 348.400 / 404.800 = 0,8606719…
    assert (q2["interest_arrears_start"], q2["interest_applied_arrears"]) == (82_000, 47_600)
    assert q2["arrears_recovery_rate"] == 0.580488  # 47.600 / 82.000 = 0,5804878…
    assert q2["interest_arrears_end"] == 34_400 + 56_400


def test_rates_with_zero_denominators_are_null(member, poor, staff):
    # Before any loan: every rate is null, every amount 0.
    p = period_of("2019Q4")
    assert p["principal_collection_rate"] is None
    assert p["interest_collection_rate"] is None
    assert p["arrears_recovery_rate"] is None
    assert district_figures(D(2019, 12, 31), "2019Q4")["portfolio"]["overdue_ratio"] is None

    disburse(member, poor, staff, "Z1", installments=[(D(2021, 1, 10), 12_000_000)])
    # Q1 2020: bills, but nothing due and no arrears at 31/12/2019.
    p = period_of("2020Q1")
    assert p["principal_due"] == 0 and p["principal_collection_rate"] is None
    assert p["interest_arrears_start"] == 0 and p["arrears_recovery_rate"] is None
    assert p["interest_billed"] == 154_000 and p["interest_collection_rate"] == 0.0
    report = district_figures(D(2020, 3, 31), "2020Q1")
    hpn = report["by_association"][1]
    assert hpn["overdue_ratio"] is None and hpn["period"]["interest_collection_rate"] is None
