import re
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from openpyxl import Workbook, load_workbook

from groups.models import (
    Association,
    Commune,
    CommuneAssociation,
    CommuneTransactionDay,
    GroupAssignment,
    GroupMeeting,
    Member,
    Membership,
    NewsItem,
    SavingsGroup,
    Training,
)
from groups.services import (
    commune_create,
    commune_transaction_day_change,
    group_create,
    group_dissolve,
    group_transfer,
    meeting_record,
    member_move,
    member_register,
    membership_add,
    news_item_record,
    training_record,
)
from lending.models import (
    Extension,
    Freeze,
    Installment,
    InterestBill,
    Loan,
    LoanProgram,
    LoanTransaction,
    ProgramRate,
    SavingsTransaction,
)
from lending.selectors import loan_book, member_savings_balance
from lending.services import (
    freeze_end,
    interest_payment_post,
    loan_disburse,
    loan_extend,
    loan_freeze,
    loan_tranche_disburse,
    period_close,
    program_create,
    repayment_post,
    reversal_approve,
    reversal_request,
    savings_deposit,
    savings_withdraw,
    write_off_post,
)
from lending.services.batch import BatchRefused
from lending.workbook import WorkbookUnreadable, workbook_export, workbook_import, workbook_read, workbook_template
from reporting import store
from tests.support.book import loan_interest_balance
from tests.support.factories import UserFactory
from tests.support.workbooks import FORMAT, header, xlsx
from vbsp_district.models import Role


def sheet(name, *rows):
    return {name: [header(name), *rows]}


def portfolio():
    """A workbook with every sheet: two communes, three groups, four members, three loans."""
    nid1, nid2, nid3 = "044000000001", "044000000002", "044000000003"
    return {
        **sheet("Communes", ["C1", "An Ninh", "xa", 20], ["C2", "Quán Hàu", "thi_tran", 31]),
        **sheet("Programs", ["50", "Cho vay thử nghiệm", 5.5, 1.3, "installment"]),
        **sheet(
            "Groups",
            ["G1", "Tổ 1", "C1", "HND", "Thôn 1", "Lê Văn Bình", date(2015, 1, 1), None],
            ["G2", "Tổ 2", "C1", "HPN", "Thôn 2", None, date(2016, 1, 1), None],
            ["G3", "Tổ 3", "C2", "CCB", None, None, date(2016, 1, 1), date(2018, 12, 31)],
        ),
        **sheet("GroupTransfers", ["G2", date(2019, 6, 1), "DTN"]),
        **sheet(
            "Members",
            [nid1, "Lê Thị An", "nu", 1980, "C1", "Thôn 1", "hộ nghèo"],
            [nid2, "Trần Văn Cường", "nam", 1975, "C1", None, None],
            [nid3, "Phạm Thị Dung", None, None, "C2", None, None],
        ),
        **sheet(
            "Memberships",
            [nid1, "G1", date(2015, 1, 1), None],
            [nid2, "G3", date(2016, 1, 1), date(2018, 12, 31)],
            [nid2, "G2", date(2019, 1, 1), None],
        ),
        **sheet(
            "Loans",
            ["L1", nid1, "01", "entrusted", date(2020, 1, 10), 12_000_000, None, "Chăn nuôi bò"],
            ["L2", nid2, "50", "entrusted", date(2019, 3, 5), 10_000_000, None, None],
            ["L3", nid3, "03", "direct", date(2019, 6, 1), 30_000_000, 7.92, None],
        ),
        **sheet(
            "Installments",
            ["L1", date(2025, 1, 10), 12_000_000],
            ["L2", date(2020, 3, 5), 10_000_000],
            ["L2", date(2021, 3, 5), 10_000_000],
            ["L3", date(2020, 6, 1), 30_000_000],
        ),
        **sheet(
            "Transactions",
            ["L1", date(2020, 1, 20), "interest", 22_000, "PT-1"],
            ["L2", date(2019, 9, 5), "disbursement", 10_000_000, None],
            ["L2", date(2020, 3, 5), "principal", 10_000_000, "PT-2"],
            ["L3", date(2021, 3, 1), "principal_write_off", 5_000_000, None],
        ),
        **sheet("Extensions", ["L2", date(2021, 3, 5), date(2022, 3, 5), date(2021, 2, 20)]),
        **sheet("Freezes", ["L3", 10_000_000, date(2020, 9, 1), date(2021, 9, 1)]),
        **sheet(
            "Savings",
            [nid1, date(2020, 1, 20), "deposit", 500_000],
            [nid1, date(2020, 6, 20), "withdrawal", 200_000],
        ),
        **sheet("Meetings", ["G1", date(2020, 1, 16), 25]),
        **sheet("Trainings", [date(2020, 5, 10), "HND", "C1", "Ban quản lý tổ", 30, 35]),
        **sheet("NewsItems", [date(2020, 4, 2), "HPN", None, "district_portal", "Tín dụng chính sách tháng 4"]),
    }


@pytest.fixture
def book(db, tmp_path):
    """The portfolio above, imported."""
    workbook_import(xlsx(tmp_path / "book.xlsx", portfolio()), acting_user=None)


def table_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def refused_lines(path, **kwargs) -> list[str]:
    with pytest.raises(BatchRefused) as refused:
        workbook_import(path, acting_user=kwargs.get("acting_user"))
    return [str(issue) for issue in refused.value.issues]


# -- a valid workbook -------------------------------------------------------------------


@pytest.mark.django_db
def test_valid_workbook_with_every_sheet_imports(tmp_path, staff):
    counts = workbook_import(xlsx(tmp_path / "book.xlsx", portfolio()), acting_user=staff)
    assert counts == {
        "Communes": 2,
        "Programs": 1,
        "Groups": 3,
        "GroupTransfers": 1,
        "Members": 3,
        "Memberships": 3,
        "Loans": 3,
        "Installments": 4,
        "Transactions": 4,
        "Extensions": 1,
        "Freezes": 1,
        "Savings": 2,
        "Meetings": 1,
        "Trainings": 1,
        "NewsItems": 1,
    }
    c2 = Commune.objects.get(code="C2")
    assert (c2.name, c2.kind, c2.transaction_day) == ("Quán Hàu", "thi_tran", 31)
    assert CommuneAssociation.objects.filter(commune=c2).count() == 4
    program = LoanProgram.objects.get(code="50")
    assert (program.overdue_factor, program.overdue_rule) == (Decimal("1.30"), "installment")
    assert program.rates.get().annual_rate == Decimal("5.5")
    g2 = SavingsGroup.objects.get(code="G2")
    assert list(g2.assignments.values_list("effective_on", "association__code")) == [
        (date(2016, 1, 1), "HPN"),
        (date(2019, 6, 1), "DTN"),
    ]
    assert SavingsGroup.objects.get(code="G3").dissolved_on == date(2018, 12, 31)
    member = Member.objects.get(national_id="044000000001")
    assert (member.full_name, member.gender, member.birth_year, member.household_category) == (
        "Lê Thị An",
        "nu",
        1980,
        "hộ nghèo",
    )
    assert list(
        Membership.objects.filter(member__national_id="044000000002").values_list("group__code", "left_on")
    ) == [("G3", date(2018, 12, 31)), ("G2", None)]

    l1 = Loan.objects.get(loan_no="L1")
    assert (l1.annual_rate, l1.channel, l1.purpose, l1.recorded_by) == (
        Decimal("6.600"),
        "entrusted",
        "Chăn nuôi bò",
        staff,
    )
    assert list(InterestBill.objects.filter(loan=l1).values_list("billed_on", "amount")[:2]) == [
        (date(2020, 1, 20), 22_000),
        (date(2020, 2, 20), 68_200),
    ]
    assert loan_book(l1).position(date(2020, 6, 30)).outstanding == 12_000_000
    assert loan_interest_balance(l1, as_of=date(2020, 1, 20)) == 0
    assert loan_interest_balance(l1, as_of=date(2020, 2, 20)) == 68_200

    l2 = Loan.objects.get(loan_no="L2")
    assert l2.approved_amount == 20_000_000
    book2 = loan_book(l2)
    assert book2.position(date(2019, 12, 31)).outstanding == 20_000_000
    assert book2.position(date(2020, 3, 5)).outstanding == 10_000_000
    assert book2.position(date(2021, 3, 6)).overdue == 0  # extended to 05/03/2022
    assert book2.position(date(2022, 3, 6)).overdue == 10_000_000
    assert Extension.objects.get(loan=l2).installment.due_on == date(2021, 3, 5)

    l3 = Loan.objects.get(loan_no="L3")
    position = loan_book(l3).position(date(2020, 12, 31))
    assert (position.outstanding, position.frozen, position.overdue) == (30_000_000, 10_000_000, 20_000_000)
    assert loan_book(l3).position(date(2021, 9, 1)).frozen == 0
    assert loan_book(l3).position(date(2021, 3, 1)).outstanding == 25_000_000

    assert member_savings_balance(member, as_of=date(2020, 6, 30)) == 300_000
    assert GroupMeeting.objects.get().attendees == 25
    training = Training.objects.get()
    assert (training.association.code, training.commune.code, training.trainees, training.planned) == (
        "HND",
        "C1",
        30,
        35,
    )
    news = NewsItem.objects.get()
    assert (news.association.code, news.commune, news.channel) == ("HPN", None, "district_portal")


