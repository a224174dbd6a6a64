"""Postings racing on PostgreSQL: the loan row lock keeps the book exact.

Every thread has its own database connection and closes it at its end. On SQLite the
writers are serialized by the IMMEDIATE transaction mode, so these run on PostgreSQL only.
"""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from groups.models import Member, SavingsGroup
from groups.services import group_create, member_register, membership_add
from lending.models import ClosedPeriod, Loan, LoanTransaction, ReversalRequest, SavingsTransaction
from lending.selectors import loan_book, member_savings_balance
from lending.services import period_close, repayment_post, reversal_request, savings_deposit
from tests.support.book import disburse
from tests.support.marks import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def run_at_once(count, work):
    """Start `count` threads that call work(i) together; return their results in order.

    A result is the return value, or the exception the call raised.
    """
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 (the test inspects every outcome)
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_racing_repayments_never_drive_the_outstanding_below_zero(member, poor, staff):
    loan = disburse(member=member, program=poor, user=staff, amount=1_000_000)

    results = run_at_once(
        20, lambda i: repayment_post(loan=loan, amount=100_000, value_date=date(2020, 2, 20), acting_user=staff)
    )

    landed = [r for r in results if isinstance(r, LoanTransaction)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert (len(landed), len(refused)) == (10, 10), results
    assert {tuple(r.message_dict["amount"]) for r in refused} == {
        ("Số tiền trả gốc 100.000 đồng vượt dư nợ 0 đồng tại ngày 20/02/2020.",)
    }
    assert LoanTransaction.objects.filter(loan=loan, kind="principal").count() == 10
    assert loan_book(loan).outstanding(date(2020, 2, 20)) == 0


def test_racing_postings_with_the_same_reference_post_once(member, poor, staff):
    loan = disburse(member=member, program=poor, user=staff)

    results = run_at_once(
        8,
        lambda i: repayment_post(
            loan=loan, amount=500_000, value_date=date(2020, 2, 20), reference="BL-2020-07", acting_user=staff
        ),
    )

    rows = LoanTransaction.objects.filter(loan=loan, reference="BL-2020-07")
    assert rows.count() == 1
    assert [getattr(r, "pk", r) for r in results] == [rows.get().pk] * 8
    assert loan_book(loan).outstanding(date(2020, 2, 20)) == 11_500_000


def test_racing_savings_with_the_same_reference_post_once(member, staff):
    results = run_at_once(
        8,
        lambda i: savings_deposit(
            member=member, amount=50_000, value_date=date(2020, 1, 20), reference="TK-01", acting_user=staff
        ),
    )

    rows = SavingsTransaction.objects.filter(member=member, reference="TK-01")
    assert rows.count() == 1
    assert [getattr(r, "pk", r) for r in results] == [rows.get().pk] * 8
    assert member_savings_balance(member, as_of=date(2020, 1, 20)) == 50_000


def test_postings_on_two_loans_of_one_program_do_not_wait_for_each_other(commune, group, member, poor, staff):
    neighbour = member_register(national_id="044000000002", full_name="Hộ bên cạnh", commune=commune, acting_user=staff)
    membership_add(member=neighbour, group=group, joined_on=date(2016, 1, 1), acting_user=staff)
    first = disburse(member=member, program=poor, user=staff, loan_no="L1")
    second = disburse(member=neighbour, program=poor, user=staff, loan_no="L2")
    holding, release = threading.Event(), threading.Event()
    outcome = {}

    def slow():
        try:
            with transaction.atomic():
                repayment_post(loan=first, amount=1_000_000, value_date=date(2020, 2, 20), acting_user=staff)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def quick():
        try:
            holding.wait(timeout=30)
            outcome["txn"] = repayment_post(
                loan=second, amount=1_000_000, value_date=date(2020, 2, 20), acting_user=staff
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=slow), threading.Thread(target=quick)]
    for thread in threads:
        thread.start()
    threads[1].join(timeout=10)
    finished_while_held = not threads[1].is_alive()
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    # The lock is the loan's row only: not its program's, member's or commune's.
    assert finished_while_held
    assert outcome["txn"].loan_id == second.pk


def test_racing_disbursements_with_the_same_loan_number_open_one_loan(member, poor, staff):
    results = run_at_once(6, lambda i: disburse(member=member, program=poor, user=staff, loan_no="L-2020-001"))

    loans = Loan.objects.filter(loan_no="L-2020-001")
    assert loans.count() == 1
    refused = [r for r in results if not isinstance(r, Loan)]
    assert len(refused) == 5, results
    assert all(
        isinstance(r, ValidationError)
        and r.message_dict == {"loan_no": ["Số khế ước L-2020-001 đã có trong hệ thống."]}
        for r in refused
    ), results


def test_racing_registrations_of_one_national_id_register_one_household(commune, staff):
    results = run_at_once(
        6,
        lambda i: member_register(national_id="044090000123", full_name=f"Hộ {i}", commune=commune, acting_user=staff),
    )

    assert Member.objects.filter(national_id="044090000123").count() == 1
    refused = [r for r in results if not isinstance(r, Member)]
    assert len(refused) == 5, results
    assert all(
        isinstance(r, ValidationError)
        and r.message_dict == {"national_id": ["Số CCCD/CMND 044090000123 đã có trong hệ thống."]}
        for r in refused
    ), results


def test_racing_groups_with_the_same_code_found_one_group(commune, hnd, staff):
    results = run_at_once(
        6,
        lambda i: group_create(
            code="QH-09",
            name=f"Tổ {i}",
            commune=commune,
            association=hnd,
            founded_on=date(2020, 1, 1),
            acting_user=staff,
        ),
    )

    assert SavingsGroup.objects.filter(code="QH-09").count() == 1
    refused = [r for r in results if not isinstance(r, SavingsGroup)]
    assert len(refused) == 5, results
    assert all(
        isinstance(r, ValidationError) and r.message_dict == {"code": ["Mã tổ QH-09 đã có trong hệ thống."]}
        for r in refused
    ), results


def test_racing_reversal_requests_file_one(member, poor, staff):
    loan = disburse(member=member, program=poor, user=staff)
    repayment = repayment_post(loan=loan, amount=500_000, value_date=date(2020, 2, 20), acting_user=staff)

    results = run_at_once(6, lambda i: reversal_request(transaction=repayment, reason=f"Sai {i}", acting_user=staff))

    assert ReversalRequest.objects.filter(loan_transaction=repayment).count() == 1
    refused = [r for r in results if not isinstance(r, ReversalRequest)]
    assert len(refused) == 5, results
    assert all(
        isinstance(r, ValidationError)
        and r.message_dict == {"transaction": ["Giao dịch này đã có đề nghị hủy đang chờ duyệt."]}
        for r in refused
    ), results


def test_racing_closures_of_one_quarter_close_it_once(manager):
    results = run_at_once(6, lambda i: period_close(year=2020, quarter=1, acting_user=manager))

    assert ClosedPeriod.objects.count() == 1
    refused = [r for r in results if not isinstance(r, ClosedPeriod)]
    assert len(refused) == 5, results
    assert all(
        isinstance(r, ValidationError) and r.message_dict == {"quarter": ["Quý 1/2020 đã khóa sổ."]} for r in refused
    ), results
