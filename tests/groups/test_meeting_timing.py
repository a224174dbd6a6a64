"""A group meeting is on time ("đúng lịch") when held 3 to 5 days before the commune
transaction day it serves: the first one on or after the meeting, each month's clipped to
its last day. One rule for a meeting (`rules.meeting_timing`) and for a month's groups at
once (`selectors.groups_meeting_on_time`, target T7)."""

from datetime import date, timedelta

import pytest

from groups.models import Commune, SavingsGroup
from groups.rules import meeting_timing, transaction_day_serving
from groups.selectors import groups_active_on_transaction_day, groups_meeting_on_time, meetings_by_month
from groups.services import meeting_record
from lending.engine import billing_day
from tests.support.factories import CommuneFactory, GroupFactory
from vbsp_district.core.months import month_end


def commune(day: int) -> Commune:
    return Commune(code="X", name="X", transaction_day=day)


# -- one meeting ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "day, held_on, serves, before, on_time",
    [
        # the edges: −6 and −2 are not on time, −5 to −3 are
        (20, date(2020, 3, 14), date(2020, 3, 20), 6, False),
        (20, date(2020, 3, 15), date(2020, 3, 20), 5, True),
        (20, date(2020, 3, 16), date(2020, 3, 20), 4, True),
        (20, date(2020, 3, 17), date(2020, 3, 20), 3, True),
        (20, date(2020, 3, 18), date(2020, 3, 20), 2, False),
        # on the transaction day itself it serves that day, and is late
        (20, date(2020, 3, 20), date(2020, 3, 20), 0, False),
        # the day after, it serves next month's
        (20, date(2020, 3, 21), date(2020, 4, 20), 30, False),
        # day 31 in February: 29/02 in 2020, 28/02 in 2021
        (31, date(2020, 2, 23), date(2020, 2, 29), 6, False),
        (31, date(2020, 2, 24), date(2020, 2, 29), 5, True),
        (31, date(2020, 2, 26), date(2020, 2, 29), 3, True),
        (31, date(2020, 2, 27), date(2020, 2, 29), 2, False),
        (31, date(2021, 2, 23), date(2021, 2, 28), 5, True),
        (31, date(2021, 2, 26), date(2021, 2, 28), 2, False),
        (30, date(2020, 4, 25), date(2020, 4, 30), 5, True),
        (31, date(2020, 4, 27), date(2020, 4, 30), 3, True),
        # late in a month, serving the next month's day (and the next year's)
        (3, date(2020, 2, 29), date(2020, 3, 3), 3, True),
        (3, date(2020, 2, 27), date(2020, 3, 3), 5, True),
        (3, date(2020, 2, 26), date(2020, 3, 3), 6, False),
        (2, date(2020, 1, 28), date(2020, 2, 2), 5, True),
        (1, date(2019, 12, 27), date(2020, 1, 1), 5, True),
        (1, date(2019, 12, 29), date(2020, 1, 1), 3, True),
        (1, date(2019, 12, 30), date(2020, 1, 1), 2, False),
        # a day-31 commune after its clipped day: next month's 31st
        (31, date(2020, 4, 30), date(2020, 4, 30), 0, False),
        (31, date(2020, 5, 1), date(2020, 5, 31), 30, False),
    ],
)
def test_meeting_timing_edges(day, held_on, serves, before, on_time):
    timing = meeting_timing(commune(day), held_on)
    assert timing == (serves, before, on_time)
    assert (timing.transaction_day, timing.days_before, timing.on_time) == (serves, before, on_time)


def test_a_group_is_timed_by_its_commune():
    group = SavingsGroup(code="X-1", commune=commune(28), founded_on=date(2015, 1, 1))
    assert meeting_timing(group, date(2020, 3, 24)) == (date(2020, 3, 28), 4, True)


def test_the_transaction_day_is_the_bills():
    """The day served is the billing day of `lending.engine` (the same clipping)."""
    for setting in range(1, 32):
        for year, month in [(2019, 2), (2020, 2), (2020, 4), (2020, 12)]:
            first = date(year, month, 1)
            assert transaction_day_serving(setting, first) == billing_day(year, month, setting)
            last = billing_day(year, month, setting)
            assert transaction_day_serving(setting, last) == last
            assert transaction_day_serving(setting, last + timedelta(days=1)) == billing_day(
                *((year, month + 1) if month < 12 else (year + 1, 1)), setting
            )


def test_descriptions():
    assert meeting_timing(commune(20), date(2020, 3, 16)).describe() == (
        "đúng lịch: 4 ngày trước ngày giao dịch 20/03/2020"
    )
    assert meeting_timing(commune(20), date(2020, 3, 19)).describe() == (
        "không đúng lịch: 1 ngày trước ngày giao dịch 20/03/2020, cần họp trước 3 đến 5 ngày"
    )
    assert meeting_timing(commune(20), date(2020, 3, 20)).describe() == (
        "không đúng lịch: họp đúng ngày giao dịch 20/03/2020, cần họp trước 3 đến 5 ngày"
    )


# -- a month's groups at once ----------------------------------------------------------------------
FEB = (date(2020, 2, 1), date(2020, 2, 29))


