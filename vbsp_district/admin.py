"""The admin: a window on the book. Every write to it goes through a service, so the
ledger and every row a figure depends on are read-only here."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, UserProfile


class ServiceWrittenAdmin(admin.ModelAdmin):
    """Rows that services create: none is added or deleted here.

    Only the descriptive fields named in `editable` (names, notes) may be corrected; the
    admin's own history records who changed them.
    """

    editable: tuple[str, ...] = ()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if not f.auto_created and f.name not in self.editable]


class ReadOnlyAdmin(ServiceWrittenAdmin):
    """The ledger and money-relevant state: view only."""

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return list(self.fields or ())


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
