"""Every service writes exactly one audit event: the action, who, which object, which data."""

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser

from groups.services import (
    commune_create,
    group_create,
    group_dissolve,
    group_transfer,
    meeting_record,
    member_move,
    member_register,
    membership_add,
    membership_end,
    news_item_record,
    training_record,
)
from lending.models import LoanTransaction
from lending.services import (
    freeze_end,
    interest_payment_post,
    loan_disburse,
    loan_extend,
    loan_freeze,
    loan_tranche_disburse,
    period_close,
    period_reopen,
    program_create,
    program_rate_set,
    repayment_post,
    reversal_approve,
    reversal_reject,
    reversal_request,
    savings_deposit,
    savings_withdraw,
    write_off_post,
)
from vbsp_district.core.audit import audit_record
from vbsp_district.models import AuditEvent

pytestmark = pytest.mark.django_db


def one_event(call, **kwargs):
    """Run a service; exactly one audit event is written. Returns (result, event)."""
    before = AuditEvent.objects.count()
    result = call(**kwargs)
    assert AuditEvent.objects.count() == before + 1
    return result, AuditEvent.objects.order_by("-id").first()


def fields(event):
    return (event.action, event.user, event.object_type, event.object_key, event.data)


def test_organization_services_are_audited(staff, hnd, hpn):
    commune, event = one_event(commune_create, code="QH", name="Quán Hàu", transaction_day=20, acting_user=staff)
    assert fields(event) == (
        "commune.create",
        staff,
        "groups.Commune",
        "QH",
        {"name": "Quán Hàu", "kind": "xa", "transaction_day": 20},
    )
    assert event.occurred_at is not None

    group, event = one_event(
        group_create,
        code="QH-01",
        name="Tổ 1",
        commune=commune,
        association=hnd,
        founded_on=date(2015, 1, 1),
        acting_user=staff,
    )
    assert fields(event) == (
        "group.create",
        staff,
        "groups.SavingsGroup",
        "QH-01",
        {"name": "Tổ 1", "commune": "QH", "association": "HND", "founded_on": "2015-01-01"},
    )
    other, _ = one_event(
        group_create,
        code="QH-02",
        name="Tổ 2",
        commune=commune,
        association=hpn,
        founded_on=date(2015, 1, 1),
        acting_user=staff,
    )

    _, event = one_event(group_transfer, group=group, association=hpn, effective_on=date(2020, 4, 1), acting_user=staff)
    assert fields(event) == (
        "group.transfer",
        staff,
        "groups.SavingsGroup",
        "QH-01",
        {"from": "HND", "to": "HPN", "effective_on": "2020-04-01"},
    )

    member, event = one_event(
        member_register, national_id="044000000001", full_name="Nguyễn Văn A", commune=commune, acting_user=staff
    )
    assert fields(event) == (
        "member.register",
        staff,
        "groups.Member",
        "044000000001",
        {"full_name": "Nguyễn Văn A", "commune": "QH"},
    )

    _, event = one_event(membership_add, member=member, group=group, joined_on=date(2016, 1, 1), acting_user=staff)
    assert fields(event) == (
        "membership.add",
        staff,
        "groups.Membership",
        "044000000001",
        {"group": "QH-01", "joined_on": "2016-01-01", "left_on": None},
    )

    _, event = one_event(member_move, member=member, group=other, moved_on=date(2020, 3, 1), acting_user=staff)
    assert fields(event) == (
        "member.move",
        staff,
        "groups.Membership",
        "044000000001",
        {"from": "QH-01", "to": "QH-02", "moved_on": "2020-03-01"},
    )

    _, event = one_event(membership_end, member=member, left_on=date(2020, 6, 30), acting_user=staff)
    assert fields(event) == (
        "membership.end",
        staff,
        "groups.Membership",
        "044000000001",
        {"group": "QH-02", "left_on": "2020-06-30"},
    )

    _, event = one_event(group_dissolve, group=other, dissolved_on=date(2020, 6, 30), acting_user=staff)
    assert fields(event) == ("group.dissolve", staff, "groups.SavingsGroup", "QH-02", {"dissolved_on": "2020-06-30"})

    meeting, event = one_event(meeting_record, group=group, held_on=date(2020, 1, 16), attendees=20, acting_user=staff)
    assert fields(event) == (
        "meeting.record",
        staff,
        "groups.GroupMeeting",
        str(meeting.pk),
        {"group": "QH-01", "held_on": "2020-01-16", "attendees": 20},
    )

    training, event = one_event(
        training_record, held_on=date(2020, 6, 10), audience="Tổ trưởng", trainees=30, acting_user=staff
    )
    assert fields(event) == (
        "training.record",
        staff,
        "groups.Training",
        str(training.pk),
        {"held_on": "2020-06-10", "trainees": 30, "planned": None},
    )

    item, event = one_event(
        news_item_record,
        published_on=date(2020, 3, 8),
        association=hpn,
        channel="tv",
        title="Tin",
        acting_user=staff,
    )
    assert fields(event) == (
        "news.record",
        staff,
        "groups.NewsItem",
        str(item.pk),
        {"published_on": "2020-03-08", "channel": "tv", "title": "Tin"},
    )


