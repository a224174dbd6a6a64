"""Each target's rule at its edges (formats/scorecard.md), on the figures a unit has in a
period: 0,1 % overdue exactly, 95 % collected exactly, 99,5 % of the interest exactly with
10 % of the arrears, 99 % of the groups good with and without a weak one, a month with
nothing due, a quarter with no broadcast, and the district's T9 and T10."""

from decimal import Decimal
from fractions import Fraction

import pytest

from emulation import scorecard as card
from emulation.models import EmulationTarget
from reporting.indicators import Figures
from reporting.periods import Period

MONTH, QUARTER = Period.parse("2020-03"), Period.parse("2020Q1")
DISTRICT = card.Unit(card.DISTRICT, None, "Toàn phòng giao dịch")
HND = card.Unit(card.ASSOCIATION, "HND", "Hội Nông dân", association_id=1, association_code="HND")
HPN = card.Unit(card.ASSOCIATION, "HPN", "Hội Liên hiệp Phụ nữ", association_id=2, association_code="HPN")
QN01_HND = card.Unit(card.COMMUNE_ASSOCIATION, "QN01-HND", "Hội Nông dân Quán Hàu", 1, 10, "HND", "QN01")
QN02_HND = card.Unit(card.COMMUNE_ASSOCIATION, "QN02-HND", "Hội Nông dân Gia Ninh", 1, 20, "HND", "QN02")


class Book:
    """The facts a rule reads, set by hand."""

    def __init__(self, figures=None, **facts):
        self.figures = figures or Figures()
        self.units = [DISTRICT, HND, HPN, QN01_HND, QN02_HND]
        self.unit_grades, self.group_grades, self.meetings = {}, {}, {}
        self.press, self.broadcasts = {}, {}
        self.__dict__.update(facts)

    def figures_of(self, unit, period):
        return self.figures

    def commune_units(self, unit):
        return sorted((u.association_id, u.commune_id) for u in (QN01_HND, QN02_HND) if unit.covers(u.association_id))


def target(code: str, threshold: str, recovery: str | None = None) -> EmulationTarget:
    return EmulationTarget(
        year=2020, code=code, threshold=Decimal(threshold),
        recovery_threshold=Decimal(recovery) if recovery else None, levels=list(card.LEVELS),
    )  # fmt: skip


def verdict(code, book, unit=DISTRICT, threshold="1", recovery=None, period=MONTH):
    value, met, *_ = card.RULES[code](book, unit, period, target(code, threshold, recovery))
    return value, met


@pytest.mark.parametrize(
    "overdue,outstanding,met",
    [(1_000_000, 1_000_000_000, False), (999_999, 1_000_000_000, True), (0, 1_000_000, True), (0, 0, True)],
)
def test_t2_below_one_tenth_of_a_percent(overdue, outstanding, met):
    book = Book(Figures(entrusted_overdue=overdue, entrusted_outstanding=outstanding))
    value, verdict_met = verdict("T2", book, threshold="0.001")
    assert verdict_met is met
    assert value == (Fraction(overdue, outstanding) if outstanding else None)


@pytest.mark.parametrize(
    "collected,due,met", [(95, 100, True), (9_499, 10_000, False), (0, 0, True)]
)  # fmt: skip
def test_t3_ninety_five_percent_and_a_month_with_nothing_due(collected, due, met):
    book = Book(Figures(principal_collected_of_due=collected, principal_due=due))
    assert verdict("T3", book, threshold="0.95")[1] is met


@pytest.mark.parametrize("handled,falling,met", [(100, 100, True), (99, 100, False), (0, 0, True)])
def test_t4_all_handled_by_the_due_date(handled, falling, met):
    book = Book(Figures(principal_handled_on_time=handled, principal_falling_due=falling))
    assert verdict("T4", book)[1] is met


@pytest.mark.parametrize(
    "saving,groups,met", [(10, 10, True), (9, 10, False), (0, 0, None)]
)  # fmt: skip
def test_t1_every_group_saving(saving, groups, met):
    assert verdict("T1", Book(Figures(groups_with_savings=saving, groups=groups)))[1] is met


@pytest.mark.parametrize(
    "applied,billed,recovered,arrears,met",
    [
        (995, 1000, 10, 100, False),  # 99,5 % is not above 99,5 %
        (9951, 10000, 10, 100, True),  # above, and 10 % of the arrears exactly
        (9951, 10000, 9, 100, False),  # above, but less than 10 % recovered
        (9951, 10000, 0, 0, True),  # no arrears at the start: the rate alone
        (0, 0, 10, 100, True),  # nothing billed: met on the recovery alone
        (0, 0, 0, 100, False),
    ],
)
def test_t8_interest_and_arrears(applied, billed, recovered, arrears, met):
    figures = Figures(
        interest_applied_current=applied, interest_billed=billed,
        interest_applied_arrears=recovered, interest_arrears_start=arrears,
    )  # fmt: skip
    assert verdict("T8", Book(figures), threshold="0.995", recovery="0.10", period=QUARTER)[1] is met


@pytest.mark.parametrize(
    "tally,met",
    [([100, 99, 0], True), ([100, 99, 1], False), ([100, 98, 0], False), ([100, 100, 0], True)],
)
def test_t6_ninety_nine_percent_good_and_no_weak_group(tally, met):
    book = Book(group_grades={MONTH.label: {(1, 10): tally}})
    assert verdict("T6", book, threshold="0.99")[1] is met


def test_t5_t7_and_a_unit_with_nothing_to_count():
    book = Book(
        unit_grades={QUARTER.label: {(1, 10): "Tốt", (1, 20): "Trung bình"}},
        meetings={MONTH.label: {(1, 10): [4, 4], (1, 20): [3, 2]}},
    )
    assert verdict("T5", book, HND, period=QUARTER) == (Fraction(1, 2), False)
    assert verdict("T5", book, QN01_HND, period=QUARTER) == (1, True)
    assert verdict("T5", book, HPN, period=QUARTER) == (None, None)
    assert verdict("T7", book, QN01_HND) == (1, True)
    assert verdict("T7", book, HND) == (Fraction(6, 7), False)
    assert verdict("T7", book, HPN) == (None, None)


def test_t9_and_t10_a_quarter_with_no_broadcast():
    book = Book(press={QUARTER.label: {1: 2, 2: 1}}, broadcasts={QUARTER.label: {(1, 10): 1}})
    assert verdict("T9", book, HND, threshold="2", period=QUARTER) == (2, True)
    assert verdict("T9", book, HPN, threshold="2", period=QUARTER) == (1, False)
    assert verdict("T9", book, DISTRICT, threshold="2", period=QUARTER) == (1, False)  # 1 of 2 reached 2
    assert verdict("T10", book, QN01_HND, period=QUARTER) == (1, True)
    assert verdict("T10", book, QN02_HND, period=QUARTER) == (0, False)  # a quarter with no broadcast
    assert verdict("T10", book, HND, period=QUARTER) == (Fraction(1, 2), False)
