"""An association officer in the browser sees their association's book and nothing else.

The portfolio of tests/browser/portfolio.py at 31/03/2020, as the Women's Union (HPN)
officer sees it: HPN-1 (Quán Hàu, 6.000.000, all overdue since 20/03, interest arrears
77.000) and HPN-2 (Vạn Ninh, 18.000.000, arrears 95.700); Bình's 300.000 of savings. The
Farmers' (HND) group QH-01, its member An and loan HND-1 (12.000.000, savings 500.000)
are another association's: not shown, not found, not searchable.
"""

import re

import pytest

from . import portfolio
from .conftest import cells, shot, sign_in

NGAY = "?date=31/03/2020"
HND_TRACES = ("Nguyễn Văn An", "QH-01", "HND-1", "12.000.000", "36.000.000", "500.000", "800.000")


def _table(page, selector="main table") -> list[list[str]]:
    return [cells(r, "th, td") for r in page.locator(f"{selector} tbody tr").all()]


def _cards(page) -> dict[str, str]:
    """The figure cards of the page: label → value."""
    cards = page.locator(".figure-card")
    return {
        cards.nth(i).locator(".label").inner_text().strip(): cards.nth(i).locator(".value").inner_text().strip()
        for i in range(cards.count())
    }


def _nothing_of_hnd(page):
    text = page.locator("main").inner_text()
    for trace in HND_TRACES:
        assert trace not in text, trace


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_officer_sees_nothing_of_another_association(page):
    people = portfolio.users()
    portfolio.build(people["staff"])
    sign_in(page, "hpn")

    # -- the home page: their association's figures, by commune ----------------------------
    page.goto(page.base + "/" + NGAY)
    assert page.locator("h1").inner_text() == "Hội Liên hiệp Phụ nữ: dư nợ ủy thác"
    assert _cards(page) == {
        "Dư nợ (đồng)": "24.000.000",
        "Nợ quá hạn (đồng)": "6.000.000",
        "Lãi tồn đọng (đồng)": "172.700",
        "Tiền gửi tiết kiệm (đồng)": "300.000",
    }
    assert "Tỷ lệ nợ quá hạn 25,00 %" in page.locator("main").inner_text()
    assert "2 tổ TK&VV · 2 tổ viên" in page.locator("main").inner_text()
    head = ["Dư nợ", "Tăng, giảm so đầu năm", "Nợ quá hạn", "Tỷ lệ NQH", "Nợ khoanh", "Lãi tồn đọng", "Tiết kiệm"]
    assert cells(page.locator("main table thead tr"), "th, td")[1:8] == head
    assert [row[:8] for row in _table(page)] == [
        ["Xã Quán Hàu", "6.000.000", "6.000.000", "6.000.000", "100,00 %", "0", "77.000", "300.000"],
        ["Xã Vạn Ninh", "18.000.000", "18.000.000", "0", "0,00 %", "0", "95.700", "0"],
        ["Toàn hội", "24.000.000", "24.000.000", "6.000.000", "25,00 %", "0", "172.700", "300.000"],
    ]
    _nothing_of_hnd(page)
    # No posting menu for an officer; the commune transaction day is there to read and print.
    assert page.locator("nav a", has_text="Nghiệp vụ").count() == 0
    shot(page, "officer-home")

    # -- the commune list and a commune: only their groups ---------------------------------
    page.locator("nav a", has_text="Xã, tổ, hộ vay").click()
    page.wait_for_url(re.compile(r".*/communes/$"))
    page.fill("#id_date", "31/03/2020")
    page.locator("#id_date").press("Enter")
    page.wait_for_url(re.compile(r".*/communes/\?date=31%2F03%2F2020$"))
    assert [row[:4] for row in _table(page)] == [
        ["Xã Quán Hàu", "20", "6.000.000", "6.000.000"],
        ["Xã Vạn Ninh", "28", "18.000.000", "18.000.000"],
        ["Tổng cộng", "", "24.000.000", "24.000.000"],
    ]
    _nothing_of_hnd(page)
    page.locator("main table a", has_text="Xã Quán Hàu").click()
    page.wait_for_url(re.compile(r".*/communes/QH/\?date=31/03/2020$"))
    groups = _table(page)
    assert [row[:4] for row in groups[:-1]] == [["QH-02", "Tổ thôn Tân Mỹ", "Thôn Tân Mỹ", "Hội PN"]]
    _nothing_of_hnd(page)

    # -- search: another association's member, loan or group is not found --------------------
    for text in ("Nguyễn Văn An", "044000000001", "HND-1", "QH-01", "Tổ thôn Quán Hàu"):
        page.fill("nav input[name=q]", text)
        page.locator("nav input[name=q]").press("Enter")
        page.wait_for_url(re.compile(r".*/search/\?q=.*"))
        assert page.locator("main p").inner_text() == f"Không tìm thấy kết quả nào cho “{text}”."
    # Their own member is found (the search itself works).
    page.fill("nav input[name=q]", "Bình")
    page.locator("nav input[name=q]").press("Enter")
    page.wait_for_url(re.compile(r".*/search/\?q=.*"))
    assert page.locator("main .list-group-item").all_inner_texts() == ["Trần Thị Bình 044000000002\nQuán Hàu"]

    # -- typed addresses of another association's group, member, loan: the 404 page ----------
    for path in ("/groups/QH-01/", "/members/044000000001/", "/loans/HND-1/", f"/loans/HND-1/{NGAY}"):
        response = page.goto(page.base + path)
        assert response.status == 404, path
        assert page.locator("h1").inner_text() == "Không tìm thấy trang"
        _nothing_of_hnd(page)
    shot(page, "officer-404")
    # Their own loan opens, without any posting button.
    page.goto(page.base + "/loans/HPN-1/" + NGAY)
    assert _cards(page)["Nợ quá hạn (đồng)"] == "6.000.000"
    assert page.locator("main a", has_text="Thu nợ, thu lãi").count() == 0
    assert page.locator("main a", has_text="Đề nghị hủy").count() == 0

    # -- posting pages are refused ---------------------------------------------------------
    refused = "Chỉ cán bộ tín dụng và lãnh đạo phòng giao dịch được ghi sổ."
    for path, message in (
        ("/loans/new/", refused),
        ("/loans/HPN-1/post/", refused),
        ("/members/044000000002/savings/", refused),
        ("/reversals/", refused),
        ("/periods/", refused),
        ("/import/", "Chỉ lãnh đạo phòng giao dịch được thực hiện thao tác này."),
    ):
        response = page.goto(page.base + path)
        assert response.status == 403, path
        assert page.locator("h1").inner_text() == "Không có quyền truy cập"
        assert page.locator("#error-page p").inner_text() == message
    shot(page, "officer-403")
    # Another association's loan is not found, even behind a posting page.
    assert page.goto(page.base + "/loans/HND-1/post/").status == 404
    # The commune's sheet is shown to read and print, with no input and no posting button.
    page.locator("nav a", has_text="Giao dịch xã").click()
    page.select_option("#commune", "QH")
    page.fill("#date", "20/03/2020")
    page.click("main form button[type=submit]")
    page.wait_for_url(page.base + "/transaction-day/QH/2020-03-20/")
    assert (
        "Chế độ xem: chỉ cán bộ tín dụng và lãnh đạo phòng giao dịch được ghi sổ." in page.locator("main").inner_text()
    )
    assert page.locator("main section h2").all_inner_texts() == ["Tổ QH-02 · Tổ thôn Tân Mỹ"]
    assert page.locator("main input.money").count() == 0
    assert page.locator("main button", has_text="Ghi sổ").count() == 0
    _nothing_of_hnd(page)
