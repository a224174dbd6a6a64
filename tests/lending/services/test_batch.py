from datetime import date

import pytest

from groups.models import Member, SavingsGroup
from lending.models import InterestBill, Loan, LoanTransaction
from lending.services.batch import BatchRefused, Row, portfolio_write
from vbsp_district.models import AuditEvent


def rows(sheet, *records):
    return [Row(sheet, i + 2, data) for i, data in enumerate(records)]


def small_batch(**overrides):
    batch = {
        "Communes": rows("Communes", {"code": "C1", "name": "An Ninh", "kind": "xa", "transaction_day": 20}),
        "Groups": rows(
            "Groups",
            {
                "code": "G1",
                "name": "Tổ 1",
                "commune_code": "C1",
                "association_code": "HND",
                "founded_on": date(2015, 1, 1),
            },
        ),
        "Members": rows("Members", {"national_id": "044000000001", "full_name": "Lê Thị A", "commune_code": "C1"}),
        "Memberships": rows(
            "Memberships", {"national_id": "044000000001", "group_code": "G1", "joined_on": date(2015, 1, 1)}
        ),
        "Loans": rows(
            "Loans",
            {
                "loan_no": "L1",
                "national_id": "044000000001",
                "program_code": "01",
                "channel": "entrusted",
                "disbursed_on": date(2020, 1, 10),
                "amount": 12_000_000,
            },
        ),
        "Installments": rows("Installments", {"loan_no": "L1", "due_on": date(2025, 1, 10), "principal": 12_000_000}),
        "Transactions": rows(
            "Transactions",
            {"loan_no": "L1", "value_date": date(2020, 1, 20), "kind": "interest", "amount": 22_000},
        ),
    }
    batch.update(overrides)
    return batch


@pytest.mark.django_db
def test_batch_writes_everything_with_bills(staff):
    counts = portfolio_write(small_batch(), acting_user=staff, source="test")
    assert counts["Loans"] == 1 and counts["Transactions"] == 1
    loan = Loan.objects.get(loan_no="L1")
    assert loan.member == Member.objects.get(national_id="044000000001")
    assert SavingsGroup.objects.get(code="G1").assignments.get().association.code == "HND"
    assert list(InterestBill.objects.filter(loan=loan).values_list("billed_on", "amount")[:2]) == [
        (date(2020, 1, 20), 22_000),
        (date(2020, 2, 20), 68_200),
    ]
    assert LoanTransaction.objects.filter(loan=loan).count() == 2
    # the audit trail names what was imported, not an unsaved loan
    event = AuditEvent.objects.get(action="portfolio.write")
    assert (event.object_type, event.object_key, event.user) == ("workbook", "test", staff)
    assert event.data["created"] == {
        "communes": [c["code"] for c in (r.data for r in small_batch().get("Communes", []))],
        "programs": [],
        "groups": ["G1"],
        "members": ["044000000001"],
        "loans": ["L1"],
    }
    assert event.data["counts"]["Loans"] == 1 and event.data["posted_to_loans"] == []


@pytest.mark.django_db
def test_batch_lists_every_error_and_writes_nothing(staff):
    batch = small_batch(
        Transactions=rows(
            "Transactions",
            {"loan_no": "L1", "value_date": date(2020, 3, 1), "kind": "principal", "amount": 13_000_000},
            {"loan_no": "L9", "value_date": date(2020, 3, 1), "kind": "principal", "amount": 1},
        )
    )
    with pytest.raises(BatchRefused) as refused:
        portfolio_write(batch, acting_user=staff, source="test")
    assert [str(i) for i in refused.value.issues] == [
        "Transactions!2 amount: Số tiền trả gốc 13.000.000 đồng vượt dư nợ 12.000.000 đồng tại ngày 01/03/2020.",
        "Transactions!3 loan_no: Không tìm thấy khế ước L9.",
    ]
    assert Loan.objects.count() == 0 and Member.objects.count() == 0
