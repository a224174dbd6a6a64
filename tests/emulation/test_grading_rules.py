"""The default group grading rules of DESIGN §5, criterion by criterion at and around each
edge, and the bands: hand-computed points for exact values."""

from datetime import date
from fractions import Fraction

import pytest

from emulation.grading import band_of, grade, points_of, rules_in_force
from emulation.models import GradingRules

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules():
    return rules_in_force(GradingRules.Kind.GROUP, date(2020, 12, 31)).rules


def criterion(rules, code):
    return next(c for c in rules["criteria"] if c["code"] == code)


def pct(numerator, denominator=100):
    return Fraction(numerator, denominator)


@pytest.mark.parametrize(
    "code, value, points",
    [
        # 1. transacting on the transaction day: 100 % → 20; ≥ 80 % → 10; less → 0; none → 20
        ("transaction_day", pct(1, 1), 20),
        ("transaction_day", pct(99), 10),
        ("transaction_day", pct(80), 10),
        ("transaction_day", pct(7999, 10000), 0),
        ("transaction_day", None, 20),
        # 2. overdue ratio: 0 → 30; < 1 % → 20; < 2 % → 10; more → 0; nothing outstanding → 30
        ("overdue", Fraction(0), 30),
        ("overdue", pct(1, 1_000_000), 20),
        ("overdue", pct(99, 10000), 20),
        ("overdue", pct(1), 10),  # exactly 1 %: not below 1 %
        ("overdue", pct(199, 10000), 10),
        ("overdue", pct(2), 0),
        ("overdue", None, 30),
        # 3. principal collection: ≥ 95 % or nothing due → 15; ≥ 80 % → 8; less → 0
        ("principal_collection", pct(95), 15),
        ("principal_collection", pct(9499, 10000), 8),
        ("principal_collection", pct(80), 8),
        ("principal_collection", pct(7999, 10000), 0),
        ("principal_collection", None, 15),
        # 4. interest collection: ≥ 99.5 % or nothing billed → 20; ≥ 95 % → 15; ≥ 90 % → 10
        ("interest_collection", pct(995, 1000), 20),
        ("interest_collection", pct(994, 1000), 15),
        ("interest_collection", pct(95), 15),
        ("interest_collection", pct(90), 10),
        ("interest_collection", pct(899, 1000), 0),
        ("interest_collection", None, 20),
        # 5. members saving: ≥ 90 % → 5; ≥ 50 % → 3; less → 0
        ("members_saving", pct(90), 5),
        ("members_saving", pct(89), 3),
        ("members_saving", pct(50), 3),
        ("members_saving", pct(49), 0),
        # 6. savings growth: above last month → 10; equal → 5; below → 0
        ("savings_growth", 1, 10),
        ("savings_growth", 0, 5),
        ("savings_growth", -1, 0),
    ],
)
def test_each_criterion_at_and_around_its_edges(rules, code, value, points):
    assert points_of(criterion(rules, code), value) == points


@pytest.mark.parametrize(
    "points, band",
    [
        (100, "Tốt"),
        (85, "Tốt"),
        (84, "Khá"),
        (70, "Khá"),
        (69, "Trung bình"),
        (50, "Trung bình"),
        (49, "Yếu"),
        (0, "Yếu"),
    ],
)
def test_the_bands(rules, points, band):
    assert band_of(rules, points) == band


def test_a_month_with_no_postings_nothing_due_and_savings_as_before(rules):
    """No posting, nothing outstanding, due or billed: full points there; savings equal to
    the month before: 5; every member saving: 5. 20 + 30 + 15 + 20 + 5 + 5 = 95: Tốt."""
    values = {
        "transaction_day": None,
        "overdue": None,
        "principal_collection": None,
        "interest_collection": None,
        "members_saving": Fraction(1),
        "savings_growth": 0,
    }
    criteria, total, band = grade(rules, values)
    assert [c["points"] for c in criteria] == [20, 30, 15, 20, 5, 5]
    assert (total, band) == (95, "Tốt")


def test_exactly_one_percent_overdue_and_ninety_five_percent_collected(rules):
    """1 % overdue → 10, 95 % principal → 15, 94 % interest → 10 (≥ 90 %), 80 % on the day
    → 10, half the members saving → 3, savings down → 0: 48, Yếu."""
    values = {
        "transaction_day": pct(80),
        "overdue": pct(1),
        "principal_collection": pct(95),
        "interest_collection": pct(94),
        "members_saving": pct(50),
        "savings_growth": -50_000,
    }
    criteria, total, band = grade(rules, values)
    assert [c["points"] for c in criteria] == [10, 10, 15, 10, 3, 0]
    assert (total, band) == (48, "Yếu")
    assert criteria[1] == {"code": "overdue", "value": 0.01, "points": 10}
