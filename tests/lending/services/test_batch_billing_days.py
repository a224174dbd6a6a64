"""The import's two organization rules of the book: a borrower is billed on the day of
their group's commune from the day they join it, and a closed period added as a
member's last is refused while an entrusted loan of theirs is outstanding after it."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from lending.models import InterestBill, Loan
from lending.services.batch import BatchRefused, portfolio_write
from tests.lending.services.test_batch import rows, small_batch

pytestmark = pytest.mark.django_db

TWO_COMMUNES = {
    "Communes": rows(
        "Communes",
        {"code": "C1", "name": "An Ninh", "kind": "xa", "transaction_day": 20},
        {"code": "C2", "name": "Vạn Ninh", "kind": "xa", "transaction_day": 5},
    ),
    "Groups": rows(
        "Groups",
        {"code": "G1", "name": "Tổ 1", "commune_code": "C1", "association_code": "HND", "founded_on": date(2015, 1, 1)},
        {"code": "G2", "name": "Tổ 2", "commune_code": "C2", "association_code": "HND", "founded_on": date(2015, 1, 1)},
    ),
}


def test_a_move_to_another_commune_in_the_workbook_bills_on_its_day(staff):
    batch = small_batch(
        **TWO_COMMUNES,
        Memberships=rows(
            "Memberships",
            {
                "national_id": "044000000001",
                "group_code": "G1",
                "joined_on": date(2015, 1, 1),
                "left_on": date(2020, 3, 14),
            },
            {"national_id": "044000000001", "group_code": "G2", "joined_on": date(2020, 3, 15)},
        ),
    )
    portfolio_write(batch, acting_user=staff, source="test")
    loan = Loan.objects.get(loan_no="L1")
    billed = InterestBill.objects.filter(loan=loan, billed_on__lte=date(2020, 5, 31)).order_by("billed_on")
    # as through the services: 20/02 → 05/04 is 45 days at 2.200 đ
    assert list(billed.values_list("billed_on", "amount")) == [
        (date(2020, 1, 20), 22_000),
        (date(2020, 2, 20), 68_200),
        (date(2020, 4, 5), 99_000),
        (date(2020, 5, 5), 66_000),
    ]


def test_a_last_period_closed_with_the_loan_outstanding_is_refused(staff):
    batch = small_batch(
        Memberships=rows(
            "Memberships",
            {
                "national_id": "044000000001",
                "group_code": "G1",
                "joined_on": date(2015, 1, 1),
                "left_on": date(2020, 6, 30),
            },
        ),
    )
    with pytest.raises(BatchRefused) as refused:
        portfolio_write(batch, acting_user=staff, source="test")
    assert [str(i) for i in refused.value.issues] == [
        "Memberships!2 left_on: Hộ vay Lê Thị A còn dư nợ món vay ủy thác L1 (dư nợ 12.000.000 đồng) sau ngày "
        "30/06/2020: không thể cho rời tổ cuối cùng; chuyển sang tổ khác hoặc thu hết nợ trước."
    ]
    # repaid by then, the period closes
    batch["Transactions"] = rows(
        "Transactions",
        {"loan_no": "L1", "value_date": date(2020, 1, 20), "kind": "interest", "amount": 22_000},
        {"loan_no": "L1", "value_date": date(2020, 6, 20), "kind": "principal", "amount": 12_000_000},
    )
    portfolio_write(batch, acting_user=staff, source="test")


def moved_to_c2(**overrides):
    """Lê Thị A, in the database: in G1 (C1, day 20) until 14/03/2020, with a direct loan
    L1 of 12.000.000 đ from 10/01/2020; the batch adds her to G2 (C2, day 5) from 15/03."""
    first = small_batch(**TWO_COMMUNES)
    first["Memberships"][0].data["left_on"] = date(2020, 3, 14)
    first["Loans"][0].data["channel"] = "direct"
    for sheet, records in overrides.items():
        first[sheet] = records
    return first, {
        "Memberships": rows(
            "Memberships", {"national_id": "044000000001", "group_code": "G2", "joined_on": date(2020, 3, 15)}
        )
    }


def test_a_membership_added_to_an_existing_member_bills_their_loans_again(staff):
    first, move = moved_to_c2()
    portfolio_write(first, acting_user=staff, source="test")
    loan = Loan.objects.get(loan_no="L1")
    billed = InterestBill.objects.filter(loan=loan, billed_on__lte=date(2020, 5, 31)).order_by("billed_on")
    # after she left she stays on G1's commune's day 20: 29, 31, 30 days at 2.200 đ
    assert list(billed.values_list("billed_on", "amount")) == [
        (date(2020, 1, 20), 22_000),
        (date(2020, 2, 20), 68_200),
        (date(2020, 3, 20), 63_800),
        (date(2020, 4, 20), 68_200),
        (date(2020, 5, 20), 66_000),
    ]
    counts = portfolio_write(move, acting_user=staff, source="test")
    assert (counts["Memberships"], counts["Loans"], counts["Transactions"]) == (1, 0, 0)
    # from 15/03 on C2's day 5: 20/02 → 05/04 is 45 days
    assert list(billed.values_list("billed_on", "amount")) == [
        (date(2020, 1, 20), 22_000),
        (date(2020, 2, 20), 68_200),
        (date(2020, 4, 5), 99_000),
        (date(2020, 5, 5), 66_000),
    ]
    call_command("rebuild_interest", "--check", stdout=StringIO())  # exits 1 on a difference


def test_a_move_that_leaves_an_interest_write_off_beyond_the_bills_is_refused(staff):
    """154.000 đ written off on 25/03/2020, all that was billed (20/01, 20/02, 20/03); on
    C2's day from 15/03 only 90.200 đ is billed by then."""
    write_off = {"loan_no": "L1", "value_date": date(2020, 3, 25), "kind": "interest_write_off", "amount": 154_000}
    first, move = moved_to_c2(Transactions=rows("Transactions", write_off))
    portfolio_write(first, acting_user=staff, source="test")
    loan = Loan.objects.get(loan_no="L1")
    before = list(InterestBill.objects.filter(loan=loan).values_list("billed_on", "amount"))
    with pytest.raises(BatchRefused) as refused:
        portfolio_write(move, acting_user=staff, source="test")
    assert [str(i) for i in refused.value.issues] == [
        "Memberships!2 joined_on: Thay đổi này làm lãi đã thu và đã xóa của món vay L1 vượt lãi phải thu (thừa "
        "63.800 đồng tại ngày 25/03/2020). Cần hủy khoản xóa nợ lãi ngày 25/03/2020 (154.000 đồng) của món vay L1 "
        "trước."
    ]
    assert list(InterestBill.objects.filter(loan=loan).values_list("billed_on", "amount")) == before
    assert loan.member.memberships.count() == 1


