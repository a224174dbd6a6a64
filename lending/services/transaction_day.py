"""Posting one group's sheet of the commune transaction day, all or nothing."""

import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError

from groups.models import Member, Membership, SavingsGroup
from vbsp_district.core.audit import audit_record
from vbsp_district.core.errors import refuse
from vbsp_district.core.money import vn_date
from vbsp_district.core.roles import require_poster
from vbsp_district.core.writes import book_write

from ..models import Channel, Loan, LoanTransaction, SavingsTransaction
from ..rules import check_day
from .postings import loan_transaction_post, savings_transaction_post

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9]{8,32}$")


@dataclass(frozen=True)
class LoanRow:
    """What the group leader brought for one loan: principal and interest paid (đồng)."""

    loan_no: str
    principal: int | None = None
    interest: int | None = None

    @property
    def key(self) -> str:
        return f"loan:{self.loan_no}"


@dataclass(frozen=True)
class SavingsRow:
    """What the group leader brought for one member: savings deposited and withdrawn."""

    national_id: str
    deposit: int | None = None
    withdrawal: int | None = None

    @property
    def key(self) -> str:
        return f"member:{self.national_id}"


@dataclass
class SheetPosted:
    """The outcome of a posted sheet: its rows and totals (replayed rows included)."""

    group: SavingsGroup
    value_date: date
    token: str
    principal: int = 0
    interest: int = 0
    deposits: int = 0
    withdrawals: int = 0
    transactions: list = field(default_factory=list)
    new_rows: int = 0

    @property
    def replayed(self) -> bool:
        """True when every row had already been posted under this sheet's token."""
        return bool(self.transactions) and self.new_rows == 0


class SheetRefused(ValidationError):
    """Some rows were refused; nothing of the group was written.

    `row_errors` maps a row's key (`loan:<loan_no>`, `member:<national_id>`) to
    {field: [messages]}, field being principal, interest, deposit, withdrawal or
    None for the row as a whole.
    """

    def __init__(self, row_errors: dict[str, dict[str | None, list[str]]]):
        self.row_errors = row_errors
        super().__init__(
            {key: [m for messages in fields.values() for m in messages] for key, fields in row_errors.items()}
        )


def loan_reference(token: str, loan_no: str, kind: str) -> str:
    """The voucher of a loan posting from a sheet: GD-<token>-<loan no>-P (principal) / -I."""
    return f"GD-{token}-{loan_no}-{'P' if kind == LoanTransaction.Kind.PRINCIPAL else 'I'}"


def savings_reference(token: str, kind: str) -> str:
    """The voucher of a savings posting from a sheet: GD-<token>-S+ (deposit) / S-."""
    return f"GD-{token}-S{'+' if kind == SavingsTransaction.Kind.DEPOSIT else '-'}"


def _amount(value):
    """A row's amount: None or 0 means nothing collected; anything else goes to the service."""
    return None if value is None or value == 0 else value


