"""The batch write path: many records of the portfolio validated together, written at once.

The workbook import and the demo district both write through `portfolio_write`. It
applies the same checks as the single-record services (the functions of `_checks` and
the rules of `engine`), against the database and the earlier rows of the batch, lists
every problem with its sheet, row and column, and writes nothing unless there is none.
Interest bills are computed once per loan, from the facts already in memory.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from groups.models import (
    Association,
    Commune,
    CommuneAssociation,
    GroupAssignment,
    GroupMeeting,
    Member,
    Membership,
    NewsItem,
    SavingsGroup,
    Training,
    national_id_validator,
)
from groups.services import check_attendees, check_trainees
from vbsp_district.core.audit import audit_record
from vbsp_district.core.money import vn_date, vnd
from vbsp_district.core.roles import require_poster

from ..engine import LoanBook, LoanFacts
from ..models import (
    Channel,
    ClosedPeriod,
    Extension,
    Freeze,
    Installment,
    InterestBill,
    Loan,
    LoanProgram,
    LoanTransaction,
    OverdueRule,
    ProgramRate,
    SavingsTransaction,
)
from ..selectors import effective_savings_transactions, loan_facts
from ._bulk import analyze_tables, chunks, insert_rows
from ._checks import check_amount, check_covers, check_day
from .disbursement import _check_rate
from .programs import PROGRAMS_FROM

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
]

# A batch this large changes the shape of the tables: their planner statistics are
# refreshed with it, so that the first report after an import is planned on real numbers.
ANALYZE_FROM = 100_000

LKind = LoanTransaction.Kind
SKind = SavingsTransaction.Kind
DAY = timedelta(days=1)
# Enum `.values` builds a new list on every call: look them up once.
LOAN_KINDS = frozenset(LKind.values)
SAVINGS_KINDS = frozenset(SKind.values)
CHANNELS = frozenset(Channel.values)
_FACTS_LIST = {
    LKind.DISBURSEMENT: "disbursements",
    LKind.PRINCIPAL: "repayments",
    LKind.PRINCIPAL_WRITE_OFF: "principal_write_offs",
    LKind.INTEREST: "interest_payments",
    LKind.INTEREST_WRITE_OFF: "interest_write_offs",
}


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
class _Posting:
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


class _Skip(Exception):
    """The row has an error already recorded."""


@dataclass
class _LoanState:
    loan: Loan
    new: bool
    row: Row | None
    facts: LoanFacts
    member: Member
    references: set = field(default_factory=set)
    installments: list = field(default_factory=list)  # new Installment instances
    inst_by_due: dict = field(default_factory=dict)  # contract due -> (temp id, Installment)
    transactions: list = field(default_factory=list)  # (Row, _Posting)
    extensions: list = field(default_factory=list)
    freezes: list = field(default_factory=list)
    broken: bool = False


class _Batch:
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
        self.new_assignments, self.new_members, self.new_memberships = [], [], []
        self.new_savings, self.new_meetings, self.new_trainings, self.new_news = [], [], [], []
        self.groups: dict[str, SavingsGroup] = {}
        self.group_assignments: dict[str, list[tuple[date, str]]] = {}
        self.members: dict[str, Member] = {}
        self.member_periods: dict[str, list[list]] = {}  # nid -> [[joined, left, group_code]]
        self.savings_paths: dict[str, list[tuple[date, int]]] = {}
        self.savings_refs: dict[str, set] = {}
        self.loans: dict[str, _LoanState] = {}
        self.meeting_keys: set = set()
        self._preload()

    # -- helpers --------------------------------------------------------------------
    def temp_id(self) -> int:
        self.next_temp -= 1
        return self.next_temp

    def fail(self, row: Row, column: str, message: str):
        self.issues.append(Issue(row.sheet, row.line, column, message))
        raise _Skip

    def check(self, row: Row, fn, *args, **kwargs):
        """Run a shared check; its ValidationError becomes an issue on this row."""
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                for message in messages:
                    self.issues.append(Issue(row.sheet, row.line, column, message))
            raise _Skip from None

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
        if not isinstance(day, date):
            self.fail(row, column, f"{label} không hợp lệ.")
        if day > self.today:
            self.fail(row, column, f"{label} {vn_date(day)} không được sau ngày hôm nay.")
        return day

    def amount(self, row: Row, column: str = "amount") -> int:
        return self.check(row, check_amount, self.required(row, column), column)

    def lookup(self, row: Row, column: str, table: dict, kind: str, label: str):
        key = self.required(row, column)
        key = str(key).strip()
        if key in table:
            return table[key]
        if (kind, key) in self.broken_keys:
            raise _Skip
        self.fail(row, column, f"Không tìm thấy {label} {key}.")

    def run(self, sheet: str, handler, key: tuple[str, str] | None = None):
        for row in self.rows.get(sheet, ()):
            try:
                handler(row)
            except _Skip:
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
        touched_ids = sorted(
            pk
            for chunk in chunks(touched & self.existing_loan_nos)
            for pk in Loan.objects.filter(loan_no__in=chunk).values_list("pk", flat=True)
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
            state = _LoanState(loan=loan, new=False, row=None, facts=facts, member=loan.member)
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

    # -- sheets -----------------------------------------------------------------------
    def communes_sheet(self, row: Row):
        code = str(self.required(row, "code"))
        if code in self.communes:
            self.fail(row, "code", f"Mã xã {code} đã có.")
        name = self.required(row, "name")
        kind = self.required(row, "kind")
        if kind not in Commune.Kind.values:
            self.fail(row, "kind", "Loại phải là xa hoặc thi_tran.")
        day = self.required(row, "transaction_day")
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 31:
            self.fail(row, "transaction_day", "Ngày giao dịch xã phải từ 1 đến 31.")
        commune = Commune(code=code, name=name, kind=kind, transaction_day=day)
        self.communes[code] = commune
        self.new_communes.append(commune)

    def programs_sheet(self, row: Row):
        code = str(self.required(row, "code"))
        if code in self.programs:
            self.fail(row, "code", f"Mã chương trình {code} đã có.")
        name = self.required(row, "name")
        rate = self.check(row, _check_rate, self.required(row, "annual_rate"))
        factor = row.data.get("overdue_factor")
        factor = Decimal("1.30") if factor is None else Decimal(str(factor))
        if not factor.is_finite() or factor < 1 or factor > 10 or factor != factor.quantize(Decimal("0.01")):
            self.fail(row, "overdue_factor", "Hệ số lãi quá hạn phải từ 1 đến 10, tối đa 2 chữ số thập phân.")
        rule = self.required(row, "overdue_rule")
        if rule not in OverdueRule.values:
            self.fail(row, "overdue_rule", "Cách tính quá hạn phải là maturity hoặc installment.")
        program = LoanProgram(code=code, name=name, overdue_factor=factor, overdue_rule=rule)
        self.programs[code] = program
        self.new_programs.append(program)
        self.new_program_rates[code] = rate

    def groups_sheet(self, row: Row):
        code = str(self.required(row, "code"))
        if code in self.groups:
            self.fail(row, "code", f"Mã tổ {code} đã có.")
        name = self.required(row, "name")
        commune = self.lookup(row, "commune_code", self.communes, "commune", "xã")
        association = self.lookup(row, "association_code", self.associations, "association", "tổ chức hội")
        founded_on = self.past_day(row, "founded_on", "Ngày thành lập")
        dissolved_on = self.past_day(row, "dissolved_on", "Ngày giải thể", optional=True)
        if dissolved_on and dissolved_on < founded_on:
            self.fail(row, "dissolved_on", "Ngày giải thể không được trước ngày thành lập.")
        group = SavingsGroup(
            code=code,
            name=name,
            commune=commune,
            founded_on=founded_on,
            dissolved_on=dissolved_on,
            village=row.data.get("village") or "",
            leader_name=row.data.get("leader_name") or "",
        )
        self.groups[code] = group
        self.new_groups.append(group)
        self.group_assignments[code] = [(founded_on, association.code)]
        self.new_assignments.append(
            GroupAssignment(group=group, association=association, effective_on=founded_on, recorded_by=self.user)
        )

    def transfers_sheet(self, row: Row):
        group = self.lookup(row, "group_code", self.groups, "group", "tổ")
        association = self.lookup(row, "association_code", self.associations, "association", "tổ chức hội")
        effective_on = self.past_day(row, "effective_on", "Ngày chuyển giao")
        history = self.group_assignments[group.code]
        if effective_on <= group.founded_on:
            self.fail(row, "effective_on", "Ngày chuyển giao phải sau ngày thành lập tổ.")
        if effective_on <= history[-1][0]:
            self.fail(
                row, "effective_on", f"Ngày chuyển giao phải sau lần phân công gần nhất ({vn_date(history[-1][0])})."
            )
        if history[-1][1] == association.code:
            self.fail(row, "association_code", f"Tổ đang do {association.name} quản lý.")
        history.append((effective_on, association.code))
        self.new_assignments.append(
            GroupAssignment(group=group, association=association, effective_on=effective_on, recorded_by=self.user)
        )

    def members_sheet(self, row: Row):
        nid = str(self.required(row, "national_id"))
        try:
            national_id_validator(nid)
        except ValidationError:
            self.fail(row, "national_id", "Số CCCD/CMND phải gồm 9 hoặc 12 chữ số.")
        # `_preload` loaded every member of the database whose ID the batch names
        if nid in self.members:
            self.fail(row, "national_id", f"Số CCCD/CMND {nid} đã có trong hệ thống.")
        full_name = self.required(row, "full_name")
        gender = row.data.get("gender") or ""
        if gender and gender not in Member.Gender.values:
            self.fail(row, "gender", "Giới tính phải là nam hoặc nu.")
        birth_year = row.data.get("birth_year")
        if birth_year is not None and (not isinstance(birth_year, int) or not 1900 <= birth_year <= self.today.year):
            self.fail(row, "birth_year", "Năm sinh không hợp lệ.")
        commune = self.lookup(row, "commune_code", self.communes, "commune", "xã")
        member = Member(
            national_id=nid,
            full_name=full_name,
            gender=gender,
            birth_year=birth_year,
            commune=commune,
            village=row.data.get("village") or "",
            household_category=row.data.get("household_category") or "",
        )
        self.members[nid] = member
        self.member_periods[nid] = []
        self.new_members.append(member)

    def memberships_sheet(self, row: Row):
        member = self.lookup(row, "national_id", self.members, "member", "tổ viên có số CCCD/CMND")
        group = self.lookup(row, "group_code", self.groups, "group", "tổ")
        joined_on = self.past_day(row, "joined_on", "Ngày vào tổ")
        left_on = self.past_day(row, "left_on", "Ngày rời tổ", optional=True)
        if left_on is not None and left_on < joined_on:
            self.fail(row, "left_on", "Ngày rời tổ không được trước ngày vào tổ.")
        if joined_on < group.founded_on:
            self.fail(
                row,
                "joined_on",
                f"Ngày vào tổ {vn_date(joined_on)} trước ngày thành lập tổ ({vn_date(group.founded_on)}).",
            )
        if group.dissolved_on and (left_on is None or left_on > group.dissolved_on):
            self.fail(row, "left_on", f"Tổ {group.code} đã giải thể ngày {vn_date(group.dissolved_on)}.")
        periods = self.member_periods.setdefault(member.national_id, [])
        for j, left, code in periods:
            if (left is None or left >= joined_on) and (left_on is None or j <= left_on):
                until = vn_date(left) if left else "nay"
                self.fail(
                    row,
                    "joined_on",
                    f"Thời gian sinh hoạt tổ trùng với thời gian ở tổ {code} (từ {vn_date(j)} đến {until}).",
                )
        periods.append([joined_on, left_on, group.code])
        periods.sort(key=lambda p: p[0])
        self.new_memberships.append(Membership(member=member, group=group, joined_on=joined_on, left_on=left_on))

    def rate_for(self, program: LoanProgram, day: date):
        if program.pk is None:
            return self.new_program_rates[program.code]
        rate = None
        for effective_on, annual_rate in self.program_rates[program.pk]:
            if effective_on <= day:
                rate = annual_rate
        return rate

    def loans_sheet(self, row: Row):
        loan_no = str(self.required(row, "loan_no"))
        if loan_no in self.loans or loan_no in self.existing_loan_nos:
            self.fail(row, "loan_no", f"Số khế ước {loan_no} đã có trong hệ thống.")
        member = self.lookup(row, "national_id", self.members, "member", "tổ viên có số CCCD/CMND")
        program = self.lookup(row, "program_code", self.programs, "program", "chương trình")
        channel = self.required(row, "channel")
        if channel not in CHANNELS:
            self.fail(row, "channel", "Phương thức phải là entrusted hoặc direct.")
        disbursed_on = self.money_day(row, "disbursed_on", "Ngày giải ngân")
        amount = self.amount(row)
        rate = row.data.get("annual_rate")
        if rate is None:
            rate = self.rate_for(program, disbursed_on)
            if rate is None:
                self.fail(
                    row,
                    "program_code",
                    f"Chương trình {program.code} chưa có lãi suất áp dụng tại ngày {vn_date(disbursed_on)}.",
                )
        rate = self.check(row, _check_rate, rate)
        loan = Loan(
            loan_no=loan_no,
            member=member,
            program=program,
            channel=channel,
            annual_rate=rate,
            approved_amount=amount,
            disbursed_on=disbursed_on,
            purpose=row.data.get("purpose") or "",
            recorded_by=self.user,
        )
        facts = LoanFacts(
            annual_rate=Fraction(rate),
            overdue_factor=Fraction(program.overdue_factor),
            overdue_rule=program.overdue_rule,
            transaction_day=member.commune.transaction_day,
            disbursements=[(disbursed_on, amount)],
        )
        state = _LoanState(loan=loan, new=True, row=row, facts=facts, member=member)
        state.transactions.append(
            (
                row,
                _Posting(loan, LKind.DISBURSEMENT, disbursed_on, amount),
            )
        )
        self.loans[loan_no] = state

    def loan_for(self, row: Row) -> _LoanState:
        loan_no = str(self.required(row, "loan_no"))
        state = self.loans.get(loan_no)
        if state is None:
            if ("loan", loan_no) in self.broken_keys:
                raise _Skip
            self.fail(row, "loan_no", f"Không tìm thấy khế ước {loan_no}.")
        return state

    def installments_sheet(self, row: Row):
        state = self.loan_for(row)
        if not state.new:
            self.fail(row, "loan_no", f"Khế ước {state.loan.loan_no} đã có lịch trả nợ; không thể thêm kỳ hạn.")
        due_on = self.required(row, "due_on")
        if not isinstance(due_on, date):
            self.fail(row, "due_on", "Ngày đến hạn không hợp lệ.")
        if due_on <= state.loan.disbursed_on:
            self.fail(
                row, "due_on", f"Kỳ hạn {vn_date(due_on)} phải sau ngày giải ngân {vn_date(state.loan.disbursed_on)}."
            )
        if due_on in state.inst_by_due:
            self.fail(row, "due_on", f"Kỳ hạn {vn_date(due_on)} bị trùng.")
        principal = self.amount(row, "principal")
        inst = Installment(loan=state.loan, due_on=due_on, principal=principal)
        temp = self.temp_id()
        state.inst_by_due[due_on] = (temp, inst)
        state.installments.append(inst)
        state.facts.installments.append((temp, due_on, principal))

    def transactions_sheet(self, row: Row):
        state = self.loan_for(row)
        kind = self.required(row, "kind")
        if kind not in LOAN_KINDS:
            self.fail(
                row,
                "kind",
                "Loại giao dịch phải là disbursement, principal, interest, principal_write_off hoặc interest_write_off.",
            )
        amount = self.amount(row)
        value_date = self.money_day(row, "value_date", "Ngày giao dịch")
        if value_date < state.loan.disbursed_on:
            self.fail(
                row,
                "value_date",
                f"Ngày giao dịch {vn_date(value_date)} trước ngày giải ngân ({vn_date(state.loan.disbursed_on)}).",
            )
        reference = row.data.get("reference")
        reference = str(reference).strip() if reference not in (None, "") else None
        if reference is not None:
            if len(reference) > 64:
                self.fail(row, "reference", "Số chứng từ dài quá 64 ký tự.")
            if reference in state.references:
                self.fail(row, "reference", f"Số chứng từ {reference} đã có cho khế ước {state.loan.loan_no}.")
            state.references.add(reference)
        state.transactions.append((row, _Posting(state.loan, kind, value_date, amount, reference)))
        getattr(state.facts, _FACTS_LIST[kind]).append((value_date, amount))

    def extensions_sheet(self, row: Row):
        state = self.loan_for(row)
        due_on = self.required(row, "due_on")
        if due_on not in state.inst_by_due:
            self.fail(
                row,
                "due_on",
                f"Khế ước {state.loan.loan_no} không có kỳ hạn ngày {vn_date(due_on) if isinstance(due_on, date) else due_on}.",
            )
        decided_on = self.money_day(row, "decided_on", "Ngày quyết định")
        if decided_on < state.loan.disbursed_on:
            self.fail(
                row,
                "decided_on",
                f"Ngày quyết định {vn_date(decided_on)} trước ngày giải ngân ({vn_date(state.loan.disbursed_on)}).",
            )
        new_due_on = self.required(row, "new_due_on")
        inst_id, inst = state.inst_by_due[due_on]
        current = LoanBook(state.facts).due_date(inst_id, due_on, decided_on)
        if not isinstance(new_due_on, date) or new_due_on <= current:
            self.fail(row, "new_due_on", f"Ngày đến hạn mới phải sau ngày đến hạn hiện tại ({vn_date(current)}).")
        ext_id = self.temp_id()
        state.facts.extensions.append((inst_id, new_due_on, decided_on, -ext_id))
        ext = Extension(loan=state.loan, new_due_on=new_due_on, decided_on=decided_on, recorded_by=self.user)
        if inst is None:
            ext.installment_id = inst_id
        else:
            ext.installment = inst
        state.extensions.append(ext)

    def freezes_sheet(self, row: Row):
        state = self.loan_for(row)
        amount = self.amount(row)
        effective_on = self.money_day(row, "effective_on", "Ngày khoanh nợ")
        ends_on = row.data.get("ends_on")
        if ends_on is not None and (not isinstance(ends_on, date) or ends_on <= effective_on):
            self.fail(row, "ends_on", "Ngày kết thúc khoanh nợ phải sau ngày bắt đầu.")
        state.facts.freezes.append((amount, effective_on, ends_on))
        state.freezes.append(
            (
                row,
                Freeze(
                    loan=state.loan, amount=amount, effective_on=effective_on, ends_on=ends_on, recorded_by=self.user
                ),
            )
        )

    def savings_sheet(self, row: Row):
        member = self.lookup(row, "national_id", self.members, "member", "tổ viên có số CCCD/CMND")
        kind = self.required(row, "kind")
        if kind not in SAVINGS_KINDS:
            self.fail(row, "kind", "Loại giao dịch tiết kiệm phải là deposit hoặc withdrawal.")
        amount = self.amount(row)
        value_date = self.money_day(row, "value_date", "Ngày giao dịch")
        reference = row.data.get("reference")
        reference = str(reference).strip() if reference not in (None, "") else None
        if reference is not None:
            refs = self.savings_refs.setdefault(member.national_id, set())
            if reference in refs:
                self.fail(row, "reference", f"Số chứng từ {reference} đã có.")
            refs.add(reference)
        path = self.savings_paths.setdefault(member.national_id, [])
        path.append((value_date, amount if kind == SKind.DEPOSIT else -amount))
        self.new_savings.append(
            (
                row,
                _Posting(member, kind, value_date, amount, reference),
            )
        )

    def meetings_sheet(self, row: Row):
        group = self.lookup(row, "group_code", self.groups, "group", "tổ")
        held_on = self.past_day(row, "held_on", "Ngày họp")
        if held_on < group.founded_on:
            self.fail(row, "held_on", "Ngày họp không được trước ngày thành lập tổ.")
        key = (group.code, held_on)
        if key in self.meeting_keys or (
            group.pk and GroupMeeting.objects.filter(group=group, held_on=held_on).exists()
        ):
            self.fail(row, "held_on", f"Tổ {group.code} đã có buổi họp ngày {vn_date(held_on)}.")
        self.meeting_keys.add(key)
        attendees = self.check(row, check_attendees, row.data.get("attendees"))
        self.new_meetings.append(GroupMeeting(group=group, held_on=held_on, attendees=attendees))

    def _optional(self, row, column, table, kind, label):
        return self.lookup(row, column, table, kind, label) if row.data.get(column) not in (None, "") else None

    def trainings_sheet(self, row: Row):
        held_on = self.past_day(row, "held_on", "Ngày tập huấn")
        association = self._optional(row, "association_code", self.associations, "association", "tổ chức hội")
        commune = self._optional(row, "commune_code", self.communes, "commune", "xã")
        audience = self.required(row, "audience")
        trainees = self.check(row, check_trainees, self.required(row, "trainees"))
        planned = self.check(row, check_trainees, row.data.get("planned"), "planned", required=False)
        self.new_trainings.append(
            Training(
                held_on=held_on,
                association=association,
                commune=commune,
                audience=audience,
                trainees=trainees,
                planned=planned,
            )
        )

    def news_sheet(self, row: Row):
        published_on = self.past_day(row, "published_on", "Ngày đăng")
        association = self.lookup(row, "association_code", self.associations, "association", "tổ chức hội")
        commune = self._optional(row, "commune_code", self.communes, "commune", "xã")
        channel = self.required(row, "channel")
        if channel not in NewsItem.Channel.values:
            self.fail(
                row,
                "channel",
                "Kênh phải là tv, newspaper, sector_newspaper, province_portal, district_portal hoặc commune_loudspeaker.",
            )
        title = self.required(row, "title")
        self.new_news.append(
            NewsItem(published_on=published_on, association=association, commune=commune, channel=channel, title=title)
        )

    # -- rules across rows ------------------------------------------------------------
    def check_loan(self, state: _LoanState):
        """The rules of the book that need the loan's whole ledger."""
        facts, loan = state.facts, state.loan
        anchor = state.row or (state.transactions[0][0] if state.transactions else None)
        total = sum(a for _, a in facts.disbursements)
        if state.new:
            scheduled = sum(p for _, _, p in facts.installments)
            if scheduled != total:
                self.issues.append(
                    Issue(
                        anchor.sheet,
                        anchor.line,
                        "amount",
                        f"Tổng các kỳ hạn trả nợ ({vnd(scheduled)} đồng) phải bằng số tiền giải ngân ({vnd(total)} đồng).",
                    )
                )
            loan.approved_amount = total
        elif total > loan.approved_amount:
            for row, txn in state.transactions:
                if txn.kind == LKind.DISBURSEMENT:
                    self.issues.append(
                        Issue(
                            row.sheet,
                            row.line,
                            "amount",
                            f"Tổng giải ngân {vnd(total)} đồng vượt số tiền cho vay theo hợp đồng {vnd(loan.approved_amount)} đồng.",
                        )
                    )
                    break
        # outstanding never below zero, at any day: blame rows in value-date order
        path = list(facts.disbursements)
        if not state.new:
            path += [(d, -a) for d, a in self._existing_principal_debits(state)]
        new_debits = sorted(
            (
                (t.value_date, 0 if t.kind == LKind.PRINCIPAL else 1, r.line, r, t)
                for r, t in state.transactions
                if t.kind in (LKind.PRINCIPAL, LKind.PRINCIPAL_WRITE_OFF)
            ),
            key=lambda x: x[:3],
        )
        label = {LKind.PRINCIPAL: "trả gốc", LKind.PRINCIPAL_WRITE_OFF: "xóa nợ gốc"}
        for day, _o, _l, row, txn in new_debits:
            try:
                self.check(row, check_covers, path, day, txn.amount, "amount", label[txn.kind], "dư nợ")
            except _Skip:
                state.broken = True
                continue
            path.append((day, -txn.amount))
        # entrusted loans stay with a group while outstanding
        if loan.channel == Channel.ENTRUSTED and not state.broken and anchor is not None:
            self.check_entrusted_cover(state, anchor)
        book = LoanBook(facts)
        for row, freeze in state.freezes:
            others = [
                f
                for f in facts.freezes
                if f[1] <= freeze.effective_on and f != (freeze.amount, freeze.effective_on, freeze.ends_on)
            ]
            position = book.position(freeze.effective_on)
            frozen_other = min(
                sum(a for a, e, end in others if end is None or end > freeze.effective_on), position.outstanding
            )
            free = position.outstanding - frozen_other
            if freeze.amount > free:
                self.issues.append(
                    Issue(
                        row.sheet,
                        row.line,
                        "amount",
                        f"Số tiền khoanh {vnd(freeze.amount)} đồng vượt dư nợ chưa khoanh {vnd(max(free, 0))} đồng tại ngày {vn_date(freeze.effective_on)}.",
                    )
                )
        interest_wo = [(r, t) for r, t in state.transactions if t.kind == LKind.INTEREST_WRITE_OFF]
        if interest_wo:
            bills = book.bills(self.today)
            ipath = [(b.billed_on, b.amount) for b in bills]
            ipath += [(d, -a) for d, a in facts.interest_payments]
            wo_new = {id(t) for _, t in interest_wo}
            ipath += [
                (t.value_date, -t.amount)
                for _, t in state.transactions
                if t.kind == LKind.INTEREST_WRITE_OFF and id(t) not in wo_new
            ]
            existing_wo = list(facts.interest_write_offs)
            for _, t in interest_wo:
                existing_wo.remove((t.value_date, t.amount))
            ipath += [(d, -a) for d, a in existing_wo]
            for row, t in sorted(interest_wo, key=lambda x: (x[1].value_date, x[0].line)):
                try:
                    self.check(row, check_covers, ipath, t.value_date, t.amount, "amount", "xóa nợ lãi", "lãi tồn đọng")
                except _Skip:
                    continue
                ipath.append((t.value_date, -t.amount))

    def _existing_principal_debits(self, state: _LoanState):
        """The principal debits already in the database (the facts minus the batch's rows)."""
        debits = list(state.facts.repayments + state.facts.principal_write_offs)
        for _r, t in state.transactions:
            if t.kind in (LKind.PRINCIPAL, LKind.PRINCIPAL_WRITE_OFF):
                debits.remove((t.value_date, t.amount))
        return debits

    def check_entrusted_cover(self, state: _LoanState, anchor: Row):
        """An entrusted loan's member is in some group on every day it is outstanding."""
        book = LoanBook(state.facts)
        days = sorted(
            {d for d, _ in state.facts.disbursements + state.facts.repayments + state.facts.principal_write_offs}
        )
        spans, start = [], None
        for d in days:
            out = book.outstanding(d)
            if out > 0 and start is None:
                start = d
            elif out <= 0 and start is not None:
                spans.append((start, d - DAY))
                start = None
        if start is not None:
            spans.append((start, None))
        periods = sorted(self.member_periods.get(state.member.national_id, []), key=lambda p: p[0])
        for span_start, span_end in spans:
            day = span_start
            for joined, left, _code in periods:
                if left is not None and left < day:
                    continue
                if joined > day:
                    break
                if left is None:
                    day = None
                    break
                day = left + DAY
                if span_end is not None and day > span_end:
                    break
            if day is not None and (span_end is None or day <= span_end):
                self.issues.append(
                    Issue(
                        anchor.sheet,
                        anchor.line,
                        "national_id",
                        f"Hộ vay {state.member.national_id} không thuộc tổ TK&VV nào ngày {vn_date(day)} "
                        f"trong khi món vay ủy thác {state.loan.loan_no} còn dư nợ.",
                    )
                )
                return

    def check_savings(self):
        by_member = defaultdict(list)
        for row, txn in self.new_savings:
            if txn.kind == SKind.WITHDRAWAL:
                by_member[txn.owner.national_id].append((row, txn))
        for nid, withdrawals in by_member.items():
            full = self.savings_paths[nid]
            path = [p for p in full if p[1] > 0]
            existing = [p for p in full if p[1] < 0]
            for _, t in withdrawals:
                existing.remove((t.value_date, -t.amount))
            path += existing
            for row, t in sorted(withdrawals, key=lambda x: (x[1].value_date, x[0].line)):
                try:
                    self.check(row, check_covers, path, t.value_date, t.amount, "amount", "rút", "số dư tiết kiệm")
                except _Skip:
                    continue
                path.append((t.value_date, -t.amount))

    # -- the run ----------------------------------------------------------------------
    def validate(self):
        self.run("Communes", self.communes_sheet, ("commune", "code"))
        self.run("Programs", self.programs_sheet, ("program", "code"))
        self.run("Groups", self.groups_sheet, ("group", "code"))
        self.run("GroupTransfers", self.transfers_sheet)
        self.run("Members", self.members_sheet, ("member", "national_id"))
        self.run("Memberships", self.memberships_sheet)
        self.run("Loans", self.loans_sheet, ("loan", "loan_no"))
        self.run("Installments", self.installments_sheet)
        self.run("Transactions", self.transactions_sheet)
        self.run("Extensions", self.extensions_sheet)
        self.run("Freezes", self.freezes_sheet)
        self.run("Savings", self.savings_sheet)
        self.run("Meetings", self.meetings_sheet)
        self.run("Trainings", self.trainings_sheet)
        self.run("NewsItems", self.news_sheet)
        for state in self.loans.values():
            self.check_loan(state)
        self.check_savings()

    def write(self) -> dict[str, int]:
        Commune.objects.bulk_create(self.new_communes)
        CommuneAssociation.objects.bulk_create(
            CommuneAssociation(commune=c, association=a) for c in self.new_communes for a in self.associations.values()
        )
        LoanProgram.objects.bulk_create(self.new_programs)
        ProgramRate.objects.bulk_create(
            ProgramRate(program=p, annual_rate=self.new_program_rates[p.code], effective_on=PROGRAMS_FROM)
            for p in self.new_programs
        )
        SavingsGroup.objects.bulk_create(self.new_groups)
        GroupAssignment.objects.bulk_create(self.new_assignments)
        Member.objects.bulk_create(self.new_members, batch_size=2000)
        Membership.objects.bulk_create(self.new_memberships, batch_size=2000)
        new_loans = [s.loan for s in self.loans.values() if s.new]
        Loan.objects.bulk_create(new_loans, batch_size=2000)
        Installment.objects.bulk_create((i for s in self.loans.values() for i in s.installments), batch_size=5000)
        Extension.objects.bulk_create((e for s in self.loans.values() for e in s.extensions), batch_size=2000)
        Freeze.objects.bulk_create((f for s in self.loans.values() for _, f in s.freezes), batch_size=2000)
        stamp = {"recorded_at": timezone.now(), "recorded_by": self.user.pk if self.user is not None else None}
        insert_rows(
            LoanTransaction,
            ["loan", "kind", "value_date", "amount", "reference"],
            (
                (t.owner.pk, t.kind, t.value_date, t.amount, t.reference)
                for s in self.loans.values()
                for _, t in s.transactions
            ),
            constants=stamp,
        )
        insert_rows(
            SavingsTransaction,
            ["member", "kind", "value_date", "amount", "reference"],
            ((t.owner.pk, t.kind, t.value_date, t.amount, t.reference) for _, t in self.new_savings),
            constants=stamp,
        )
        GroupMeeting.objects.bulk_create(self.new_meetings, batch_size=5000)
        Training.objects.bulk_create(self.new_trainings)
        NewsItem.objects.bulk_create(self.new_news)
        self.write_bills()
        return {
            "Communes": len(self.new_communes),
            "Programs": len(self.new_programs),
            "Groups": len(self.new_groups),
            "GroupTransfers": len(self.rows.get("GroupTransfers", ())),
            "Members": len(self.new_members),
            "Memberships": len(self.new_memberships),
            "Loans": len(new_loans),
            "Installments": sum(len(s.installments) for s in self.loans.values()),
            "Transactions": len(self.rows.get("Transactions", ())),
            "Extensions": sum(len(s.extensions) for s in self.loans.values()),
            "Freezes": sum(len(s.freezes) for s in self.loans.values()),
            "Savings": len(self.new_savings),
            "Meetings": len(self.new_meetings),
            "Trainings": len(self.new_trainings),
            "NewsItems": len(self.new_news),
        }

    def imported_keys(self) -> dict:
        """What the import wrote, by key: the records it created and the loans it posted to
        (the ledger rows themselves are counted, and carry the importing user)."""
        return {
            "created": {
                "communes": sorted(c.code for c in self.new_communes),
                "programs": sorted(p.code for p in self.new_programs),
                "groups": sorted(g.code for g in self.new_groups),
                "members": sorted(m.national_id for m in self.new_members),
                "loans": sorted(s.loan.loan_no for s in self.loans.values() if s.new),
            },
            "posted_to_loans": sorted(s.loan.loan_no for s in self.loans.values() if not s.new and s.transactions),
        }

    def write_bills(self):
        """Bills once per touched loan, from the facts in memory (real ids swapped in)."""
        through_by_loan = defaultdict(list)
        through = self.bills_through or self.today
        existing = [state.loan.pk for state in self.loans.values() if not state.new]
        for chunk in chunks(existing):
            InterestBill.objects.filter(loan_id__in=chunk).delete()

        def bills():
            for state in self.loans.values():
                facts = state.facts
                real = {temp: inst.pk for temp, inst in state.inst_by_due.values() if inst is not None}
                facts.installments = [(real.get(i, i), d, p) for i, d, p in facts.installments]
                facts.extensions = [(real.get(i, i), n, dec, e) for i, n, dec, e in facts.extensions]
                book = LoanBook(facts)
                for b in book.bills(through):
                    yield (state.loan.pk, b.billed_on, b.period_start, b.amount, b.overdue_amount)
                through_by_loan[book.bills_complete_through(through)].append(state.loan.pk)

        insert_rows(InterestBill, ["loan", "billed_on", "period_start", "amount", "overdue_amount"], bills())
        for day, ids in through_by_loan.items():
            for chunk in chunks(ids):
                Loan.objects.filter(pk__in=chunk).update(bills_through=day)


