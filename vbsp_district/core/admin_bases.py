"""Admin bases: rows written by services are read-only or only their descriptions editable."""

from django.contrib import admin


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
