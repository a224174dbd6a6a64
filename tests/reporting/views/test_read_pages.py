"""The browsing pages: figures at a date per role, scoping by association, query counts.

The portfolio and its hand-computed figures are in tests/support/fixtures.py.
"""

import re
from datetime import date
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from groups.services import member_register, membership_add
from lending.services import (
    interest_payment_post,
    loan_disburse,
    repayment_post,
    reversal_approve,
    reversal_request,
    savings_deposit,
)
from tests.support.fixtures import NGAY
from tests.support.pages import text_of

pytestmark = pytest.mark.django_db


def cells(response, label: str, after: str = "") -> list[str]:
    """The cells of the first table row whose text contains `label` (after the marker `after`)."""
    html = response.content.decode()
    html = html[html.index(after) :] if after else html
    for row in re.findall(r"<tr\b.*?</tr>", html, flags=re.S):
        texts = [
            re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", c))).strip()
            for c in re.findall(r"<t[hd]\b.*?</t[hd]>", row, flags=re.S)
        ]
        if any(label in t for t in texts):
            return texts
    raise AssertionError(f"no row with {label!r}")


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response


# -- home ----------------------------------------------------------------------------------
HOME_HEAD = ["Dư nợ", "Tăng, giảm so đầu năm", "Nợ quá hạn", "Tỷ lệ NQH", "Nợ khoanh", "Lãi tồn đọng", "Tiết kiệm"]


@pytest.mark.parametrize("role", ["staff", "manager"])
def test_home_shows_the_office_by_association(book, as_user, role):
    page = get(as_user(role), "/" + NGAY)
    text = text_of(page)
    assert "Số liệu cuối ngày 31/03/2020" in text
    # Cards: the whole office.
    assert "Dư nợ (đồng) 66.000.000 4 món vay · 4 hộ còn dư nợ" in text
    assert "Nợ quá hạn (đồng) 6.000.000 Tỷ lệ nợ quá hạn 9,09 %" in text
    assert "Lãi tồn đọng (đồng) 396.000" in text
    assert "Tiền gửi tiết kiệm (đồng) 700.000 3 tổ TK&VV · 3 tổ viên" in text
    # name, outstanding, change since 31/12/2019, overdue, ratio, frozen, arrears, savings, groups, borrowers
    assert cells(page, "Hội Nông dân") == [
        "Hội Nông dân",
        "12.000.000",
        "12.000.000",
        "0",
        "0,00 %",
        "0",
        "63.800",
        "500.000",
        "1",
        "1",
    ]
    assert cells(page, "Hội Liên hiệp Phụ nữ") == [
        "Hội Liên hiệp Phụ nữ",
        "24.000.000",
        "24.000.000",
        "6.000.000",
        "25,00 %",
        "0",
        "172.700",
        "200.000",
        "2",
        "2",
    ]
    assert cells(page, "Hội Cựu chiến binh")[1:5] == ["0", "0", "0", "—"]
    assert cells(page, "Cho vay trực tiếp")[1:8] == ["30.000.000", "30.000.000", "0", "0,00 %", "0", "159.500", "0"]
    assert cells(page, "Toàn phòng giao dịch")[1:8] == [
        "66.000.000",
        "66.000.000",
        "6.000.000",
        "9,09 %",
        "0",
        "396.000",
        "700.000",
    ]


def test_home_of_an_association_officer_shows_its_communes_only(book, as_user):
    page = get(as_user("officer_hpn"), "/" + NGAY)
    text = text_of(page)
    assert "Hội Liên hiệp Phụ nữ: dư nợ ủy thác" in text
    assert "Dư nợ (đồng) 24.000.000 2 món vay · 2 hộ còn dư nợ" in text
    assert "Nợ quá hạn (đồng) 6.000.000 Tỷ lệ nợ quá hạn 25,00 %" in text
    assert "Lãi tồn đọng (đồng) 172.700" in text
    assert "Tiền gửi tiết kiệm (đồng) 200.000" in text
    assert cells(page, "Quán Hàu")[1:8] == ["6.000.000", "6.000.000", "6.000.000", "100,00 %", "0", "77.000", "200.000"]
    assert cells(page, "Vạn Ninh")[1:8] == ["18.000.000", "18.000.000", "0", "0,00 %", "0", "95.700", "0"]
    assert cells(page, "Toàn hội")[1] == "24.000.000"
    # Neither the other association nor the direct loans.
    assert "Hội Nông dân" not in text
    assert "12.000.000" not in text and "30.000.000" not in text and "66.000.000" not in text


