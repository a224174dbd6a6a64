"""The lending sheets: programs, loans and their schedules, postings, extensions, freezes
and savings. Each row goes through the rules of `lending.rules` (and, for an entrusted
loan's group, `groups.rules`), the ones the single-record services apply. The rules that
need a loan's whole ledger run once every row is read (`check_loan`, `check_savings`)."""

from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

from groups.models import SavingsGroup, billing_days
from groups.rules import check_in_group_for_entrusted, check_last_leaving, last_left_on
from groups.selectors import billing_days_of
from vbsp_district.core.errors import refuse_taken
from vbsp_district.core.money import vn_date

from ... import rules
from ...engine import LoanBook, LoanFacts
from ...models import Channel, Extension, Freeze, Installment, Loan, LoanProgram, LoanTransaction, SavingsTransaction
from ...selectors import entrusted_debts
from ..interest import arrears_path
from .records import Batch, LoanState, Posting, Row, Skip

LKind = LoanTransaction.Kind
SKind = SavingsTransaction.Kind
_FACTS_LIST = {
    LKind.DISBURSEMENT: "disbursements",
    LKind.PRINCIPAL: "repayments",
    LKind.PRINCIPAL_WRITE_OFF: "principal_write_offs",
    LKind.INTEREST: "interest_payments",
    LKind.INTEREST_WRITE_OFF: "interest_write_offs",
}


def program_row(batch: Batch, row: Row):
    code = str(batch.required(row, "code"))
    if code in batch.programs:
        batch.check(row, refuse_taken, "code", "Mã chương trình", code)
    name, factor = batch.check(
        row,
        rules.check_program,
        name=batch.required(row, "name"),
        overdue_factor=Decimal("1.30") if row.data.get("overdue_factor") is None else row.data["overdue_factor"],
        overdue_rule=batch.required(row, "overdue_rule"),
    )
    rate = batch.check(row, rules.check_rate, batch.required(row, "annual_rate"))
    program = LoanProgram(code=code, name=name, overdue_factor=factor, overdue_rule=row.data["overdue_rule"])
    batch.programs[code] = program
    batch.new_programs.append(program)
    batch.new_program_rates[code] = rate


def _rate_for(batch: Batch, program: LoanProgram, day: date):
    if program.pk is None:
        return batch.new_program_rates[program.code]
    rate = None
    for effective_on, annual_rate in batch.program_rates[program.pk]:
        if effective_on <= day:
            rate = annual_rate
    return rate


def loan_row(batch: Batch, row: Row):
    loan_no = str(batch.required(row, "loan_no"))
    if loan_no in batch.loans or loan_no in batch.existing_loan_nos:
        batch.check(row, refuse_taken, "loan_no", "Số khế ước", loan_no)
    member = batch.lookup(row, "national_id", batch.members, "member", "tổ viên có số CCCD/CMND")
    program = batch.lookup(row, "program_code", batch.programs, "program", "chương trình")
    channel = batch.check(row, rules.check_channel, batch.required(row, "channel"))
    disbursed_on = batch.money_day(row, "disbursed_on", "Ngày giải ngân")
    amount = batch.amount(row)
    approved = None if row.data.get("approved_amount") is None else batch.amount(row, "approved_amount")
    rate = row.data.get("annual_rate")
    if rate is None:
        rate = _rate_for(batch, program, disbursed_on)
        if rate is None:
            batch.fail(
                row,
                "program_code",
                f"Chương trình {program.code} chưa có lãi suất áp dụng tại ngày {vn_date(disbursed_on)}.",
            )
    rate = batch.check(row, rules.check_rate, rate)
    loan = Loan(
        loan_no=loan_no,
        member=member,
        program=program,
        channel=channel,
        annual_rate=rate,
        approved_amount=approved or amount,
        disbursed_on=disbursed_on,
        purpose=batch.check(row, rules.check_purpose, row.data.get("purpose")),
        recorded_by=batch.user,
    )
    facts = LoanFacts(
        annual_rate=Fraction(rate),
        overdue_factor=Fraction(program.overdue_factor),
        overdue_rule=program.overdue_rule,
        transaction_day=member.commune.transaction_day,
        disbursements=[(disbursed_on, amount)],
    )
    state = LoanState(loan=loan, new=True, row=row, facts=facts, member=member, approved=approved)
    state.transactions.append((row, Posting(loan, LKind.DISBURSEMENT, disbursed_on, amount)))
    batch.loans[loan_no] = state


