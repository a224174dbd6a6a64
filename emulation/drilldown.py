"""What is behind a scorecard cell: the loans, installments, groups or news items that made
a unit meet or miss a target in a period (formats/scorecard.md's rule of each target).

Each reader takes the unit and the period and reads only that unit's part of the book:
its groups at the period's last day, their members' loans, its news items.
"""

from django.db.models import Max, Q

from groups.models import Association, Commune, GroupMeeting, NewsItem, SavingsGroup
from lending.models import Channel, Extension, Installment, Loan
from reporting.indicators import figure_sets, loan_figures, ratio
from reporting.periods import Period

from .grading import GOOD
from .meetings import meeting_rows
from .models import CommuneAssociationGrade, GroupGrade
from .scorecard import ASSOCIATION, COMMUNE_ASSOCIATION, DISTRICT, PRESS, Unit

LARGEST = 30  # T8: the groups with the largest uncollected interest shown


def unit_from_code(code: str) -> Unit | None:
    """The unit a URL names: `district`, an association's code, or `QN01-HND`."""
    if code == DISTRICT:
        return Unit(DISTRICT, None, "Toàn phòng giao dịch")
    association = Association.objects.filter(code=code).first()
    if association is not None:
        return Unit(ASSOCIATION, association.code, association.name, association_id=association.pk,
                    association_code=association.code)  # fmt: skip
    commune_code, _, association_code = code.rpartition("-")
    commune = Commune.objects.filter(code=commune_code).first() if commune_code else None
    association = Association.objects.filter(code=association_code).first()
    if commune is None or association is None:
        return None
    return Unit(
        COMMUNE_ASSOCIATION,
        code,
        f"{association.name} {commune.name}",
        association_id=association.pk,
        commune_id=commune.pk,
        association_code=association.code,
        commune_code=commune.code,
    )


def _loans(unit: Unit, period: Period, short, keep, *, with_period: bool) -> list[dict]:
    """The unit's loans at the period's end whose figures `keep` accepts, with the loan.
    Only the groups whose stored figures `short` picks are looked into, loan by loan."""
    groups = [g.pk for g, f in _group_figures(unit, period, active=False) if short(f)]
    ids = Loan.objects.filter(channel=Channel.ENTRUSTED, member__memberships__group_id__in=groups)
    if with_period:
        # only loans with principal falling due in the period: an installment due in it
        # under the contract or moved into (or out of) it by an extension
        due = Installment.objects.filter(due_on__gte=period.start, due_on__lte=period.end).values("loan_id")
        moved = Extension.objects.filter(new_due_on__gte=period.start, new_due_on__lte=period.end).values("loan_id")
        ids = ids.filter(Q(pk__in=due) | Q(pk__in=moved))
    ids = ids.values_list("pk", flat=True).distinct()
    figures = loan_figures(period.end, period if with_period else None, loan_ids=list(ids)) if groups else {}
    kept = {
        pk: f
        for pk, f in figures.items()
        if f["group_id"] in groups and unit.covers(f["association_id"], f["commune_id"]) and keep(f)
    }
    loans = Loan.objects.filter(pk__in=kept).select_related("member", "program").in_bulk()
    by_pk = SavingsGroup.objects.in_bulk({f["group_id"] for f in kept.values()})
    rows = [{"loan": loans[pk], "group": by_pk.get(f["group_id"]), **f} for pk, f in kept.items()]
    return sorted(rows, key=lambda r: (r["group"].code if r["group"] else "", r["loan"].loan_no))


def overdue_loans(unit: Unit, period: Period) -> list[dict]:
    """T2: the unit's loans with principal overdue at the month's last day."""
    return _loans(unit, period, lambda g: g.entrusted_overdue > 0, lambda f: f["overdue"] > 0, with_period=False)


def _installments_in(rows: list[dict], period: Period) -> None:
    """Each row's installments due in the period under the contract (for reading)."""
    dues: dict = {}
    for loan_id, due_on, principal in Installment.objects.filter(
        loan_id__in=[r["loan_id"] for r in rows], due_on__gte=period.start, due_on__lte=period.end
    ).values_list("loan_id", "due_on", "principal"):
        dues.setdefault(loan_id, []).append((due_on, principal))
    for row in rows:
        row["installments"] = sorted(dues.get(row["loan_id"], []))


def _short_installments(unit: Unit, period: Period, due: str, done: str) -> list[dict]:
    """The unit's loans whose figure `due` in the period exceeds `done`, with the shortfall
    and their contract installments in the period."""
    rows = _loans(
        unit,
        period,
        lambda g: getattr(g, due) > getattr(g, done),
        lambda f: f[due] > f[done],
        with_period=True,
    )
    for row in rows:
        row["shortfall"] = row[due] - row[done]
    _installments_in(rows, period)
    return rows


def uncollected_installments(unit: Unit, period: Period) -> list[dict]:
    """T3: the unit's loans whose principal due in the month was not all collected by its end."""
    return _short_installments(unit, period, "principal_due", "principal_collected_of_due")


def late_installments(unit: Unit, period: Period) -> list[dict]:
    """T4: the unit's loans whose principal falling due in the month was not all handled by
    its due date."""
    return _short_installments(unit, period, "principal_falling_due", "principal_handled_on_time")