@transaction.atomic
def portfolio_write(
    rows: dict[str, list[Row]],
    *,
    acting_user,
    source: str,
    bills_through: date | None = None,
    progress=None,
) -> dict[str, int]:
    """Validate and write a batch of portfolio records, all or nothing.

    Raises `BatchRefused` listing every problem (nothing written). Returns the number of
    records written per sheet. One audit event records the batch. Interest bills are
    stored through `bills_through` (default today); reports extend them when needed.
    """
    require_poster(acting_user)
    progress = progress or (lambda message: None)
    batch = _Batch(rows, acting_user)
    batch.bills_through = bills_through
    batch.validate()
    if batch.issues:
        raise BatchRefused(batch.issues)
    progress("Đã kiểm tra xong, đang ghi...")
    counts = batch.write()
    if sum(counts.values()) >= ANALYZE_FROM:
        analyze_tables(
            Member,
            Membership,
            Loan,
            Installment,
            LoanTransaction,
            SavingsTransaction,
            InterestBill,
            GroupMeeting,
        )
    progress("Đã ghi sổ và tính lãi.")
    audit_record(
        user=acting_user,
        action="portfolio.write",
        object_type="workbook",
        key=source[:64],
        data={"source": source, "counts": counts, **batch.imported_keys()},
    )
    return counts