def _loan_for(batch: Batch, row: Row) -> LoanState:
    loan_no = str(batch.required(row, "loan_no"))
    state = batch.loans.get(loan_no)
    if state is None:
        if ("loan", loan_no) in batch.broken_keys:
            raise Skip
        batch.fail(row, "loan_no", f"Không tìm thấy khế ước {loan_no}.")
    return state


def installment_row(batch: Batch, row: Row):
    state = _loan_for(batch, row)
    if not state.new:
        batch.fail(row, "loan_no", f"Khế ước {state.loan.loan_no} đã có lịch trả nợ; không thể thêm kỳ hạn.")
    due_on = batch.required(row, "due_on")
    principal = batch.required(row, "principal")
    batch.check(
        row, rules.check_installment, due_on, principal, disbursed_on=state.loan.disbursed_on, seen=state.inst_by_due
    )
    inst = Installment(loan=state.loan, due_on=due_on, principal=principal)
    temp = batch.temp_id()
    state.inst_by_due[due_on] = (temp, inst)
    state.installments.append(inst)
    state.facts.installments.append((temp, due_on, principal))


def transaction_row(batch: Batch, row: Row):
    state = _loan_for(batch, row)
    kind = batch.check(row, rules.check_loan_kind, batch.required(row, "kind"))
    amount = batch.amount(row)
    value_date = batch.money_day(row, "value_date", "Ngày giao dịch")
    batch.check(
        row,
        rules.check_not_before,
        value_date,
        state.loan.disbursed_on,
        "value_date",
        "Ngày giao dịch",
        "ngày giải ngân",
    )
    reference = batch.check(row, rules.check_reference, row.data.get("reference"))
    if reference is not None:
        if reference in state.references:
            batch.fail(row, "reference", f"Số chứng từ {reference} đã có cho khế ước {state.loan.loan_no}.")
        state.references.add(reference)
    state.transactions.append((row, Posting(state.loan, kind, value_date, amount, reference)))
    getattr(state.facts, _FACTS_LIST[kind]).append((value_date, amount))


def extension_row(batch: Batch, row: Row):
    state = _loan_for(batch, row)
    due_on = batch.required(row, "due_on")
    batch.check(row, rules.check_has_installment, due_on in state.inst_by_due, state.loan.loan_no, due_on)
    decided_on = batch.money_day(row, "decided_on", "Ngày quyết định")
    batch.check(
        row,
        rules.check_not_before,
        decided_on,
        state.loan.disbursed_on,
        "decided_on",
        "Ngày quyết định",
        "ngày giải ngân",
    )
    new_due_on = batch.required(row, "new_due_on")
    inst_id, inst = state.inst_by_due[due_on]
    book = LoanBook(state.facts)
    batch.check(row, rules.check_new_due_on, new_due_on, book.due_date(inst_id, due_on, decided_on))
    batch.check(row, rules.check_outstanding, book.outstanding(decided_on), state.loan.loan_no, decided_on)
    ext_id = batch.temp_id()
    state.facts.extensions.append((inst_id, new_due_on, decided_on, -ext_id))
    ext = Extension(loan=state.loan, new_due_on=new_due_on, decided_on=decided_on, recorded_by=batch.user)
    if inst is None:
        ext.installment_id = inst_id
    else:
        ext.installment = inst
    state.extensions.append(ext)


def freeze_row(batch: Batch, row: Row):
    state = _loan_for(batch, row)
    amount = batch.amount(row)
    effective_on = batch.money_day(row, "effective_on", "Ngày khoanh nợ")
    batch.check(
        row,
        rules.check_not_before,
        effective_on,
        state.loan.disbursed_on,
        "effective_on",
        "Ngày khoanh nợ",
        "ngày giải ngân",
    )
    ends_on = row.data.get("ends_on")
    batch.check(row, rules.check_freeze_ends, ends_on, effective_on)
    state.facts.freezes.append((amount, effective_on, ends_on))
    state.freezes.append(
        (
            row,
            Freeze(loan=state.loan, amount=amount, effective_on=effective_on, ends_on=ends_on, recorded_by=batch.user),
        )
    )


def savings_row(batch: Batch, row: Row):
    member = batch.lookup(row, "national_id", batch.members, "member", "tổ viên có số CCCD/CMND")
    kind = batch.check(row, rules.check_savings_kind, batch.required(row, "kind"))
    amount = batch.amount(row)
    value_date = batch.money_day(row, "value_date", "Ngày giao dịch")
    reference = batch.check(row, rules.check_reference, row.data.get("reference"))
    if reference is not None:
        refs = batch.savings_refs.setdefault(member.national_id, set())
        if reference in refs:
            batch.fail(row, "reference", f"Số chứng từ {reference} đã có.")
        refs.add(reference)
    path = batch.savings_paths.setdefault(member.national_id, [])
    path.append((value_date, amount if kind == SKind.DEPOSIT else -amount))
    batch.new_savings.append((row, Posting(member, kind, value_date, amount, reference)))


