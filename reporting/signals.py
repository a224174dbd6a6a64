"""Stored figures go stale when the past changes (reporting/store.py).

Every write that changes figures marks stale the stored periods ending on or after the
first day it changes, in the same transaction: single-record writes through their rows'
saves, bulk writes through `vbsp_district.core.signals.book_changed`. A stale period is
computed live until `rebuild_figures` builds it again.
"""

from datetime import date, timedelta

from django.db.models.signals import post_save

from groups.models import GroupAssignment, Membership, SavingsGroup
from lending.models import Extension, Freeze, Loan, LoanTransaction, SavingsTransaction
from vbsp_district.core.signals import book_changed

from .store import mark_stale


def _changed_from(instance, created: bool, update_fields) -> date | None:
    """The first day a saved row changes figures from (None: it changes none)."""
    fields = set(update_fields or ())
    if isinstance(instance, LoanTransaction | SavingsTransaction):
        return instance.value_date
    if isinstance(instance, Loan):
        return instance.disbursed_on if created else None
    if isinstance(instance, Extension):
        return instance.decided_on
    if isinstance(instance, Freeze):
        return instance.effective_on if created else instance.ends_on if "ends_on" in fields else None
    if isinstance(instance, GroupAssignment):
        return instance.effective_on
    if isinstance(instance, SavingsGroup):
        if created:
            return instance.founded_on
        return instance.dissolved_on if "dissolved_on" in fields else None
    if isinstance(instance, Membership):
        if created:
            return instance.joined_on
        if "left_on" in fields and instance.left_on is not None:
            return instance.left_on + timedelta(days=1)
        return None
    return None


def _on_save(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw:
        return
    day = _changed_from(instance, created, update_fields)
    if day is not None:
        mark_stale(day)


def _on_book_changed(sender, day=None, **kwargs):
    mark_stale(day or date.min)


def connect():
    for model in (
        LoanTransaction,
        SavingsTransaction,
        Loan,
        Extension,
        Freeze,
        GroupAssignment,
        SavingsGroup,
        Membership,
    ):
        post_save.connect(_on_save, sender=model, dispatch_uid=f"reporting.stale.{model._meta.label}")
    book_changed.connect(_on_book_changed, dispatch_uid="reporting.stale.book_changed")
