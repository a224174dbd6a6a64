"""Reads behind the browsing pages: figures at a date, cut to what a user's scope sees.

Every function runs a fixed number of queries whatever the size of the book: the
figures come from the set-based indicators engine (`figure_sets`, `loan_figures`), the
lists from one query each.
"""

from copy import copy
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce

from groups.models import Association, Member, Membership, SavingsGroup
from groups.selectors import membership_on
from lending.models import Channel, Loan, LoanTransaction, ReversalRequest, SavingsTransaction
from lending.selectors import LoanPosition, effective_savings_transactions, loan_position

from .indicators import ZERO, Figures, figure_sets, figure_sets_within, loan_figures

SEARCH_LIMIT = 50


def scoped_figure_sets(scope, as_of: date, dimensions, *, commune_id: int | None = None) -> list[dict]:
    """`figure_sets` as the scope sees them (within one commune, with `commune_id`), in
    one query over that part of the book alone.

    Staff and managers get the figures of the whole office. For an association officer
    each dimension is taken within their association (its entrusted loans and its
    groups' savings), and their commune for a commune officer. The keys are those of the
    dimension alone, as for staff.
    """
    commune_id = commune_id or (scope.commune_id if scope.is_officer else None)
    association_id = scope.association_id if scope.is_officer else None
    if association_id is None and commune_id is None:
        return figure_sets(dimensions, as_of)
    return figure_sets_within(dimensions, as_of, association_id=association_id, commune_id=commune_id)


@dataclass(frozen=True)
class Row:
    """One line of a figures table: the thing it is about and its figures."""

    obj: object
    figures: Figures


# -- the home page -----------------------------------------------------------------------
@dataclass
class HomeFigures:
    by: str  # 'association' (staff, managers) or 'commune' (association officers)
    total: Figures
    rows: list[Row]
    direct: Figures | None = None  # staff: loans and savings outside every association


def home_figures(scope, as_of: date) -> HomeFigures:
    """The key figures at `as_of`: by association for the office, by commune for an officer."""
    if scope.is_officer:
        total, by_commune = scoped_figure_sets(scope, as_of, [(), ("commune",)])
        rows = [Row(c, by_commune.get(c.pk, ZERO)) for c in scope.communes().order_by("code")]
        if scope.commune_id:
            return HomeFigures("commune", rows[0].figures if rows else ZERO, rows)
        return HomeFigures("commune", total.get(None, ZERO), rows)
    total, by_association = scoped_figure_sets(scope, as_of, [(), ("association",)])
    rows = [Row(a, by_association.get(a.pk, ZERO)) for a in Association.objects.order_by("position")]
    return HomeFigures("association", total.get(None, ZERO), rows, direct=by_association.get(None, ZERO))


# -- communes and their groups ---------------------------------------------------------
def commune_rows(scope, as_of: date) -> tuple[Figures, list[Row]]:
    """The communes the scope sees with their figures at `as_of`, and the total."""
    total, by_commune = scoped_figure_sets(scope, as_of, [(), ("commune",)])
    rows = [Row(c, by_commune.get(c.pk, ZERO)) for c in scope.communes().order_by("code")]
    if scope.commune_id:
        return (rows[0].figures if rows else ZERO), rows
    return total.get(None, ZERO), rows


def with_association_on(groups, day: date):
    """Annotate groups with `association_name`: the association managing each at `day`."""
    return groups.with_association(day, field="association__short_name", name="association_name")


@dataclass
class CommunePage:
    total: Figures
    rows: list[Row]
    outside_groups: Figures  # loans and savings of the commune outside every group (staff)


def commune_groups(scope, commune, as_of: date) -> CommunePage:
    """The commune's groups founded by `as_of` that the scope sees, with their figures."""
    by_commune, by_group = scoped_figure_sets(scope, as_of, [("commune",), ("commune", "group")], commune_id=commune.pk)
    groups = scope.groups(on=as_of).filter(commune=commune, founded_on__lte=as_of).order_by("code")
    rows = [Row(g, by_group.get((commune.pk, g.pk), ZERO)) for g in with_association_on(groups, as_of)]
    return CommunePage(
        total=by_commune.get(commune.pk, ZERO),
        rows=rows,
        outside_groups=by_group.get((commune.pk, None), ZERO),
    )


# -- a group and its members -------------------------------------------------------------
@dataclass
class MemberLine:
    membership: Membership | None  # None on the total line
    loans: int = 0
    outstanding: int = 0
    overdue: int = 0
    interest_arrears: int = 0
    savings_balance: int = 0

    @property
    def member(self) -> Member:
        return self.membership.member


@dataclass
class GroupPage:
    lines: list[MemberLine]
    total: MemberLine
    association_name: str | None
    assignments: list = field(default_factory=list)
    meetings: list = field(default_factory=list)


