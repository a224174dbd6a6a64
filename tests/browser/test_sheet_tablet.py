"""The transaction-day sheet on a 10-inch tablet (1280 × 800 landscape, 800 × 1280
portrait): a realistic group, many members with long Vietnamese names, several loans each
with overdue principal and prepaid interest, savings, fits the width without scrolling
sideways, and every field needed to post is there and can be typed into."""

import re
from datetime import date

import pytest

from groups.models import Association
from groups.services import commune_create
from lending.models import LoanProgram
from lending.services import interest_payment_post, savings_deposit
from tests.support.book import disburse, new_group, new_member
from tests.support.factories import UserFactory
from vbsp_district.models import Role

from .conftest import shot, sign_in

DAY = date(2020, 6, 20)
NAMES = [
    "Nguyễn Thị Thanh Hương",
    "Trần Văn Quang Trường",
    "Hoàng Thị Phương Nguyệt",
    "Phạm Nguyễn Khánh Huyền",
    "Lê Đặng Thị Ngọc Quỳnh",
    "Võ Trần Hoàng Phương Thảo",
]
TABLETS = {"landscape": (1280, 800), "portrait": (800, 1280)}

OVERFLOW = """() => {
  const wide = [];
  for (const el of document.querySelectorAll('main *')) {
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') {
      wide.push(el.tagName + '.' + el.className + ' ' + el.scrollWidth + '>' + el.clientWidth);
    }
  }
  return {page: document.documentElement.scrollWidth, inner: window.innerWidth, wide: wide};
}"""


def _the_group():
    staff = UserFactory(username="canbo", first_name="Nguyễn Thu Hà", role=Role.STAFF)
    commune = commune_create(code="QN15", name="Trường Xuân", transaction_day=20, acting_user=staff)
    group = new_group(
        "QN15-HPN-07",
        "Tổ TK&VV thôn Xuân Hồi Đông (Hội Liên hiệp Phụ nữ)",
        commune,
        Association.objects.get(code="HPN"),
        staff,
        village="Thôn Xuân Hồi Đông",
        leader_name="Nguyễn Thị Phương Thảo",
    )
    programs = [LoanProgram.objects.get(code=code) for code in ("01", "02", "03")]
    for n in range(30):
        name = f"{NAMES[n % len(NAMES)]} {n + 1:02d}"
        member = new_member(f"0440{n:08d}", commune, staff, group, full_name=name)
        savings_deposit(member=member, amount=1_250_000 + n * 10_000, value_date=date(2020, 1, 20), acting_user=staff)
        for k in range(1 + n % 3):
            loan = disburse(
                member,
                programs[k],
                staff,
                f"HSSV/2019/{n:03d}{k}",
                amount=100_000_000,
                disbursed_on=date(2019, 1, 10),
                installments=[(date(2020, 1, 10), 40_000_000), (date(2024, 1, 10), 60_000_000)],
            )
            if n % 4 == 0:
                interest_payment_post(loan=loan, amount=20_000_000, value_date=date(2020, 1, 20), acting_user=staff)
    return group


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_sheet_fits_a_ten_inch_tablet_both_ways(browser, live_server):
    group = _the_group()
    for orientation, (width, height) in TABLETS.items():
        context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN", has_touch=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base = live_server.url
        sign_in(page, "canbo")
        page.goto(page.base + f"/transaction-day/QN15/{DAY.isoformat()}/")
        card = page.locator(f"#to-{group.code}")
        assert card.locator("tbody tr").count() == 60  # 30 members, 1 to 3 loans each
        fits = page.evaluate(OVERFLOW)
        shot(page, f"sheet-tablet-{orientation}")
        assert fits["page"] <= fits["inner"] == width, (orientation, fits)
        assert fits["wide"] == [], (orientation, fits)
        # What posting needs is on the screen: each loan's principal and interest to
        # collect, each member's deposit and withdrawal, and the button; the figures to
        # collect against stay readable beside them.
        first = card.locator("tbody tr").first
        shown = re.sub(r"\s+", " ", first.inner_text())  # what is rendered, folded or not
        for figure in ("1", "0440", "HSSV/2019/0020", "100.000.000", "40.000.000", "quá hạn 40.000.000", "1.270.000"):
            assert figure in shown, (orientation, figure, shown)
        assert "trả trước" in card.inner_text()
        for field in first.locator("input.money").all():
            assert field.is_visible()
            box = field.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (orientation, box)
        assert first.locator("input.money").count() == 4
        name = card.locator("tbody td .fw-semibold").first
        assert name.is_visible() and name.inner_text() in (
            "Hoàng Thị Phương Nguyệt 03",
            "1. Hoàng Thị Phương Nguyệt 03",
        )
        # the largest amount a member brings shows whole in every input
        for field in first.locator("input.money").all():
            field.fill("100.000.000")
            assert field.evaluate("el => el.scrollWidth <= el.clientWidth"), (orientation, field.bounding_box())
        assert card.locator("button[type=submit]").is_visible()
        context.close()