def test_an_entrusted_loan_back_dated_into_a_closed_last_period_is_refused(staff):
    """Lê Thị A left G1, her last group, on 14/03/2020: an entrusted loan disbursed on
    01/02/2020 would be outstanding after it, unless the workbook repays it by then."""
    first, _move = moved_to_c2()
    portfolio_write(first, acting_user=staff, source="test")
    loan = {
        "loan_no": "L2",
        "national_id": "044000000001",
        "program_code": "01",
        "channel": "entrusted",
        "disbursed_on": date(2020, 2, 1),
        "amount": 5_000_000,
    }
    batch = {
        "Loans": rows("Loans", loan),
        "Installments": rows("Installments", {"loan_no": "L2", "due_on": date(2021, 2, 1), "principal": 5_000_000}),
    }
    with pytest.raises(BatchRefused) as refused:
        portfolio_write(batch, acting_user=staff, source="test")
    assert [str(i) for i in refused.value.issues] == [
        "Loans!2 disbursed_on: Hộ vay Lê Thị A còn dư nợ món vay ủy thác L2 (dư nợ 5.000.000 đồng) sau ngày "
        "14/03/2020: không thể cho rời tổ cuối cùng; chuyển sang tổ khác hoặc thu hết nợ trước."
    ]
    assert not Loan.objects.filter(loan_no="L2").exists()
    # repaid by the day she left, it goes out
    batch["Transactions"] = rows(
        "Transactions", {"loan_no": "L2", "value_date": date(2020, 3, 14), "kind": "principal", "amount": 5_000_000}
    )
    portfolio_write(batch, acting_user=staff, source="test")
    assert Loan.objects.filter(loan_no="L2").exists()