# -- rules across rows ------------------------------------------------------------------
def _issue(batch: Batch, row: Row, fn, *args, **kwargs) -> bool:
    """Run a rule; a refusal is recorded on `row`. True when the rule held."""
    try:
        batch.check(row, fn, *args, **kwargs)
    except Skip:
        return False
    return True


def _billing_days(batch: Batch, member):
    """The day `member` is billed on through time (`groups.models.billing_days`), from
    their periods in the database and the workbook."""
    periods = []
    for i, (joined_on, _left, code) in enumerate(batch.member_periods.get(member.national_id, ())):
        group = batch.groups.get(code) or batch.other_groups.get(code)
        if group is None:
            group = batch.other_groups[code] = SavingsGroup.objects.select_related("commune").get(code=code)
        periods.append((joined_on, i, group.commune.transaction_days))
    return billing_days(member.commune.transaction_days, periods)


def check_loan(batch: Batch, state: LoanState):
    """The rules of the book that need the loan's whole ledger."""
    facts, loan = state.facts, state.loan
    facts.transaction_day = _billing_days(batch, state.member)
    anchor = state.row or (state.transactions[0][0] if state.transactions else None)
    total = sum(a for _, a in facts.disbursements)
    if state.new:
        # The schedule adds up to the contract amount: the Loans row's approved_amount,
        # or, without one, what the workbook disburses (the Loans row and its tranches).
        scheduled = sum(p for _, _, p in facts.installments)
        if state.approved is None:
            _issue(batch, anchor, rules.check_schedule_total, scheduled, total, "amount")
            loan.approved_amount = total
        elif _issue(batch, anchor, rules.check_approved_covers, state.approved, total):
            _issue(batch, anchor, rules.check_schedule_total, scheduled, state.approved, "approved_amount")
    elif total > loan.approved_amount:
        for row, txn in state.transactions:
            if txn.kind == LKind.DISBURSEMENT:
                _issue(batch, row, rules.check_tranche_total, total - txn.amount, txn.amount, loan.approved_amount)
                break
    # outstanding never below zero, at any day: blame rows in value-date order
    path = list(facts.disbursements)
    if not state.new:
        path += [(d, -a) for d, a in _existing_principal_debits(state)]
    new_debits = sorted(
        (
            (t.value_date, 0 if t.kind == LKind.PRINCIPAL else 1, r.line, r, t)
            for r, t in state.transactions
            if t.kind in (LKind.PRINCIPAL, LKind.PRINCIPAL_WRITE_OFF)
        ),
        key=lambda x: x[:3],
    )
    for day, _o, _l, row, txn in new_debits:
        if _issue(batch, row, rules.check_principal_debit, path, txn.kind, day, txn.amount):
            path.append((day, -txn.amount))
        else:
            state.broken = True
    # an entrusted loan goes out through a group, on every disbursement's day
    book = LoanBook(facts)
    if loan.channel == Channel.ENTRUSTED:
        nid = state.member.national_id
        periods = batch.member_periods.get(nid, [])
        # a closed last period the workbook adds is refused on its Memberships row (check_leavings)
        added = {j for _r, m, j, _l in batch.leavings if m.national_id == nid}
        last_joined = max(p[0] for p in periods) if periods else None
        for row, txn in state.transactions:
            if txn.kind != LKind.DISBURSEMENT:
                continue
            if not _issue(
                batch,
                row,
                check_in_group_for_entrusted,
                member_name=state.member.full_name,
                periods=periods,
                day=txn.value_date,
            ):
                break
            left_on = last_left_on(periods, txn.value_date)
            column = "disbursed_on" if row.sheet == "Loans" else "value_date"
            if (
                left_on is not None
                and last_joined not in added
                and book.outstanding(left_on) > 0
                and not _issue(
                    batch,
                    row,
                    check_last_leaving,
                    member_name=state.member.full_name,
                    left_on=left_on,
                    debts=[(loan.loan_no, book.outstanding(left_on))],
                    field=column,
                )
            ):
                break
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
        _issue(
            batch,
            row,
            rules.check_freeze_amount,
            freeze.amount,
            position.outstanding - frozen_other,
            freeze.effective_on,
        )
    # interest written off, or paid on a settled loan, never beyond what is owed
    checked = [
        (r, t)
        for r, t in state.transactions
        if t.kind == LKind.INTEREST_WRITE_OFF
        or (t.kind == LKind.INTEREST and sum(delta for d, delta in path if d <= t.value_date) == 0)
    ]
    if checked:
        ipath = [(b.billed_on, b.amount) for b in book.bills(batch.today)]
        others = {
            LKind.INTEREST: list(facts.interest_payments),
            LKind.INTEREST_WRITE_OFF: list(facts.interest_write_offs),
        }
        for _, t in checked:
            others[t.kind].remove((t.value_date, t.amount))
        ipath += [(d, -a) for rows in others.values() for d, a in rows]
        for row, t in sorted(checked, key=lambda x: (x[1].value_date, x[0].line)):
            if t.kind == LKind.INTEREST_WRITE_OFF:
                held = _issue(batch, row, rules.check_interest_write_off, ipath, t.value_date, t.amount)
            else:
                held = _issue(batch, row, rules.check_interest_on_settled, path, ipath, t.value_date, t.amount)
            if held:
                ipath.append((t.value_date, -t.amount))


