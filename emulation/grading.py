"""Group grading (monthly) and commune association grading (quarterly): DESIGN §5.

The rules are data (`GradingRules`, effective-dated); a month or quarter is graded with the
rules in force on its last day. A group's figures in month M are those of its entrusted
loans and members attributed to it at M's last day (§4), read from the stored month-end
figures where they are current (reporting/store.py) and from the ledger otherwise. Values
are exact fractions; the stored grade keeps each criterion's value (rounded to 6 decimals
for reading), its points, the total, the band and the rules used.
"""

import json
import operator
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from django.db import transaction
from django.db.models import Count

from groups.models import Membership, NewsItem, SavingsGroup
from groups.selectors import transaction_days as commune_transaction_days
from lending.models import Channel, LoanTransaction
from lending.selectors import effective_loan_transactions, effective_savings_transactions
from reporting.indicators import figure_sets, ratio
from reporting.periods import Period
from reporting.sql import Scope
from reporting.store import ended_periods, scope_groups

from .models import CommuneAssociationGrade, GradingRules, GroupGrade

OPERATORS = {
    "ge": operator.ge,
    "gt": operator.gt,
    "le": operator.le,
    "lt": operator.lt,
    "eq": operator.eq,
}
GOOD = ("Tốt", "Khá")
WEAK = "Yếu"


def rules_in_force(kind: str, day: date) -> GradingRules | None:
    """The rules of `kind` in force on `day`: the latest that took effect by then."""
    return GradingRules.objects.filter(kind=kind, effective_on__lte=day).order_by("-effective_on").first()


def points_of(criterion: dict, value) -> int:
    """A criterion's points for a value (None: no figure, e.g. nothing fell due): the first
    step the value satisfies, else `otherwise`."""
    if value is None:
        return int(criterion["none"])
    for op, bound, points in criterion["steps"]:
        if OPERATORS[op](value, Fraction(bound)):
            return int(points)
    return int(criterion["otherwise"])


def band_of(rules: dict, points: int) -> str:
    for name, least in rules["bands"]:
        if points >= least:
            return name
    return rules["lowest"]


def share(numerator: int, denominator: int) -> Fraction | None:
    """An exact ratio, None when nothing is there to divide by."""
    return Fraction(numerator, denominator) if denominator else None


def readable(value):
    """A value as stored and printed for reading: a ratio to 6 decimals (as in
    `district_report`), an amount or a count whole."""
    if isinstance(value, Fraction):
        return ratio(value.numerator, value.denominator)
    return value


# -- the figures of each group in a month ---------------------------------------------------
@dataclass
class GroupMonth:
    group_id: int
    association_id: int | None
    commune_id: int
    values: dict


def _groups_at(day: date, members=None) -> dict[int, int]:
    """{member id: group id}: each member's group at `day` by §4's attribution of entrusted
    loans (the membership in force, else the last one before); of `members` only."""
    rows = Membership.objects.filter(joined_on__lte=day)
    if members is not None:
        rows = rows.filter(member_id__in=members)
    latest: dict[int, tuple] = {}
    for member_id, joined_on, pk, group_id in rows.values_list("member_id", "joined_on", "id", "group_id"):
        if member_id not in latest or (joined_on, pk) > latest[member_id][:2]:
            latest[member_id] = (joined_on, pk, group_id)
    return {member_id: value[2] for member_id, value in latest.items()}


def _members_in_force(day: date, members=None) -> dict[int, int]:
    """{member id: group id} of the memberships in force at `day` (of `members` only)."""
    rows = Membership.objects.in_force(day)
    if members is not None:
        rows = rows.filter(member_id__in=members)
    return dict(rows.values_list("member_id", "group_id"))


def _postings_on_transaction_day(month: Period, days: dict, members=None) -> dict:
    """{group id: (postings in the month, those on the commune's transaction day)}: principal
    repayments and interest payments of the group's entrusted loans (the group they are
    attributed to at the month's end), savings postings of its members at the month's end;
    reversed rows and reversals left out. `members`: only theirs."""
    owners = _groups_at(month.end, members)
    savers = _members_in_force(month.end, members)
    counted: dict[int, list] = {}

    def count(group_id, value_date, n):
        if group_id is None:
            return
        tally = counted.setdefault(group_id, [0, 0])
        tally[0] += n
        tally[1] += n if value_date == days.get(group_id) else 0

    only = {} if members is None else {"loan__member_id__in": members}
    loans = effective_loan_transactions(
        value_date__gte=month.start,
        value_date__lte=month.end,
        kind__in=[LoanTransaction.Kind.PRINCIPAL, LoanTransaction.Kind.INTEREST],
        loan__channel=Channel.ENTRUSTED,
        **only,
    )
    for member_id, value_date, n in (
        loans.values("loan__member_id", "value_date")
        .annotate(n=Count("id"))
        .values_list("loan__member_id", "value_date", "n")
    ):
        count(owners.get(member_id), value_date, n)
    only = {} if members is None else {"member_id__in": members}
    savings = effective_savings_transactions(value_date__gte=month.start, value_date__lte=month.end, **only)
    for member_id, value_date, n in (
        savings.values("member_id", "value_date").annotate(n=Count("id")).values_list("member_id", "value_date", "n")
    ):
        count(savers.get(member_id), value_date, n)
    return {group_id: tuple(tally) for group_id, tally in counted.items()}


