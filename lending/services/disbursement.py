from datetime import date

from django.db import IntegrityError, transaction

from groups.models import Member
from groups.rules import check_in_group_for_entrusted, check_last_leaving, last_left_on
from groups.selectors import member_periods
from vbsp_district.core.audit import audit_record
from vbsp_district.core.errors import refuse, refuse_taken
from vbsp_district.core.money import vn_date
from vbsp_district.core.months import add_months
from vbsp_district.core.roles import require_poster
from vbsp_district.core.text import key_checked
from vbsp_district.core.writes import book_write

from .. import rules
from ..models import Channel, Installment, Loan, LoanProgram, LoanTransaction
from ..rules import check_amount, check_day, check_not_before
from ..selectors import effective_loan_transactions, entrusted_debts, program_rate_on
from .interest import interest_bills_rebuild


def schedule_generate(
    *, amount: int, disbursed_on: date, term_months: int, interval_months: int
) -> list[tuple[date, int]]:
    """Equal installments every `interval_months` over `term_months`; the last takes the rest.

    A term that is not a multiple of the interval ends with a shorter last period.
    """
    if not isinstance(term_months, int) or term_months <= 0 or term_months > 600:
        refuse("term_months", "Thời hạn cho vay phải là số tháng nguyên dương.")
    if not isinstance(interval_months, int) or not 0 < interval_months <= term_months:
        refuse("interval_months", "Kỳ hạn trả nợ phải từ 1 tháng đến hết thời hạn cho vay.")
    offsets = list(range(interval_months, term_months, interval_months)) + [term_months]
    share = amount // len(offsets)
    rows = [(add_months(disbursed_on, k), share) for k in offsets]
    rows[-1] = (rows[-1][0], amount - share * (len(offsets) - 1))
    return [(d, p) for d, p in rows if p > 0]


def _check_schedule(installments, *, approved_amount: int, disbursed_on: date):
    if not installments:
        refuse("installments", "Món vay phải có ít nhất một kỳ hạn trả nợ.")
    seen = set()
    for due_on, principal in installments:
        rules.check_installment(
            due_on,
            principal,
            disbursed_on=disbursed_on,
            seen=seen,
            due_field="installments",
            amount_field="installments",
        )
        seen.add(due_on)
    rules.check_schedule_total(sum(p for _, p in installments), approved_amount, "installments")


@book_write
def loan_disburse(
    *,
    loan_no: str,
    member: Member,
    program: LoanProgram,
    amount: int,
    disbursed_on: date,
    channel: str = Channel.ENTRUSTED,
    annual_rate=None,
    approved_amount: int | None = None,
    installments: list[tuple[date, int]] | None = None,
    term_months: int | None = None,
    interval_months: int | None = None,
    purpose: str = "",
    reference: str | None = None,
    acting_user,
    rebuild_interest: bool = True,
) -> Loan:
    """Open a loan and post its first disbursement.

    The schedule is given (`installments`: (due date, principal) pairs) or generated from
    `term_months` and `interval_months`; it adds up to `approved_amount` (default: the
    amount disbursed now; later tranches go through `loan_tranche_disburse`). The rate is
    the program's rate in force on `disbursed_on` unless given.
    """
    require_poster(acting_user)
    loan_no = key_checked(loan_no, "loan_no", "Số khế ước", slashes=True, max_length=30)
    if Loan.objects.filter(loan_no=loan_no).exists():
        refuse_taken("loan_no", "Số khế ước", loan_no)
    check_amount(amount)
    if approved_amount is None:
        approved_amount = amount
    check_amount(approved_amount, "approved_amount")
    if approved_amount < amount:
        refuse("amount", "Số tiền giải ngân vượt số tiền cho vay theo hợp đồng.")
    check_day(disbursed_on, "disbursed_on", "Ngày giải ngân")
    rules.check_channel(channel)
    purpose = rules.check_purpose(purpose)
    if annual_rate is None:
        annual_rate = program_rate_on(program, disbursed_on)
        if annual_rate is None:
            refuse(
                "program",
                f"Chương trình {program.code} chưa có lãi suất áp dụng tại ngày {vn_date(disbursed_on)}.",
            )
    annual_rate = rules.check_rate(annual_rate)
    if channel == Channel.ENTRUSTED:
        check_entrusted_disbursement(member, loan_no, amount, disbursed_on, "disbursed_on")
    if installments is None:
        if term_months is None or interval_months is None:
            refuse("installments", "Cần lịch trả nợ hoặc thời hạn và kỳ hạn trả nợ.")
        installments = schedule_generate(
            amount=approved_amount,
            disbursed_on=disbursed_on,
            term_months=term_months,
            interval_months=interval_months,
        )
    _check_schedule(installments, approved_amount=approved_amount, disbursed_on=disbursed_on)

    try:
        with transaction.atomic():
            loan = Loan.objects.create(
                loan_no=loan_no,
                member=member,
                program=program,
                channel=channel,
                annual_rate=annual_rate,
                approved_amount=approved_amount,
                disbursed_on=disbursed_on,
                purpose=purpose,
                recorded_by=acting_user,
            )
    except IntegrityError:
        # Another posting opened the same contract since the check above.
        if Loan.objects.filter(loan_no=loan_no).exists():
            refuse_taken("loan_no", "Số khế ước", loan_no)
        raise
    Installment.objects.bulk_create(Installment(loan=loan, due_on=d, principal=p) for d, p in sorted(installments))
    txn = LoanTransaction.objects.create(
        loan=loan,
        kind=LoanTransaction.Kind.DISBURSEMENT,
        value_date=disbursed_on,
        amount=amount,
        reference=reference or None,
        recorded_by=acting_user,
    )
    if rebuild_interest:
        interest_bills_rebuild(loan=loan)
    audit_record(
        user=acting_user,
        action="loan.disburse",
        obj=loan,
        key=loan_no,
        data={
            "member": member.national_id,
            "program": program.code,
            "channel": channel,
            "amount": amount,
            "approved_amount": approved_amount,
            "annual_rate": annual_rate,
            "disbursed_on": disbursed_on,
            "installments": [[d, p] for d, p in sorted(installments)],
            "transaction": txn.pk,
        },
    )
    return loan


def check_entrusted_disbursement(member: Member, loan_no: str, amount: int, day: date, field: str):
    """An entrusted loan goes out through a group (`check_in_group_for_entrusted`), and
    never on a day of a member's closed last period: it would be outstanding after they
    left their last group (`check_last_leaving`, the rule of ending a membership)."""
    periods = member_periods(member)
    check_in_group_for_entrusted(member_name=member.full_name, periods=periods, day=day)
    left_on = last_left_on(periods, day)
    if left_on is not None:
        debts = dict(entrusted_debts(member.pk, left_on))
        debts[loan_no] = debts.get(loan_no, 0) + amount
        check_last_leaving(member_name=member.full_name, left_on=left_on, debts=sorted(debts.items()), field=field)


def disbursed_total(loan: Loan) -> int:
    return sum(
        effective_loan_transactions(loan=loan, kind=LoanTransaction.Kind.DISBURSEMENT).values_list("amount", flat=True)
    )


def check_tranche(loan: Loan, amount: int, value_date: date):
    check_not_before(value_date, loan.disbursed_on, "value_date", "Ngày giải ngân", "ngày giải ngân lần đầu")
    rules.check_tranche_total(disbursed_total(loan), amount, loan.approved_amount)
    if loan.channel == Channel.ENTRUSTED:
        check_entrusted_disbursement(loan.member, loan.loan_no, amount, value_date, "value_date")
