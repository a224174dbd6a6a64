"""Target T4 against hand-computed figures: the principal falling due in March 2020 and the
part of it repaid, written off, frozen or extended by its due date.

Group QH-01 (Quán Hàu, HND), four loans disbursed 10/01/2020:
- L1: 1.000.000 due 20/03 and 1.000.000 due 20/04; 1.000.000 repaid on 20/03: handled.
- L2: 1.000.000 due 20/03; 600.000 repaid on 20/03, 400.000 on 25/03 (late): 600.000.
- L3: 1.000.000 due 10/03, extended on 25/03 (after its due date) to 20/07: falling due,
  not handled; 500.000 due 20/03, extended on 20/03 (its due date) to 20/05: handled;
  1.000.000 due 20/08.
- L4: 2.000.000 due 20/03; 500.000 written off on 20/03 and 1.500.000 frozen from 01/03:
  handled whole.
Falling due 5.500.000, handled 4.100.000: 41/55 = 0,745455. T3 (collected by the month's
end) counts L2's late 400.000: collected 2.000.000 of 3.500.000 due (L3's installments
moved out of March, L4's write-off taken off).
"""

from datetime import date

import pytest

from lending.services import repayment_post, write_off_post
from lending.services.treatments import loan_extend, loan_freeze
from reporting.indicators import figure_sets
from reporting.periods import Period
from tests.support.book import disburse, new_group, new_member

pytestmark = pytest.mark.django_db

MARCH = Period.parse("2020-03")


@pytest.fixture
def on_time_book(staff, hnd, poor, quan_hau):
    group = new_group("QH-01", "Tổ thôn Quán Hàu", quan_hau, hnd, staff)
    members = [new_member(f"04400000001{i}", quan_hau, staff, group) for i in range(4)]
    l1 = disburse(
        members[0], poor, staff, "L1", amount=2_000_000,
        installments=[(date(2020, 3, 20), 1_000_000), (date(2020, 4, 20), 1_000_000)],
    )  # fmt: skip
    repayment_post(loan=l1, amount=1_000_000, value_date=date(2020, 3, 20), acting_user=staff)
    l2 = disburse(members[1], poor, staff, "L2", amount=1_000_000, due_on=date(2020, 3, 20))
    repayment_post(loan=l2, amount=600_000, value_date=date(2020, 3, 20), acting_user=staff)
    repayment_post(loan=l2, amount=400_000, value_date=date(2020, 3, 25), acting_user=staff)
    l3 = disburse(
        members[2], poor, staff, "L3", amount=2_500_000,
        installments=[(date(2020, 3, 10), 1_000_000), (date(2020, 3, 20), 500_000), (date(2020, 8, 20), 1_000_000)],
    )  # fmt: skip
    loan_extend(
        loan=l3, due_on=date(2020, 3, 10), new_due_on=date(2020, 7, 20), decided_on=date(2020, 3, 25), acting_user=staff
    )
    loan_extend(
        loan=l3, due_on=date(2020, 3, 20), new_due_on=date(2020, 5, 20), decided_on=date(2020, 3, 20), acting_user=staff
    )
    l4 = disburse(members[3], poor, staff, "L4", amount=2_000_000, due_on=date(2020, 3, 20))
    loan_freeze(loan=l4, amount=1_500_000, effective_on=date(2020, 3, 1), acting_user=staff)
    write_off_post(loan=l4, amount=500_000, value_date=date(2020, 3, 20), acting_user=staff)
    return group


def test_handled_by_the_due_date_by_hand(on_time_book):
    (by_group,) = figure_sets([("group",)], MARCH.end, MARCH)
    f = by_group[on_time_book.pk]
    assert (f.principal_falling_due, f.principal_handled_on_time) == (5_500_000, 4_100_000)
    assert f.principal_on_time_rate == 0.745455
    assert (f.principal_due, f.principal_collected_of_due) == (3_500_000, 2_000_000)


def test_a_month_with_nothing_due(on_time_book):
    february = Period.parse("2020-02")
    (by_group,) = figure_sets([("group",)], february.end, february)
    f = by_group[on_time_book.pk]
    assert (f.principal_falling_due, f.principal_handled_on_time, f.principal_on_time_rate) == (0, 0, None)