def test_home_of_the_other_association(book, as_user):
    page = get(as_user("officer_hnd"), "/" + NGAY)
    assert "Dư nợ (đồng) 12.000.000" in text_of(page)
    assert cells(page, "Quán Hàu")[1:8] == ["12.000.000", "12.000.000", "0", "0,00 %", "0", "63.800", "500.000"]
    assert cells(page, "Vạn Ninh")[1] == "0"


def test_home_of_a_commune_officer_shows_one_commune(book, as_user):
    page = get(as_user("commune_officer"), "/" + NGAY)
    text = text_of(page)
    assert "Hội Liên hiệp Phụ nữ – Xã Vạn Ninh" in text
    assert "Dư nợ (đồng) 18.000.000 1 món vay · 1 hộ còn dư nợ" in text
    assert "Lãi tồn đọng (đồng) 95.700" in text
    assert cells(page, "Vạn Ninh")[1] == "18.000.000"
    assert "Quán Hàu" not in text and "24.000.000" not in text and "Toàn hội" not in text


def test_home_at_another_date_and_a_bad_date(book, as_user):
    client = as_user("staff")
    # 15/01/2020: HND-1, HPN-1 and TT-1 are out (not yet HPN-2, 28/01); no bill before the 20th.
    text = text_of(get(client, "/?date=15/01/2020"))
    assert "Dư nợ (đồng) 48.000.000" in text
    assert "Lãi tồn đọng (đồng) 0" in text
    # A date that is not dd/mm/yyyy falls back to today: the page still renders.
    assert get(client, "/?date=2020-13-45").status_code == 200


# -- communes ------------------------------------------------------------------------------
def test_commune_list_for_staff_and_officers(book, as_user):
    page = get(as_user("staff"), "/communes/" + NGAY)
    # name, transaction day, outstanding, change, overdue, ratio, frozen, arrears, savings
    assert cells(page, "Quán Hàu")[:10] == [
        "Xã Quán Hàu",
        "20",
        "48.000.000",
        "48.000.000",
        "6.000.000",
        "12,50 %",
        "0",
        "300.300",
        "700.000",
        "2",
    ]
    assert cells(page, "Vạn Ninh")[2] == "18.000.000"
    assert cells(page, "Tổng cộng")[2] == "66.000.000"
    assert 'href="/communes/QH/?date=31/03/2020"' in page.content.decode()

    page = get(as_user("officer_hpn"), "/communes/" + NGAY)
    assert cells(page, "Quán Hàu")[2] == "6.000.000"
    assert cells(page, "Tổng cộng")[2] == "24.000.000"

    page = get(as_user("commune_officer"), "/communes/" + NGAY)
    assert cells(page, "Vạn Ninh")[2] == "18.000.000"
    assert "Quán Hàu" not in text_of(page)


def test_commune_detail_lists_its_groups_with_their_figures(book, as_user):
    page = get(as_user("staff"), "/communes/QH/" + NGAY)
    text = text_of(page)
    assert "Dư nợ (đồng) 48.000.000" in text
    # code, name, village, association, members, borrowers, outstanding, overdue, ratio, arrears, savings
    assert cells(page, "QH-01") == [
        "QH-01",
        "Tổ thôn Quán Hàu",
        "Thôn 1",
        "Hội ND",
        "1",
        "1",
        "12.000.000",
        "0",
        "0,00 %",
        "63.800",
        "500.000",
    ]
    assert cells(page, "QH-02") == [
        "QH-02",
        "Tổ thôn Tân Mỹ",
        "Thôn 1",
        "Hội PN",
        "1",
        "1",
        "6.000.000",
        "6.000.000",
        "100,00 %",
        "77.000",
        "200.000",
    ]
    assert cells(page, "Ngoài tổ")[5:] == ["30.000.000", "0", "0,00 %", "159.500", "0"]
    assert cells(page, "Toàn xã")[3:] == ["2", "3", "48.000.000", "6.000.000", "12,50 %", "300.300", "700.000"]
    assert "VN-01" not in text
    assert 'href="/groups/QH-01/?date=31/03/2020"' in page.content.decode()


