"""The organization in the admin. Rows are created by `groups.services`; only names and
notes may be corrected here. A commune's transaction day (and its history) and a member's
commune and memberships drive the interest bills, so they stay read-only: a new
transaction day is recorded on the commune's page."""

from django.contrib import admin

from vbsp_district.core.admin_bases import ReadOnlyAdmin, ReadOnlyInline, ServiceWrittenAdmin

from .models import (
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


@admin.register(Association)
class AssociationAdmin(ServiceWrittenAdmin):
    editable = ("name", "short_name", "position")
    list_display = ["code", "name", "short_name", "position"]
    search_fields = ["code", "name"]


class CommuneAssociationInline(ReadOnlyInline):
    model = CommuneAssociation
    fields = ["association", "chair_name"]


class CommuneTransactionDayInline(ReadOnlyInline):
    model = CommuneTransactionDay
    fields = ["day", "effective_on", "recorded_at", "recorded_by"]


@admin.register(Commune)
class CommuneAdmin(ServiceWrittenAdmin):
    editable = ("name", "kind")
    list_display = ["code", "name", "kind", "transaction_day"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    inlines = [CommuneAssociationInline, CommuneTransactionDayInline]


@admin.register(CommuneAssociation)
class CommuneAssociationAdmin(ServiceWrittenAdmin):
    editable = ("chair_name",)
    list_display = ["__str__", "commune", "association", "chair_name"]
    list_filter = ["association", "commune"]
    search_fields = ["commune__name", "commune__code", "chair_name"]
    list_select_related = ["commune", "association"]


class GroupAssignmentInline(ReadOnlyInline):
    model = GroupAssignment
    fields = ["association", "effective_on", "recorded_at", "recorded_by"]


class GroupMembershipInline(ReadOnlyInline):
    model = Membership
    fields = ["member", "joined_on", "left_on"]


@admin.register(SavingsGroup)
class SavingsGroupAdmin(ServiceWrittenAdmin):
    editable = ("name", "village", "leader_name", "meeting_day")
    list_display = ["code", "name", "commune", "village", "leader_name", "founded_on", "dissolved_on"]
    list_filter = ["commune", "dissolved_on"]
    search_fields = ["code", "name", "village", "leader_name"]
    list_select_related = ["commune"]
    inlines = [GroupAssignmentInline, GroupMembershipInline]


@admin.register(GroupAssignment)
class GroupAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["group", "association", "effective_on", "recorded_at", "recorded_by"]
    list_filter = ["association"]
    search_fields = ["group__code", "group__name"]
    date_hierarchy = "effective_on"
    list_select_related = ["group", "association", "recorded_by"]


class MemberMembershipInline(ReadOnlyInline):
    model = Membership
    fields = ["group", "joined_on", "left_on"]


@admin.register(Member)
class MemberAdmin(ServiceWrittenAdmin):
    editable = ("full_name", "gender", "birth_year", "village", "household_category")
    list_display = ["national_id", "full_name", "gender", "birth_year", "commune", "village", "household_category"]
    list_filter = ["commune", "gender", "household_category"]
    search_fields = ["national_id", "full_name", "village"]
    list_select_related = ["commune"]
    inlines = [MemberMembershipInline]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["member", "group", "joined_on", "left_on"]
    list_filter = ["group__commune"]
    search_fields = ["member__national_id", "member__full_name", "group__code"]
    date_hierarchy = "joined_on"
    list_select_related = ["member", "group"]


@admin.register(GroupMeeting)
class GroupMeetingAdmin(ServiceWrittenAdmin):
    editable = ("notes",)
    list_display = ["group", "held_on", "attendees"]
    list_filter = ["group__commune"]
    search_fields = ["group__code", "group__name"]
    date_hierarchy = "held_on"
    list_select_related = ["group"]


@admin.register(Training)
class TrainingAdmin(ServiceWrittenAdmin):
    editable = ("organizer",)
    list_display = ["held_on", "audience", "trainees", "planned", "association", "commune", "organizer"]
    list_filter = ["association", "commune"]
    search_fields = ["audience", "organizer"]
    date_hierarchy = "held_on"
    list_select_related = ["association", "commune"]


@admin.register(NewsItem)
class NewsItemAdmin(ServiceWrittenAdmin):
    editable = ("title",)
    list_display = ["published_on", "title", "channel", "association", "commune"]
    list_filter = ["channel", "association"]
    search_fields = ["title"]
    date_hierarchy = "published_on"
    list_select_related = ["association", "commune"]
