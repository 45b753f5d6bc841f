from django.contrib import admin

from misync.models import MisConnection, SyncRun


@admin.register(MisConnection)
class MisConnectionAdmin(admin.ModelAdmin):
    """For support staff: settings at a glance. Credentials are never shown (superadmins set them)."""

    list_display = ("school", "connector", "enabled", "nightly_time", "pause_until")
    list_filter = ("connector", "enabled")
    list_select_related = ("school",)
    exclude = ("credentials_encrypted", "credentials_hint")
    readonly_fields = ("school",)

    def has_add_permission(self, request):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("id", "school", "status", "trigger", "for_date", "created_at", "error_kind")
    list_filter = ("status", "trigger", "error_kind")
    list_select_related = ("school",)
    exclude = ("held_snapshot",)  # pupils' personal data; the held plan is enough for support

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
