"""The admin: a window on the book. Every write to it goes through a service, so the
ledger and every row a figure depends on are read-only here."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .core.admin_bases import ReadOnlyAdmin, ReadOnlyInline, ServiceWrittenAdmin  # noqa: F401
from .models import AuditEvent, UserProfile


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "action", "user", "object_type", "object_key"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "object_key", "user__username"]
    date_hierarchy = "occurred_at"
    list_select_related = ["user"]


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "association", "commune"]
    list_filter = ["role", "association"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user", "association", "commune"]
    autocomplete_fields = ["user"]


class UserProfileInline(admin.StackedInline):
    model = UserProfile
    can_delete = False
    verbose_name_plural = _("vai trò và phạm vi")


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [UserProfileInline]
    list_display = ["username", "first_name", "last_name", "role", "is_active", "is_superuser"]
    list_select_related = ["profile"]

    @admin.display(description=_("vai trò"), ordering="profile__role")
    def role(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.get_role_display() if profile else "—"