@book_write
def transaction_day_post(
    *,
    group: SavingsGroup,
    value_date: date,
    rows: list[LoanRow | SavingsRow],
    token: str,
    acting_user,
) -> SheetPosted:
    """Post what one group brought on a transaction day: every row or none.

    Each amount goes through the posting services (`loan_transaction_post`,
    `savings_transaction_post`), so every rule of the book holds. Each call runs in its
    own savepoint (the services are atomic): a refused row is rolled back alone and the
    later rows are still checked; if any row was refused, the whole group is rolled back
    and `SheetRefused` lists the errors by row. Every posting's reference derives from
    the sheet's `token`, so submitting the same sheet twice returns the rows of the
    first time instead of posting again. One audit event for the sheet when it posted
    anything, beside the services' own.
    """
    require_poster(acting_user)
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        refuse("token", "Mã tờ kê không hợp lệ; hãy tải lại trang.")
    check_day(value_date, "value_date", "Ngày giao dịch")
    # One sheet of a group at a time: the group's postings never interleave.
    group = SavingsGroup.objects.select_for_update().select_related("commune").get(pk=group.pk)
    if group.founded_on > value_date or (group.dissolved_on is not None and group.dissolved_on <= value_date):
        refuse("group", f"Tổ {group.code} không hoạt động ngày {vn_date(value_date)}.")

    loan_rows = [r for r in rows if isinstance(r, LoanRow)]
    savings_rows = [r for r in rows if isinstance(r, SavingsRow)]
    if len(loan_rows) + len(savings_rows) != len(rows):
        refuse("rows", "Dòng của tờ kê không hợp lệ.")
    errors: dict[str, dict[str | None, list[str]]] = {}

    def fail(key: str, name: str | None, messages: list[str]):
        errors.setdefault(key, {}).setdefault(name, []).extend(messages)

    members_in_group = set(
        Membership.objects.filter(group=group).in_force(value_date).values_list("member_id", flat=True)
    )
    loans = {
        loan.loan_no: loan
        for loan in Loan.objects.filter(loan_no__in=[r.loan_no for r in loan_rows]).select_related("member")
    }
    members = {m.national_id: m for m in Member.objects.filter(national_id__in=[r.national_id for r in savings_rows])}

    postings = []  # (sort key, row key, field, service, kwargs)
    seen = set()
    for row in loan_rows:
        if row.key in seen:
            fail(row.key, None, [f"Món vay {row.loan_no} có hai dòng trên tờ kê."])
            continue
        seen.add(row.key)
        loan = loans.get(row.loan_no)
        if loan is None:
            fail(row.key, None, [f"Không có món vay số {row.loan_no}."])
            continue
        if loan.channel != Channel.ENTRUSTED or loan.member_id not in members_in_group:
            fail(
                row.key,
                None,
                [f"Món vay {row.loan_no} không thuộc tổ {group.code} ngày {vn_date(value_date)}."],
            )
            continue
        # Paying interest never changes a bill, so it skips the rebuild; a repayment
        # changes the bills after it, which are rebuilt with it.
        for seq, (name, kind, rebuild) in enumerate(
            (
                ("principal", LoanTransaction.Kind.PRINCIPAL, True),
                ("interest", LoanTransaction.Kind.INTEREST, False),
            )
        ):
            amount = _amount(getattr(row, name))
            if amount is None:
                continue
            postings.append(
                (
                    (0, loan.pk, seq),
                    row.key,
                    name,
                    loan_transaction_post,
                    {
                        "loan": loan,
                        "kind": kind,
                        "amount": amount,
                        "value_date": value_date,
                        "reference": loan_reference(token, loan.loan_no, kind),
                        "acting_user": acting_user,
                        "rebuild_interest": rebuild,
                    },
                )
            )
    for row in savings_rows:
        if row.key in seen:
            fail(row.key, None, [f"Tổ viên {row.national_id} có hai dòng tiết kiệm trên tờ kê."])
            continue
        seen.add(row.key)
        member = members.get(row.national_id)
        if member is None or member.pk not in members_in_group:
            fail(
                row.key,
                None,
                [f"Tổ viên {row.national_id} không thuộc tổ {group.code} ngày {vn_date(value_date)}."],
            )
            continue
        # A deposit first, so that a withdrawal the same day may use it.
        for seq, (name, kind) in enumerate(
            (
                ("deposit", SavingsTransaction.Kind.DEPOSIT),
                ("withdrawal", SavingsTransaction.Kind.WITHDRAWAL),
            )
        ):
            amount = _amount(getattr(row, name))
            if amount is None:
                continue
            postings.append(
                (
                    (1, member.pk, seq),
                    row.key,
                    name,
                    savings_transaction_post,
                    {
                        "member": member,
                        "kind": kind,
                        "amount": amount,
                        "value_date": value_date,
                        "reference": savings_reference(token, kind),
                        "acting_user": acting_user,
                    },
                )
            )
    if not postings and not errors:
        refuse("rows", "Tờ kê chưa có khoản thu nào.")

    # Rows already posted under this token (a resubmitted sheet) are returned, not new.
    references = [kwargs["reference"] for *_, kwargs in postings]
    existing = {
        (LoanTransaction, pk)
        for pk in LoanTransaction.objects.filter(
            loan__in=[loans[r.loan_no] for r in loan_rows if r.loan_no in loans], reference__in=references
        ).values_list("pk", flat=True)
    } | {
        (SavingsTransaction, pk)
        for pk in SavingsTransaction.objects.filter(
            member__in=[members[r.national_id] for r in savings_rows if r.national_id in members],
            reference__in=references,
        ).values_list("pk", flat=True)
    }

    result = SheetPosted(group=group, value_date=value_date, token=token)
    totals = {"principal": "principal", "interest": "interest", "deposit": "deposits", "withdrawal": "withdrawals"}
    # Locks are taken in a fixed order (loans by pk, then members by pk), so two sheets
    # touching the same rows wait for each other instead of deadlocking.
    for _order, key, name, service, kwargs in sorted(postings, key=lambda p: p[0]):
        try:
            txn = service(**kwargs)  # atomic: a savepoint of its own
        except ValidationError as exc:
            fail(key, name, list(exc.messages))
            continue
        result.transactions.append(txn)
        setattr(result, totals[name], getattr(result, totals[name]) + txn.amount)
        if (type(txn), txn.pk) not in existing:
            result.new_rows += 1

    if errors:
        raise SheetRefused(errors)
    if result.new_rows:
        audit_record(
            user=acting_user,
            action="transaction_day.post",
            obj=group,
            key=group.code,
            data={
                "commune": group.commune.code,
                "group": group.code,
                "value_date": value_date,
                "token": token,
                "rows": len(result.transactions),
                "new_rows": result.new_rows,
                "principal": result.principal,
                "interest": result.interest,
                "deposits": result.deposits,
                "withdrawals": result.withdrawals,
            },
        )
    return result
