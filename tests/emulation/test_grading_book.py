"""Group and commune association grading on the page tests' book (tests/support/fixtures.py),
against hand-computed points, and the grades kept with the stored figures.

February 2020, QH-01 (An): the interest payment of 90.200 on 20/02, Quán Hàu's transaction
day (20); nothing overdue or due; the month's bill 68.200 collected whole; An saves
500.000, as in January. 20 + 30 + 15 + 20 + 5 + 5 = 95: Tốt.
March 2020, QH-01: no posting (20); nothing overdue (30) or due (15); the bill of 20/03
(29 days × 2.200 = 63.800) unpaid (0); An saving (5), as before (5): 75, Khá.
March 2020, QH-02 (Bình): the withdrawal on 20/03 (20); HPN-1's 6.000.000 all overdue
(0) and unpaid when due on 20/03 (0); the bill of 31.900 unpaid (0); Bình saving 200.000
(5), down from 300.000 (0): 25, Yếu.
March 2020, VN-01 (Cúc): no posting (20); nothing overdue (30) or due (15); the bill of
28/03 (95.700) unpaid (0); Cúc holds no savings (0), as before (5): 70, Khá.
"""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from emulation import grading
from emulation.models import CommuneAssociationGrade, GroupGrade
from lending.services import interest_payment_post
from reporting import store
from reporting.periods import Period

pytestmark = pytest.mark.django_db


def points(month, group):
    g = GroupGrade.objects.get(month=month, group=group)
    return [c["points"] for c in g.criteria], g.points, g.grade


def test_groups_graded_by_hand(book):
    grading.grade_month(Period.parse("2020-02"))
    grading.grade_month(Period.parse("2020-03"))
    assert points("2020-02", book.g1) == ([20, 30, 15, 20, 5, 5], 95, "Tốt")
    assert points("2020-03", book.g1) == ([20, 30, 15, 0, 5, 5], 75, "Khá")
    assert points("2020-03", book.g2) == ([20, 0, 0, 0, 5, 0], 25, "Yếu")
    assert points("2020-03", book.g3) == ([20, 30, 15, 0, 0, 5], 70, "Khá")
    overdue = GroupGrade.objects.get(month="2020-03", group=book.g2).criteria[1]
    assert overdue == {"code": "overdue", "value": 1.0, "points": 0}


def test_commune_associations_graded_by_their_three_conditions(book, hnd, hpn):
    """Q1 2020, no broadcast anywhere: Quán Hàu HND (its group Khá, nothing overdue) meets
    two conditions, Khá; Quán Hàu HPN (its group Yếu, 100 % overdue) none, Yếu; Vạn Ninh
    HPN (Khá, nothing overdue) two, Khá."""
    grading.grade_month(Period.parse("2020-03"))
    grading.grade_quarter(Period.parse("2020Q1"))
    grades = {
        (g.commune_id, g.association_id): (g.grade, [c["met"] for c in g.conditions])
        for g in CommuneAssociationGrade.objects.filter(quarter="2020Q1")
    }
    assert grades == {
        (book.quan_hau.pk, hnd.pk): ("Khá", [True, True, False]),
        (book.quan_hau.pk, hpn.pk): ("Yếu", [False, False, False]),
        (book.van_ninh.pk, hpn.pk): ("Khá", [True, True, False]),
    }


def test_the_store_grades_every_month_and_a_back_dated_write_grades_again(book, staff):
    store.build_all()
    assert points("2020-03", book.g1)[1:] == (75, "Khá")
    assert GroupGrade.objects.filter(month="2020-01").count() == 3
    assert CommuneAssociationGrade.objects.filter(quarter="2020Q1").count() == 3
    # An pays March's bill on 20/03: interest collection 100 % → 20 more points, Tốt
    interest_payment_post(loan=book.hnd1, amount=63_800, value_date=date(2020, 3, 20), acting_user=staff)
    assert points("2020-03", book.g1) == ([20, 30, 15, 20, 5, 5], 95, "Tốt")
    assert store.differences({"2020-03", "2020Q1"}) == []


def test_the_check_finds_a_grade_that_differs(book):
    store.build_all()
    GroupGrade.objects.filter(month="2020-03", group=book.g2).update(grade="Tốt")
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("rebuild_figures", "--check", stdout=out)
    assert "2020-03: xếp loại tổ khác kết quả chấm lại" in out.getvalue()
    call_command("rebuild_figures", stdout=StringIO())
    assert points("2020-03", book.g2)[2] == "Yếu"


def test_a_broadcast_recorded_or_moved_grades_its_quarter_again(book, staff, hnd):
    """Q1 2020, Quán Hàu's HND (Khá: its group Khá, nothing overdue, no broadcast) hears a
    broadcast on 15/03: all three conditions, Tốt. Moved to 05/04, Q1 is Khá again and Q2
    counts it."""
    from groups.services import news_item_record, news_item_update

    store.build_all()

    def quarter(label):
        return CommuneAssociationGrade.objects.get(quarter=label, commune=book.quan_hau, association=hnd).grade

    item = news_item_record(
        published_on=date(2020, 3, 15), association=hnd, commune=book.quan_hau,
        channel="commune_loudspeaker", title="Loa xã", acting_user=staff,
    )  # fmt: skip
    assert quarter("2020Q1") == "Tốt"
    assert store.differences({"2020Q1", "2020Q2"}) == []
    news_item_update(
        item=item, published_on=date(2020, 4, 5), association=hnd, commune=book.quan_hau,
        channel="commune_loudspeaker", title="Loa xã", acting_user=staff,
    )  # fmt: skip
    assert quarter("2020Q1") == "Khá"
    broadcasts = CommuneAssociationGrade.objects.get(quarter="2020Q2", commune=book.quan_hau, association=hnd)
    assert broadcasts.conditions[2] == {"code": "broadcasts", "value": 1, "met": True}
    assert store.differences({"2020Q1", "2020Q2"}) == []