def group_months(month: Period, groups=None) -> list[GroupMonth]:
    """The figures of every group active at the month's last day (of `groups` only), for
    its grading: the month's stored figures and the month before's savings, and the
    month's postings from the ledger."""
    end = month.end
    if groups is not None:
        groups = set(groups)
    # stored: only the groups' rows; live: only their part of the book
    only = {} if groups is None else {"scope": Scope.of(groups), "within": {"group": groups}}
    (by_group,) = figure_sets([("association", "group")], end, month, **only)
    previous = Period.month(*_previous(month.start.year, month.start.month))
    (before,) = figure_sets([("group",)], previous.end, previous, **only)
    communes = dict(SavingsGroup.objects.values_list("pk", "commune_id"))
    transaction_days = {pk: days.in_month(end.year, end.month) for pk, days in commune_transaction_days().items()}
    days = {group_id: transaction_days[commune_id] for group_id, commune_id in communes.items()}
    members = None
    if groups is not None:
        members = list(Membership.objects.filter(group_id__in=groups).values_list("member_id", flat=True).distinct())
    postings = _postings_on_transaction_day(month, days, members)
    result = []
    for (association_id, group_id), f in sorted(by_group.items(), key=lambda item: item[0][1] or 0):
        if group_id is None or not f.groups or (groups is not None and group_id not in groups):
            continue  # not a group's row, a group not active at the month's end, or not asked
        total, on_day = postings.get(group_id, (0, 0))
        earlier = before.get(group_id)
        values = {
            "transaction_day": share(on_day, total),
            "overdue": share(f.overdue, f.outstanding),
            "principal_collection": share(f.principal_collected_of_due, f.principal_due),
            "interest_collection": share(f.interest_applied_current, f.interest_billed),
            "members_saving": share(f.members_saving, f.members),
            "savings_growth": f.savings_balance - (earlier.savings_balance if earlier else 0),
        }
        result.append(GroupMonth(group_id, association_id, communes[group_id], values))
    return result


