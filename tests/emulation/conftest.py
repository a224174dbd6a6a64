"""The emulation tests' shared book: the page tests' portfolio with meetings and news."""

from datetime import date

import pytest

from emulation import grading
from groups.models import GroupMeeting, NewsItem
from reporting import store
from reporting.periods import Period

# What the 2020 scorecard reads: the year's months and quarters, and December 2019 (the
# savings growth of January). Storing these alone, not every period from the book's first
# day to today, keeps each test's setup short.
YEAR_2020 = [
    Period.month(2019, 12),
    *(Period.month(2020, m) for m in range(1, 13)),
    *(Period.quarter(2020, q) for q in range(1, 5)),
]


def store_2020():
    """The 2020 periods stored and graded (months, then quarters)."""
    for period in YEAR_2020:
        store.build(period)
    for period in YEAR_2020:
        if period.kind == "month":
            grading.grade_month(period)
    for period in YEAR_2020:
        if period.kind == "quarter":
            grading.grade_quarter(period)


@pytest.fixture
def card_book(book, hnd):
    for group, day in ((book.g1, date(2020, 3, 17)), (book.g2, date(2020, 3, 15)), (book.g3, date(2020, 3, 22))):
        GroupMeeting.objects.create(group=group, held_on=day)
    for day in (date(2020, 1, 15), date(2020, 2, 15)):
        NewsItem.objects.create(published_on=day, association=hnd, channel="tv", title="Tín dụng chính sách")
    NewsItem.objects.create(
        published_on=date(2020, 3, 1),
        association=hnd,
        commune=book.quan_hau,
        channel="commune_loudspeaker",
        title="Loa",
    )
    store_2020()
    return book
