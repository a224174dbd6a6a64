"""Stored figures follow the book's writes (reporting/store.py).

A save that changes figures says from which day, and whose: the members and groups whose
keys it touches. Inside a book write (`vbsp_district.core.writes`) these are noted, and
when the write ends, still inside its transaction, the stored periods ending on or after
the first such day have the rows of those keys computed again (`store.settle`). A save
outside a book write (the admin, a shell) marks those periods stale instead: they are
computed live until `rebuild_figures` builds them again. A bulk write (an import) sends
`book_changed` and the stored periods from its first day are built again at its end.
"""

from datetime import date, timedelta

from django.db.models.signals import post_delete, post_save

from groups.models import (
    Association,
    Commune,
    CommuneTransactionDay,
    GroupAssignment,
    GroupMeeting,
    Member,
    Membership,
    NewsItem,
    SavingsGroup,
)
from lending.models import Channel, Extension, Freeze, Loan, LoanTransaction, SavingsTransaction
from vbsp_district.core.signals import book_changed
from vbsp_district.core.writes import book_written, write_notes

from . import cache, store
from .sql import Scope


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
    if isinstance(instance, CommuneTransactionDay):
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


def _touched(instance, created: bool, day: date) -> tuple[str, int, bool]:
    """Whose stored rows a saved row changes: ("group", id) or ("member", id, with the
    member's commune). A member's figures are keyed by every group they were ever in and,
    where the figures have no group, by their commune: a direct loan, a new loan's year
    start before its borrower joined a group, a membership change, and savings made while
    (or before) they are in no group."""
    if isinstance(instance, GroupAssignment):
        return ("group", instance.group_id, False)
    if isinstance(instance, CommuneTransactionDay):
        return ("commune", instance.commune_id, True)
    if isinstance(instance, SavingsGroup):
        return ("group", instance.pk, False)
    if isinstance(instance, Membership):
        return ("member", instance.member_id, True)
    if isinstance(instance, SavingsTransaction):
        return ("savings", instance.member_id, False)
    loan = instance if isinstance(instance, Loan) else instance.loan
    return ("member", loan.member_id, (created and isinstance(instance, Loan)) or loan.channel != Channel.ENTRUSTED)


def _scope(touched: set, day: date) -> Scope:
    """The Scope of what the saves of one write touched (a few queries, once a write)."""
    groups = {key for kind, key, _ in touched if kind == "group"}
    members = {key for kind, key, _ in touched if kind in ("member", "savings")}
    # a commune's transaction day: its groups' meetings and postings on the day, and the
    # bills of every member billed on it (in its groups, or of it and in no group)
    billed_on = {key for kind, key, _ in touched if kind == "commune"}
    if billed_on:
        groups |= set(SavingsGroup.objects.filter(commune_id__in=billed_on).values_list("pk", flat=True))
        members |= set(Membership.objects.filter(group__commune_id__in=billed_on).values_list("member_id", flat=True))
        members |= set(Member.objects.filter(commune_id__in=billed_on).values_list("pk", flat=True))
    groups |= set(Membership.objects.filter(member_id__in=members).values_list("group_id", flat=True))
    with_commune = {key for kind, key, commune in touched if kind == "member" and commune}
    if billed_on:
        with_commune |= members
    savers = {key for kind, key, _ in touched if kind == "savings"}
    in_a_group = Membership.objects.filter(member_id__in=savers, joined_on__lte=day, left_on__isnull=True)
    with_commune |= savers - set(in_a_group.values_list("member_id", flat=True))
    communes = Member.objects.filter(pk__in=with_commune).values_list("commune_id", flat=True)
    return Scope.of(groups, set(communes) | billed_on)


def _on_save(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw:
        return
    day = _changed_from(instance, created, update_fields)
    if day is None:
        return
    notes = write_notes()
    if notes is None:
        store.mark_stale(day)
        return
    figures = notes.setdefault("figures", {"day": day, "touched": set()})
    figures["day"] = min(figures["day"], day)
    figures["touched"].add(_touched(instance, created, day))


def _on_book_written(sender, notes, **kwargs):
    figures = notes.get("figures")
    if figures:
        store.settle(figures["day"], lambda: _scope(figures["touched"], figures["day"]))


def _on_book_changed(sender, day=None, later=False, **kwargs):
    """A bulk write: build again the periods from `day` at its end (`later`: the caller
    builds the store itself once it has committed; mark them stale meanwhile)."""
    if day is None or later:
        store.mark_stale(day or date.min)
    else:
        store.rebuild_from(day)


def connect():
    for model in (
        LoanTransaction,
        SavingsTransaction,
        Loan,
        Extension,
        Freeze,
        GroupAssignment,
        CommuneTransactionDay,
        SavingsGroup,
        Membership,
    ):
        post_save.connect(_on_save, sender=model, dispatch_uid=f"reporting.stale.{model._meta.label}")
    book_changed.connect(_on_book_changed, dispatch_uid="reporting.stale.book_changed")
    # the records figures kept between requests read besides the book (reporting/cache.py)
    for model in (GroupMeeting, NewsItem, Association, Commune):
        for signal in (post_save, post_delete):
            signal.connect(cache.bump_records, sender=model, dispatch_uid=f"reporting.kept.{model._meta.label}")
    book_written.connect(_on_book_written, dispatch_uid="reporting.settle.book_written")