def test_commune_detail_of_an_officer_lists_only_their_groups(book, as_user):
    page = get(as_user("officer_hpn"), "/communes/QH/" + NGAY)
    text = text_of(page)
    assert "QH-02" in text and "QH-01" not in text
    assert "Ngoài tổ" not in text and "30.000.000" not in text
    assert cells(page, "Cộng (dư nợ ủy thác qua hội)")[5] == "6.000.000"
    # A commune-level officer sees their commune only.
    get(as_user("commune_officer"), "/communes/QH/" + NGAY, status=404)
    assert "VN-01" in text_of(get(as_user("commune_officer"), "/communes/VN/" + NGAY))
    get(as_user("staff"), "/communes/XX/", status=404)


# -- groups, members, loans --------------------------------------------------------------------
def test_group_detail_lists_the_members_at_the_date(book, as_user, staff):
    page = get(as_user("staff"), "/groups/QH-02/" + NGAY)
    text = text_of(page)
    assert "Hội Liên hiệp Phụ nữ quản lý" in text
    # name, national ID, joined, loans, outstanding, overdue, arrears, savings
    assert cells(page, "Trần Thị Bình") == [
        "Trần Thị Bình",
        "044000000002",
        "01/01/2016",
        "1",
        "6.000.000",
        "6.000.000",
        "77.000",
        "200.000",
    ]
    assert cells(page, "Cộng")[3:] == ["1", "6.000.000", "6.000.000", "77.000", "200.000"]
    assert 'href="/members/044000000002/?date=31/03/2020"' in page.content.decode()
    # Association history and meetings.
    assert "Hội Liên hiệp Phụ nữ từ 01/01/2015" in text
    assert "Chưa ghi buổi họp nào." in text


def test_group_detail_follows_the_date_of_membership(book, as_user, staff):
    # Bình moves to QH-01 on 16/03/2020 (she has an entrusted loan: she may not leave her
    # last group): in QH-02 on 15/03, not on 16/03.
    from groups.services import member_move

    member_move(member=book.binh, group=book.g1, moved_on=date(2020, 3, 16), acting_user=staff)
    client = as_user("staff")
    assert "Trần Thị Bình" in text_of(get(client, "/groups/QH-02/?date=15/03/2020"))
    assert "Trần Thị Bình" not in text_of(get(client, "/groups/QH-02/?date=16/03/2020"))


def test_member_detail_shows_loans_memberships_and_savings(book, as_user):
    page = get(as_user("staff"), "/members/044000000002/" + NGAY)
    text = text_of(page)
    assert "Trần Thị Bình" in text and "Tổ viên tổ QH-02 Tổ thôn Tân Mỹ tại ngày 31/03/2020" in text
    # loan, program, channel, disbursed, amount, outstanding, overdue, frozen, maturity, arrears
    assert cells(page, "HPN-1") == [
        "HPN-1",
        "Cho vay hộ nghèo",
        "Ủy thác qua tổ chức hội",
        "10/01/2020",
        "6.000.000",
        "6.000.000",
        "6.000.000",
        "0",
        "20/03/2020",
        "77.000",
    ]
    assert cells(page, "QH-02 Tổ thôn Tân Mỹ") == ["QH-02 Tổ thôn Tân Mỹ", "01/01/2016", "nay"]
    assert "Số dư tại ngày 31/03/2020: 200.000 đồng" in text
    assert cells(page, "20/03/2020", after='<h2 class="h6 mb-0">Tiết kiệm')[:3] == [
        "20/03/2020",
        "Rút tiết kiệm",
        "100.000",
    ]
    assert 'href="/loans/HPN-1/?date=31/03/2020"' in page.content.decode()


