"""A commune's transaction day through time, and the day a borrower is billed on.

A commune changes its day from a month's first day on (`commune_transaction_day_change`);
a borrower is billed on their group's commune's day in force at each date, from the day
they join it (a move to another commune's group). Every reader asks the day in force at
the date concerned: the bills, the transaction-day sheet's day, the meetings' timing, the
stored figures. Figures by hand: 12.000.000 đ at 6,60 % accrue 2.200 đ a day, 6.000.000
đ 1.100 đ."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from groups.models import Commune, CommuneTransactionDay
from groups.rules import meeting_timing
from groups.services import commune_transaction_day_change, member_move
from lending.models import InterestBill
from lending.selectors.transaction_day import next_transaction_day, transaction_day_in
from lending.services import interest_payment_post, write_off_post
from reporting import store
from reporting.indicators import district_figures
from reporting.models import StoredPeriod
from tests.support.book import disburse, new_group, new_member, refused, tomorrow

pytestmark = pytest.mark.django_db


def bills(loan, through=date(2020, 5, 31)):
    return list(
        InterestBill.objects.filter(loan=loan, billed_on__lte=through)
        .order_by("billed_on")
        .values_list("billed_on", "amount")
    )


def checks_clean():
    """`rebuild_interest --check` and `rebuild_figures --check` find nothing (they exit 1
    on a difference)."""
    out = StringIO()
    call_command("rebuild_interest", "--check", stdout=out)
    call_command("rebuild_figures", "--check", stdout=out)
    assert store.differences() == []


@pytest.fixture
def borrower(quan_hau, hnd, staff, poor):
    group = new_group("QH-01", "Tổ thôn 1", quan_hau, hnd, staff)
    member = new_member("044000000001", quan_hau, staff, group)
    loan = disburse(member, poor, staff)  # 12.000.000 đ from 10/01/2020, day 20
    store.build_all()
    return loan


def test_a_new_day_bills_from_its_first_month_on(borrower, quan_hau, staff):
    assert bills(borrower) == [
        (date(2020, 1, 20), 22_000),
        (date(2020, 2, 20), 68_200),
        (date(2020, 3, 20), 63_800),
        (date(2020, 4, 20), 68_200),
        (date(2020, 5, 20), 66_000),
    ]
    change = commune_transaction_day_change(
        commune=quan_hau, transaction_day=10, effective_on=date(2020, 3, 1), acting_user=staff
    )
    # 20/02 → 10/03: 19 days; then 31 and 30 days
    assert bills(borrower) == [
        (date(2020, 1, 20), 22_000),
        (date(2020, 2, 20), 68_200),
        (date(2020, 3, 10), 41_800),
        (date(2020, 4, 10), 68_200),
        (date(2020, 5, 10), 66_000),
    ]
    quan_hau.refresh_from_db()
    assert (quan_hau.transaction_day, quan_hau.transaction_day_from) == (10, date(2020, 3, 1))
    history = sorted(CommuneTransactionDay.objects.values_list("effective_on", "day"), key=lambda r: r[0] or date.min)
    assert history == [(None, 20), (date(2020, 3, 1), 10)]
    assert change.day == 10
    # every reader of the day asks the day in force that month
    commune = Commune.objects.get(pk=quan_hau.pk)
    assert transaction_day_in(commune, 2020, 2) == date(2020, 2, 20)
    assert transaction_day_in(commune, 2020, 3) == date(2020, 3, 10)
    assert next_transaction_day(commune, date(2020, 2, 21)) == date(2020, 3, 10)
    assert meeting_timing(commune, date(2020, 2, 15)).transaction_day == date(2020, 2, 20)
    timing = meeting_timing(commune, date(2020, 3, 5))
    assert (timing.transaction_day, timing.days_before, timing.on_time) == (date(2020, 3, 10), 5, True)
    checks_clean()


def test_a_change_is_refused_with_a_message_and_nothing_written(borrower, quan_hau, staff):
    cases = [
        ({"effective_on": date(2020, 3, 15)}, "effective_on",
         "Ngày hiệu lực phải là ngày đầu tháng (như 01/03/2020): mỗi tháng xã có một ngày giao dịch."),
        ({"transaction_day": 20}, "transaction_day", "Từ ngày 01/03/2020 xã đã giao dịch ngày 20 hằng tháng."),
        ({"transaction_day": 32}, "transaction_day", "Ngày giao dịch xã phải từ 1 đến 31."),
    ]  # fmt: skip
    for change, field, message in cases:
        values = {"transaction_day": 10, "effective_on": date(2020, 3, 1), **change}
        refused(commune_transaction_day_change, field, message, commune=quan_hau, acting_user=staff, **values)
    future = tomorrow()
    refused(
        commune_transaction_day_change,
        "effective_on",
        f"Ngày hiệu lực {future:%d/%m/%Y} không được sau ngày hôm nay.",
        commune=quan_hau,
        transaction_day=10,
        effective_on=future,
        acting_user=staff,
    )
    commune_transaction_day_change(
        commune=quan_hau, transaction_day=10, effective_on=date(2020, 3, 1), acting_user=staff
    )
    refused(
        commune_transaction_day_change,
        "effective_on",
        "Ngày hiệu lực phải sau lần đổi ngày giao dịch gần nhất (01/03/2020).",
        commune=quan_hau,
        transaction_day=15,
        effective_on=date(2020, 2, 1),
        acting_user=staff,
    )


def test_a_member_moving_to_another_commune_is_billed_on_its_day_from_the_move(borrower, staff, hnd):
    other = Commune.objects.create(code="VN", name="Vạn Ninh", transaction_day=5)
    there = new_group("VN-01", "Tổ Vạn Ninh", other, hnd, staff)
    member_move(member=borrower.member, group=there, moved_on=date(2020, 3, 15), acting_user=staff)
    # no bill on 20/03 (moved by then); 20/02 → 05/04: 10 + 31 + 4 = 45 days
    assert bills(borrower) == [
        (date(2020, 1, 20), 22_000),
        (date(2020, 2, 20), 68_200),
        (date(2020, 4, 5), 99_000),
        (date(2020, 5, 5), 66_000),
    ]
    checks_clean()


def test_a_move_to_a_later_day_bills_that_month_on_it(borrower, staff, hnd):
    other = Commune.objects.create(code="VN", name="Vạn Ninh", transaction_day=25)
    there = new_group("VN-01", "Tổ Vạn Ninh", other, hnd, staff)
    member_move(member=borrower.member, group=there, moved_on=date(2020, 3, 15), acting_user=staff)
    # 20/02 → 25/03: 10 + 24 = 34 days
    assert bills(borrower)[2:4] == [(date(2020, 3, 25), 74_800), (date(2020, 4, 25), 68_200)]


def test_a_change_in_the_past_settles_the_stored_figures_and_bills(book, staff):
    store.build_all()
    before = district_figures(date(2020, 3, 31), "2020-03")["period"]["interest_billed"]
    commune_transaction_day_change(
        commune=book.quan_hau, transaction_day=10, effective_on=date(2020, 3, 1), acting_user=staff
    )
    assert not StoredPeriod.objects.filter(stale=True).exists()
    assert store.differences() == []
    checks_clean()
    # March of Quán Hàu: HND-1 (12.000.000) bills 10/03 for 19 days instead of 20/03 for
    # 29: 41.800 instead of 63.800; HPN-1 (6.000.000 due 20/03) 20.900 instead of 31.900;
    # the direct TT-1 of Dũng (30.000.000, a member of Quán Hàu) 104.500 instead of 159.500
    after = district_figures(date(2020, 3, 31), "2020-03")["period"]["interest_billed"]
    assert before - after == (63_800 - 41_800) + (31_900 - 20_900) + (159_500 - 104_500)


def test_a_change_that_leaves_a_write_off_beyond_the_bills_is_refused(borrower, quan_hau, staff):
    """The March bill (63.800 đ on 20/03) written off on 20/03; moving March's day to the
    25th leaves nothing billed on 20/03: that write-off must be reversed first."""
    interest_payment_post(loan=borrower, amount=90_200, value_date=date(2020, 2, 20), acting_user=staff)
    write_off_post(loan=borrower, amount=63_800, value_date=date(2020, 3, 20), interest=True, acting_user=staff)
    refused(
        commune_transaction_day_change,
        "effective_on",
        "Thay đổi này làm lãi đã thu và đã xóa của món vay L1 vượt lãi phải thu (thừa 63.800 đồng tại ngày "
        "20/03/2020). Cần hủy khoản xóa nợ lãi ngày 20/03/2020 (63.800 đồng) của món vay L1 trước.",
        commune=quan_hau,
        transaction_day=25,
        effective_on=date(2020, 3, 1),
        acting_user=staff,
    )
    assert bills(borrower)[2] == (date(2020, 3, 20), 63_800)
    # a day that keeps the bill due by the write-off's date is taken
    commune_transaction_day_change(
        commune=quan_hau, transaction_day=25, effective_on=date(2020, 4, 1), acting_user=staff
    )
    assert bills(borrower)[2:4] == [(date(2020, 3, 20), 63_800), (date(2020, 4, 25), 79_200)]
