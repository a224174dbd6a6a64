"""Reading records: the rows of a batch, their problems, and what the database already holds.

A `Batch` carries everything the sheets' handlers share: the rows, the problems found so
far, the database's rows the batch names (loaded once, locked where a posting needs it),
and the records waiting to be written. The helpers read one value of a row and turn a
rule's refusal into an `Issue` on that row's column.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from groups.models import Association, Commune, Member, Membership, SavingsGroup
from groups.rules import not_future

from ...engine import LoanFacts
from ...models import ClosedPeriod, Loan, LoanProgram, LoanTransaction, ProgramRate, SavingsTransaction
from ...rules import check_amount, check_day
from ...selectors import effective_savings_transactions, loan_facts
from .._bulk import chunks

SHEETS = [
    "Communes",
    "Programs",
    "Groups",
    "GroupTransfers",
    "Members",
    "Memberships",
    "Loans",
    "Installments",
    "Transactions",
    "Extensions",
    "Freezes",
    "Savings",
    "Meetings",
    "Trainings",
    "NewsItems",
    # An addition to the format (docs/formats.md): last, so that the sheets before it keep their places.
    "CommuneTransactionDays",
]

# The services name the objects a rule is about; a workbook row names their keys.
FIELD_COLUMNS = {
    "association": "association_code",
    "commune": "commune_code",
    "group": "group_code",
    "member": "national_id",
    "program": "program_code",
    "loan": "loan_no",
}

SKind = SavingsTransaction.Kind


@dataclass(slots=True)
class Row:
    """One record to write: where it came from (sheet and row number) and its values."""

    sheet: str
    line: int
    data: dict


@dataclass(frozen=True)
class Issue:
    sheet: str
    line: int
    column: str
    message: str

    def __str__(self):
        return f"{self.sheet}!{self.line} {self.column}: {self.message}"


@dataclass(slots=True, eq=False)
class Posting:
    """A validated ledger row waiting to be inserted (loan or savings).

    A plain record rather than a model instance: a district holds a million of them, and
    the ledger tables are written as tuples anyway (`insert_rows`).
    """

    owner: Loan | Member
    kind: str
    value_date: date
    amount: int
    reference: str | None = None


class BatchRefused(Exception):
    """The batch breaks a rule: nothing was written. `issues` lists every problem;
    `shown` the first `SHOWN` of them, which is what pages and commands list."""

    SHOWN = 200

    def __init__(self, issues: list[Issue]):
        self.issues = sorted(issues, key=lambda i: (SHEETS.index(i.sheet) if i.sheet in SHEETS else 99, i.line))
        super().__init__(f"{len(issues)} lỗi")

    @property
    def shown(self) -> list[Issue]:
        return self.issues[: self.SHOWN]

    @property
    def hidden_count(self) -> int:
        return max(len(self.issues) - self.SHOWN, 0)


class Skip(Exception):
    """The row has an error already recorded."""


@dataclass
class LoanState:
    loan: Loan
    new: bool
    row: Row | None
    facts: LoanFacts
    member: Member
    approved: int | None = None  # the Loans row's approved_amount (None: what its rows disburse)
    references: set = field(default_factory=set)
    installments: list = field(default_factory=list)  # new Installment instances
    inst_by_due: dict = field(default_factory=dict)  # contract due -> (temp id, Installment)
    transactions: list = field(default_factory=list)  # (Row, Posting)
    extensions: list = field(default_factory=list)
    freezes: list = field(default_factory=list)
    broken: bool = False


class Batch:
    def __init__(self, rows: dict[str, list[Row]], acting_user):
        self.rows = rows
        self.user = acting_user
        self.issues: list[Issue] = []
        self.today = timezone.localdate()
        self.bills_through: date | None = None
        self.closed = list(ClosedPeriod.objects.filter(reopened_at__isnull=True))
        self.good_days: set[tuple] = set()
        self.associations = {a.code: a for a in Association.objects.all()}
        self.communes = {c.code: c for c in Commune.objects.all()}
        self.programs = {p.code: p for p in LoanProgram.objects.all()}
        self.program_rates = defaultdict(list)
        for r in ProgramRate.objects.order_by("effective_on"):
            self.program_rates[r.program_id].append((r.effective_on, r.annual_rate))
        self.new_program_rates: dict[str, Decimal] = {}
        self.broken_keys: set[tuple[str, str]] = set()
        self.next_temp = -1
        # records to write
        self.new_communes, self.new_programs, self.new_groups = [], [], []
        self.commune_days: dict[str, list[tuple[date, int]]] = {}  # code -> the workbook's changes
        self.commune_first_days: dict[str, int] = {}  # code -> its Communes row's day
        self.new_commune_days = []
        self.new_assignments, self.new_members, self.new_memberships = [], [], []
        self.new_savings, self.new_meetings, self.new_trainings, self.new_news = [], [], [], []
        self.groups: dict[str, SavingsGroup] = {}
        self.group_assignments: dict[str, list[tuple[date, str]]] = {}
        self.members: dict[str, Member] = {}
        self.member_periods: dict[str, list[list]] = {}  # nid -> [[joined, left, group_code]]
        self.leavings: list[tuple] = []  # (Row, Member, joined_on, left_on) of closed periods
        self.other_groups: dict[str, SavingsGroup] = {}  # the members' groups the workbook does not name
        self.savings_paths: dict[str, list[tuple[date, int]]] = {}
        self.savings_refs: dict[str, set] = {}
        self.loans: dict[str, LoanState] = {}
        self.meeting_keys: set = set()
        self._preload()

    # -- helpers --------------------------------------------------------------------
    def temp_id(self) -> int:
        self.next_temp -= 1
        return self.next_temp

    def fail(self, row: Row, column: str, message: str):
        self.issues.append(Issue(row.sheet, row.line, column, message))
        raise Skip

    def check(self, row: Row, fn, *args, **kwargs):
        """Run a shared rule; its refusal becomes an issue on this row, on the column
        that holds the field it names."""
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                column = name if name in row.data else FIELD_COLUMNS.get(name, name)
                for message in messages:
                    self.issues.append(Issue(row.sheet, row.line, column, message))
            raise Skip from None

    def required(self, row: Row, column: str):
        value = row.data.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.fail(row, column, "Bắt buộc phải có giá trị.")
        return value.strip() if isinstance(value, str) else value

    def money_day(self, row: Row, column: str, label: str) -> date:
        day = self.required(row, column)
        # A batch repeats the same few thousand transaction days: each is checked once
        # (the closed periods and today are fixed for the batch).
        key = (day, column, label) if isinstance(day, date) else None
        if key is not None and key in self.good_days:
            return day
        day = self.check(row, check_day, day, column, label, closed_periods=self.closed, today=self.today)
        if key is not None:
            self.good_days.add(key)
        return day

    def past_day(self, row: Row, column: str, label: str, optional=False) -> date | None:
        day = row.data.get(column) if optional else self.required(row, column)
        if day is None:
            return None
        return self.check(row, not_future, column, day, label, self.today)

    def amount(self, row: Row, column: str = "amount") -> int:
        return self.check(row, check_amount, self.required(row, column), column)

    def lookup(self, row: Row, column: str, table: dict, kind: str, label: str):
        key = self.required(row, column)
        key = str(key).strip()
        if key in table:
            return table[key]
        if (kind, key) in self.broken_keys:
            raise Skip
        self.fail(row, column, f"Không tìm thấy {label} {key}.")

    def run(self, sheet: str, handler, key: tuple[str, str] | None = None):
        for row in self.rows.get(sheet, ()):
            try:
                handler(row)
            except Skip:
                if key:
                    value = row.data.get(key[1])
                    if value is not None:
                        self.broken_keys.add((key[0], str(value).strip()))

    # -- what already exists in the database ------------------------------------------
    def _preload(self):
        codes = {
            str(r.data.get("group_code") or "").strip()
            for s in ("GroupTransfers", "Memberships", "Meetings")
            for r in self.rows.get(s, ())
        }
        codes |= {str(r.data.get("code") or "").strip() for r in self.rows.get("Groups", ())}
        for chunk in chunks(codes):
            for g in SavingsGroup.objects.filter(code__in=chunk).select_related("commune"):
                self.groups[g.code] = g
                self.group_assignments[g.code] = list(
                    g.assignments.order_by("effective_on").values_list("effective_on", "association__code")
                )
        nids = {
            str(r.data.get("national_id") or "").strip()
            for s in ("Members", "Memberships", "Loans", "Savings")
            for r in self.rows.get(s, ())
        }
        member_ids = sorted(
            pk
            for chunk in chunks(nids)
            for pk in Member.objects.filter(national_id__in=chunk).values_list("pk", flat=True)
        )
        # locked in pk order, chunk after chunk
        existing = [
            m
            for chunk in chunks(member_ids)
            for m in Member.objects.filter(pk__in=chunk).select_related("commune").select_for_update().order_by("pk")
        ]
        for m in existing:
            self.members[m.national_id] = m
            self.member_periods[m.national_id] = [
                [j, left, code]
                for j, left, code in m.memberships.order_by("joined_on").values_list(
                    "joined_on", "left_on", "group__code"
                )
            ]
        savings_members = {str(r.data.get("national_id") or "").strip() for r in self.rows.get("Savings", ())}
        sign = {SKind.DEPOSIT: 1, SKind.WITHDRAWAL: -1}
        for m in existing:
            if m.national_id in savings_members:
                rows = effective_savings_transactions(member=m).values_list("kind", "value_date", "amount")
                self.savings_paths[m.national_id] = [(d, sign[k] * a) for k, d, a in rows]
                self.savings_refs[m.national_id] = set(
                    SavingsTransaction.objects.filter(member=m, reference__isnull=False).values_list(
                        "reference", flat=True
                    )
                )
        loan_nos = {
            str(r.data.get("loan_no") or "").strip()
            for s in ("Loans", "Installments", "Transactions", "Extensions", "Freezes")
            for r in self.rows.get(s, ())
        }
        self.existing_loan_nos = {
            no
            for chunk in chunks(loan_nos)
            for no in Loan.objects.filter(loan_no__in=chunk).values_list("loan_no", flat=True)
        }
        touched = {
            str(r.data.get("loan_no") or "").strip()
            for s in ("Transactions", "Extensions", "Freezes")
            for r in self.rows.get(s, ())
        }
        touched_ids = {
            pk
            for chunk in chunks(touched & self.existing_loan_nos)
            for pk in Loan.objects.filter(loan_no__in=chunk).values_list("pk", flat=True)
        }
        # a membership added to an existing member may bill them on other days (a move to
        # another commune's group): their loans' bills are built again with the batch's
        moving = {str(r.data.get("national_id") or "").strip() for r in self.rows.get("Memberships", ())}
        moving_ids = [m.pk for m in existing if m.national_id in moving]
        touched_ids = sorted(
            touched_ids
            | {
                pk
                for chunk in chunks(moving_ids)
                for pk in Loan.objects.filter(member_id__in=chunk).values_list("pk", flat=True)
            }
        )
        borrowers = {}
        for loan in (
            loan
            for chunk in chunks(touched_ids)
            for loan in Loan.objects.filter(pk__in=chunk)
            .select_for_update()
            .select_related("program", "member__commune")
            .order_by("pk")
        ):
            facts = loan_facts(loan)
            state = LoanState(loan=loan, new=False, row=None, facts=facts, member=loan.member)
            state.references = set(
                LoanTransaction.objects.filter(loan=loan, reference__isnull=False).values_list("reference", flat=True)
            )
            for inst_id, due_on, _p in facts.installments:
                state.inst_by_due[due_on] = (inst_id, None)
            self.loans[loan.loan_no] = state
            if loan.member.national_id not in self.members:
                self.members[loan.member.national_id] = loan.member
                borrowers[loan.member.pk] = loan.member.national_id
                self.member_periods[loan.member.national_id] = []
        # the entrusted-loan check needs the memberships of every touched loan's member
        for chunk in chunks(borrowers):
            for member_id, joined, left, code in (
                Membership.objects.filter(member_id__in=chunk)
                .order_by("joined_on")
                .values_list("member_id", "joined_on", "left_on", "group__code")
            ):
                self.member_periods[borrowers[member_id]].append([joined, left, code])