def test_member_detail_of_a_direct_borrower_is_for_staff_only(book, as_user):
    page = get(as_user("manager"), "/members/044000000004/" + NGAY)
    assert cells(page, "TT-1")[2] == "Cho vay trực tiếp"
    assert "Không thuộc tổ nào tại ngày 31/03/2020" in text_of(page)
    for role in ("officer_hnd", "officer_hpn", "commune_officer"):
        get(as_user(role), "/members/044000000004/" + NGAY, status=404)


def test_loan_detail_shows_the_position_schedule_and_ledger(book, as_user, staff, manager2):
    # A repayment posted by mistake and reversed (maker-checker) counts as never posted.
    wrong = repayment_post(loan=book.hnd1, amount=2_000_000, value_date=date(2020, 3, 20), acting_user=staff)
    reversal_approve(
        request=reversal_request(transaction=wrong, reason="Nhầm món vay", acting_user=staff), acting_user=manager2
    )
    page = get(as_user("staff"), "/loans/HND-1/" + NGAY)
    text = text_of(page)
    assert "Khế ước HND-1" in text
    assert "Dư nợ (đồng) 12.000.000 trong hạn 12.000.000" in text
    assert "Nợ quá hạn (đồng) 0" in text
    assert "Hạn trả cuối cùng 30/06/2020" in text
    assert "Lãi tồn đọng (đồng) 63.800" in text
    assert cells(page, "Thu lãi")[:3] == ["20/02/2020", "Thu lãi", "90.200"]
    original = cells(page, "Thu nợ gốc")
    assert original[:3] == ["20/03/2020", "Thu nợ gốc", "2.000.000"] and "Đã hủy" in original[-1]
    assert "Bút toán hủy giao dịch ngày 20/03/2020" in text
    # The schedule and the bills.
    assert cells(page, "30/06/2020")[:3] == ["30/06/2020", "30/06/2020", "12.000.000"]
    bills = [cells(page, day, after='id="tab-bills"') for day in ("20/01/2020", "20/03/2020")]
    assert bills[0][:4] == ["20/01/2020", "10/01/2020", "22.000", "0"]
    assert bills[1][:4] == ["20/03/2020", "20/02/2020", "63.800", "0"]
    # The action links of the lending pages, by loan number.
    html = page.content.decode()
    assert 'href="/loans/HND-1/post/"' in html
    assert "?loan_txn=" in html


def test_loan_detail_of_an_overdue_loan_and_interest_credit(book, as_user, staff):
    page = get(as_user("officer_hpn"), "/loans/HPN-1/" + NGAY)
    text = text_of(page)
    assert "Dư nợ (đồng) 6.000.000 trong hạn 0" in text
    assert "Nợ quá hạn (đồng) 6.000.000" in text
    assert "Lãi tồn đọng (đồng) 77.000" in text
    # Officers read, they do not post.
    assert "/post/" not in page.content.decode() and "Đề nghị hủy" not in text
    # 100.000 paid beyond the bills is interest credit.
    interest_payment_post(loan=book.hpn1, amount=177_000, value_date=date(2020, 3, 25), acting_user=staff)
    assert "Lãi trả trước (đồng) 100.000" in text_of(get(as_user("staff"), "/loans/HPN-1/" + NGAY))