@pytest.mark.django_db
def test_dates_in_all_three_forms_and_amounts_as_text(tmp_path):
    path = xlsx(
        tmp_path / "forms.xlsx",
        {
            **sheet("Communes", ["C1", "An Ninh", "xa", "20"]),
            **sheet("Members", ["044000000001", "Lê Thị An", None, None, "C1", None, None]),
            **sheet(
                "Loans",
                ["L1", "044000000001", "01", "direct", date(2020, 1, 10), "12.000.000", "6,6", None],
                ["L2", "044000000001", "01", "direct", "10/01/2020", "1,500,000", None, None],
                ["L3", "044000000001", "01", "direct", "2020-01-10", " 1500000 ", "6.6", None],
            ),
            **sheet(
                "Installments",
                ["L1", "10/01/2025", 12_000_000],
                ["L2", datetime(2025, 1, 10), "1.500.000"],  # noqa: DTZ001 (an Excel cell has no time zone)
                ["L3", "2025-1-10", 1_500_000.0],
            ),
        },
    )
    rows = workbook_read(path)
    assert [r.data["disbursed_on"] for r in rows["Loans"]] == [date(2020, 1, 10)] * 3
    assert [r.data["amount"] for r in rows["Loans"]] == [12_000_000, 1_500_000, 1_500_000]
    assert [r.data.get("annual_rate") for r in rows["Loans"]] == [Decimal("6.6"), None, Decimal("6.6")]
    assert [r.data["due_on"] for r in rows["Installments"]] == [date(2025, 1, 10)] * 3
    assert [r.data["principal"] for r in rows["Installments"]] == [12_000_000, 1_500_000, 1_500_000]
    assert rows["Communes"][0].data["transaction_day"] == 20
    workbook_import(path, acting_user=None)
    assert list(Loan.objects.values_list("loan_no", "disbursed_on", "approved_amount", "annual_rate")) == [
        ("L1", date(2020, 1, 10), 12_000_000, Decimal("6.600")),
        ("L2", date(2020, 1, 10), 1_500_000, Decimal("6.600")),
        ("L3", date(2020, 1, 10), 1_500_000, Decimal("6.600")),
    ]


@pytest.mark.django_db
def test_description_row_blank_rows_case_and_spaces_in_keys(tmp_path):
    path = xlsx(
        tmp_path / "layout.xlsx",
        {
            " communes ": [
                [" Code", "NAME ", "Kind", "transaction_day"],
                ["# Mã xã", "# Tên xã", "# Loại", "# Ngày giao dịch"],
                [None, None, None, None],
                ["C1", "An Ninh", "XA", 20],
                [],
                ["  ", None],
                ["C2", "Quán Hàu", "xa", 20],
            ]
        },
    )
    rows = workbook_read(path)
    assert [(r.line, r.data) for r in rows["Communes"]] == [
        (4, {"code": "C1", "name": "An Ninh", "kind": "xa", "transaction_day": 20}),
        (7, {"code": "C2", "name": "Quán Hàu", "kind": "xa", "transaction_day": 20}),
    ]


@pytest.mark.django_db
def test_number_cells_for_ids_and_percent_formatted_rates(tmp_path):
    workbook = Workbook()
    ws = workbook.active
    ws.title = "Programs"
    ws.append(header("Programs"))
    ws.append(["51", "Cho vay A", 0.066, None, "maturity"])
    ws["C2"].number_format = "0.00%"
    ws.append([52, "Cho vay B", "7,92 %", "1,5", "maturity"])
    members = workbook.create_sheet("Members")
    members.append(header("Members"))
    members.append([144000000001, "Lê Thị An", None, 1980.0, "C1", None, None])
    members.append([194000001, "Trần Văn Cường", None, None, "C1", None, None])
    workbook.save(tmp_path / "numbers.xlsx")
    rows = workbook_read(tmp_path / "numbers.xlsx")
    assert [(r.data["code"], r.data["annual_rate"], r.data.get("overdue_factor")) for r in rows["Programs"]] == [
        ("51", Decimal("6.600"), None),
        ("52", Decimal("7.92"), Decimal("1.5")),
    ]
    assert [r.data["national_id"] for r in rows["Members"]] == ["144000000001", "194000001"]
    assert rows["Members"][0].data["birth_year"] == 1980


# -- refusals: every one the format lists, one bad row each ------------------------------