def members_in_group(group, day: date):
    """Memberships of `group` in force at the end of `day` (left_on counts as in)."""
    return (
        Membership.objects.filter(group=group)
        .in_force(day)
        .select_related("member")
        .order_by("member__full_name", "member__national_id")
    )


def savings_balances(member_ids, as_of: date) -> dict[int, int]:
    """{member id: deposits − withdrawals dated ≤ as_of}, in one query."""
    rows = (
        effective_savings_transactions(member_id__in=member_ids, value_date__lte=as_of)
        .values("member_id")
        .annotate(
            deposits=Coalesce(Sum("amount", filter=Q(kind=SavingsTransaction.Kind.DEPOSIT)), 0),
            withdrawals=Coalesce(Sum("amount", filter=Q(kind=SavingsTransaction.Kind.WITHDRAWAL)), 0),
        )
        .values_list("member_id", "deposits", "withdrawals")
    )
    return {member_id: deposits - withdrawals for member_id, deposits, withdrawals in rows}


def group_page(scope, group, as_of: date, meetings: int = 12) -> GroupPage:
    """The members of a group at `as_of` with their entrusted loans' figures and savings,
    and its latest meetings the scope sees (an officer: their association's).

    A member's figures are those of the loans the book attributes to this group at the
    date (their entrusted loans), so the lines add up to the group's own figures.
    """
    lines = [MemberLine(m) for m in members_in_group(group, as_of)]
    member_ids = [line.membership.member_id for line in lines]
    by_member = {line.membership.member_id: line for line in lines}
    owner = dict(
        Loan.objects.filter(member_id__in=member_ids, channel=Channel.ENTRUSTED, disbursed_on__lte=as_of).values_list(
            "pk", "member_id"
        )
    )
    for loan_id, row in (loan_figures(as_of, loan_ids=list(owner)) if owner else {}).items():
        line = by_member[owner[loan_id]]
        if row["group_id"] != group.pk:
            continue
        line.loans += 1 if row["outstanding"] > 0 else 0
        line.outstanding += row["outstanding"]
        line.overdue += row["overdue"]
        line.interest_arrears += max(row["interest_balance"], 0)
    for member_id, balance in savings_balances(member_ids, as_of).items():
        by_member[member_id].savings_balance = balance
    total = MemberLine(membership=None)
    for line in lines:
        for name in ("loans", "outstanding", "overdue", "interest_arrears", "savings_balance"):
            setattr(total, name, getattr(total, name) + getattr(line, name))
    # Nothing dated after the day shown: later handovers and meetings stay out of the page.
    assignments = list(
        group.assignments.filter(effective_on__lte=as_of).select_related("association").order_by("effective_on")
    )
    return GroupPage(
        lines=lines,
        total=total,
        association_name=assignments[-1].association.name if assignments else None,
        assignments=assignments,
        meetings=list(scope.meetings(group.meetings.filter(held_on__lte=as_of)).order_by("-held_on")[:meetings]),
    )


# -- a member ------------------------------------------------------------------------------
@dataclass
class LoanLine:
    loan: Loan
    outstanding: int = 0
    frozen: int = 0
    overdue: int = 0
    interest_balance: int = 0
    maturity: date | None = None

    @property
    def interest_arrears(self) -> int:
        return max(self.interest_balance, 0)

    @property
    def interest_credit(self) -> int:
        return max(-self.interest_balance, 0)


@dataclass
class MemberPage:
    memberships: list
    loans: list[LoanLine]
    savings: list
    savings_balance: int
    membership_on: Membership | None  # the membership in force at the date
    open_membership: Membership | None  # the one with no end (a move starts from it)


def member_page(scope, member, as_of: date) -> MemberPage:
    """A member's memberships, the loans the scope sees with their figures at `as_of`, savings.

    Nothing dated after `as_of` is shown: memberships begun later, a later leaving date
    (the membership shows as still open), loans disbursed later, later savings postings.
    """
    every = list(member.memberships.select_related("group").order_by("joined_on"))
    open_membership = next((m for m in every if m.left_on is None), None)  # what a move starts from today
    memberships = [copy(m) for m in every if m.joined_on <= as_of]
    for membership in memberships:
        if membership.left_on is not None and membership.left_on > as_of:
            membership.left_on = None
    loans = list(
        scope.loans(Loan.objects.filter(member=member), on=as_of)
        .select_related("program")
        .order_by("disbursed_on", "loan_no")
    )
    figures = loan_figures(as_of, loan_ids=[loan.pk for loan in loans]) if loans else {}
    lines = []
    for loan in loans:
        row = figures.get(loan.pk)
        if row is None:  # every disbursement by the date was reversed
            lines.append(LoanLine(loan))
            continue
        lines.append(
            LoanLine(
                loan,
                outstanding=row["outstanding"],
                frozen=row["frozen"],
                overdue=row["overdue"],
                interest_balance=row["interest_balance"],
                maturity=row["maturity"],
            )
        )
    pending = ReversalRequest.objects.filter(savings_transaction=OuterRef("pk"), status=ReversalRequest.Status.PENDING)
    savings = list(
        member.savings_transactions.filter(value_date__lte=as_of)
        .select_related("reverses")
        .annotate(
            reversed=Exists(SavingsTransaction.objects.filter(reverses=OuterRef("pk"))),
            pending_reversal=Exists(pending),
        )
        .order_by("value_date", "id")
    )
    balance = savings_balances([member.pk], as_of).get(member.pk, 0)
    in_force = [m for m in memberships if m.joined_on <= as_of and (m.left_on is None or m.left_on >= as_of)]
    return MemberPage(
        memberships=memberships,
        loans=lines,
        savings=savings,
        savings_balance=balance,
        membership_on=in_force[-1] if in_force else None,
        open_membership=open_membership,
    )


