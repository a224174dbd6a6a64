from datetime import date

import pytest
from django.utils import timezone

from lending.models import ClosedPeriod
from lending.selectors import closed_period_on, loan_book
from lending.services import (
    period_close,
    period_reopen,
    quarter_bounds,
    repayment_post,
    savings_deposit,
)
from tests.support.book import disburse, refused

pytestmark = pytest.mark.django_db

MANAGER_ONLY = "Chỉ lãnh đạo phòng giao dịch được thực hiện thao tác này."
Q1_CLOSED = "Ngày giao dịch {} nằm trong quý 1/2020 đã khóa sổ (01/01/2020–31/03/2020)."


def test_quarter_bounds():
    assert quarter_bounds(2020, 1) == (date(2020, 1, 1), date(2020, 3, 31))
    assert quarter_bounds(2020, 2) == (date(2020, 4, 1), date(2020, 6, 30))
    assert quarter_bounds(2020, 3) == (date(2020, 7, 1), date(2020, 9, 30))
    assert quarter_bounds(2020, 4) == (date(2020, 10, 1), date(2020, 12, 31))


def test_period_close_refuses_postings_inside_the_quarter_only(member, poor, staff, manager):
    loan = disburse(member=member, program=poor, user=staff)
    period = period_close(year=2020, quarter=1, acting_user=manager)
    period.refresh_from_db()
    assert (period.start, period.end, period.closed_by, period.reopened_at) == (
        date(2020, 1, 1),
        date(2020, 3, 31),
        manager,
        None,
    )
    assert closed_period_on(date(2019, 12, 31)) is None
    assert closed_period_on(date(2020, 1, 1)) == period
    assert closed_period_on(date(2020, 3, 31)) == period
    assert closed_period_on(date(2020, 4, 1)) is None
    for day in (date(2020, 1, 10), date(2020, 3, 31)):
        refused(
            repayment_post,
            "value_date",
            Q1_CLOSED.format(day.strftime("%d/%m/%Y")),
            loan=loan,
            amount=1_000,
            value_date=day,
            acting_user=staff,
        )
        refused(
            savings_deposit,
            "value_date",
            Q1_CLOSED.format(day.strftime("%d/%m/%Y")),
            member=member,
            amount=1_000,
            value_date=day,
            acting_user=staff,
        )
    repayment_post(loan=loan, amount=1_000, value_date=date(2020, 4, 1), acting_user=staff)
    savings_deposit(member=member, amount=1_000, value_date=date(2020, 4, 1), acting_user=staff)


def test_period_reopen_lets_postings_in_again(member, poor, staff, manager, manager2):
    loan = disburse(member=member, program=poor, user=staff)
    period = period_close(year=2020, quarter=1, acting_user=manager)
    reopened = period_reopen(period=period, reason=" Điều chỉnh sai sót ", acting_user=manager2)
    reopened.refresh_from_db()
    assert reopened.reopened_by == manager2
    assert reopened.reopened_at is not None
    assert closed_period_on(date(2020, 2, 20)) is None
    repayment_post(loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), acting_user=staff)
    assert loan_book(loan).outstanding(date(2020, 2, 20)) == 11_000_000
    # The quarter can be closed again; the earlier closure stays on record.
    again = period_close(year=2020, quarter=1, acting_user=manager)
    assert ClosedPeriod.objects.count() == 2
    assert closed_period_on(date(2020, 2, 20)) == again


def test_period_close_refusals(staff, manager):
    refused(period_close, "acting_user", MANAGER_ONLY, year=2020, quarter=1, acting_user=staff)
    refused(period_close, "quarter", "Quý phải từ 1 đến 4.", year=2020, quarter=5, acting_user=manager)
    refused(period_close, "quarter", "Quý phải từ 1 đến 4.", year=2020, quarter=0, acting_user=manager)
    today = timezone.localdate()
    quarter = (today.month + 2) // 3
    refused(
        period_close,
        "quarter",
        f"Quý {quarter}/{today.year} chưa kết thúc, chưa thể khóa sổ.",
        year=today.year,
        quarter=quarter,
        acting_user=manager,
    )
    period_close(year=2020, quarter=1, acting_user=manager)
    refused(period_close, "quarter", "Quý 1/2020 đã khóa sổ.", year=2020, quarter=1, acting_user=manager)