NID1 = "044000000001"
REFUSALS = {
    "unknown_column": (
        {"Communes": [["code", "name", "kind", "transaction_day", "foo"], ["C9", "Xã 9", "xa", 20, 1]]},
        "Communes!1 foo: Cột không có trong mẫu của trang Communes.",
    ),
    "missing_column": (
        {"Communes": [["code", "name", "kind"], ["C9", "Xã 9", "xa"]]},
        "Communes!1 transaction_day: Thiếu cột bắt buộc.",
    ),
    "unknown_sheet": (
        {"Loan": [["loan_no"], ["L9"]]},
        "Loan!1 sheet: Trang Loan không có trong mẫu; các trang: Communes, Programs, Groups, GroupTransfers, "
        "Members, Memberships, Loans, Installments, Transactions, Extensions, Freezes, Savings, Meetings, "
        "Trainings, NewsItems, CommuneTransactionDays.",
    ),
    "bad_date": (
        sheet("Transactions", ["L1", "31/02/2020", "interest", 68_200, None]),
        'Transactions!2 value_date: Ngày "31/02/2020" không hợp lệ; dùng ô ngày của Excel, dd/mm/yyyy hoặc yyyy-mm-dd.',
    ),
    "number_as_date": (
        sheet("Transactions", ["L1", 43881, "interest", 68_200, None]),
        'Transactions!2 value_date: Ngày "43881" không hợp lệ; dùng ô ngày của Excel, dd/mm/yyyy hoặc yyyy-mm-dd.',
    ),
    "decimal_amount": (
        sheet("Transactions", ["L1", date(2020, 2, 20), "interest", 1_500_000.5, None]),
        "Transactions!2 amount: Số tiền 1500000.5 có phần lẻ; phải là số nguyên đồng.",
    ),
    "decimal_amount_text": (
        sheet("Transactions", ["L1", date(2020, 2, 20), "interest", "1.500.000,5", None]),
        'Transactions!2 amount: Số tiền "1.500.000,5" có phần lẻ hoặc dấu phân cách sai; '
        "phải là số nguyên đồng, ví dụ 1500000 hoặc 1.500.000.",
    ),
    "negative_amount": (
        sheet("Transactions", ["L1", date(2020, 2, 20), "interest", -5, None]),
        "Transactions!2 amount: Số tiền phải là số nguyên dương (đồng).",
    ),
    "empty_required": (
        sheet("Transactions", ["L1", date(2020, 2, 20), None, 68_200, None]),
        "Transactions!2 kind: Bắt buộc phải có giá trị.",
    ),
    "not_an_integer": (
        sheet("Communes", ["C9", "Xã 9", "xa", "hai mươi"]),
        'Communes!2 transaction_day: Giá trị "hai mươi" không phải số nguyên.',
    ),
    "bad_choice": (
        sheet("Transactions", ["L1", date(2020, 2, 20), "lai", 68_200, None]),
        'Transactions!2 kind: Giá trị "lai" không hợp lệ; phải là disbursement, principal, interest, '
        "principal_write_off hoặc interest_write_off.",
    ),
    "national_id_number_lost_zero": (
        sheet("Members", [44000000009, "Lê Văn E", None, None, "C1", None, None]),
        "Members!2 national_id: Số CCCD/CMND 44000000009 phải gồm 9 hoặc 12 chữ số: ô kiểu số đã làm mất số 0 "
        "ở đầu; hãy định dạng cột là Text và nhập đủ các chữ số.",
    ),
    "too_long": (
        sheet("Transactions", ["L1", date(2020, 2, 20), "interest", 68_200, "R" * 65]),
        "Transactions!2 reference: Dài quá 64 ký tự.",
    ),
    "duplicate_commune": (
        sheet("Communes", ["C1", "An Ninh", "xa", 20]),
        "Communes!2 code: Mã xã C1 đã có trong hệ thống.",
    ),
    "duplicate_group": (
        sheet("Groups", ["G1", "Tổ 1", "C1", "HND", None, None, date(2015, 1, 1), None]),
        "Groups!2 code: Mã tổ G1 đã có trong hệ thống.",
    ),
    "duplicate_national_id": (
        sheet("Members", [NID1, "Lê Thị An", None, None, "C1", None, None]),
        f"Members!2 national_id: Số CCCD/CMND {NID1} đã có trong hệ thống.",
    ),
    "duplicate_loan_no": (
        {
            **sheet("Loans", ["L1", NID1, "01", "entrusted", date(2020, 1, 10), 1_000_000, None, None]),
            **sheet("Installments", ["L1", date(2021, 1, 10), 1_000_000]),
        },
        "Loans!2 loan_no: Số khế ước L1 đã có trong hệ thống.",
    ),
    "duplicate_reference": (
        sheet("Transactions", ["L1", date(2020, 2, 20), "interest", 68_200, "PT-1"]),
        "Transactions!2 reference: Số chứng từ PT-1 đã có cho khế ước L1.",
    ),
    "repayment_beyond_outstanding": (
        sheet("Transactions", ["L1", date(2020, 3, 1), "principal", 13_000_000, None]),
        "Transactions!2 amount: Số tiền trả gốc 13.000.000 đồng vượt dư nợ 12.000.000 đồng tại ngày 01/03/2020.",
    ),
    "withdrawal_beyond_savings": (
        sheet("Savings", [NID1, date(2020, 7, 1), "withdrawal", 400_000]),
        "Savings!2 amount: Số tiền rút 400.000 đồng vượt số dư tiết kiệm 300.000 đồng tại ngày 01/07/2020.",
    ),
    "transaction_before_disbursement": (
        sheet("Transactions", ["L1", date(2020, 1, 5), "interest", 10_000, None]),
        "Transactions!2 value_date: Ngày giao dịch 05/01/2020 trước ngày giải ngân (10/01/2020).",
    ),
    "installments_not_adding_up": (
        {
            **sheet("Loans", ["L9", NID1, "01", "entrusted", date(2020, 1, 10), 10_000_000, None, None]),
            **sheet("Installments", ["L9", date(2021, 1, 10), 9_000_000]),
        },
        "Loans!2 amount: Tổng các kỳ hạn trả nợ (9.000.000 đồng) phải bằng số tiền cho vay (10.000.000 đồng).",
    ),
    "approved_below_first_disbursement": (
        {
            **sheet("Loans", ["L9", NID1, "01", "entrusted", date(2020, 1, 10), 10_000_000, None, None, 8_000_000]),
            **sheet("Installments", ["L9", date(2021, 1, 10), 8_000_000]),
        },
        "Loans!2 approved_amount: Số tiền cho vay theo hợp đồng (8.000.000 đồng) nhỏ hơn số tiền đã giải ngân "
        "(10.000.000 đồng).",
    ),
    "approved_below_the_tranches": (
        {
            **sheet("Loans", ["L9", NID1, "01", "entrusted", date(2020, 1, 10), 10_000_000, None, None, 15_000_000]),
            **sheet("Installments", ["L9", date(2021, 1, 10), 15_000_000]),
            **sheet("Transactions", ["L9", date(2020, 2, 10), "disbursement", 10_000_000, None]),
        },
        "Loans!2 approved_amount: Số tiền cho vay theo hợp đồng (15.000.000 đồng) nhỏ hơn số tiền đã giải ngân "
        "(20.000.000 đồng).",
    ),
    "approved_not_whole": (
        {
            **sheet(
                "Loans", ["L9", NID1, "01", "entrusted", date(2020, 1, 10), 10_000_000, None, None, "15.000.000,5"]
            ),
            **sheet("Installments", ["L9", date(2021, 1, 10), 10_000_000]),
        },
        'Loans!2 approved_amount: Số tiền "15.000.000,5" có phần lẻ hoặc dấu phân cách sai; '
        "phải là số nguyên đồng, ví dụ 1500000 hoặc 1.500.000.",
    ),
    "installments_not_adding_up_to_approved": (
        {
            **sheet("Loans", ["L9", NID1, "01", "entrusted", date(2020, 1, 10), 10_000_000, None, None, 15_000_000]),
            **sheet("Installments", ["L9", date(2021, 1, 10), 10_000_000]),
        },
        "Loans!2 approved_amount: Tổng các kỳ hạn trả nợ (10.000.000 đồng) phải bằng số tiền cho vay "
        "(15.000.000 đồng).",
    ),
    "entrusted_member_in_no_group": (
        {
            **sheet("Members", ["044000000009", "Lê Văn E", None, None, "C1", None, None]),
            **sheet("Memberships", ["044000000009", "G1", date(2020, 3, 1), None]),
            **sheet("Loans", ["L9", "044000000009", "01", "entrusted", date(2020, 2, 1), 5_000_000, None, None]),
            **sheet("Installments", ["L9", date(2021, 2, 1), 5_000_000]),
        },
        "Loans!2 national_id: Hộ vay Lê Văn E không thuộc tổ TK&VV nào vào ngày 01/02/2020; "
        "món vay ủy thác phải qua tổ.",
    ),
    "overlapping_memberships": (
        sheet("Memberships", [NID1, "G2", date(2019, 1, 1), None]),
        "Memberships!2 joined_on: Thời gian sinh hoạt tổ trùng với thời gian ở tổ G1 (từ 01/01/2015 đến nay).",
    ),
    "unknown_commune": (
        sheet("Groups", ["G9", "Tổ 9", "C9", "HND", None, None, date(2015, 1, 1), None]),
        "Groups!2 commune_code: Không tìm thấy xã C9.",
    ),
    "unknown_group": (
        sheet("Memberships", ["044000000003", "G9", date(2020, 1, 1), None]),
        "Memberships!2 group_code: Không tìm thấy tổ G9.",
    ),
    "unknown_loan": (
        sheet("Transactions", ["L9", date(2020, 2, 20), "interest", 68_200, None]),
        "Transactions!2 loan_no: Không tìm thấy khế ước L9.",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_each_refusal_lists_its_line_and_writes_nothing(book, tmp_path, case):
    sheets, expected = REFUSALS[case]
    before = table_counts()
    assert refused_lines(xlsx(tmp_path / f"{case}.xlsx", sheets)) == [expected]
    assert table_counts() == before


def test_an_entrusted_borrower_leaves_the_last_group_only_once_repaid(book, tmp_path):
    """The rule of the single services: a group on every disbursement day, and the last
    one left only once the entrusted loan is repaid (`groups.rules.check_last_leaving`)."""
    sheets = {
        **sheet("Members", ["044000000009", "Lê Văn E", None, None, "C1", None, None]),
        **sheet("Memberships", ["044000000009", "G1", date(2020, 1, 1), date(2020, 6, 30)]),
        **sheet("Loans", ["L9", "044000000009", "01", "entrusted", date(2020, 2, 1), 5_000_000, None, None]),
        **sheet("Installments", ["L9", date(2021, 2, 1), 5_000_000]),
    }
    [line] = refused_lines(xlsx(tmp_path / "left.xlsx", sheets))
    assert line == (
        "Memberships!2 left_on: Hộ vay Lê Văn E còn dư nợ món vay ủy thác L9 (dư nợ 5.000.000 đồng) sau ngày "
        "30/06/2020: không thể cho rời tổ cuối cùng; chuyển sang tổ khác hoặc thu hết nợ trước."
    )
    sheets |= sheet("Transactions", ["L9", date(2020, 6, 20), "principal", 5_000_000, None])
    workbook_import(xlsx(tmp_path / "repaid.xlsx", sheets), acting_user=None)
    assert Loan.objects.filter(loan_no="L9").exists()


def test_interest_on_a_settled_loan_is_refused_alike_on_both_paths(book, tmp_path, staff):
    """Paying a settled loan's interest beyond what it owes: the import and the single
    posting refuse it with the same message (one rule, `lending.rules`)."""
    day = date(2020, 3, 1)
    rows = sheet("Transactions", ["L1", day, "principal", 12_000_000, None], ["L1", day, "interest", 50_000_000, None])
    [line] = refused_lines(xlsx(tmp_path / "settled.xlsx", rows))
    assert line.startswith("Transactions!3 amount: Số tiền thu lãi của khế ước đã tất toán 50.000.000 đồng vượt")
    loan = Loan.objects.get(loan_no="L1")
    repayment_post(loan=loan, amount=12_000_000, value_date=day, acting_user=staff)
    with pytest.raises(ValidationError) as single:
        interest_payment_post(loan=loan, amount=50_000_000, value_date=day, acting_user=staff)
    assert single.value.message_dict == {"amount": [line.removeprefix("Transactions!3 amount: ")]}


def test_the_import_changes_no_closed_quarter(book, tmp_path, manager):
    """The rule of the single services (vbsp_district/core/closing.py), on every row."""
    period_close(year=2020, quarter=2, acting_user=manager)
    rows = {
        **sheet("Memberships", ["044000000003", "G2", date(2020, 3, 1), None]),
        **sheet("Transactions", ["L1", date(2020, 3, 20), "principal", 1_000_000, None]),
    }
    q2 = "quý 2/2020 đã khóa sổ (01/04/2020–30/06/2020)"
    assert refused_lines(xlsx(tmp_path / "closed.xlsx", rows)) == [
        f"Memberships!2 joined_on: Ngày vào tổ 01/03/2020 làm thay đổi số liệu {q2}; cần lãnh đạo mở lại quý này trước.",
        f"Transactions!2 value_date: Ngày giao dịch 20/03/2020 làm thay đổi số liệu {q2}; "
        "cần lãnh đạo mở lại quý này trước.",
    ]


@pytest.mark.django_db
def test_fifty_errors_are_all_listed(tmp_path):
    rows = [[NID1, f"{day}/13/2020", "deposit", 100_000] for day in range(1, 26)]
    rows += [[NID1, date(2020, 1, 1), "deposit", f"{n},5"] for n in range(25)]
    lines = refused_lines(xlsx(tmp_path / "fifty.xlsx", sheet("Savings", *rows)))
    assert len(lines) == 50
    assert lines[0] == (
        'Savings!2 value_date: Ngày "1/13/2020" không hợp lệ; dùng ô ngày của Excel, dd/mm/yyyy hoặc yyyy-mm-dd.'
    )
    assert lines[-1].startswith('Savings!51 amount: Số tiền "24,5" có phần lẻ')
    assert [int(re.match(r"Savings!(\d+) ", line).group(1)) for line in lines] == list(range(2, 52))


@pytest.mark.django_db
def test_every_cell_error_of_a_row_is_listed_in_column_order(tmp_path):
    path = xlsx(tmp_path / "row.xlsx", sheet("Loans", ["L9", "12345", "01", "trực tiếp", "hôm nay", "abc", "x", None]))
    assert refused_lines(path) == [
        "Loans!2 national_id: Số CCCD/CMND phải gồm 9 hoặc 12 chữ số.",
        'Loans!2 channel: Giá trị "trực tiếp" không hợp lệ; phải là entrusted hoặc direct.',
        'Loans!2 disbursed_on: Ngày "hôm nay" không hợp lệ; dùng ô ngày của Excel, dd/mm/yyyy hoặc yyyy-mm-dd.',
        'Loans!2 amount: Số tiền "abc" không hợp lệ; ví dụ 1500000 hoặc 1.500.000.',
        'Loans!2 annual_rate: Lãi suất "x" không hợp lệ; ghi số phần trăm mỗi năm, ví dụ 6,6.',
    ]


@pytest.mark.django_db
def test_data_in_a_column_without_a_name_is_an_error(tmp_path):
    path = xlsx(tmp_path / "unnamed.xlsx", {"Communes": [header("Communes"), ["C9", "Xã 9", "xa", 20, None, "?"]]})
    assert refused_lines(path) == ["Communes!2 F: Ô có dữ liệu nhưng cột không có tên ở dòng 1."]


@pytest.mark.django_db
def test_a_file_object_imports_like_a_path(tmp_path):
    """The browser hands the importer an uploaded file, not a path."""
    path = xlsx(tmp_path / "upload.xlsx", sheet("Communes", ["C1", "An Ninh", "xa", 20]))
    with open(path, "rb") as upload:
        assert workbook_import(BytesIO(upload.read()), acting_user=None) == {"Communes": 1}
    with pytest.raises(WorkbookUnreadable, match=r"^Không đọc được tệp: phải là tệp Excel .xlsx.$"):
        workbook_read(BytesIO(b"not a workbook"))


def test_unreadable_file(tmp_path):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0 not a zip")
    with pytest.raises(WorkbookUnreadable, match=r"^Không đọc được tệp old.xls: phải là tệp Excel .xlsx.$"):
        workbook_read(tmp_path / "old.xls")
    with pytest.raises(WorkbookUnreadable, match=r"^Không tìm thấy tệp none.xlsx.$"):
        workbook_read(tmp_path / "none.xlsx")


def loan_figures():
    days = [date(2020, 1, 20), date(2020, 6, 30), date(2021, 3, 6), date(2022, 12, 31)]
    return {
        loan.loan_no: (
            [loan_book(loan).position(d) for d in days],
            [loan_interest_balance(loan, as_of=d) for d in days],
            list(InterestBill.objects.filter(loan=loan).values_list("billed_on", "amount", "overdue_amount")),
        )
        for loan in Loan.objects.select_related("program", "member__commune")
    }


def test_refused_import_changes_nothing(book, tmp_path):
    before, figures = table_counts(), loan_figures()
    good_and_bad = {
        **sheet("Communes", ["C9", "Xã 9", "xa", 5]),
        **sheet("Members", ["044000000009", "Lê Văn E", None, None, "C9", None, None]),
        **sheet("Loans", ["L9", "044000000009", "01", "direct", date(2020, 1, 10), 5_000_000, None, None]),
        **sheet("Installments", ["L9", date(2021, 1, 10), 5_000_000]),
        **sheet(
            "Transactions",
            ["L1", date(2020, 2, 20), "interest", 68_200, None],
            ["L1", date(2020, 3, 20), "principal", 2_000_000, None],
            ["L2", date(2020, 2, 1), "principal", 10_000_001, None],
        ),
        **sheet("Savings", [NID1, date(2020, 7, 1), "deposit", 1_000_000]),
    }
    assert refused_lines(xlsx(tmp_path / "bad.xlsx", good_and_bad)) == [
        "Transactions!4 amount: Số tiền trả gốc 10.000.001 đồng vượt dư nợ 10.000.000 đồng tại ngày 05/03/2020 "
        "(sau ngày giao dịch 01/02/2020).",
    ]
    assert table_counts() == before
    assert loan_figures() == figures


def test_rows_refer_to_records_already_in_the_database(book, tmp_path, staff):
    """Postings on loans, members and groups imported before, the way a monthly file adds them."""
    repayment_post(
        loan=Loan.objects.get(loan_no="L1"), amount=1_000_000, value_date=date(2020, 4, 20), acting_user=staff
    )
    path = xlsx(
        tmp_path / "month.xlsx",
        {
            **sheet("GroupTransfers", ["G1", date(2020, 7, 1), "CCB"]),
            **sheet("Memberships", ["044000000003", "G1", date(2020, 1, 1), None]),
            **sheet(
                "Transactions",
                ["L1", date(2020, 2, 20), "interest", 68_200, "PT-3"],
                ["L1", date(2020, 5, 20), "principal", 1_000_000, None],
            ),
            **sheet("Extensions", ["L1", date(2025, 1, 10), date(2026, 1, 10), date(2020, 5, 20)]),
            **sheet("Savings", [NID1, date(2020, 7, 1), "withdrawal", 300_000]),
            **sheet("Meetings", ["G1", date(2020, 2, 16), None]),
        },
    )
    assert workbook_import(path, acting_user=staff) == {
        "GroupTransfers": 1,
        "Memberships": 1,
        "Transactions": 2,
        "Extensions": 1,
        "Savings": 1,
        "Meetings": 1,
    }
    l1 = Loan.objects.get(loan_no="L1")
    assert loan_book(l1).position(date(2020, 5, 20)).outstanding == 10_000_000
    assert loan_book(l1).position(date(2025, 6, 1)).overdue == 0
    assert loan_interest_balance(l1, as_of=date(2020, 2, 20)) == 0
    assert member_savings_balance(Member.objects.get(national_id=NID1), as_of=date(2020, 7, 1)) == 0


def test_a_file_of_repayments_only(book, tmp_path):
    """Only postings: the borrowers' memberships come from the database."""
    path = xlsx(
        tmp_path / "repayments.xlsx",
        sheet(
            "Transactions",
            ["L1", date(2020, 2, 20), "principal", 2_000_000, None],
            ["L2", date(2020, 4, 5), "interest", 10_000, None],
        ),
    )
    assert workbook_import(path, acting_user=None) == {"Transactions": 2}
    assert loan_book(Loan.objects.get(loan_no="L1")).position(date(2020, 2, 20)).outstanding == 10_000_000


def test_association_officers_may_not_import(book, tmp_path):
    officer = UserFactory(username="hoi", role=Role.OFFICER, role__association=Association.objects.get(code="HND"))
    path = xlsx(tmp_path / "one.xlsx", sheet("Communes", ["C9", "Xã 9", "xa", 5]))
    with pytest.raises(ValidationError, match="Bạn không có quyền ghi sổ giao dịch."):
        workbook_import(path, acting_user=officer)
    assert not Commune.objects.filter(code="C9").exists()


# -- the template -----------------------------------------------------------------------


def test_template_has_every_sheet_and_column_of_the_format(tmp_path):
    workbook_template(tmp_path / "mau.xlsx")
    workbook = load_workbook(tmp_path / "mau.xlsx")
    assert workbook.sheetnames == list(FORMAT)
    for name, ws in zip(FORMAT, workbook.worksheets, strict=True):
        keys = [cell.value for cell in ws[1]]
        assert keys == header(name)
        notes = [cell.value for cell in ws[2]]
        assert all(note.startswith("# ") for note in notes)
        assert ws.max_row == 2
        assert all(cell.font.b for cell in ws[1])
        assert ws.freeze_panes == "A3"
        for key, cell in zip(keys, ws[1], strict=True):
            optional = f"{key}?" in FORMAT[name].split()
            assert ("(không bắt buộc)" in notes[keys.index(key)]) == optional
            if key in ("national_id", "code", "loan_no", "commune_code", "group_code", "reference"):
                assert ws.column_dimensions[cell.column_letter].number_format == "@"
    assert workbook["Communes"]["A2"].value == "# Mã xã"
    assert workbook["Loans"].column_dimensions["E"].number_format == "dd/mm/yyyy"
    # the blank template imports as nothing at all
    assert workbook_read(tmp_path / "mau.xlsx") == {name: [] for name in FORMAT}


# -- the commands -----------------------------------------------------------------------


@pytest.mark.django_db
def test_import_command_prints_a_count_per_sheet(tmp_path):
    path = xlsx(tmp_path / "book.xlsx", portfolio())
    out = StringIO()
    call_command("import_workbook", str(path), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Communes: 2"
    assert lines[6] == "Loans: 3"
    assert len(lines) == 15


def test_import_command_refused_exits_1_listing_every_error(book, tmp_path):
    path = xlsx(
        tmp_path / "bad.xlsx",
        sheet(
            "Transactions",
            ["L1", "32/01/2020", "interest", 1, None],
            ["L1", date(2020, 2, 20), "interest", "1,5", None],
        ),
    )
    before = table_counts()
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_workbook", str(path), stdout=StringIO(), stderr=err)
    assert exit_.value.code == 1
    assert err.getvalue().splitlines() == [
        'Transactions!2 value_date: Ngày "32/01/2020" không hợp lệ; dùng ô ngày của Excel, dd/mm/yyyy hoặc yyyy-mm-dd.',
        'Transactions!3 amount: Số tiền "1,5" có phần lẻ hoặc dấu phân cách sai; '
        "phải là số nguyên đồng, ví dụ 1500000 hoặc 1.500.000.",
        "Không nhập được: 2 lỗi; chưa ghi dữ liệu nào.",
    ]
    assert table_counts() == before


def test_import_command_rules_of_the_book_and_user(book, tmp_path, staff):
    path = xlsx(tmp_path / "bad.xlsx", sheet("Savings", [NID1, date(2020, 7, 1), "withdrawal", 400_000]))
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_workbook", str(path), "--user", "canbo", stdout=StringIO(), stderr=err)
    assert exit_.value.code == 1
    assert err.getvalue().splitlines()[0] == (
        "Savings!2 amount: Số tiền rút 400.000 đồng vượt số dư tiết kiệm 300.000 đồng tại ngày 01/07/2020."
    )
    good = xlsx(tmp_path / "good.xlsx", sheet("Savings", [NID1, date(2020, 7, 1), "withdrawal", 300_000]))
    out = StringIO()
    call_command("import_workbook", str(good), "--user", "canbo", stdout=out)
    assert out.getvalue() == "Savings: 1\n"
    assert SavingsTransaction.objects.get(value_date=date(2020, 7, 1)).recorded_by == staff
    with pytest.raises(CommandError, match="Không tìm thấy người dùng ai."):
        call_command("import_workbook", str(good), "--user", "ai")
    with pytest.raises(CommandError, match="Không tìm thấy tệp none.xlsx."):
        call_command("import_workbook", str(tmp_path / "none.xlsx"))


def test_export_and_template_commands(book, tmp_path):
    out = StringIO()
    call_command("export_workbook", str(tmp_path / "so.xlsx"), stdout=out)
    assert out.getvalue().splitlines()[:3] == ["Communes: 2", "Programs: 1", "Groups: 3"]
    assert "Transactions: 4" in out.getvalue().splitlines()
    out = StringIO()
    call_command("workbook_template", str(tmp_path / "mau.xlsx"), stdout=out)
    assert out.getvalue() == f"Đã ghi tệp mẫu {tmp_path / 'mau.xlsx'}.\n"
    assert load_workbook(tmp_path / "mau.xlsx").sheetnames == list(FORMAT)
    with pytest.raises(CommandError, match="Không ghi được tệp"):
        call_command("export_workbook", str(tmp_path / "no" / "dir.xlsx"))


def test_export_of_an_imported_workbook_gives_the_same_rows(book, tmp_path):
    call_command("export_workbook", str(tmp_path / "so.xlsx"), stdout=StringIO())
    exported = {name: [r.data for r in rows] for name, rows in workbook_read(tmp_path / "so.xlsx").items()}
    original = {
        name: [r.data for r in rows] for name, rows in workbook_read(xlsx(tmp_path / "in.xlsx", portfolio())).items()
    }
    # the export writes every column; the original leaves optional ones empty
    for name, rows in original.items():
        for row in rows:
            for column in header(name):
                row.setdefault(column, None)
    original["Loans"][0]["annual_rate"] = Decimal("6.6")  # the program's rate, now the loan's
    original["Loans"][1]["annual_rate"] = Decimal("5.5")
    for row, approved in zip(original["Loans"], [12_000_000, 20_000_000, 30_000_000], strict=True):
        row["approved_amount"] = approved  # what the rows disburse, now the contract's amount
    original["Programs"][0]["overdue_factor"] = Decimal("1.3")
    assert exported.pop("CommuneTransactionDays") == []  # no commune changed its day
    assert exported == original


# -- the round trip ---------------------------------------------------------------------


def build_portfolio():
    """A small district through the services, the way users create it."""
    staff = UserFactory(username="canbo", role=Role.STAFF)
    manager = UserFactory(username="quanly", role=Role.MANAGER)
    hnd, hpn, ccb, dtn = (Association.objects.get(code=code) for code in ("HND", "HPN", "CCB", "DTN"))
    programs = {p.code: p for p in LoanProgram.objects.all()}
    by = {"acting_user": staff}

    c1 = commune_create(code="C1", name="An Ninh", transaction_day=20, **by)
    c2 = commune_create(code="C2", name="Kiến Giang", kind="thi_tran", transaction_day=31, **by)
    g1 = group_create(
        code="G1",
        name="Tổ 1",
        commune=c1,
        association=hnd,
        founded_on=date(2015, 1, 1),
        village="Thôn 1",
        leader_name="Lê Văn Bình",
        **by,
    )
    g2 = group_create(code="G2", name="Tổ 2", commune=c1, association=hpn, founded_on=date(2016, 1, 1), **by)
    g3 = group_create(code="G3", name="Tổ 3", commune=c2, association=ccb, founded_on=date(2016, 3, 1), **by)
    g4 = group_create(code="G4", name="Tổ 4", commune=c2, association=dtn, founded_on=date(2016, 1, 1), **by)
    group_transfer(group=g2, association=dtn, effective_on=date(2020, 7, 1), **by)
    group_transfer(group=g2, association=hnd, effective_on=date(2021, 7, 1), **by)
    trial = program_create(
        code="50", name="Cho vay thử nghiệm", annual_rate="5.5", overdue_rule="installment", acting_user=manager
    )

    def member(nid, name, commune, **kw):
        return member_register(national_id=nid, full_name=name, commune=commune, **kw, **by)

    m1 = member(
        "044000000001", "Lê Thị An", c1, gender="nu", birth_year=1980, village="Thôn 1", household_category="hộ nghèo"
    )
    m2 = member("044000000002", "Trần Văn Cường", c1, gender="nam")
    m3 = member("044000000003", "Phạm Thị Dung", c2)
    m4 = member("194000001", "Hoàng Văn Em", c2)  # a direct borrower in no group
    m5 = member("044000000005", "Nguyễn Thị Gấm", c2)
    m6 = member("044000000006", "Đặng Văn Hùng", c2)
    membership_add(member=m1, group=g1, joined_on=date(2015, 1, 1), **by)
    membership_add(member=m2, group=g1, joined_on=date(2015, 6, 1), **by)
    member_move(member=m2, group=g2, moved_on=date(2020, 5, 1), **by)
    membership_add(member=m3, group=g3, joined_on=date(2016, 3, 1), **by)
    membership_add(member=m5, group=g3, joined_on=date(2018, 1, 1), **by)
    membership_add(member=m6, group=g4, joined_on=date(2016, 1, 1), left_on=date(2018, 12, 31), **by)
    group_dissolve(group=g4, dissolved_on=date(2018, 12, 31), **by)
    membership_add(member=m6, group=g3, joined_on=date(2019, 1, 1), **by)

    l1 = loan_disburse(
        loan_no="L1",
        member=m1,
        program=programs["01"],
        amount=12_000_000,
        disbursed_on=date(2020, 1, 10),
        installments=[(date(2022, 1, 10), 12_000_000)],
        purpose="Chăn nuôi bò",
        **by,
    )
    interest_payment_post(loan=l1, amount=22_000, value_date=date(2020, 1, 20), reference="PT-1", **by)
    interest_payment_post(loan=l1, amount=68_200, value_date=date(2020, 2, 20), **by)
    repayment_post(loan=l1, amount=2_000_000, value_date=date(2021, 1, 20), reference="PT-9", **by)
    repayment_post(loan=l1, amount=10_000_000, value_date=date(2022, 1, 10), **by)

    l2 = loan_disburse(
        loan_no="L2",
        member=m2,
        program=trial,
        amount=10_000_000,
        approved_amount=20_000_000,
        disbursed_on=date(2019, 3, 5),
        installments=[(date(2020, 3, 5), 10_000_000), (date(2021, 3, 5), 10_000_000)],
        **by,
    )
    loan_tranche_disburse(loan=l2, amount=10_000_000, value_date=date(2019, 9, 5), **by)
    repayment_post(loan=l2, amount=6_000_000, value_date=date(2020, 3, 5), **by)
    loan_extend(loan=l2, due_on=date(2021, 3, 5), new_due_on=date(2022, 3, 5), decided_on=date(2021, 2, 20), **by)
    loan_extend(loan=l2, due_on=date(2021, 3, 5), new_due_on=date(2023, 3, 5), decided_on=date(2022, 2, 1), **by)

    l3 = loan_disburse(
        loan_no="L3",
        member=m4,
        program=programs["03"],
        channel="direct",
        amount=30_000_000,
        disbursed_on=date(2019, 6, 1),
        installments=[(date(2020, 6, 1), 30_000_000)],
        **by,
    )
    freeze = loan_freeze(loan=l3, amount=10_000_000, effective_on=date(2020, 9, 1), **by)
    freeze_end(freeze=freeze, ends_on=date(2021, 9, 1), **by)
    write_off_post(loan=l3, amount=5_000_000, value_date=date(2021, 3, 1), **by)
    write_off_post(loan=l3, amount=100_000, value_date=date(2021, 3, 1), interest=True, **by)

    l4 = loan_disburse(
        loan_no="L4",
        member=m3,
        program=programs["01"],
        amount=10_000_000,
        disbursed_on=date(2019, 1, 15),
        term_months=36,
        interval_months=12,
        **by,
    )
    repayment_post(loan=l4, amount=3_333_333, value_date=date(2020, 1, 15), **by)
    wrong = repayment_post(loan=l4, amount=1_000_000, value_date=date(2020, 2, 15), reference="PT-X", **by)
    reversal_approve(request=reversal_request(transaction=wrong, reason="Nhập nhầm khế ước", **by), acting_user=manager)

    l5 = loan_disburse(
        loan_no="L5",
        member=m5,
        program=programs["02"],
        amount=8_000_000,
        approved_amount=16_000_000,
        disbursed_on=date(2019, 9, 1),
        installments=[(date(2024, 9, 1), 8_000_000), (date(2025, 9, 1), 8_000_000)],
        **by,
    )
    loan_tranche_disburse(loan=l5, amount=8_000_000, value_date=date(2020, 2, 1), reference="HK2", **by)

    l6 = loan_disburse(
        loan_no="L6",
        member=m6,
        program=programs["19"],
        amount=5_000_000,
        disbursed_on=date(2019, 5, 10),
        installments=[(date(2020, 5, 10), 5_000_000)],
        **by,
    )
    interest_payment_post(loan=l6, amount=150_000, value_date=date(2020, 12, 31), **by)

    savings_deposit(member=m1, amount=500_000, value_date=date(2020, 1, 20), **by)
    savings_deposit(member=m1, amount=300_000, value_date=date(2020, 2, 20), reference="TK-1", **by)
    savings_withdraw(member=m1, amount=200_000, value_date=date(2020, 6, 20), **by)
    savings_deposit(member=m2, amount=1_000_000, value_date=date(2019, 12, 20), **by)
    savings_deposit(member=m4, amount=100_000, value_date=date(2020, 1, 31), **by)
    mistaken = savings_deposit(member=m3, amount=200_000, value_date=date(2020, 1, 31), **by)
    reversal_approve(request=reversal_request(transaction=mistaken, reason="Nhầm tổ viên", **by), acting_user=manager)

    meeting_record(group=g1, held_on=date(2020, 1, 16), attendees=25, **by)
    meeting_record(group=g3, held_on=date(2020, 1, 27), **by)
    training_record(
        held_on=date(2020, 5, 10), audience="Ban quản lý tổ", trainees=30, planned=35, association=hnd, commune=c1, **by
    )
    training_record(held_on=date(2020, 8, 1), audience="Cán bộ hội cấp xã", trainees=12, **by)
    news_item_record(
        published_on=date(2020, 4, 2), association=hpn, channel="district_portal", title="Tín dụng chính sách", **by
    )
    news_item_record(
        published_on=date(2020, 4, 9),
        association=ccb,
        commune=c2,
        channel="commune_loudspeaker",
        title="Gửi tiết kiệm",
        **by,
    )


ROUND_TRIP_DAYS = [
    date(2019, 6, 30),
    date(2019, 12, 31),
    date(2020, 3, 5),
    date(2020, 3, 6),
    date(2020, 6, 30),
    date(2020, 12, 31),
    date(2021, 3, 1),
    date(2021, 9, 30),
    date(2022, 3, 6),
    date(2023, 12, 31),
    date(2026, 1, 1),
]


def book_figures() -> dict:
    """Everything the book says, keyed by natural keys (no database ids)."""
    loans = {}
    for loan in Loan.objects.select_related("program", "member__commune").order_by("loan_no"):
        book = loan_book(loan)
        loans[loan.loan_no] = {
            "contract": (
                loan.member.national_id,
                loan.program.code,
                loan.channel,
                loan.annual_rate,
                loan.disbursed_on,
                loan.approved_amount,
                loan.purpose,
                loan.bills_through,
            ),
            "positions": [book.position(d) for d in ROUND_TRIP_DAYS],
            "interest_balance": [loan_interest_balance(loan, as_of=d) for d in ROUND_TRIP_DAYS],
            "bills": list(
                InterestBill.objects.filter(loan=loan).values_list(
                    "billed_on", "period_start", "amount", "overdue_amount"
                )
            ),
            "due": [book.principal_due_in(date(y, 1, 1), date(y, 12, 31)) for y in range(2019, 2027)],
        }
    members = {
        m.national_id: {
            "savings": [member_savings_balance(m, as_of=d) for d in ROUND_TRIP_DAYS],
            "groups": list(m.memberships.values_list("group__code", "joined_on", "left_on")),
        }
        for m in Member.objects.order_by("national_id")
    }
    groups = {
        g.code: list(g.assignments.values_list("association__code", "effective_on"))
        for g in SavingsGroup.objects.order_by("code")
    }
    return {"loans": loans, "members": members, "groups": groups}


def district_reports() -> list | None:
    """The district report's figures at several dates, when the indicators engine exists."""
    try:
        from reporting.indicators import district_figures
    except ImportError:
        return None
    periods = ["2019Q4", "2020Q1", "2020-06", "2020", "2021Q1", "2022"]
    return [
        district_figures(day, period=period, by_group=True)
        for day, period in zip(
            [
                date(2019, 12, 31),
                date(2020, 3, 31),
                date(2020, 6, 30),
                date(2020, 12, 31),
                date(2021, 3, 31),
                date(2022, 12, 31),
            ],
            periods,
            strict=True,
        )
    ]


def empty_database():
    """Flush every table, then put back what the migrations ship (associations, programs).

    TRUNCATE, which flush uses, passes the append-only triggers of PostgreSQL. The rows
    the migrations create are restored the way `serialized_rollback` does it.
    """
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False, inhibit_post_migrate=True)
    connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_round_trip_export_then_import_into_an_empty_database(tmp_path):
    build_portfolio()
    counts = workbook_export(tmp_path / "so.xlsx")
    assert counts == {
        "Communes": 2,
        "Programs": 1,
        "Groups": 4,
        "GroupTransfers": 2,
        "Members": 6,
        "Memberships": 7,
        "Loans": 6,
        "Installments": 10,
        "Transactions": 11,
        "Extensions": 2,
        "Freezes": 1,
        "Savings": 5,
        "Meetings": 2,
        "Trainings": 2,
        "NewsItems": 2,
        "CommuneTransactionDays": 0,
    }
    figures, reports = book_figures(), district_reports()
    l2, l3 = figures["loans"]["L2"], figures["loans"]["L3"]
    assert figures["loans"]["L1"]["bills"][:2] == [
        (date(2020, 1, 20), date(2020, 1, 10), 22_000, 0),
        (date(2020, 2, 20), date(2020, 1, 20), 68_200, 0),
    ]
    assert l2["positions"][ROUND_TRIP_DAYS.index(date(2020, 3, 6))].overdue == 4_000_000
    position = l3["positions"][ROUND_TRIP_DAYS.index(date(2020, 12, 31))]
    assert (position.outstanding, position.frozen, position.overdue) == (30_000_000, 10_000_000, 20_000_000)
    assert figures["members"]["044000000003"]["savings"][-1] == 0  # its deposit was reversed
    assert reports is None or reports[1]["portfolio"]["outstanding"] > 0
    exported = workbook_read(tmp_path / "so.xlsx")
    # reversed rows and their reversals are left out
    assert [r.data["reference"] for r in exported["Transactions"] if r.data["loan_no"] == "L4"] == [None]
    assert {r.data["national_id"] for r in exported["Savings"]} == {"044000000001", "044000000002", "194000001"}

    empty_database()
    assert not Loan.objects.exists() and not Member.objects.exists() and not LoanTransaction.objects.exists()
    assert Association.objects.count() == 4 and LoanProgram.objects.count() == 8

    call_command("import_workbook", str(tmp_path / "so.xlsx"), stdout=StringIO())
    # the import built the stored figures of every ended period, and today's, at its end
    assert store.differences() == []
    assert book_figures() == figures
    assert district_reports() == reports
    assert ProgramRate.objects.get(program__code="50").annual_rate == Decimal("5.5")
    assert GroupAssignment.objects.count() == 6
    assert Installment.objects.count() == 10 and Extension.objects.count() == 2 and Freeze.objects.count() == 1
    # exporting the imported book gives the same workbook
    workbook_export(tmp_path / "again.xlsx")
    again = workbook_read(tmp_path / "again.xlsx")
    assert {k: [(r.line, r.data) for r in v] for k, v in again.items()} == {
        k: [(r.line, r.data) for r in v] for k, v in exported.items()
    }


# -- partly disbursed loans (approved_amount, docs/formats.md) --------------------------


def test_a_loans_sheet_without_approved_amount_imports_as_before(db, tmp_path):
    """The column is an addition: a workbook of the format's first version reads the same."""
    sheets = portfolio()
    sheets["Loans"] = [row[:8] for row in sheets["Loans"]]
    assert sheets["Loans"][0] == header("Loans")[:8] != header("Loans")
    workbook_import(xlsx(tmp_path / "v1.xlsx", sheets), acting_user=None)
    # the contract's amount is what the rows disburse (L2: its Loans row and one tranche)
    assert dict(Loan.objects.values_list("loan_no", "approved_amount")) == {
        "L1": 12_000_000,
        "L2": 20_000_000,
        "L3": 30_000_000,
    }


@pytest.mark.django_db
def test_approved_amount_above_what_the_sheet_disburses(tmp_path, staff):
    sheets = portfolio()
    sheets["Loans"][2].append("50.000.000")  # L2: 10.000.000 on its Loans row, 10.000.000 in Transactions
    sheets["Installments"][2:4] = [["L2", date(2020, 3, 5), 10_000_000], ["L2", date(2021, 3, 5), 40_000_000]]
    workbook_import(xlsx(tmp_path / "book.xlsx", sheets), acting_user=staff)
    l2 = Loan.objects.get(loan_no="L2")
    assert l2.approved_amount == 50_000_000
    assert loan_book(l2).position(date(2020, 3, 5)).outstanding == 10_000_000
    # the rest of the contract goes out later, and no more
    loan_tranche_disburse(loan=l2, amount=30_000_000, value_date=date(2020, 9, 5), acting_user=staff)
    with pytest.raises(ValidationError, match="đã giải ngân 50.000.000/50.000.000 đồng"):
        loan_tranche_disburse(loan=l2, amount=1, value_date=date(2020, 9, 6), acting_user=staff)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_partly_disbursed_loan_round_trips(tmp_path):
    """Approved 50.000.000, 30.000.000 disbursed (20.000.000 then a 10.000.000 tranche)."""
    staff = UserFactory(username="canbo", role=Role.STAFF)
    by = {"acting_user": staff}
    commune = commune_create(code="C1", name="An Ninh", transaction_day=20, **by)
    group = group_create(
        code="G1",
        name="Tổ 1",
        commune=commune,
        association=Association.objects.get(code="HND"),
        founded_on=date(2015, 1, 1),
        **by,
    )
    member = member_register(national_id=NID1, full_name="Lê Thị An", commune=commune, **by)
    membership_add(member=member, group=group, joined_on=date(2015, 1, 1), **by)
    loan = loan_disburse(
        loan_no="HSSV/2019/1",
        member=member,
        program=LoanProgram.objects.get(code="02"),
        amount=20_000_000,
        approved_amount=50_000_000,
        disbursed_on=date(2019, 9, 1),
        installments=[(date(2024, 9, 1), 25_000_000), (date(2025, 9, 1), 25_000_000)],
        **by,
    )
    loan_tranche_disburse(loan=loan, amount=10_000_000, value_date=date(2020, 2, 1), **by)
    figures = book_figures()
    assert figures["loans"]["HSSV/2019/1"]["contract"][5] == 50_000_000
    workbook_export(tmp_path / "so.xlsx")
    exported = workbook_read(tmp_path / "so.xlsx")
    assert [r.data for r in exported["Loans"]] == [
        {
            "loan_no": "HSSV/2019/1",
            "national_id": NID1,
            "program_code": "02",
            "channel": "entrusted",
            "disbursed_on": date(2019, 9, 1),
            "amount": 20_000_000,
            "annual_rate": Decimal("6.6"),
            "purpose": None,
            "approved_amount": 50_000_000,
        }
    ]
    assert load_workbook(tmp_path / "so.xlsx")["Loans"]["I1"].value == "approved_amount"

    empty_database()
    call_command("import_workbook", str(tmp_path / "so.xlsx"), stdout=StringIO())
    assert Loan.objects.get(loan_no="HSSV/2019/1").approved_amount == 50_000_000
    assert book_figures() == figures
    workbook_export(tmp_path / "again.xlsx")
    again = workbook_read(tmp_path / "again.xlsx")
    assert {k: [(r.line, r.data) for r in v] for k, v in again.items()} == {
        k: [(r.line, r.data) for r in v] for k, v in exported.items()
    }


# -- transaction days through time (CommuneTransactionDays, docs/formats.md) ------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_changed_transaction_day_round_trips(tmp_path):
    """QH changes its day from 20 to 10 from 01/03/2020: 12.000.000 đ at 6,60 % from
    10/01/2020 accrue 2.200 đ a day, billed 20/01 (10 days), 20/02 (31), then 10/03
    (19 days from 20/02), 10/04 (31), 10/05 (30)."""
    staff = UserFactory(username="canbo", role=Role.STAFF)
    by = {"acting_user": staff}
    commune = commune_create(code="QH", name="Quán Hàu", transaction_day=20, **by)
    commune_create(code="AN", name="An Ninh", transaction_day=15, **by)  # never changed
    group = group_create(
        code="QH-01", name="Tổ 1", commune=commune, association=Association.objects.get(code="HND"),
        founded_on=date(2015, 1, 1), **by,
    )  # fmt: skip
    member = member_register(national_id=NID1, full_name="Lê Thị An", commune=commune, **by)
    membership_add(member=member, group=group, joined_on=date(2016, 1, 1), **by)
    loan_disburse(
        loan_no="L1", member=member, program=LoanProgram.objects.get(code="01"), amount=12_000_000,
        disbursed_on=date(2020, 1, 10), installments=[(date(2022, 1, 10), 12_000_000)], **by,
    )  # fmt: skip
    commune_transaction_day_change(commune=commune, transaction_day=10, effective_on=date(2020, 3, 1), **by)
    expected = [
        (date(2020, 1, 20), 22_000),
        (date(2020, 2, 20), 68_200),
        (date(2020, 3, 10), 41_800),
        (date(2020, 4, 10), 68_200),
        (date(2020, 5, 10), 66_000),
    ]

    def bills():
        return list(
            InterestBill.objects.filter(billed_on__lte=date(2020, 5, 31))
            .order_by("billed_on")
            .values_list("billed_on", "amount")
        )

    assert bills() == expected
    figures = book_figures()
    counts = workbook_export(tmp_path / "so.xlsx")
    assert counts["CommuneTransactionDays"] == 1
    exported = workbook_read(tmp_path / "so.xlsx")
    # the Communes sheet holds the first day; the change is a row of its own
    assert [r.data for r in exported["Communes"]] == [
        {"code": "AN", "name": "An Ninh", "kind": "xa", "transaction_day": 15},
        {"code": "QH", "name": "Quán Hàu", "kind": "xa", "transaction_day": 20},
    ]
    assert [r.data for r in exported["CommuneTransactionDays"]] == [
        {"commune_code": "QH", "effective_on": date(2020, 3, 1), "transaction_day": 10}
    ]
    assert load_workbook(tmp_path / "so.xlsx").sheetnames[-1] == "CommuneTransactionDays"

    empty_database()
    call_command("import_workbook", str(tmp_path / "so.xlsx"), stdout=StringIO())
    assert bills() == expected
    assert book_figures() == figures
    qh = Commune.objects.get(code="QH")
    assert (qh.transaction_day, qh.transaction_day_from) == (10, date(2020, 3, 1))
    assert sorted(
        CommuneTransactionDay.objects.values_list("commune__code", "effective_on", "day"),
        key=lambda r: (r[0], r[1] or date.min),
    ) == [("QH", None, 20), ("QH", date(2020, 3, 1), 10)]
    assert store.differences() == []
    out = StringIO()
    call_command("rebuild_interest", "--check", stdout=out)
    workbook_export(tmp_path / "again.xlsx")
    again = workbook_read(tmp_path / "again.xlsx")
    assert {k: [(r.line, r.data) for r in v] for k, v in again.items()} == {
        k: [(r.line, r.data) for r in v] for k, v in exported.items()
    }


def test_a_workbook_without_the_sheet_keeps_the_communes_day(db, tmp_path):
    """A workbook of the format's first version: the Communes row's day, always."""
    workbook_import(xlsx(tmp_path / "v1.xlsx", sheet("Communes", ["C9", "Xã 9", "xa", 5])), acting_user=None)
    commune = Commune.objects.get(code="C9")
    assert (commune.transaction_day, commune.transaction_day_from) == (5, None)
    assert not CommuneTransactionDay.objects.exists()


@pytest.mark.django_db
def test_transaction_day_changes_are_checked_like_the_service(tmp_path, staff, manager):
    commune_create(code="OLD", name="Xã cũ", transaction_day=12, acting_user=staff)
    period_close(year=2019, quarter=4, acting_user=manager)
    communes = sheet("Communes", ["C9", "Xã 9", "xa", 20], ["C8", "Xã 8", "xa", 5])
    days = sheet(
        "CommuneTransactionDays",
        ["C9", date(2020, 3, 1), 10],
        ["C9", date(2020, 2, 1), 15],  # not after the previous change
        ["C9", date(2020, 5, 15), 12],  # not a month's first day
        ["C9", date(2020, 6, 1), 10],  # the day in force already
        ["C9", date(2020, 7, 1), 32],
        ["C8", date(2019, 12, 1), 9],  # in the closed quarter
        ["OLD", date(2020, 3, 1), 10],  # a commune of the database
        ["C7", date(2020, 3, 1), 10],
    )
    path = xlsx(tmp_path / "days.xlsx", {**communes, **days})
    assert refused_lines(path) == [
        "CommuneTransactionDays!3 effective_on: Ngày hiệu lực phải sau lần đổi ngày giao dịch gần nhất (01/03/2020).",
        "CommuneTransactionDays!4 effective_on: Ngày hiệu lực phải là ngày đầu tháng (như 01/05/2020): "
        "mỗi tháng xã có một ngày giao dịch.",
        "CommuneTransactionDays!5 transaction_day: Từ ngày 01/06/2020 xã đã giao dịch ngày 10 hằng tháng.",
        "CommuneTransactionDays!6 transaction_day: Ngày giao dịch xã phải từ 1 đến 31.",
        "CommuneTransactionDays!7 effective_on: Ngày hiệu lực 01/12/2019 nằm trong quý 4/2019 đã khóa sổ "
        "(01/10/2019–31/12/2019).",
        "CommuneTransactionDays!8 commune_code: Xã OLD đã có trong cơ sở dữ liệu: đổi ngày giao dịch của xã "
        "trên trang của xã.",
        "CommuneTransactionDays!9 commune_code: Không tìm thấy xã C7.",
    ]
    assert not Commune.objects.filter(code__in=["C8", "C9"]).exists()
