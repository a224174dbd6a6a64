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
Q1_CLOSED = "Ngày giao dịch {} nằm trong kỳ đã khóa sổ (01/01/2020–31/03/2020)."


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
