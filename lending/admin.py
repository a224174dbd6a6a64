"""The lending book in the admin, view only: money moves through `lending.services`, where
every posting is checked, locked, audited and the interest bills rebuilt."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from vbsp_district.core.admin_bases import ReadOnlyAdmin, ReadOnlyInline

from .models import (
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


class ProgramRateInline(ReadOnlyInline):
    model = ProgramRate
    fields = ["annual_rate", "effective_on"]
    show_change_link = False


@admin.register(LoanProgram)
class LoanProgramAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "overdue_factor", "overdue_rule"]
    list_filter = ["overdue_rule"]
    search_fields = ["code", "name"]
    inlines = [ProgramRateInline]


@admin.register(ProgramRate)
class ProgramRateAdmin(ReadOnlyAdmin):
    list_display = ["program", "annual_rate", "effective_on"]
    list_filter = ["program"]
    date_hierarchy = "effective_on"
    list_select_related = ["program"]


class InstallmentInline(ReadOnlyInline):
    model = Installment
    fields = ["due_on", "principal"]


class LoanTransactionInline(ReadOnlyInline):
    model = LoanTransaction
    fields = ["value_date", "kind", "amount", "reference", "reverses", "recorded_at", "recorded_by"]
    ordering = ["value_date", "id"]


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = [
        "loan_no",
        "member",
        "program",
        "channel",
        "annual_rate",
        "approved_amount",
        "disbursed_on",
        "commune",
    ]
    list_filter = ["program", "channel", "member__commune"]
    search_fields = ["loan_no", "member__national_id", "member__full_name"]
    date_hierarchy = "disbursed_on"
    list_select_related = ["member__commune", "program"]
    inlines = [InstallmentInline, LoanTransactionInline]

    @admin.display(description=_("xã"), ordering="member__commune__code")
    def commune(self, obj):
        return obj.member.commune.name


@admin.register(Installment)
class InstallmentAdmin(ReadOnlyAdmin):
    list_display = ["loan", "due_on", "principal"]
    search_fields = ["loan__loan_no"]
    date_hierarchy = "due_on"
    list_select_related = ["loan"]


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    list_display = ["loan", "installment", "new_due_on", "decided_on", "recorded_at", "recorded_by"]
    search_fields = ["loan__loan_no"]
    date_hierarchy = "decided_on"
    list_select_related = ["loan", "installment__loan", "recorded_by"]


@admin.register(Freeze)
class FreezeAdmin(ReadOnlyAdmin):
    list_display = ["loan", "amount", "effective_on", "ends_on", "recorded_at", "recorded_by"]
    search_fields = ["loan__loan_no"]
    date_hierarchy = "effective_on"
    list_select_related = ["loan", "recorded_by"]


@admin.register(LoanTransaction)
class LoanTransactionAdmin(ReadOnlyAdmin):
    list_display = ["value_date", "loan", "kind", "amount", "reference", "reverses", "recorded_at", "recorded_by"]
    list_filter = ["kind", "loan__program"]
    search_fields = ["loan__loan_no", "loan__member__national_id", "reference"]
    date_hierarchy = "value_date"
    list_select_related = ["loan", "reverses__loan", "recorded_by"]


@admin.register(SavingsTransaction)
class SavingsTransactionAdmin(ReadOnlyAdmin):
    list_display = ["value_date", "member", "kind", "amount", "reference", "reverses", "recorded_at", "recorded_by"]
    list_filter = ["kind", "member__commune"]
    search_fields = ["member__national_id", "member__full_name", "reference"]
    date_hierarchy = "value_date"
    list_select_related = ["member", "reverses__member", "recorded_by"]


@admin.register(ReversalRequest)
class ReversalRequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "target", "status", "reason", "requested_by", "requested_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["reason", "loan_transaction__loan__loan_no", "savings_transaction__member__national_id"]
    date_hierarchy = "requested_at"
    list_select_related = [
        "loan_transaction__loan",
        "savings_transaction__member",
        "requested_by",
        "decided_by",
    ]

    @admin.display(description=_("giao dịch"))
    def target(self, obj):
        return obj.target


@admin.register(InterestBill)
class InterestBillAdmin(ReadOnlyAdmin):
    list_display = ["loan", "billed_on", "period_start", "amount", "overdue_amount"]
    search_fields = ["loan__loan_no"]
    date_hierarchy = "billed_on"
    list_select_related = ["loan"]


@admin.register(ClosedPeriod)
class ClosedPeriodAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "start", "end", "closed_at", "closed_by", "reopened_at", "reopened_by"]
    list_select_related = ["closed_by", "reopened_by"]