def _previous(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def grade(rules: dict, values: dict) -> tuple[list[dict], int, str]:
    """(criteria with value and points, total points, band) of one group's values."""
    criteria = []
    for criterion in rules["criteria"]:
        value = values.get(criterion["code"])
        criteria.append({"code": criterion["code"], "value": readable(value), "points": points_of(criterion, value)})
    total = sum(c["points"] for c in criteria)
    return criteria, total, band_of(rules, total)


def fresh_grades(month: Period, groups=None) -> list[GroupGrade]:
    """The grades of the month's active groups (of `groups` only) as grading them now gives
    them, unsaved, by group id."""
    rules = rules_in_force(GradingRules.Kind.GROUP, month.end)
    if rules is None:
        return []
    grades = []
    for row in group_months(month, groups):
        criteria, points, band = grade(rules.rules, row.values)
        grades.append(
            GroupGrade(
                month=month.label,
                month_end=month.end,
                group_id=row.group_id,
                association_id=row.association_id,
                commune_id=row.commune_id,
                rules=rules,
                criteria=criteria,
                points=points,
                grade=band,
            )
        )
    return grades


@transaction.atomic
def grade_month(month: Period, groups=None) -> int:
    """Grade the groups active at the month's last day (replacing the month's grades; of
    `groups` only when given, the others' left as they are)."""
    existing = GroupGrade.objects.filter(month=month.label)
    if groups is not None:
        existing = existing.filter(group_id__in=list(groups))
    existing.delete()
    grades = fresh_grades(month, groups)
    GroupGrade.objects.bulk_create(grades, batch_size=1000)
    return len(grades)


# -- commune associations, quarterly -------------------------------------------------------
def commune_association_conditions(rules: dict, quarter: Period, communes=None) -> dict[tuple[int, int], list[dict]]:
    """{(commune id, association id): the three conditions with their values} for every
    commune association with a group graded in the quarter's last month (in `communes`
    only, when given)."""
    last_month = Period.month(quarter.end.year, quarter.end.month)
    grades = GroupGrade.objects.filter(month=last_month.label, association_id__isnull=False)
    news = NewsItem.objects.filter(
        channel=NewsItem.Channel.COMMUNE_LOUDSPEAKER,
        published_on__gte=quarter.start,
        published_on__lte=quarter.end,
        commune__isnull=False,
    )
    within = None
    if communes is not None:
        communes = set(communes)
        grades, news, within = grades.filter(commune_id__in=communes), news.filter(commune_id__in=communes), communes
    graded: dict[tuple, list] = {}
    for commune_id, association_id, band in grades.values_list("commune_id", "association_id", "grade"):
        tally = graded.setdefault((commune_id, association_id), [0, 0, 0])
        tally[0] += 1
        tally[1] += 1 if band in GOOD else 0
        tally[2] += 1 if band == WEAK else 0
    (figures,) = figure_sets(
        [("commune", "association")], quarter.end, quarter, within={"commune": within} if within else None
    )
    counts = {
        (c, a): n
        for c, a, n in news.values("commune_id", "association_id")
        .annotate(n=Count("id"))
        .values_list("commune_id", "association_id", "n")
        .order_by()
    }
    result = {}
    for key, (groups, good, weak) in sorted(graded.items()):
        good_share = Fraction(good, groups)
        f = figures.get(key)
        overdue = share(f.overdue, f.outstanding) if f is not None else None
        heard = counts.get(key, 0)
        result[key] = [
            {
                "code": "groups_good",
                "value": readable(good_share),
                "weak": weak,
                "met": good_share >= Fraction(rules["good_groups_share"]) and weak == 0,
            },
            {
                "code": "overdue",
                "value": readable(overdue) if overdue is not None else None,
                "met": overdue is None or overdue < Fraction(rules["overdue_below"]),
            },
            {"code": "broadcasts", "value": heard, "met": heard >= int(rules["broadcasts_at_least"])},
        ]
    return result


def fresh_quarter_grades(quarter: Period, communes=None) -> list[CommuneAssociationGrade]:
    """The quarter's commune association grades (in `communes` only) as grading them now
    gives them, unsaved."""
    rules = rules_in_force(GradingRules.Kind.COMMUNE_ASSOCIATION, quarter.end)
    if rules is None:
        return []
    return [
        CommuneAssociationGrade(
            quarter=quarter.label,
            quarter_end=quarter.end,
            commune_id=commune_id,
            association_id=association_id,
            rules=rules,
            conditions=conditions,
            grade=rules.rules["grades"][sum(1 for c in conditions if c["met"])],
        )
        for (commune_id, association_id), conditions in commune_association_conditions(
            rules.rules, quarter, communes
        ).items()
    ]


@transaction.atomic
def grade_quarter(quarter: Period, communes=None) -> int:
    """Grade the commune associations with a group graded in the quarter's last month
    (replacing the quarter's grades; in `communes` only when given)."""
    existing = CommuneAssociationGrade.objects.filter(quarter=quarter.label)
    if communes is not None:
        existing = existing.filter(commune_id__in=list(communes))
    existing.delete()
    grades = fresh_quarter_grades(quarter, communes)
    CommuneAssociationGrade.objects.bulk_create(grades)
    return len(grades)


# -- kept with the stored figures (reporting.store.Derived) --------------------------------
def on_stored(periods: list, scope) -> None:
    """Grade again the months and quarters whose figures were just built or settled: all
    their groups, or those of the settle's scope (and their commune associations)."""
    groups = communes = None
    if scope is not None:
        touched = scope_groups(scope)
        groups, communes = set(touched), set(touched.values())
        if not groups:
            return  # direct loans and savings outside groups: no grade looks at them
    for stored in periods:
        if stored.kind == "month":
            grade_month(stored.as_period(), groups)
    for stored in periods:
        if stored.kind == "quarter":
            grade_quarter(stored.as_period(), communes)


def _grade_rows(grades) -> list[tuple]:
    return sorted(
        (
            g.group_id,
            g.association_id,
            g.commune_id,
            g.rules_id,
            g.points,
            g.grade,
            json.dumps(g.criteria, sort_keys=True),
        )
        for g in grades
    )


def _quarter_rows(grades) -> list[tuple]:
    return sorted(
        (g.commune_id, g.association_id, g.rules_id, g.grade, json.dumps(g.conditions, sort_keys=True)) for g in grades
    )


def differences(labels: set[str] | None = None) -> list[str]:
    """The ended months and quarters whose stored grades differ from grading them now."""
    found = []
    for period in ended_periods():
        if labels is not None and period.label not in labels:
            continue
        if period.kind == "month":
            stored = GroupGrade.objects.filter(month=period.label)
            if _grade_rows(stored) != _grade_rows(fresh_grades(period)):
                found.append(f"{period.label}: xếp loại tổ khác kết quả chấm lại")
        elif period.kind == "quarter":
            stored = CommuneAssociationGrade.objects.filter(quarter=period.label)
            if _quarter_rows(stored) != _quarter_rows(fresh_quarter_grades(period)):
                found.append(f"{period.label}: xếp loại hội cấp xã khác kết quả chấm lại")
    return found