def test_lending_services_are_audited(member, poor, staff, manager, manager2):
    loan, event = one_event(
        loan_disburse,
        loan_no="L1",
        member=member,
        program=poor,
        amount=6_000_000,
        approved_amount=12_000_000,
        disbursed_on=date(2020, 1, 10),
        installments=[(date(2021, 1, 10), 6_000_000), (date(2022, 1, 10), 6_000_000)],
        acting_user=staff,
    )
    first = LoanTransaction.objects.get(loan=loan)
    assert fields(event) == (
        "loan.disburse",
        staff,
        "lending.Loan",
        "L1",
        {
            "member": "044000000001",
            "program": "01",
            "channel": "entrusted",
            "amount": 6_000_000,
            "approved_amount": 12_000_000,
            "annual_rate": "6.600",
            "disbursed_on": "2020-01-10",
            "installments": [["2021-01-10", 6_000_000], ["2022-01-10", 6_000_000]],
            "transaction": first.pk,
        },
    )

    def posting(kind, value_date, amount, reference=None):
        return {"loan": "L1", "kind": kind, "value_date": value_date, "amount": amount, "reference": reference}

    cases = [
        (
            loan_tranche_disburse,
            {"amount": 6_000_000, "reference": "GN-2"},
            date(2020, 2, 10),
            "loan.disbursement",
            posting("disbursement", "2020-02-10", 6_000_000, "GN-2"),
        ),
        (
            repayment_post,
            {"amount": 1_000_000},
            date(2020, 2, 20),
            "loan.principal",
            posting("principal", "2020-02-20", 1_000_000),
        ),
        (
            interest_payment_post,
            {"amount": 22_000},
            date(2020, 1, 20),
            "loan.interest",
            posting("interest", "2020-01-20", 22_000),
        ),
        (
            write_off_post,
            {"amount": 500_000},
            date(2020, 3, 20),
            "loan.principal_write_off",
            posting("principal_write_off", "2020-03-20", 500_000),
        ),
        (
            write_off_post,
            {"amount": 10_000, "interest": True},
            date(2020, 2, 20),
            "loan.interest_write_off",
            posting("interest_write_off", "2020-02-20", 10_000),
        ),
    ]
    for service, kwargs, value_date, action, data in cases:
        txn, event = one_event(service, loan=loan, value_date=value_date, acting_user=staff, **kwargs)
        assert fields(event) == (action, staff, "lending.LoanTransaction", str(txn.pk), data)

    deposit, event = one_event(
        savings_deposit, member=member, amount=300_000, value_date=date(2020, 1, 20), acting_user=staff
    )
    assert fields(event) == (
        "savings.deposit",
        staff,
        "lending.SavingsTransaction",
        str(deposit.pk),
        {"member": "044000000001", "kind": "deposit", "value_date": "2020-01-20", "amount": 300_000, "reference": None},
    )
    withdrawal, event = one_event(
        savings_withdraw,
        member=member,
        amount=100_000,
        value_date=date(2020, 2, 20),
        reference="RT-1",
        acting_user=staff,
    )
    assert fields(event) == (
        "savings.withdrawal",
        staff,
        "lending.SavingsTransaction",
        str(withdrawal.pk),
        {
            "member": "044000000001",
            "kind": "withdrawal",
            "value_date": "2020-02-20",
            "amount": 100_000,
            "reference": "RT-1",
        },
    )

    extension, event = one_event(
        loan_extend,
        loan=loan,
        due_on=date(2021, 1, 10),
        new_due_on=date(2021, 7, 10),
        decided_on=date(2020, 12, 1),
        acting_user=staff,
    )
    assert fields(event) == (
        "loan.extend",
        staff,
        "lending.Extension",
        str(extension.pk),
        {
            "loan": "L1",
            "due_on": "2021-01-10",
            "previous_due_on": "2021-01-10",
            "new_due_on": "2021-07-10",
            "decided_on": "2020-12-01",
        },
    )
    freeze, event = one_event(
        loan_freeze, loan=loan, amount=1_000_000, effective_on=date(2020, 5, 1), acting_user=staff
    )
    assert fields(event) == (
        "loan.freeze",
        staff,
        "lending.Freeze",
        str(freeze.pk),
        {"loan": "L1", "amount": 1_000_000, "effective_on": "2020-05-01", "ends_on": None},
    )
    _, event = one_event(freeze_end, freeze=freeze, ends_on=date(2020, 8, 1), acting_user=staff)
    assert fields(event) == (
        "loan.freeze_end",
        staff,
        "lending.Freeze",
        str(freeze.pk),
        {"loan": "L1", "ends_on": "2020-08-01"},
    )

    repayment = LoanTransaction.objects.get(loan=loan, kind="principal")
    request, event = one_event(reversal_request, transaction=repayment, reason="Sai số tiền", acting_user=staff)
    assert fields(event) == (
        "reversal.request",
        staff,
        "lending.ReversalRequest",
        str(request.pk),
        {"transaction": repayment.pk, "type": "LoanTransaction", "reason": "Sai số tiền"},
    )
    reversal, event = one_event(reversal_approve, request=request, acting_user=manager)
    assert fields(event) == (
        "reversal.approve",
        manager,
        "lending.ReversalRequest",
        str(request.pk),
        {"transaction": repayment.pk, "reversal": reversal.pk, "amount": 1_000_000, "note": ""},
    )
    request, _ = one_event(reversal_request, transaction=deposit, reason="Sai", acting_user=staff)
    _, event = one_event(reversal_reject, request=request, note="Đúng", acting_user=manager2)
    assert fields(event) == ("reversal.reject", manager2, "lending.ReversalRequest", str(request.pk), {"note": "Đúng"})

    # closing a quarter also issues its reports, each with its own event (tests/reports)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    period = period_close(year=2020, quarter=1, acting_user=manager)
    written = list(AuditEvent.objects.filter(id__gt=before).order_by("id"))
    assert [e.action for e in written] == ["period.close"] + ["report.issue"] * 5
    event = written[0]
    assert fields(event) == (
        "period.close",
        manager,
        "lending.ClosedPeriod",
        "2020Q1",
        {"start": "2020-01-01", "end": "2020-03-31"},
    )
    _, event = one_event(period_reopen, period=period, reason=" Sai sót ", acting_user=manager2)
    assert fields(event) == ("period.reopen", manager2, "lending.ClosedPeriod", "2020Q1", {"reason": "Sai sót"})

    program, event = one_event(program_create, code="20", name="Cho vay mới", annual_rate="4.8", acting_user=manager)
    assert fields(event) == (
        "program.create",
        manager,
        "lending.LoanProgram",
        "20",
        {"name": "Cho vay mới", "annual_rate": "4.8", "overdue_factor": "1.30", "overdue_rule": "maturity"},
    )
    _, event = one_event(
        program_rate_set, program=program, annual_rate="5.4", effective_on=date(2020, 7, 1), acting_user=manager
    )
    assert fields(event) == (
        "program.rate",
        manager,
        "lending.LoanProgram",
        "20",
        {"annual_rate": "5.4", "effective_on": "2020-07-01"},
    )


def test_audit_record_without_a_signed_in_user(member):
    event = audit_record(user=AnonymousUser(), action="test.anonymous", obj=member, data={"on": date(2020, 1, 1)})
    assert (event.user, event.object_type, event.object_key, event.data) == (
        None,
        "groups.Member",
        str(member.pk),
        {"on": "2020-01-01"},
    )
    event = audit_record(user=None, action="test.none", obj=member, key="x")
    assert (event.user, event.object_key, event.data) == (None, "x", {})
