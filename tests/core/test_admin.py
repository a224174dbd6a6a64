from datetime import date

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from groups.models import Member, Membership, SavingsGroup
from groups.services import (
    group_create,
    meeting_record,
    member_register,
    membership_add,
    news_item_record,
    training_record,
)
from lending.models import (
    ClosedPeriod,
    Extension,
    Freeze,
    Installment,
    InterestBill,
    Loan,
    LoanProgram,
    LoanTransaction,
    ProgramRate,
    ReversalRequest,
    SavingsTransaction,
)
from lending.services import (
    loan_extend,
    loan_freeze,
    period_close,
    repayment_post,
    reversal_approve,
    reversal_request,
    savings_deposit,
)
from tests.support.book import disburse
from vbsp_district.models import AuditEvent

pytestmark = pytest.mark.django_db

READ_ONLY = [
    LoanTransaction,
    SavingsTransaction,
    AuditEvent,
    InterestBill,
    Loan,
    Installment,
    Extension,
    Freeze,
    ClosedPeriod,
    ReversalRequest,
    LoanProgram,
    ProgramRate,
]


@pytest.fixture
def book(commune, hpn, member, poor, staff, manager):
    """One of every row, written the way users write them."""
    loan = disburse(member=member, program=poor, user=staff)
    repayment = repayment_post(
        loan=loan, amount=1_000_000, value_date=date(2020, 2, 20), reference="TN-1", acting_user=staff
    )
    reversal_approve(
        request=reversal_request(transaction=repayment, reason="Sai", acting_user=staff), acting_user=manager
    )
    repayment_post(loan=loan, amount=2_000_000, value_date=date(2020, 3, 20), acting_user=staff)
    loan_extend(
        loan=loan,
        due_on=date(2022, 1, 10),
        new_due_on=date(2022, 7, 10),
        decided_on=date(2020, 12, 1),
        acting_user=staff,
    )
    loan_freeze(loan=loan, amount=1_000_000, effective_on=date(2020, 5, 1), acting_user=staff)
    deposit = savings_deposit(member=member, amount=100_000, value_date=date(2020, 1, 20), acting_user=staff)
    reversal_request(transaction=deposit, reason="Gửi nhầm", acting_user=staff)
    group = group_create(
        code="QH-02", name="Tổ 2", commune=commune, association=hpn, founded_on=date(2016, 1, 1), acting_user=staff
    )
    meeting_record(group=group, held_on=date(2020, 1, 16), attendees=20, acting_user=staff)
    training_record(held_on=date(2020, 6, 10), audience="Tổ trưởng", trainees=30, acting_user=staff)
    news_item_record(published_on=date(2020, 3, 8), association=hpn, channel="tv", title="Tin", acting_user=staff)
    period_close(year=2020, quarter=1, acting_user=manager)
    return loan


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("admin", "admin@example.vn", "secret-pass-1")


@pytest.fixture
def admin_client_(client, superuser):
    client.force_login(superuser)
    return client


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_registered_model_has_a_changelist_and_a_view_page(book, admin_client_):
    models = list(admin.site._registry)
    book_models = {m for m in models if m._meta.app_label in ("groups", "lending", "vbsp_district")}
    assert len(book_models) == 23
    for model in models:
        response = admin_client_.get(_url(model, "changelist"))
        assert response.status_code == 200, model
        row = model.objects.order_by("pk").first()
        if row is not None:
            response = admin_client_.get(_url(model, "change", row.pk))
            assert response.status_code == 200, model


