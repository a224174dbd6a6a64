"""The import's two organization rules of the book: a borrower is billed on the day of
their group's commune from the day they join it, and a closed period added as a
member's last is refused while an entrusted loan of theirs is outstanding after it."""

from datetime import date

import pytest

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
