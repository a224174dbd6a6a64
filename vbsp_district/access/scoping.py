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
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.functional import cached_property

from groups.models import (
    Association,
    Commune,
    CommuneAssociation,
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
        """Meetings of the groups the user sees today (`groups()`)."""
        qs = GroupMeeting.objects.all() if qs is None else qs
        if self.sees_everything:
            return qs
        if not self.is_officer:
            return qs.none()
        return qs.filter(group__in=self.groups().values("pk"))

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
