"""The one scoping layer: what each user may see and do.

Every list, detail page, form, download and JSON response asks the user's `Scope` for
its querysets. Branch staff, managers and administrators see the whole office; an
association officer sees the groups their association manages (in their commune, for a
commune-level officer), the members of those groups, their entrusted loans, and nothing
else. Access follows the attribution at a date (today unless a page shows another day):
a group handed to another association leaves the old one's view from the transfer on.

Asked `on` a day, every method answers as at the end of that day, for every role:
groups founded by then, loans disbursed by then. An officer looking back before a
handover sees the group and the loans of that day, never a loan that came after it.

A group meeting belongs to the association managing its group on the commune
transaction day the meeting serves (`groups.rules.meeting_timing`), whatever day the
user looks from: the old association keeps the meetings that served its transaction days,
the new one sees those from its first transaction day on.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, ExtractDay, ExtractMonth, ExtractYear
from django.utils import timezone
from django.utils.functional import cached_property

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
from lending.models import Channel, Loan

from ..core.roles import role_may_post, user_role
from ..models import Role


# -- the association managing a group on a transaction day, for many rows in one query ---------
# A transaction day is clipped to its month's last day (31 → 29/02/2020), which SQL cannot
# build portably as a date. Dates are compared as integers instead: (year × 12 + month) × 32
# + day orders them as the calendar does. An assignment dated E is in force on the
# transaction day of month M of a commune whose setting is s exactly when
# key(E) ≤ M × 32 + s: E's day never exceeds its month's last day, so E.day ≤ s says
# E.day ≤ min(s, last day) without knowing the last day.
def _month_key(field: str):
    return ExtractYear(field) * 12 + ExtractMonth(field)


def _day_key(field: str):
    return _month_key(field) * 32 + ExtractDay(field)


def _transaction_day_in(commune: str, month_key: str):
    """The transaction day of the commune `commune` (an outer field) in force in the month
    whose key (year × 12 + month) the outer annotation `month_key` holds: its latest change
    dated by the month (a change takes effect on a month's first day), else its first day,
    else its day (`Commune.transaction_days`' rule)."""
    changed = (
        CommuneTransactionDay.objects.filter(commune=OuterRef(commune), effective_on__isnull=False)
        .alias(_month=_month_key("effective_on"))
        .filter(_month__lte=OuterRef(month_key))
        .order_by("-effective_on")
    )
    first = CommuneTransactionDay.objects.filter(commune=OuterRef(commune), effective_on__isnull=True)
    return Coalesce(
        Subquery(changed.values("day")[:1]), Subquery(first.values("day")[:1]), F(f"{commune}__transaction_day")
    )


def _association_on_transaction_day(group: str, transaction_day_key: str):
    """The association managing the group `group` (an outer field) on the transaction day
    whose key the outer annotation `transaction_day_key` holds: its latest assignment dated
    by then, else its first one (`SavingsGroup.objects.with_association`'s rule)."""
    in_force = (
        GroupAssignment.objects.filter(group=OuterRef(group))
        .alias(_day=_day_key("effective_on"))
        .filter(_day__lte=OuterRef(transaction_day_key))
        .order_by("-effective_on", "-id")
    )
    first = GroupAssignment.objects.first_of(OuterRef(group))
    return Coalesce(Subquery(in_force.values("association_id")[:1]), Subquery(first.values("association_id")[:1]))


@dataclass(frozen=True)
class Scope:
    role: str | None
    association_id: int | None = None
    commune_id: int | None = None

    @classmethod
    def of(cls, user) -> "Scope":
        role = user_role(user)
        profile = getattr(user, "profile", None) if role == Role.OFFICER else None
        if profile is not None:
            return cls(role, profile.association_id, profile.commune_id)
        return cls(role)

    # -- what the role may do ------------------------------------------------------------
    @property
    def is_officer(self) -> bool:
        return self.role == Role.OFFICER

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def can_post(self) -> bool:
        """Record groups, members, loans and money (`roles.may_post`)."""
        return role_may_post(self.role)

    @property
    def sees_everything(self) -> bool:
        return self.role in (Role.STAFF, Role.MANAGER, Role.ADMIN)

    @property
    def can_record_outreach(self) -> bool:
        """Record and correct trainings, news items, commune broadcasts and group meetings:
        staff and managers for every unit, an officer for their own association (and
        commune): an officer's only write (`groups.rules.check_outreach_writer`)."""
        return self.can_post or (self.is_officer and self.association_id is not None)

    # -- what the user may see ------------------------------------------------------------
    def communes(self, qs=None):
        qs = Commune.objects.all() if qs is None else qs
        if self.role is None:
            return qs.none()
        if self.commune_id:
            return qs.filter(pk=self.commune_id)
        return qs

    def associations(self, qs=None):
        qs = Association.objects.all() if qs is None else qs
        if self.role is None:
            return qs.none()
        if self.is_officer:
            return qs.filter(pk=self.association_id)
        return qs

    def groups(self, qs=None, on: date | None = None):
        qs = SavingsGroup.objects.all() if qs is None else qs
        if on is not None:
            qs = qs.filter(founded_on__lte=on)
        if self.sees_everything:
            return qs
        if not self.is_officer:
            return qs.none()
        on = on or timezone.localdate()
        qs = qs.with_association(on, name="_managed_by").filter(_managed_by=self.association_id)
        if self.commune_id:
            qs = qs.filter(commune_id=self.commune_id)
        return qs

    def groups_on_transaction_day(self, year: int, month: int, qs=None):
        """The groups the user sees on their commune's transaction day of the month: for an
        officer, those their association manages that day (in their commune, at commune
        level), whatever day the page is read at."""
        qs = SavingsGroup.objects.all() if qs is None else qs
        if self.sees_everything:
            return qs
        if not self.is_officer:
            return qs.none()
        qs = qs.alias(_month=Value(year * 12 + month))
        qs = qs.alias(_transaction_day=Value((year * 12 + month) * 32) + _transaction_day_in("commune", "_month"))
        qs = qs.alias(_managed_then=_association_on_transaction_day("pk", "_transaction_day"))
        qs = qs.filter(_managed_then=self.association_id)
        if self.commune_id:
            qs = qs.filter(commune_id=self.commune_id)
        return qs

    def members(self, qs=None, on: date | None = None):
        qs = Member.objects.all() if qs is None else qs
        if self.sees_everything:
            return qs
        if not self.is_officer:
            return qs.none()
        on = on or timezone.localdate()
        group_on = Membership.objects.filter(member=OuterRef("pk")).attributing(on).values("group_id")[:1]
        return qs.annotate(_group_on=Subquery(group_on)).filter(_group_on__in=self.groups(on=on).values("pk"))

    def loans(self, qs=None, on: date | None = None):
        qs = Loan.objects.all() if qs is None else qs
        if on is not None:
            qs = qs.filter(disbursed_on__lte=on)
        if self.sees_everything:
            return qs
        if not self.is_officer:
            return qs.none()
        on = on or timezone.localdate()
        return qs.filter(channel=Channel.ENTRUSTED, disbursed_on__lte=on, member__in=self.members(on=on).values("pk"))

    # -- outreach: what the user sees, and the units they may record it for -------------------
    def _own_unit(self, qs, association: str = "association_id", commune: str = "commune_id"):
        """An officer's rows: their association's (in their commune, at commune level)."""
        qs = qs.filter(**{association: self.association_id})
        if self.commune_id:
            qs = qs.filter(**{commune: self.commune_id})
        return qs

    def trainings(self, qs=None):
        qs = Training.objects.all() if qs is None else qs
        if self.sees_everything:
            return qs
        if not self.is_officer:
            return qs.none()
        return self._own_unit(qs)

    def news_items(self, qs=None):
        """News items and commune loudspeaker broadcasts."""
        qs = NewsItem.objects.all() if qs is None else qs
        if self.sees_everything:
            return qs
        if not self.is_officer:
            return qs.none()
        return self._own_unit(qs)

    def meetings(self, qs=None):
        """Group meetings: for an officer, those whose group their association managed on
        the transaction day the meeting serves (in their commune, at commune level), seen
        from any day."""
        qs = GroupMeeting.objects.all() if qs is None else qs
        if self.sees_everything:
            return qs
        if not self.is_officer:
            return qs.none()
        # A meeting serves the first transaction day on or after it (`rules.meeting_timing`):
        # this month's when held by the commune's day that month, next month's after it.
        qs = qs.alias(_held_month=_month_key("held_on"))
        qs = qs.alias(_next_month=F("_held_month") + 1)
        qs = qs.alias(_this_day=_transaction_day_in("group__commune", "_held_month"))
        later = Q(held_on__day__gt=F("_this_day"))
        month = Case(When(later, then=F("_next_month")), default=F("_held_month"))
        setting = Case(When(later, then=_transaction_day_in("group__commune", "_next_month")), default=F("_this_day"))
        qs = qs.alias(_transaction_day=month * 32 + setting)
        qs = qs.alias(_managed_then=_association_on_transaction_day("group_id", "_transaction_day"))
        qs = qs.filter(_managed_then=self.association_id)
        if self.commune_id:
            qs = qs.filter(group__commune_id=self.commune_id)
        return qs

    def outreach_associations(self, qs=None):
        """The associations the user may record outreach for."""
        qs = Association.objects.all() if qs is None else qs
        if not self.can_record_outreach:
            return qs.none()
        if self.is_officer:
            return qs.filter(pk=self.association_id)
        return qs

    def outreach_communes(self, qs=None):
        """The communes the user may record outreach in: an officer's association's
        communes (their own one, at commune level)."""
        qs = Commune.objects.all() if qs is None else qs
        if not self.can_record_outreach:
            return qs.none()
        if self.is_officer:
            units = CommuneAssociation.objects.filter(association_id=self.association_id)
            qs = qs.filter(pk__in=units.values("commune_id"))
        if self.commune_id:
            qs = qs.filter(pk=self.commune_id)
        return qs


class ScopeMiddleware:
    """Puts the signed-in user's Scope on `request.scope`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.scope = _LazyScope(request)
        return self.get_response(request)


class _LazyScope:
    def __init__(self, request):
        self._request = request

    @cached_property
    def _scope(self):
        return Scope.of(self._request.user)

    def __getattr__(self, name):
        return getattr(self._scope, name)