def _group_figures(unit: Unit, period: Period, *, active: bool = True) -> list[tuple[SavingsGroup, object]]:
    """(group, figures) of the unit's groups at the period's last day: those active then,
    or (`active=False`) every group its loans are attributed to."""
    (figures,) = figure_sets([("commune", "association", "group")], period.end, period)
    kept = {
        g: f for (c, a, g), f in figures.items() if g is not None and (f.groups or not active) and unit.covers(a, c)
    }
    groups = SavingsGroup.objects.select_related("commune").in_bulk(kept)
    return sorted(((groups[pk], f) for pk, f in kept.items()), key=lambda item: item[0].code)


def groups_without_savings(unit: Unit, period: Period) -> list[dict]:
    """T1: the unit's groups active at the month's last day holding no savings."""
    return [
        {"group": group, "members": f.members, "savings_balance": f.savings_balance}
        for group, f in _group_figures(unit, period)
        if not f.groups_with_savings
    ]


def weak_groups(unit: Unit, period: Period) -> list[GroupGrade]:
    """T6: the unit's groups graded Trung bình or Yếu for the month, weakest first."""
    grades = GroupGrade.objects.filter(month=period.label).exclude(grade__in=GOOD).select_related("group__commune")
    return sorted(
        (g for g in grades if unit.covers(g.association_id, g.commune_id)), key=lambda g: (g.points, g.group.code)
    )


def weak_commune_associations(unit: Unit, period: Period) -> list[CommuneAssociationGrade]:
    """T5: the unit's commune associations graded below Khá for the quarter."""
    grades = CommuneAssociationGrade.objects.filter(quarter=period.label).exclude(grade__in=GOOD)
    return [
        g
        for g in grades.select_related("commune", "association").order_by("commune__code", "association__position")
        if unit.covers(g.association_id, g.commune_id)
    ]


def groups_without_meeting(unit: Unit, period: Period) -> list[dict]:
    """T7: the unit's groups active on the month's transaction day that did not meet 3 to 5
    days before it, with their last meeting before the day."""
    missed = [r for r in meeting_rows(period) if not r[4] and unit.covers(r[2], r[1])]
    groups = SavingsGroup.objects.select_related("commune").in_bulk([r[0] for r in missed])
    last = dict(
        GroupMeeting.objects.filter(group_id__in=groups, held_on__lte=period.end)
        .values("group_id")
        .annotate(last=Max("held_on"))
        .values_list("group_id", "last")
        .order_by()
    )
    rows = []
    for pk, _commune_id, _association_id, day, _on_time in missed:
        held = last.get(pk)
        before = (day - held).days if held is not None and held <= day else None
        rows.append({"group": groups[pk], "transaction_day": day, "last_meeting": held, "days_before": before})
    return sorted(rows, key=lambda r: r["group"].code)


def uncollected_interest(unit: Unit, period: Period) -> list[dict]:
    """T8: the unit's groups with the largest interest billed in the quarter and not
    collected, with their recovery of the arrears at the start."""
    rows = []
    for group, f in _group_figures(unit, period):
        missing = f.interest_billed - f.interest_applied_current
        if missing > 0 or f.interest_arrears_start > f.interest_applied_arrears:
            rows.append(
                {
                    "group": group,
                    "billed": f.interest_billed,
                    "collected": f.interest_applied_current,
                    "uncollected": missing,
                    "rate": ratio(f.interest_applied_current, f.interest_billed),
                    "arrears_start": f.interest_arrears_start,
                    "recovered": f.interest_applied_arrears,
                    "recovery": ratio(f.interest_applied_arrears, f.interest_arrears_start),
                }
            )
    rows.sort(key=lambda r: (-r["uncollected"], r["group"].code))
    return rows[:LARGEST]


def news_counted(unit: Unit, period: Period, *, broadcasts: bool) -> list[NewsItem]:
    """T9 (press) or T10 (broadcasts): the unit's news items of the quarter."""
    items = NewsItem.objects.filter(published_on__gte=period.start, published_on__lte=period.end)
    if broadcasts:
        items = items.filter(channel=NewsItem.Channel.COMMUNE_LOUDSPEAKER, commune__isnull=False)
    else:
        items = items.filter(channel__in=PRESS)
    if unit.association_id is not None:
        items = items.filter(association_id=unit.association_id)
    if unit.commune_id is not None:
        items = items.filter(commune_id=unit.commune_id)
    return list(items.select_related("association", "commune").order_by("published_on", "id"))


def silent_commune_associations(unit: Unit, period: Period, pairs: list[tuple[int, int]]) -> list[str]:
    """T10 above a commune: the unit's commune associations with no broadcast in the quarter."""
    heard = set(
        NewsItem.objects.filter(
            channel=NewsItem.Channel.COMMUNE_LOUDSPEAKER,
            published_on__gte=period.start,
            published_on__lte=period.end,
            commune__isnull=False,
        ).values_list("association_id", "commune_id")
    )
    communes = Commune.objects.in_bulk({c for _a, c in pairs})
    associations = Association.objects.in_bulk({a for a, _c in pairs})
    return [
        f"{associations[a].name} {communes[c].name}"
        for a, c in sorted(pairs, key=lambda p: (communes[p[1]].code, associations[p[0]].position))
        if (a, c) not in heard
    ]
