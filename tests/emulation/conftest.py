"""The emulation tests' shared book: the page tests' portfolio with meetings and news."""

from datetime import date

import pytest

from groups.models import GroupMeeting, NewsItem
from reporting import store


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
    store.build_all()
    return book
