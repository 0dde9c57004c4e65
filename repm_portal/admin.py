"""Read-only admin screens: every change goes through a service so it is validated and audited."""

from django.contrib import admin

from repm_portal.models import AuditEvent, CapacitySlab, RuleSet, Scheme


class ReadOnlyAdmin(admin.ModelAdmin):
    """Browse only. Writes here would skip the services, their checks and the audit trail."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CapacitySlabInline(ReadOnlyInline):
    model = CapacitySlab


@admin.register(Scheme)
class SchemeAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "ministry"]


@admin.register(RuleSet)
class RuleSetAdmin(ReadOnlyAdmin):
    list_display = ["scheme", "version", "notification", "effective_from", "created_by"]
    inlines = [CapacitySlabInline]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "occurred_at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_repr", "object_id"]