def test_period_reopen_refusals(staff, manager):
    period = period_close(year=2020, quarter=2, acting_user=manager)
    refused(period_reopen, "acting_user", MANAGER_ONLY, period=period, reason="Sai", acting_user=staff)
    for reason in ("", "  ", None):
        refused(
            period_reopen,
            "reason",
            "Phải nêu lý do mở lại kỳ đã khóa sổ.",
            period=period,
            reason=reason,
            acting_user=manager,
        )
    period_reopen(period=period, reason="Sai", acting_user=manager)
    refused(period_reopen, "period", "Kỳ này đã được mở lại.", period=period, reason="Sai", acting_user=manager)


Q2_CHANGED = (
    "{label} {day} làm thay đổi số liệu quý 2/2020 đã khóa sổ (01/04/2020–30/06/2020); "
    "cần lãnh đạo mở lại quý này trước."
)


def test_a_write_dated_before_a_closed_quarter_is_refused_naming_it(member, poor, staff, manager, manager2):
    """Q1 open, Q2 closed: a repayment on 20/03 would change the outstanding at 30/06 and
    the bills of Q2, so it is refused, naming Q2, until a manager reopens Q2."""
    from lending.models import InterestBill
    from lending.services import loan_extend, loan_freeze, reversal_approve, reversal_request, write_off_post

    loan = disburse(member=member, program=poor, user=staff)
    posted = repayment_post(loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), acting_user=staff)
    request = reversal_request(transaction=posted, reason="Nhập nhầm", acting_user=staff)
    q2 = period_close(year=2020, quarter=2, acting_user=manager)
    bills = list(InterestBill.objects.filter(loan=loan).values_list("billed_on", "amount"))
    for call, field, label, kwargs in [
        (
            repayment_post,
            "value_date",
            "Ngày giao dịch",
            {"loan": loan, "amount": 1_000, "value_date": date(2020, 3, 20)},
        ),
        (
            write_off_post,
            "value_date",
            "Ngày giao dịch",
            {"loan": loan, "amount": 1_000, "value_date": date(2019, 12, 31)},
        ),
        (
            savings_deposit,
            "value_date",
            "Ngày giao dịch",
            {"member": member, "amount": 1_000, "value_date": date(2020, 3, 31)},
        ),
        (
            loan_extend,
            "decided_on",
            "Ngày quyết định",
            {
                "loan": loan,
                "due_on": date(2022, 1, 10),
                "new_due_on": date(2023, 1, 10),
                "decided_on": date(2020, 3, 1),
            },
        ),
        (
            loan_freeze,
            "effective_on",
            "Ngày khoanh nợ",
            {"loan": loan, "amount": 1_000, "effective_on": date(2020, 3, 1)},
        ),
    ]:
        day = kwargs.get("value_date") or kwargs.get("decided_on") or kwargs.get("effective_on") or date(2020, 2, 20)
        refused(call, field, Q2_CHANGED.format(label=label, day=day.strftime("%d/%m/%Y")), acting_user=staff, **kwargs)
    refused(
        reversal_approve,
        "transaction",
        Q2_CHANGED.format(label="Ngày giao dịch", day="20/02/2020"),
        request=request,
        acting_user=manager2,
    )
    assert list(InterestBill.objects.filter(loan=loan).values_list("billed_on", "amount")) == bills
    # after Q2, nothing of Q2 changes; once Q2 is reopened, Q1 takes postings again
    repayment_post(loan=loan, amount=1_000, value_date=date(2020, 7, 1), acting_user=staff)
    period_reopen(period=q2, reason="Bổ sung chứng từ quý 1", acting_user=manager2)
    repayment_post(loan=loan, amount=1_000, value_date=date(2020, 3, 20), acting_user=staff)