def check_rebilled(batch: Batch):
    """The database's loans of members whose memberships the batch adds are billed on the
    days the batch gives them (`_billing_days`): an interest write-off of theirs stays
    within what is owed then (`rules.check_write_offs_kept`, as a move through the
    services), or the member's first Memberships row is refused naming it."""
    first_rows = {}
    for row in batch.rows.get("Memberships", ()):
        first_rows.setdefault(str(row.data.get("national_id") or "").strip(), row)
    states = [
        s
        for s in batch.loans.values()
        if not s.new and s.facts.interest_write_offs and s.member.national_id in first_rows
    ]
    if not states:
        return
    before = billing_days_of({s.member.pk: s.member.commune for s in states})
    for state in states:
        former = before[state.member.pk]
        if former == state.facts.transaction_day:
            continue
        _issue(
            batch,
            first_rows[state.member.national_id],
            rules.check_write_offs_kept,
            state.loan.loan_no,
            state.facts.interest_write_offs,
            arrears_path(LoanBook(replace(state.facts, transaction_day=former)), batch.today),
            arrears_path(LoanBook(state.facts), batch.today),
            "joined_on",
        )


def check_leavings(batch: Batch):
    """A closed period the workbook adds as a member's last ends only once their
    entrusted loans (the workbook's and the database's) are repaid
    (`groups.rules.check_last_leaving`, as on the other paths)."""
    if not batch.leavings:
        return
    states = defaultdict(list)
    for state in batch.loans.values():
        if state.loan.channel == Channel.ENTRUSTED:
            states[state.member.national_id].append(state)
    for row, member, joined_on, left_on in batch.leavings:
        if any(p[0] > joined_on for p in batch.member_periods.get(member.national_id, ())):
            continue  # not the last period
        debts = {}
        if member.pk is not None:
            debts.update(entrusted_debts(member.pk, left_on))
        for state in states[member.national_id]:
            book = LoanBook(state.facts)
            owed = book.outstanding(left_on)
            if owed > 0 or any(d > left_on for d, _a in state.facts.disbursements):
                debts[state.loan.loan_no] = owed if owed > 0 else book.outstanding(batch.today)
            else:
                debts.pop(state.loan.loan_no, None)
        _issue(
            batch, row, check_last_leaving, member_name=member.full_name, left_on=left_on, debts=sorted(debts.items())
        )


def _existing_principal_debits(state: LoanState):
    """The principal debits already in the database (the facts minus the batch's rows)."""
    debits = list(state.facts.repayments + state.facts.principal_write_offs)
    for _r, t in state.transactions:
        if t.kind in (LKind.PRINCIPAL, LKind.PRINCIPAL_WRITE_OFF):
            debits.remove((t.value_date, t.amount))
    return debits


def check_savings(batch: Batch):
    by_member = defaultdict(list)
    for row, txn in batch.new_savings:
        if txn.kind == SKind.WITHDRAWAL:
            by_member[txn.owner.national_id].append((row, txn))
    for nid, withdrawals in by_member.items():
        full = batch.savings_paths[nid]
        path = [p for p in full if p[1] > 0]
        existing = [p for p in full if p[1] < 0]
        for _, t in withdrawals:
            existing.remove((t.value_date, -t.amount))
        path += existing
        for row, t in sorted(withdrawals, key=lambda x: (x[1].value_date, x[0].line)):
            if _issue(batch, row, rules.check_withdrawal, path, t.value_date, t.amount):
                path.append((t.value_date, -t.amount))