# -- a loan ------------------------------------------------------------------------------------
@dataclass
class ScheduleLine:
    effective_due: date
    contract_due: date
    principal: int

    @property
    def extended(self) -> bool:
        return self.effective_due != self.contract_due


@dataclass
class LoanPage:
    """A loan's page: its position (`lending.selectors.loan_position`, the one source of a
    loan's figures) and everything recorded on it up to the day shown."""

    position: LoanPosition
    schedule: list[ScheduleLine]
    transactions: list
    extensions: list
    freezes: list
    group: SavingsGroup | None

    def __getattr__(self, name):
        # outstanding, frozen, overdue, normal, maturity, bills, interest_* of the position
        if name == "position":
            raise AttributeError(name)
        return getattr(self.position, name)

    @property
    def treatment_count(self) -> int:
        return len(self.extensions) + len(self.freezes)


def loan_page(loan, as_of: date) -> LoanPage:
    """One loan at `as_of` under the rules of the book, and everything recorded on it."""
    position = loan_position(loan, as_of)
    pending = ReversalRequest.objects.filter(loan_transaction=OuterRef("pk"), status=ReversalRequest.Status.PENDING)
    # Nothing dated after `as_of`: later postings, decisions and bills stay out of the page.
    transactions = list(
        loan.transactions.filter(value_date__lte=as_of)
        .select_related("reverses", "recorded_by")
        .annotate(
            reversed=Exists(LoanTransaction.objects.filter(reverses=OuterRef("pk"))),
            pending_reversal=Exists(pending),
        )
        .order_by("value_date", "id")
    )
    membership = membership_on(loan.member, as_of) if loan.channel == Channel.ENTRUSTED else None
    return LoanPage(
        position=position,
        schedule=[ScheduleLine(due, contract, principal) for due, contract, _id, principal in position.schedule],
        transactions=transactions,
        extensions=list(
            loan.extensions.filter(decided_on__lte=as_of).select_related("installment").order_by("decided_on", "id")
        ),
        freezes=list(loan.freezes.filter(effective_on__lte=as_of).order_by("effective_on", "id")),
        group=membership.group if membership else None,
    )


# -- search ------------------------------------------------------------------------------------
@dataclass
class SearchResults:
    members: list
    loans: list
    groups: list

    @property
    def count(self) -> int:
        return len(self.members) + len(self.loans) + len(self.groups)


def _contains(name: str, text: str) -> Q:
    """Case-insensitive `contains`, also for Vietnamese capitals on SQLite (ASCII-only folding)."""
    q = Q()
    for variant in {text, text.lower(), text.title(), text.upper()}:
        q |= Q(**{f"{name}__icontains": variant})
    return q


def exact_hit(scope, text: str, as_of: date):
    """The one member (by national ID) or loan (by number) that `text` names, if exactly one."""
    hits = list(scope.members(on=as_of).filter(national_id=text)[:2])
    hits += list(scope.loans(on=as_of).filter(loan_no=text)[:2])
    return hits[0] if len(hits) == 1 else None


def search(scope, text: str, as_of: date) -> SearchResults:
    """Members by name or national ID, loans by number, groups by name or code, all scoped."""
    members = (
        scope.members(on=as_of)
        .filter(_contains("full_name", text) | Q(national_id__startswith=text))
        .select_related("commune")
        .order_by("full_name", "national_id")[:SEARCH_LIMIT]
    )
    loans = (
        scope.loans(on=as_of)
        .filter(loan_no__icontains=text)
        .select_related("member", "program")
        .order_by("loan_no")[:SEARCH_LIMIT]
    )
    groups = (
        scope.groups(on=as_of)
        .filter(_contains("name", text) | Q(code__icontains=text))
        .select_related("commune")
        .order_by("code")[:SEARCH_LIMIT]
    )
    return SearchResults(members=list(members), loans=list(loans), groups=list(groups))
