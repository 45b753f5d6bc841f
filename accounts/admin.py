"""Django's admin site is for the platform's operators only: create schools and first superadmins."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import AuditEntry, Group, School, User


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "phase", "timezone")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(User)
class AccountAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "school", "role", "status", "year_group", "last_login")
    list_filter = ("role", "status", "year_group", "school")
    list_select_related = ("school",)
    # 50 a page, like the Accounts tab, so bench/admin_bench.py compares like with like.
    list_per_page = 50
    search_fields = ("username", "first_name", "last_name", "admission_number", "upn")
    ordering = ("last_name", "first_name")
    fieldsets = UserAdmin.fieldsets + (
        (
            "School",
            {
                "fields": (
                    "school", "role", "status", "upn", "admission_number", "mis_id", "year_group",
                    "start_date", "leave_date", "left_via", "theme", "theme_pinned",
                )
            },
        ),
    )
    add_fieldsets = UserAdmin.add_fieldsets + (("School", {"fields": ("school", "role", "first_name", "last_name")}),)


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("name", "school", "year_group", "mis_managed")
    list_filter = ("school", "mis_managed")
    search_fields = ("name",)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "school", "actor_label", "action", "target_label", "source")
    list_filter = ("school", "action")
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
