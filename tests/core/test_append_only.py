"""On PostgreSQL the ledger tables and the audit trail refuse UPDATE and DELETE outright."""

from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction

from lending.models import LoanTransaction, SavingsTransaction
from lending.services import savings_deposit
from tests.support.book import disburse
from tests.support.marks import postgres_only
from vbsp_district.models import AuditEvent

pytestmark = [pytest.mark.django_db, postgres_only]

TABLES = ["lending_loantransaction", "lending_savingstransaction", "vbsp_district_auditevent"]


@pytest.fixture
def ledger(member, poor, staff):
    disburse(member=member, program=poor, user=staff)
    savings_deposit(member=member, amount=100_000, value_date=date(2020, 1, 20), acting_user=staff)
    assert LoanTransaction.objects.exists() and SavingsTransaction.objects.exists() and AuditEvent.objects.exists()


def _raw(sql):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.mark.parametrize("table", TABLES)
def test_update_is_refused_by_the_database(ledger, table):
    column = "action" if table == "vbsp_district_auditevent" else "amount"
    value = "'edited'" if column == "action" else "1"
    with pytest.raises(DatabaseError, match=f"append-only table {table}: UPDATE refused"):
        _raw(f"UPDATE {table} SET {column} = {value}")


@pytest.mark.parametrize("table", TABLES)
def test_delete_is_refused_by_the_database(ledger, table):
    count = _count(table)
    with pytest.raises(DatabaseError, match=f"append-only table {table}: DELETE refused"):
        _raw(f"DELETE FROM {table}")
    assert _count(table) == count


@pytest.mark.parametrize(
    "model, change",
    [(LoanTransaction, {"amount": 1}), (SavingsTransaction, {"amount": 1}), (AuditEvent, {"action": "x"})],
)
def test_the_orm_cannot_edit_or_delete_either(ledger, model, change):
    row = model.objects.order_by("id").first()
    with pytest.raises(DatabaseError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**change)
    with pytest.raises(DatabaseError), transaction.atomic():
        model.objects.filter(pk=row.pk).delete()
    assert model.objects.filter(pk=row.pk).exists()


def _count(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]
