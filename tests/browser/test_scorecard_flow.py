"""A manager in a real browser: the 2020 scorecard, a missed T2 cell followed to the overdue
loans, and a grading threshold changed from 01/03/2020 on, which regrades March but not
February (the browser portfolio: tests/browser/portfolio.py).

QH-01 (An) scores 95 in February (Tốt) and 75 in March (its bill of 20/03 unpaid): Khá
under the default bands, Trung bình once Khá needs 80 points.
"""

import pytest

from emulation.models import GradingRules, GroupGrade
from reporting import store

from . import portfolio
from .conftest import shot, sign_in


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_manager_follows_a_missed_cell_and_changes_a_threshold(browser, live_server):
    users = portfolio.users()
    book = portfolio.build(users["staff"])
    store.build_all()
    before = GroupGrade.objects.get(month="2020-02", group=book.g1)

    for viewport, name in (({"width": 1366, "height": 900}, "desktop"), ({"width": 820, "height": 1180}, "tablet")):
        context = browser.new_context(viewport=viewport, locale="vi-VN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base = live_server.url
        sign_in(page, "quanly")
        page.goto(page.base + "/scorecard/?year=2020")
        assert page.locator("main h1").inner_text().strip() == "Kết quả chỉ tiêu thi đua năm 2020"
        shot(page, f"scorecard-{name}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.click("text=Toàn phòng giao dịch")
        page.wait_for_url("**/scorecard/district/**")
        shot(page, f"scorecard-district-{name}")
        # March: HPN-1's 6.000.000 overdue of 36.000.000 entrusted, a missed cell
        cell = page.locator("a[href$='/scorecard/district/T2/2020-03/']")
        assert cell.inner_text().strip() == "16,67 %"
        cell.click()
        page.wait_for_url("**/scorecard/district/T2/2020-03/")
        rows = page.locator("main table tbody tr")
        assert rows.count() == 1
        assert "HPN-1" in rows.first.inner_text() and "6.000.000" in rows.first.inner_text()
        shot(page, f"scorecard-cell-t2-{name}")
        context.close()

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.base = live_server.url
    sign_in(page, "quanly")
    page.goto(page.base + "/grading-rules/new/?kind=group")
    page.fill("#id_effective_on", "01/03/2020")
    page.fill("#id_band-1", "80")  # Khá from 80 points (70 until now)
    shot(page, "grading-rules-new")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/grading-rules/")
    assert "Đã ghi quy tắc" in page.locator(".alert-success").inner_text()
    shot(page, "grading-rules-after")

    page.goto(page.base + "/groups/QH-01/?date=31/03/2020&month=2020-03")
    grades = page.locator("#grades")
    assert "75 điểm, Trung bình" in grades.inner_text()
    shot(page, "group-grades-march")
    page.goto(page.base + "/groups/QH-01/?date=31/03/2020&month=2020-02")
    assert "95 điểm, Tốt" in page.locator("#grades").inner_text()
    context.close()

    new_rules = GradingRules.objects.get(kind="group", effective_on="2020-03-01")
    after = GroupGrade.objects.get(month="2020-02", group=book.g1)
    assert (after.rules_id, after.points, after.grade) == (before.rules_id, before.points, before.grade)
    march = GroupGrade.objects.get(month="2020-03", group=book.g1)
    assert (march.rules_id, march.points, march.grade) == (new_rules.pk, 75, "Trung bình")
    assert store.differences({"2020-02", "2020-03", "2020Q1"}) == []