@pytest.fixture
def february(db):
    """Three communes in February 2020: the 20th, the 31st (29/02) and the 3rd (03/02, whose
    meetings are held in January). Each group's meetings, as (group, days)."""
    on_20 = CommuneFactory(code="A", transaction_day=20)
    on_31 = CommuneFactory(code="B", transaction_day=31)
    on_3 = CommuneFactory(code="C", transaction_day=3)
    plan = {
        "A-5": (on_20, [date(2020, 2, 15)]),  # −5
        "A-6": (on_20, [date(2020, 2, 14), date(2020, 2, 18)]),  # −6 and −2
        "A-3": (on_20, [date(2020, 2, 10), date(2020, 2, 17)]),  # −3 (and an early one)
        "A-0": (on_20, [date(2020, 2, 20)]),  # on the day
        "B-5": (on_31, [date(2020, 2, 24)]),  # −5 from 29/02
        "B-2": (on_31, [date(2020, 2, 27), date(2020, 1, 27)]),  # −2; January's 31st −4
        "C-3": (on_3, [date(2020, 1, 31)]),  # −3, held in January
        "C-M": (on_3, [date(2020, 2, 28)]),  # serves 03/03: March's, not February's
        "C-N": (on_3, []),  # no meeting
    }
    groups = {}
    for code, (where, days) in plan.items():
        groups[code] = GroupFactory(code=code, commune=where, founded_on=date(2015, 1, 1))
        for day in days:
            meeting_record(group=groups[code], held_on=day, acting_user=None)
    # Dissolved before its transaction day: not counted, though it met on time.
    gone = GroupFactory(code="A-D", commune=on_20, founded_on=date(2015, 1, 1))
    meeting_record(group=gone, held_on=date(2020, 2, 16), acting_user=None)
    gone.dissolved_on = date(2020, 2, 19)
    gone.save()
    # Founded on its transaction day: counted (active at the day's end), met on time.
    new = GroupFactory(code="A-F", commune=on_20, founded_on=date(2020, 2, 15))
    meeting_record(group=new, held_on=date(2020, 2, 15), acting_user=None)
    # Founded after it: not counted.
    GroupFactory(code="A-L", commune=on_20, founded_on=date(2020, 2, 21))
    groups.update({"A-D": gone, "A-F": new})
    return groups


def codes(groups, ids):
    return sorted(code for code, group in groups.items() if group.pk in ids)


def test_groups_meeting_on_time(february, django_assert_num_queries):
    with django_assert_num_queries(2):  # the groups, their meetings
        on_time = groups_meeting_on_time(*FEB)
    assert codes(february, on_time) == ["A-3", "A-5", "A-F", "B-5", "C-3"]
    with django_assert_num_queries(1):
        active = groups_active_on_transaction_day(*FEB)
    assert codes(february, active) == sorted(set(february) - {"A-D"})
    assert on_time <= active


def test_groups_meeting_on_time_agrees_with_each_meeting(february):
    """The set is the groups with a meeting that `meeting_timing` finds on time for the
    month's transaction day, among those active on it: the one rule, asked both ways."""
    for start in [date(2020, m, 1) for m in range(1, 5)]:
        end = month_end(start.year, start.month)
        active = groups_active_on_transaction_day(start, end)
        expected = {
            group.pk
            for group in february.values()
            if group.pk in active
            for meeting in group.meetings.all()
            if (t := meeting_timing(group, meeting.held_on)).on_time and t.transaction_day.month == start.month
        }
        assert groups_meeting_on_time(start, end) == expected, start
    # January: B's 31st met on 27/01 (−4), C's 3rd had no January meeting on time
    assert codes(february, groups_meeting_on_time(date(2020, 1, 1), date(2020, 1, 31))) == ["B-2"]
    # March: C's 3rd met on 28/02 (−4)
    assert codes(february, groups_meeting_on_time(date(2020, 3, 1), date(2020, 3, 31))) == ["C-M"]


def test_every_month_at_once_in_two_queries(february, django_assert_num_queries):
    months = [(2020, m) for m in range(1, 5)]
    with django_assert_num_queries(2):
        by_month = meetings_by_month(months)
    for year, month in months:
        start, end = date(year, month, 1), month_end(year, month)
        assert set(by_month[(year, month)]) == groups_active_on_transaction_day(start, end)
        assert {pk for pk, met in by_month[(year, month)].items() if met} == groups_meeting_on_time(start, end)


def test_groups_meeting_on_time_of_some_groups(february):
    some = [february["A-5"].pk, february["A-6"].pk, february["C-3"].pk]
    assert codes(february, groups_meeting_on_time(*FEB, groups=some)) == ["A-5", "C-3"]
    assert codes(february, groups_active_on_transaction_day(*FEB, groups=some)) == ["A-5", "A-6", "C-3"]


def test_a_month_is_one_calendar_month():
    with pytest.raises(ValueError):
        groups_meeting_on_time(date(2020, 1, 1), date(2020, 3, 31))
    with pytest.raises(ValueError):
        groups_active_on_transaction_day(date(2020, 2, 29), date(2020, 2, 1))