def test_loan_detail_with_an_extension(book, as_user, staff):
    from lending.services import loan_extend

    loan_extend(
        loan=book.hpn1,
        due_on=date(2020, 3, 20),
        new_due_on=date(2020, 9, 20),
        decided_on=date(2020, 3, 18),
        acting_user=staff,
    )
    page = get(as_user("staff"), "/loans/HPN-1/" + NGAY)
    text = text_of(page)
    assert "Nợ quá hạn (đồng) 0" in text and "Hạn trả cuối cùng 20/09/2020" in text
    assert cells(page, "20/09/2020")[:3] == ["20/09/2020", "20/03/2020", "6.000.000"]
    assert "Đã gia hạn" in text
    assert cells(page, "18/03/2020") == ["20/03/2020", "20/09/2020", "18/03/2020"]
    # Before the decision, the contract schedule holds.
    assert "Hạn trả cuối cùng 20/03/2020" in text_of(get(as_user("staff"), "/loans/HPN-1/?date=17/03/2020"))


# -- scoping ------------------------------------------------------------------------------------
OTHERS = {
    # role: (addresses outside their scope, addresses inside it)
    "officer_hnd": (
        ["/groups/QH-02/", "/groups/VN-01/", "/members/044000000002/", "/loans/HPN-1/", "/loans/TT-1/"],
        ["/groups/QH-01/", "/members/044000000001/", "/loans/HND-1/", "/communes/QH/", "/communes/VN/"],
    ),
    "officer_hpn": (
        ["/groups/QH-01/", "/members/044000000001/", "/loans/HND-1/", "/loans/TT-1/", "/members/044000000004/"],
        ["/groups/QH-02/", "/groups/VN-01/", "/members/044000000003/", "/loans/HPN-2/"],
    ),
    "commune_officer": (
        ["/communes/QH/", "/groups/QH-02/", "/members/044000000002/", "/loans/HPN-1/", "/groups/QH-01/"],
        ["/communes/VN/", "/groups/VN-01/", "/members/044000000003/", "/loans/HPN-2/"],
    ),
    "staff": ([], ["/groups/QH-01/", "/groups/VN-01/", "/members/044000000004/", "/loans/TT-1/"]),
}


@pytest.mark.parametrize("role", OTHERS)
def test_officers_get_404_outside_their_association(book, as_user, role):
    client = as_user(role)
    outside, inside = OTHERS[role]
    for url in outside:
        get(client, url + NGAY, status=404)
    for url in inside:
        get(client, url + NGAY, status=200)


def test_a_transferred_group_follows_its_association_at_the_date(book, as_user, staff, hpn):
    from groups.services import group_transfer

    group_transfer(group=book.g1, association=hpn, effective_on=date(2020, 3, 1), acting_user=staff)
    get(as_user("officer_hnd"), "/groups/QH-01/?date=29/02/2020")
    get(as_user("officer_hnd"), "/groups/QH-01/" + NGAY, status=404)
    page = get(as_user("officer_hpn"), "/groups/QH-01/" + NGAY)
    assert "Hội Nông dân từ 01/01/2015" in text_of(page) and "Hội Liên hiệp Phụ nữ từ 01/03/2020" in text_of(page)
    assert cells(get(as_user("officer_hpn"), "/" + NGAY), "Quán Hàu")[1] == "18.000.000"


# -- search -------------------------------------------------------------------------------------
def test_search_by_name_national_id_and_loan_number(book, as_user):
    client = as_user("staff")
    text = text_of(get(client, "/search/?q=Văn"))
    assert "Nguyễn Văn An" in text and "Phạm Văn Dũng" in text and "Trần Thị Bình" not in text
    # Case-insensitive, Vietnamese capitals included.
    assert "Lê Thị Cúc" in text_of(get(client, "/search/?q=lê thị"))
    # One exact hit on a national ID or a loan number opens it.
    response = client.get("/search/?q=044000000002")
    assert response.status_code == 302 and response.url == "/members/044000000002/"
    response = client.get("/search/?q=HPN-1" + NGAY.replace("?", "&"))
    assert response.status_code == 302 and response.url == "/loans/HPN-1/?date=31/03/2020"
    # Partial loan numbers and group codes list.
    text = text_of(get(client, "/search/?q=HPN"))
    assert "HPN-1" in text and "HPN-2" in text
    assert "QH-01" in text_of(get(client, "/search/?q=qh-0"))
    assert "Không tìm thấy kết quả nào cho “xyz”." in text_of(get(client, "/search/?q=xyz"))
    assert "Nhập ít nhất 2 ký tự." in text_of(get(client, "/search/?q=x"))