def test_changelists_search_and_filter(book, admin_client_):
    response = admin_client_.get(_url(LoanTransaction, "changelist"), {"q": "L1", "kind__exact": "principal"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    response = admin_client_.get(_url(Loan, "changelist"), {"q": "044000000001"})
    assert response.context["cl"].result_count == 1


@pytest.mark.parametrize("model", READ_ONLY)
def test_the_ledger_and_money_state_are_read_only(book, admin_client_, model):
    model_admin = admin.site._registry[model]
    request = admin_client_.get("/").wsgi_request
    request.user = get_user_model().objects.get(username="admin")
    row = model.objects.order_by("pk").first()
    assert row is not None
    assert model_admin.has_view_permission(request, row)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, row)
    assert not model_admin.has_delete_permission(request, row)
    editable = {f.name for f in model._meta.fields if not f.auto_created}
    assert set(model_admin.get_readonly_fields(request, row)) == editable
    assert admin_client_.get(_url(model, "add")).status_code == 403
    assert admin_client_.get(_url(model, "delete", row.pk)).status_code == 403


def test_a_loan_transaction_offers_no_save_and_no_delete(book, admin_client_):
    txn = LoanTransaction.objects.get(reference="TN-1")
    url = _url(LoanTransaction, "change", txn.pk)
    response = admin_client_.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert "1.000.000" in content
    for control in ('name="_save"', 'name="_continue"', 'name="_addanother"', _url(LoanTransaction, "delete", txn.pk)):
        assert control not in content
    # Posting the form anyway changes nothing.
    response = admin_client_.post(url, {"amount": "1", "value_date": "2020-02-21"})
    assert response.status_code == 403
    txn.refresh_from_db()
    assert (txn.amount, txn.value_date) == (1_000_000, date(2020, 2, 20))
    # Nor can a bulk action delete rows.
    assert "delete_selected" not in admin.site._registry[LoanTransaction].get_actions(response.wsgi_request)
    admin_client_.post(_url(LoanTransaction, "changelist"), {"action": "delete_selected", "_selected_action": [txn.pk]})
    assert LoanTransaction.objects.filter(pk=txn.pk).exists()


def test_descriptive_fields_of_the_organization_stay_correctable(book, admin_client_, member):
    model_admin = admin.site._registry[type(member)]
    request = admin_client_.get("/").wsgi_request
    request.user = get_user_model().objects.get(username="admin")
    assert model_admin.has_change_permission(request, member)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_delete_permission(request, member)
    assert {"national_id", "commune"} <= set(model_admin.get_readonly_fields(request, member))
    assert "full_name" not in model_admin.get_readonly_fields(request, member)


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _more_of_everything(loan, group, hnd, staff, manager):
    """Three more rows of each kind, in the open second half of 2020."""
    for n in (2, 3, 4):
        other = member_register(
            national_id=f"04400000010{n}", full_name=f"Hộ {n}", commune=group.commune, acting_user=staff
        )
        membership_add(member=other, group=group, joined_on=date(2020, 4, n), acting_user=staff)
        more = disburse(member=other, program=loan.program, user=staff, loan_no=f"L{n}", disbursed_on=date(2020, 7, n))
        txn = repayment_post(loan=more, amount=10_000, value_date=date(2020, 8, n), acting_user=staff)
        reversal_request(transaction=txn, reason="Sai", acting_user=staff)
        savings_deposit(member=other, amount=10_000, value_date=date(2020, 8, n), acting_user=staff)
        loan_freeze(loan=more, amount=1_000, effective_on=date(2020, 9, n), acting_user=staff)
        loan_extend(
            loan=more,
            due_on=date(2022, 1, 10),
            new_due_on=date(2022, 7, 10),
            decided_on=date(2020, 12, n),
            acting_user=staff,
        )
        group_create(
            code=f"QH-1{n}",
            name=f"Tổ {n}",
            commune=group.commune,
            association=hnd,
            founded_on=date(2020, 4, n),
            acting_user=staff,
        )
        period_close(year=2019, quarter=n, acting_user=manager)


@pytest.mark.parametrize("model", [m for m in READ_ONLY if m is not LoanProgram] + [Member, Membership, SavingsGroup])
def test_changelist_queries_do_not_grow_with_rows(book, group, hnd, admin_client_, staff, manager, model):
    url = _url(model, "changelist")
    before = _queries(admin_client_, url)
    _more_of_everything(book, group, hnd, staff, manager)
    assert _queries(admin_client_, url) == before