def test_search_is_scoped(book, as_user):
    client = as_user("officer_hpn")
    text = text_of(get(client, "/search/?q=Văn"))
    assert "Nguyễn Văn An" not in text and "Phạm Văn Dũng" not in text
    assert "Không tìm thấy" in text
    # No redirect to what the officer may not see.
    assert client.get("/search/?q=044000000001").status_code == 200
    for other in ("HND-1", "TT-1"):
        response = get(client, f"/search/?q={other}")
        assert "Không tìm thấy kết quả nào" in text_of(response) and f"/loans/{other}/" not in response.content.decode()
    assert client.get("/search/?q=044000000003").url == "/members/044000000003/"
    assert "QH-02" in text_of(get(client, "/search/?q=QH")) and "QH-01" not in text_of(get(client, "/search/?q=QH"))


# -- access -------------------------------------------------------------------------------------
def test_pages_need_sign_in(book, client):
    for url in ("/", "/communes/", "/groups/QH-01/", "/loans/HND-1/", "/search/?q=An"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_user_without_a_role_is_refused(book, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("no-role", password="x-secret-1"))
    assert client.get("/").status_code == 403
    assert client.get("/groups/QH-01/").status_code == 403


# -- query counts ------------------------------------------------------------------------------
# The most queries each page may run, for every role; the same with 2 or 10 of everything
# (a live statement's figures also read the book's state first: reporting/cache.py).
PINNED = {
    "/": 9,
    "/communes/": 8,
    "/communes/QH/": 9,
    "/groups/QH-01/": 12,  # with its grades (emulation)
    "/members/044000000001/": 10,
    "/loans/HND-1/": 14,
    "/search/?q=Nguyễn": 8,
    "/search/?q=HND-1": 5,
}


def grow(book, staff, poor, n: int, start: int):
    """n more of everything: members with loans and savings in QH-01, loans and savings of
    An, interest payments on HND-1."""
    for i in range(start, start + n):
        member = member_register(
            national_id=f"0440000001{i:02d}", full_name=f"Nguyễn Thị Thêm {i}", commune=book.quan_hau, acting_user=staff
        )
        membership_add(member=member, group=book.g1, joined_on=date(2016, 1, 1), acting_user=staff)
        for owner, loan_no in ((member, f"X-{i}"), (book.an, f"HND-1-{i}")):
            loan_disburse(
                loan_no=loan_no,
                member=owner,
                program=poor,
                amount=1_000_000,
                disbursed_on=date(2020, 1, 10),
                installments=[(date(2021, 1, 10), 1_000_000)],
                acting_user=staff,
            )
        savings_deposit(member=member, amount=10_000, value_date=date(2020, 1, 20), acting_user=staff)
        savings_deposit(member=book.an, amount=10_000, value_date=date(2020, 1, 21 + i % 5), acting_user=staff)
        interest_payment_post(loan=book.hnd1, amount=1_000, value_date=date(2020, 3, 1 + i), acting_user=staff)


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code in (200, 302)
    return len(captured.captured_queries)


@pytest.mark.parametrize("role", ["staff", "officer_hnd"])
def test_query_counts_are_pinned_and_do_not_grow(book, as_user, staff, poor, role, django_assert_max_num_queries):
    client = as_user(role)
    grow(book, staff, poor, 2, 0)
    small = {}
    for url, most in PINNED.items():
        full = url + ("&" if "?" in url else "?") + NGAY[1:]
        with django_assert_max_num_queries(most):
            small[url] = queries(client, full)
    grow(book, staff, poor, 8, 2)
    for url, most in PINNED.items():
        full = url + ("&" if "?" in url else "?") + NGAY[1:]
        with django_assert_max_num_queries(most):
            assert queries(client, full) == small[url], url
    assert "Nguyễn Thị Thêm 9" in text_of(client.get("/groups/QH-01/" + NGAY))
